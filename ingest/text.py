"""Text normalisation shared by header matching, titles and units (Python side).

Cell values are normalised in DuckDB (see `sql_parsers.py`) with the same rules, so a clerk's
"１２３４．５" and "1234.5" mean the same thing everywhere.
"""

from __future__ import annotations

import re
import unicodedata

NOISE = re.compile(r"##\w+##|\[bookmark:[^\]]*\]")
WHITESPACE = re.compile(r"[\s\u3000\u2003\u2002\xa0\u200b\ufeff]+")


def nfkc(text: str) -> str:
    """NFKC, noise tokens removed, whitespace collapsed and trimmed.

    NFKC maps ％－／，０-９ to ASCII but also ³→3 and Ⅱ→II; unit and class maps accept both forms.
    """
    t = unicodedata.normalize("NFKC", text)
    t = NOISE.sub("", t)
    return WHITESPACE.sub(" ", t).strip()


def compact(text: str) -> str:
    """NFKC with every space removed: the form headers and enum values are compared in."""
    return nfkc(text).replace(" ", "")


# Units as written in headers or cells, after NFKC (³ → 3).
UNIT_PATTERN = re.compile(r"(亿元|万元|元|万m3|m3/万元|m3|万t/d|t/d|km|公里|亩|%|分|个|处|次|件|名)")


def unit_in_header(header: str) -> str | None:
    """The unit a header states, e.g. "总投资(亿元)" → 亿元, "完成率(%)" → %."""
    m = re.search(r"[(\[]\s*(?:单位[:：])?\s*([^()\[\]]+?)\s*[)\]]\s*$", header)
    if m:
        u = UNIT_PATTERN.fullmatch(m.group(1).replace(" ", ""))
        if u:
            return u.group(1)
    for unit in ("亿元", "万元"):
        if header.endswith(unit):
            return unit
    if header.endswith("%"):
        return "%"
    return None


def unit_in_title(title: str) -> str | None:
    """A sheet-wide money unit stated in the title rows: "单位：万元"."""
    m = re.search(r"单位\s*[:：]\s*(亿元|万元|元)", title)
    return m.group(1) if m else None
