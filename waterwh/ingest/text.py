"""Text normalisation shared by header matching, titles and units (Python side).

Cell values are normalised in DuckDB (see `sql_parsers.py`) with the same rules, so a clerk's
"１２３４．５" and "1234.5" mean the same thing everywhere.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

NOISE = re.compile(r"##\w+##|\[bookmark:[^\]]*\]")
WHITESPACE = re.compile(r"[\s\u3000\u2003\u2002\xa0\u200b\ufeff]+")


# sql_parsers.wh_norm in Python (RE2's \s is [\t\n\f\r ], its \w ASCII): full-width forms and U+3000
# to ASCII, control characters out, noise tokens out, whitespace runs to one space, trimmed, '' → None.
_CELL_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
_JOINED_CONTROLS = re.compile("[\x01-\x08\x0b\x0e-\x1f\x7f]")  # \x00 separates the cells: see normalise_cells
_CELL_NOISE = re.compile(r"##[0-9A-Za-z_]+##|\[bookmark:[^\]\x00]*\]")  # \x00: see normalise_cells
_CELL_SPACES = re.compile("[\t\n\f\r \u3000\u2003\u2002\u00a0\u200b\ufeff]+")


def normalise_cell(text: str) -> str | None:
    """A cell as `wh_norm` normalises it, for the few cells that hold a character it acts on:
    a regular expression costs DuckDB ~9 µs such a cell (its translate() re-reads the mapping for
    every row), Python ~1 µs. `tests/test_cells.py` holds the two equal."""
    text = CONTROLS.sub("", text.translate(_CELL_FULLWIDTH))
    return _CELL_SPACES.sub(" ", _CELL_NOISE.sub("", text)).strip(" ") or None


def normalise_cells(cells: list[str]) -> list[str | None]:
    """`normalise_cell` over many cells at once: the full-width mapping in numpy over their joined
    text, each rule one regular expression pass (~0.3 µs a cell instead of ~3). The separator
    U+0000 is in no rule's pattern but the controls'; cells holding it go one by one."""
    text = "\x00".join(cells)
    if text.count("\x00") != len(cells) - 1:
        return [normalise_cell(c) for c in cells]
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).copy()
    codes[(codes >= 0xFF01) & (codes <= 0xFF5E)] -= 0xFEE0
    codes[codes == 0x3000] = 0x20
    text = _JOINED_CONTROLS.sub("", codes.tobytes().decode("utf-32-le"))
    text = _CELL_SPACES.sub(" ", _CELL_NOISE.sub("", text))
    return [c.strip(" ") or None for c in text.split("\x00")]


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


def column_letter(index: int) -> str:
    """0-based column index → spreadsheet letters (0 → A, 26 → AA)."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out
