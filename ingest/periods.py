"""Reporting periods from Chinese period strings.

"截至2021年9月30日", "2023年1-10月", "1－10月" with the year elsewhere, "2024年上半年", "一季度",
"2022－2023年冬春", "2025年度", "2024年截止4月份" → (start, end, type, label).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from ingest.text import nfkc

CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    type: str  # month, ytd, as_of, quarter, half, year, season
    label: str


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _valid(y: int, m: int, d: int | None = None) -> bool:
    if not (1900 <= y <= 2100 and 1 <= m <= 12):
        return False
    return d is None or 1 <= d <= calendar.monthrange(y, m)[1]


def parse_period(text: str, default_year: int | None = None) -> Period | None:
    """Find the reporting period stated in `text`; None if there is none.

    `default_year` is used when the text names months but no year ("1－10月").
    """
    label = nfkc(text)
    t = label.replace(" ", "")
    # 截至 keeps its 至; elsewhere 至/~/— join a month range ("1至10月").
    t = t.replace("截至", "截止").replace("至", "-").replace("~", "-").replace("—", "-")
    t = t.replace("–", "-")

    # 截至/截止 + date: "截-2021年9月30日" after the replacement above.
    m = re.search(r"截止?(?:目前|到)?(\d{4})?年?(\d{1,2})月(?:(\d{1,2})日|份|底|末)?", t)
    if m and ("截" in t):
        y = int(m.group(1)) if m.group(1) else _year_elsewhere(t, default_year)
        mo = int(m.group(2))
        if y and _valid(y, mo):
            d = int(m.group(3)) if m.group(3) else calendar.monthrange(y, mo)[1]
            if _valid(y, mo, d):
                return Period(date(y, 1, 1), date(y, mo, d), "as_of", label)

    # Winter-spring storage season: "2022-2023年冬春" (Nov of the first year to Apr of the next).
    m = re.search(r"(\d{4})-(\d{4})年?冬春", t)
    if m:
        y1, y2 = int(m.group(1)), int(m.group(2))
        return Period(date(y1, 11, 1), month_end(y2, 4), "season", label)

    # Year-to-date range: "2023年1-10月", "1-10月".
    m = re.search(r"(?:(\d{4})年)?(\d{1,2})-(\d{1,2})月", t)
    if m:
        y = int(m.group(1)) if m.group(1) else _year_elsewhere(t, default_year)
        a, b = int(m.group(2)), int(m.group(3))
        if y and _valid(y, a) and _valid(y, b) and a <= b:
            kind = "ytd" if a == 1 else "range"
            return Period(date(y, a, 1), month_end(y, b), kind, label)

    m = re.search(r"(?:(\d{4})年)?(上|下)半年", t)
    if m:
        y = int(m.group(1)) if m.group(1) else _year_elsewhere(t, default_year)
        if y:
            if m.group(2) == "上":
                return Period(date(y, 1, 1), month_end(y, 6), "half", label)
            return Period(date(y, 7, 1), month_end(y, 12), "half", label)

    m = re.search(r"(?:(\d{4})年)?(?:第)?([一二三四1-4])季度", t)
    if m:
        y = int(m.group(1)) if m.group(1) else _year_elsewhere(t, default_year)
        q = CN_DIGITS.get(m.group(2)) or int(m.group(2))
        if y:
            return Period(date(y, 3 * q - 2, 1), month_end(y, 3 * q), "quarter", label)

    # A single month: "2025年3月", "2025年03月", "2025-03", "202503".
    m = re.search(r"(\d{4})年(\d{1,2})月(?:份)?(?!\d)", t) or re.search(
        r"(?<!\d)(\d{4})[-./](\d{1,2})(?![\d./-])", t
    )
    if m:
        y, mo = int(m.group(1)), int(m.group(2))
        if _valid(y, mo):
            return Period(date(y, mo, 1), month_end(y, mo), "month", label)

    m = re.search(r"(\d{4})年(?:度|全年)?(?![\d-])", t)
    if m:
        y = int(m.group(1))
        if 1900 <= y <= 2100:
            return Period(date(y, 1, 1), date(y, 12, 31), "year", label)
    return None


def _year_elsewhere(t: str, default_year: int | None) -> int | None:
    m = re.search(r"(\d{4})年", t)
    if m and 1900 <= int(m.group(1)) <= 2100:
        return int(m.group(1))
    return default_year
