"""Read a header as what it measures and over which period, instead of looking it up whole.

Real templates combine a few words freely: "2023年1-9月完成投资（万元）", "开工至报告期累计完成投资",
"本年度安排计划投资", "年初至报告期累计到位资金". A header is read as

    [year][months or scope words][basis] measure [noise] [unit]

- the unit, in brackets of either width anywhere, after a line break or at the end ("(万元)", "%");
- a year ("2023年", "2023年度") and months ("1-9月", "1～  月" with the month left blank, "9月");
- scope words (本月/当月 → period, 本年/年度/1-N月 → ytd, 开工以来/累计 → cumulative,
  至上年底 → before_year), from `_header_words.yaml`, shared by every ledger type;
- words that change nothing (实际, 已, 额 …), also from there;
- what remains is the measure, looked up in the spec's `measures` (per ledger type).

A spec column says what it reads as (`reads_as: {measure, scope}`); exact aliases still win.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from waterwh.ingest.units import HEADER_BRACKETED, HEADER_TRAILING, MONEY, alternatives

WORDS_FILE = Path(__file__).resolve().parent / "specs" / "_header_words.yaml"

_UNIT = re.compile(
    r"[(\[]\s*(?:单位[:：]?)?\s*(" + alternatives(HEADER_BRACKETED) + r")\s*[)\]]"
    r"|(?:单位[:：])(" + alternatives(MONEY) + ")"
    r"|(" + alternatives(HEADER_TRAILING) + ")$"
)
_YEAR = re.compile(r"(?<!\d)(\d{4})年(?:度)?")
_MONTHS = re.compile(r"(?<!\d)(\d{0,2})\s*[-~～至—－]+\s*(\d{0,2})\s*月(?:份)?")
_ONE_MONTH = re.compile(r"(?<![\d-])(\d{1,2})月(?:份)?")
_WS = re.compile(r"[\s\u3000\u2003\xa0]+")


@dataclass(frozen=True)
class HeaderWords:
    scopes: tuple[tuple[str, str], ...]  # (word, scope), longest word first
    noise: tuple[str, ...]  # longest first
    bases: tuple[tuple[str, str], ...]  # (word, basis code), longest first
    planned: tuple[str, ...]  # words that make a header the plan of a thing (预计开工日期 is no 开工日期)


@functools.cache
def header_words(path: Path = WORDS_FILE) -> HeaderWords:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    scopes = sorted(((w, s) for s, words in doc["scopes"].items() for w in words), key=lambda p: -len(p[0]))
    bases = sorted(((w, b) for b, words in doc["bases"].items() for w in words), key=lambda p: -len(p[0]))
    return HeaderWords(tuple(scopes), tuple(sorted(doc["noise"], key=len, reverse=True)), tuple(bases),
                       tuple(doc["planned"]))


@dataclass(frozen=True)
class HeaderReading:
    text: str  # what is left for the measure, without the words that change nothing
    plain: str  # the same before those words were taken off ("到位金额": 额 is part of 金额)
    scope: str | None  # period, ytd, cumulative, before_year, year; None when the header names none
    scope_word: str | None  # the word the scope was read from
    basis: str | None  # estimate, feasibility, budget_estimate, approved
    year: int | None
    months: tuple[int | None, int | None] | None  # (first, last) as written; None parts left blank
    unit: str | None


@functools.lru_cache(maxsize=65536)
def read_header(header: str, words: HeaderWords | None = None) -> HeaderReading:
    """Split a header (NFKC already) into measure text, scope, basis, year, months and unit."""
    words = words or header_words()
    t = _WS.sub("", header.replace("（", "(").replace("）", ")").replace("【", "[").replace("】", "]"))
    unit = None
    m = _UNIT.search(t)
    if m:
        unit = next(g for g in m.groups() if g)
        t = (t[:m.start()] + t[m.end():]).strip()
    year = None
    m = _YEAR.search(t)
    if m:
        year = int(m.group(1))
        t = t[:m.start()] + t[m.end():]
    scope, months = None, None
    m = _MONTHS.search(t)
    if m:
        first, last = (int(g) if g else None for g in m.groups())
        months = (first, last)
        scope = "ytd" if first in (None, 1) else "months"
        t = t[:m.start()] + t[m.end():]
    else:
        m = _ONE_MONTH.search(t)
        if m:
            months = (int(m.group(1)), int(m.group(1)))
            scope = "period"
            t = t[:m.start()] + t[m.end():]
    t = t.strip("_:：、 ")
    scope_word = None
    for word, s in words.scopes:
        if t.startswith(word) and len(t) > len(word):
            # "1-9月累计" stays ytd; "年度" after a year ("2023年度计划") adds nothing; "2025年累计"
            # is this year's total so far
            if scope in ("ytd", "months") and s in ("cumulative", "ytd", "year"):
                s = scope
            elif year is not None and word == "累计":
                s = "ytd"
            scope, scope_word = s, word
            t = t[len(word):]
            break
    if scope is None and year is not None:
        scope = "year"
    basis = None
    for word, b in words.bases:
        if t.startswith(word) and len(t) > len(word):
            basis, t = b, t[len(word):]
            break
    plain = t.strip("_:：、 ")
    for word in words.noise:
        if t.startswith(word) and len(t) > len(word):
            t = t[len(word):]
        if t.endswith(word) and len(t) > len(word):
            t = t[: -len(word)]
    return HeaderReading(t.strip("_:：、 "), plain, scope, scope_word, basis, year, months, unit)
