"""Reporting periods as bureaus write them.

A text — a title, a sheet or file name, a header, a 统计期 cell — is read into *mentions*, each a
period expression it holds: "2023年1-9月", "截至二〇二三年八月底", "前三季度", "2023年度8月",
"数据截至2023年9月15日", "2023年1月1日至9月30日". Every period-like fragment of a text must be
understood and its mentions must agree, or `PeriodError` quotes the text: a text never falls back to
its year when it also names months that could not be read.

Roles by context: a date after 填报日期/制表时间 (or before 填报/修改) is the document's date, not its
period ("截至目前" takes it); a period followed by 同期 or after 同比/较 is a comparison, ignored. A
bare date ("2023年10月8日") beside another period is the document's date too; alone, it is the date
the ledger stands at ("weak": another text's period wins over it).
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from waterwh.ingest.text import nfkc

DAY, MONTH, YEAR = 3, 2, 1  # how precisely a period's end is known


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    type: str  # month, ytd, as_of, quarter, half, year, season, range, week
    label: str
    precision: int = MONTH
    weak: bool = False  # a bare date: the ledger's date unless another text names its period


class PeriodError(ValueError):
    """A period text that is not fully understood, or periods that disagree (message in Chinese)."""


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


# ---------------------------------------------------------------------------------------------------
# Normalising: full width, fill characters, Chinese numerals, one spelling of 截至 and of a range.

_DIGIT_GAP = re.compile(r"(?<=\d)[_＿]+(?=\d)")  # "2023_09" in a file name
_DIGIT_SPACE = re.compile(r"(?<=\d)\s+(?=\d)")  # "2023-09-30 00:00:00": kept apart
_FILL = re.compile(r"[\s_＿\u3000﹍﹎﹏]+")  # "2023年＿9月", spaces
_CN = "〇零○一二三四五六七八九十两"
_YEAR_NUMERALS = re.compile(r"[〇零○O一二三四五六七八九]{4}(?=年)")
# numerals in front of what counts days, months and quarters ("九月", "第三季度", "一至九月")
_SMALL_NUMERALS = re.compile(rf"[{_CN}]{{1,3}}(?=[月日号旬周]|季度|个季度|个月|[至到~\-])")
_IDIOM = re.compile(rf"月[{_CN}]+(?![{_CN}]*[日号])")  # 一月一通报, 一月一考核: no date
_RANGE_WORD = re.compile(r"(?<=[\d月日号份度])(?:至|到|~|〜|—+|–|-+)(?=第?\d)")


def _numeral(match: re.Match[str]) -> str:
    text = match.group(0)
    if _IDIOM.match(match.string, match.end()):
        return text
    import cn2an  # only for a text holding numerals: its import builds patterns (~0.1 s a process)

    try:
        return str(cn2an.cn2an(text.replace("○", "〇").replace("O", "〇"), "normal"))
    except ValueError:  # not a numeral cn2an reads ("十十"): left as written, then not understood
        return text


CN_NUMERALS = tuple(_CN)


def numerals_as_digits(text: str) -> str:
    """Chinese numerals of years, months, days and quarters as digits: "二〇二三年九月底" →
    "2023年9月底"; others ("一河一策", "十四五") as written."""
    return _SMALL_NUMERALS.sub(_numeral, _YEAR_NUMERALS.sub(_numeral, text))


def normalise(text: str) -> str:
    """The form mentions are read in: NFKC (full-width digits), no spaces or fill characters
    ("2023年＿9月"), Chinese numerals as digits, 截止/截至到 as 截至, "1月至9月" as "1月-9月"."""
    t = _DIGIT_SPACE.sub("\x00", _DIGIT_GAP.sub("-", nfkc(text)))
    t = numerals_as_digits(_FILL.sub("", t).replace("\x00", " "))
    t = re.sub(r"截[止至](?:到|至)?", "截至", t)
    return _RANGE_WORD.sub("-", t)


# ---------------------------------------------------------------------------------------------------
# Mentions: each pattern with what it means once its year is known.

Meaning = tuple[date, date, str, int]  # start, end, type, precision
Handler = Callable[[re.Match[str], int], Meaning | None]  # None: not a date (month 13, day 32)


def _year(m: re.Match[str], group: str = "y") -> int | None:
    value = m.groupdict().get(group)
    return int(value) if value else None


def _ok(y: int, mo: int, d: int | None = None) -> bool:
    return 1 <= mo <= 12 and (d is None or 1 <= d <= calendar.monthrange(y, mo)[1])


def _date_range(m: re.Match[str], y: int) -> Meaning | None:
    y2 = _year(m, "y2") or y
    m1, d1, m2, d2 = (int(m.group(g)) for g in ("m", "d", "m2", "d2"))
    if not (_ok(y, m1, d1) and _ok(y2, m2, d2)) or date(y, m1, d1) > date(y2, m2, d2):
        return None
    start, end = date(y, m1, d1), date(y2, m2, d2)
    if start == date(y2, 1, 1):
        return start, end, "ytd" if end == month_end(y2, m2) else "as_of", DAY
    if d1 == 1 and (y, m1) == (y2, m2) and end == month_end(y2, m2):
        return start, end, "month", DAY
    return start, end, "range", DAY


def _day(m: re.Match[str], y: int) -> Meaning | None:
    mo, d = int(m.group("m")), int(m.group("d"))
    return (date(y, 1, 1), date(y, mo, d), "as_of", DAY) if _ok(y, mo, d) else None


_PART_OF_MONTH = {"上旬": 10, "初": 10, "中旬": 20}  # else (底, 末, 下旬) the month's last day


def _month_part(m: re.Match[str], y: int) -> Meaning | None:
    mo, word = int(m.group("m")), m.group("w")
    if not _ok(y, mo):
        return None
    if word in _PART_OF_MONTH:
        return date(y, 1, 1), date(y, mo, _PART_OF_MONTH[word]), "as_of", DAY
    return date(y, 1, 1), month_end(y, mo), "as_of", MONTH


def _year_end(m: re.Match[str], y: int) -> Meaning | None:
    return date(y, 1, 1), date(y, 12, 31), "as_of", MONTH


def _season(m: re.Match[str], y: int) -> Meaning | None:
    y2 = _year(m, "y2")
    return (date(y, 11, 1), month_end(y + 1, 4), "season", MONTH) if y2 == y + 1 else None


def _years(m: re.Match[str], y: int) -> Meaning | None:
    y2 = _year(m, "y2") or 0
    return (date(y, 1, 1), date(y2, 12, 31), "range", YEAR) if y < y2 else None


def _month_range(m: re.Match[str], y: int) -> Meaning | None:
    a, b = int(m.group("m")), int(m.group("m2"))
    if not (_ok(y, a) and _ok(y, b) and a <= b):
        return None
    return date(y, a, 1), month_end(y, b), "ytd" if a == 1 else "range", MONTH


def _first_months(m: re.Match[str], y: int) -> Meaning | None:
    months = int(m.group("n")) * (3 if m.group("q") else 1)
    return (date(y, 1, 1), month_end(y, months), "ytd", MONTH) if 1 <= months <= 12 else None


def _quarters(m: re.Match[str], y: int) -> Meaning | None:
    a, b = int(m.group("n")), int(m.group("n2"))
    if not 1 <= a <= b <= 4:
        return None
    return date(y, 3 * a - 2, 1), month_end(y, 3 * b), "ytd" if a == 1 else "range", MONTH


def _quarter(m: re.Match[str], y: int) -> Meaning | None:
    q = int(m.group("n"))
    if not 1 <= q <= 4:
        return None
    if m.group("w"):  # 三季度末: as of the quarter's end
        return date(y, 1, 1), month_end(y, 3 * q), "as_of", MONTH
    return date(y, 3 * q - 2, 1), month_end(y, 3 * q), "quarter", MONTH


def _half(m: re.Match[str], y: int) -> Meaning | None:
    last = 6 if m.group("h") == "上" else 12
    if m.group("w"):
        return date(y, 1, 1), month_end(y, last), "as_of", MONTH
    return date(y, last - 5, 1), month_end(y, last), "half", MONTH


def _week(m: re.Match[str], y: int) -> Meaning | None:
    """第N周 as ISO 8601 numbers the weeks of a year (Monday to Sunday)."""
    n = int(m.group("n"))
    if not 1 <= n <= date(y, 12, 28).isocalendar().week:
        return None
    return date.fromisocalendar(y, n, 1), date.fromisocalendar(y, n, 7), "week", DAY


def _month(m: re.Match[str], y: int) -> Meaning | None:
    mo = int(m.group("m"))
    return (date(y, mo, 1), month_end(y, mo), "month", MONTH) if _ok(y, mo) else None


def _whole_year(m: re.Match[str], y: int) -> Meaning | None:
    return date(y, 1, 1), date(y, 12, 31), "year", YEAR


_Y = r"(?:(?P<y>(?:19|20)\d{2})年度?)"
_YR = r"(?P<y>(?:19|20)\d{2})"
_Y2 = r"(?:(?P<y2>(?:19|20)\d{2})年度?)"
_NUM_DAY = r"(?P<sep>[-./])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"  # one separator: "2023.1-9" is no day


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    meaning: Handler
    needs: tuple[str, ...] = ()  # it cannot match a text without one of these (most texts: skipped at once)
    bare: bool = False  # a date with nothing saying it is a period ("weak")
    now: bool = False  # 截至目前


# In priority order: a longer reading first, its span then closed to the shorter ones.
_PATTERNS = [
    _Pattern(re.compile(rf"{_Y}?(?P<m>\d{{1,2}})月(?P<d>\d{{1,2}})[日号]?-{_Y2}?(?P<m2>\d{{1,2}})月"
                        r"(?P<d2>\d{1,2})[日号]?"), _date_range, ("月",)),
    _Pattern(re.compile(rf"{_YR}{_NUM_DAY}-(?P<y2>(?:19|20)\d{{2}})(?P<sep2>[-./])(?P<m2>\d{{1,2}})(?P=sep2)"
                        r"(?P<d2>\d{1,2})(?![\d.])"), _date_range, ("-",)),
    _Pattern(re.compile(r"截至(?:目前|今|现在)"), _year_end, ("截至",), now=True),
    _Pattern(re.compile(rf"{_Y}?(?P<m>\d{{1,2}})月(?P<d>\d{{1,2}})[日号]"), _day, ("月",), bare=True),
    _Pattern(re.compile(rf"(?<!\d){_YR}{_NUM_DAY}(?![\d.])"), _day, ("-", ".", "/"), bare=True),
    _Pattern(re.compile(rf"{_YR}年?度?-(?P<y2>(?:19|20)\d{{2}})年?度?冬春"), _season, ("冬春",)),
    _Pattern(re.compile(rf"{_YR}年?-(?P<y2>(?:19|20)\d{{2}})年"), _years, ("-",)),
    _Pattern(re.compile(rf"{_Y}?第?(?P<n>\d{{1,2}})周"), _week, ("周",)),
    _Pattern(re.compile(rf"{_Y}?(?P<m>\d{{1,2}})(?:月份?)?-{_Y2}?(?P<m2>\d{{1,2}})月份?"), _month_range, ("-",)),
    _Pattern(re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})[./](?P<m>\d{1,2})-(?:(?P<y2>(?:19|20)\d{2})[./])?"
                        r"(?P<m2>\d{1,2})(?![\d./])"), _month_range, ("-",)),
    _Pattern(re.compile(rf"{_Y}?前(?P<n>\d{{1,2}})个?(?:(?P<q>季度)|月)"), _first_months, ("前",)),
    _Pattern(re.compile(rf"{_Y}?第?(?P<n>\d)(?:季度)?-第?(?P<n2>\d)季度"), _quarters, ("季度",)),
    _Pattern(re.compile(rf"{_Y}?第?(?P<n>\d)季度(?P<w>末|底)?"), _quarter, ("季度",)),
    _Pattern(re.compile(r"(?:(?P<y>(?:19|20)\d{2})(?:年度?)?)?(?<![A-Za-z])[Qq](?P<n>[1-4])(?![\dA-Za-z])(?P<w>末)?"),
             _quarter, ("Q", "q")),
    _Pattern(re.compile(rf"{_Y}?(?P<h>[上下])半年(?P<w>末|底)?"), _half, ("半年",)),
    _Pattern(re.compile(rf"{_Y}?(?P<m>\d{{1,2}})月份?(?P<w>底|末|上旬|中旬|下旬|初)"), _month_part, ("月",)),
    _Pattern(re.compile(rf"{_Y}?(?P<m>\d{{1,2}})月份?"), _month, ("月",)),
    _Pattern(re.compile(rf"(?<!\d){_YR}[-./](?P<m>\d{{1,2}})(?!\d|[-./]\d)"), _month, ("-", ".", "/")),
    _Pattern(re.compile(rf"(?<!\d){_YR}(?P<m>0[1-9]|1[0-2])(?!\d)"), _month, ()),
    _Pattern(re.compile(rf"{_YR}年度?(?:底|末)"), _year_end, ("年",)),
    _Pattern(re.compile(rf"{_YR}(?:年度?|全年)"), _whole_year, ("年",)),
]

# A period-like fragment left once every mention is taken out: the text was not understood.
_LEFTOVER = re.compile(
    r"(?:19|20)\d{2}年|\d+月|\d+[日号](?!报)|\d+季度|[上下]半年|截至|\d+周|[上中下]旬|"
    r"(?<!\d)(?:19|20)\d{2}[-./]\d"
)
_BLANK = re.compile(r"(?:19|20)\d{2}年度?月|\d{1,2}月份?[日号]")
_DOCUMENT_BEFORE = re.compile(r"(?:填报|填表|制表|报送|报出|打印|编制|上报|印发|发布|更新|修改)(?:日期|时间)?[:]?$")
_DOCUMENT_AFTER = re.compile(r"^(?:填报|填表|制表|报送|报出|上报|印发|发布|修改|修订|更新|更正|打印)")
_COMPARISON_BEFORE = re.compile(r"(?:同比|较|比|上年同期|去年同期)$")
_COMPARISON_AFTER = re.compile(r"^同期")
_AS_OF_BEFORE = re.compile(r"(?:截至|至)$")  # 截至2023年9月, 至2022年底
_AS_OF_AFTER = re.compile(r"^(?:为?止)")  # 2023年9月30日止


@dataclass(frozen=True)
class Mention:
    text: str  # as normalised
    at: int  # position in the normalised text
    pattern: _Pattern
    match: re.Match[str]
    year: int | None  # written in the mention itself
    role: str  # period, document (填报日期), comparison (同期), now (截至目前)
    as_of: bool  # 截至… / …止: cumulative from the year's start

    def meaning(self, year: int) -> Meaning | None:
        got = self.pattern.meaning(self.match, year)
        if got is None or not self.as_of:
            return got
        _, end, kind, precision = got
        if kind in ("month", "quarter", "half", "year", "week"):  # 截至9月: January to September
            return date(end.year, 1, 1), end, "as_of", precision
        return got


# Nothing of a period without one of these (most headers: 项目名称, 总投资…)
_MAY_HOLD_A_PERIOD = re.compile(rf"[\d０-９{_CN}]|截|半年|旬")


@functools.lru_cache(maxsize=8192)
def find_mentions(text: str) -> tuple[list[Mention], list[str]]:
    """The mentions of a text in text order, and its fragments that are no known period (a
    province's ledgers repeat a few titles and headers: remembered)."""
    if not _MAY_HOLD_A_PERIOD.search(text):
        return [], []
    t = normalise(text)
    blank = _BLANK.search(t)
    if blank:  # "2023年__月": a template's month never filled in
        return [], [blank.group(0)]
    taken: list[tuple[int, int]] = []
    found: list[Mention] = []
    for pattern in _PATTERNS:
        if pattern.needs and not any(n in t for n in pattern.needs):
            continue
        for m in pattern.regex.finditer(t):
            a, b = m.span()
            if any(a < y and x < b for x, y in taken) or pattern.meaning(m, _year(m) or 2000) is None:
                continue  # (a month 13 is left to _LEFTOVER)
            before, after = t[:a], t[b:]
            cut_off = _AS_OF_BEFORE.search(before)
            until = _AS_OF_AFTER.match(after)
            a, b = cut_off.start() if cut_off else a, b + (until.end() if until else 0)
            as_of = bool(cut_off or until) and not pattern.now
            role = "now" if pattern.now else "period"
            if role == "period" and (_DOCUMENT_BEFORE.search(before) or _DOCUMENT_AFTER.match(after)):
                role = "document"
            elif role == "period" and (_COMPARISON_BEFORE.search(before) or _COMPARISON_AFTER.match(after)):
                role = "comparison"
            taken.append((a, b))
            found.append(Mention(t[a:b], a, pattern, m, _year(m), role, as_of))
    found.sort(key=lambda f: f.at)
    rest, at = [], 0
    for a, b in sorted(taken):
        rest += [t[at:a], "|"]
        at = b
    return found, [m.group(0) for m in _LEFTOVER.finditer("".join([*rest, t[at:]]))]


# ---------------------------------------------------------------------------------------------------
# Reading one text

TYPE_RANK = {"ytd": 0, "range": 0, "week": 0, "quarter": 1, "half": 1, "season": 1, "as_of": 2, "month": 3,
             "year": 4}


@dataclass(frozen=True)
class Reading:
    period: Period | None  # None: the text names no period
    document_date: date | None = None


@functools.lru_cache(maxsize=8192)
def read_text(text: str, default_year: int | None = None, document_date: date | None = None) -> Reading:
    """The period one text states (`default_year` dates months written without one), or
    PeriodError quoting it: a fragment not understood, a month with no year, two periods that disagree."""
    found, unread = find_mentions(text or "")
    if not found and not unread:
        return Reading(None, document_date)
    label = nfkc(text)
    if unread:
        raise PeriodError(f"「{label}」中的「{'、'.join(unread)}」无法识别为报告期")
    written = [(m.at, m.year) for m in found if m.year and m.role == "period"]
    periods: list[Period] = []
    for m in found:
        if m.role in ("comparison", "now"):
            continue
        year = m.year
        if year is None:
            earlier = [y for at, y in written if at < m.at]
            year = earlier[-1] if earlier else (written[0][1] if written else default_year)
        if year is None:
            if m.role == "document":
                continue
            raise PeriodError(f"「{label}」中的「{m.text}」没有写年份，请写明年份（如「2025年1-3月」）")
        meaning = m.meaning(year)
        if meaning is None:
            raise PeriodError(f"「{label}」中的「{m.text}」不是有效的日期")
        start, end, kind, precision = meaning
        if m.role == "document":
            document_date = end
            continue
        periods.append(Period(start, end, kind, label, precision, m.pattern.bare and not m.as_of))
    if len(periods) > 1 and any(not p.weak for p in periods):  # a bare date beside a period: the document's
        bare = [p for p in periods if p.weak]
        periods = [p for p in periods if not p.weak]
        document_date = document_date or (bare[-1].end if bare else None)
    if any(m.role == "now" for m in found):
        if document_date is None:  # as of an unknown day: this text names no period (not even its year)
            return Reading(None)
        periods.append(Period(date(document_date.year, 1, 1), document_date, "as_of", label, DAY))
    best = combine([(p, f"「{label}」") for p in periods])
    return Reading(best and replace(best, label=label), document_date)


def combine(items: Sequence[tuple[Period, str]]) -> Period | None:
    """The one period several agree on (each given with the words saying where it was written), or
    PeriodError naming two that disagree. A year ("2023年度") only dates the others and must hold
    them; two periods agree when they end on the same day, or in the same month when one of them is
    a whole month ("9月" and "截至9月15日"). Weak ones (bare dates) count only when nothing else does."""
    strong = [(p, w) for p, w in items if not p.weak]
    items = strong or list(items)
    precise = [(p, w) for p, w in items if p.precision > YEAR]
    years = [(p, w) for p, w in items if p.precision == YEAR]
    for i, (a, wa) in enumerate(precise):
        for b, wb in precise[i + 1:]:
            if not _agree(a, b):
                raise _disagree(a, wa, b, wb)
    for i, (a, wa) in enumerate(years):
        for b, wb in years[i + 1:]:
            if not (a.start <= b.end and b.start <= a.end):
                raise _disagree(a, wa, b, wb)
    if not precise:
        return years[0][0] if years else None
    best, where = min(precise, key=lambda p: (-p[0].precision, TYPE_RANK.get(p[0].type, 5)))
    for y, wy in years:
        if not y.start <= best.end <= y.end:
            raise _disagree(y, wy, best, where)
    return best


def _agree(a: Period, b: Period) -> bool:
    if a.end == b.end:
        return True
    same_month = (a.end.year, a.end.month) == (b.end.year, b.end.month)
    return same_month and any(p.precision == MONTH and p.end == month_end(p.end.year, p.end.month) for p in (a, b))


def _disagree(a: Period, wa: str, b: Period, wb: str) -> PeriodError:
    return PeriodError(f"报告期不一致：{wa}为{describe(a)}，{wb}为{describe(b)}，请更正后重新报送")


def describe(p: Period) -> str:
    """A period in words: 2023年, 2023年9月, 2023年1-9月, 截至2023年9月15日, 2023-07-01至2023-09-30."""
    whole = p.end == month_end(p.end.year, p.end.month) and p.start.day == 1
    if p.type == "year" or (p.precision == YEAR and p.start.year == p.end.year):
        return f"{p.start.year}年"
    if p.precision == YEAR:
        return f"{p.start.year}-{p.end.year}年"
    if whole and p.start.year == p.end.year and p.start.month == p.end.month:
        return f"{p.end.year}年{p.end.month}月"
    if p.type == "as_of" and p.start == date(p.end.year, 1, 1):
        return f"截至{p.end.year}年{p.end.month}月{'底' if whole else f'{p.end.day}日'}"
    if whole and p.start.year == p.end.year:
        return f"{p.end.year}年{p.start.month}-{p.end.month}月"
    return f"{p.start.isoformat()}至{p.end.isoformat()}"


def parse_period(text: str, default_year: int | None = None) -> Period | None:
    """The reporting period stated in `text`, None if it names none, PeriodError if it names one
    that is not fully understood."""
    return read_text(text, default_year).period


def year_of(*texts: str) -> int | None:
    """The first year written as part of a period in any of the texts (dates "1-10月" written without one)."""
    for text in texts:
        if text:
            for m in find_mentions(text)[0]:
                if m.year and m.role == "period":
                    return m.year
    return None


def document_date_of(*texts: str) -> date | None:
    """The first document date (填报日期：2023年10月8日) written with its year in any of the texts."""
    for text in texts:
        if text:
            for m in find_mentions(text)[0]:
                meaning = m.meaning(m.year) if m.year and m.role == "document" else None
                if meaning:
                    return meaning[1]
    return None


# ---------------------------------------------------------------------------------------------------
# A ledger's period from everything that may state it

def find_period(title: str, sheet_name: str, file_stem: str, headers: Iterable[str] = ()) -> Period | None:
    """The ledger's period from its title rows, sheet name and file name (the contract's order),
    cross-checked with each other and with the periods its (recognised) headers name: PeriodError
    when any of them is not understood or two disagree; None when none names a period.

    A header dates only its own column but must agree with the ledger ("2023年1-9月完成投资" in a
    1-10月 ledger is reported); a header's cut-off before the ledger's year ("至2022年底累计") is a
    different measure and is left alone. When the title, sheet and file name give only a year, a
    header naming months gives the period ("2023年重点项目台账" with "1-9月完成投资")."""
    sources = [("标题", title), ("工作表名", sheet_name), ("文件名", file_stem)]
    year = year_of(title, sheet_name, file_stem)
    doc = document_date_of(title, sheet_name, file_stem)
    found: list[tuple[Period, str]] = []
    for where, text in sources:
        p = _read(where, text, year, doc)
        if p:
            found.append((p, f"{where}「{p.label}」"))
    ledger = combine(found)
    year = year or (ledger.end.year if ledger else None)
    for header in headers:
        p = _read("表头", header, year, doc)
        if p is None:
            continue
        if p.type == "as_of" and p.end == date(p.end.year, 12, 31) and (ledger is None or p.end < ledger.start):
            continue  # 至2022年底累计 (in a 2023 ledger): the amount before the ledger's year, its own measure
        found.append((p, f"表头「{p.label}」"))
    return combine(found)


def _read(where: str, text: str, year: int | None, doc: date | None) -> Period | None:
    try:
        return read_text(text, year, doc).period
    except PeriodError as exc:
        raise PeriodError(f"{where}{exc}") from None


def period_override(value: str) -> Period:
    """`--period YYYY-MM`: January to that month."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", value)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"--period must look like YYYY-MM, got {value!r}")
    y, mo = int(m.group(1)), int(m.group(2))
    return Period(date(y, 1, 1), month_end(y, mo), "ytd", f"{y}年1-{mo}月 (--period)")
