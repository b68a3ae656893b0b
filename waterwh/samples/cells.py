"""How clerks write values: the cell-level part of the mess catalogue (domain.md section 3).

Amounts are exact integers in hundredths of 万元 (`Amount`, 1 = 0.01万元 = 100元) everywhere in
the generator; these helpers turn them (and dates) into what a cell holds.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

Amount = int  # hundredths of 万元

EXCEL_EPOCH = date(1899, 12, 30)
NBSP = "\xa0"
EM_SPACE = "\u2003"
IDEOGRAPHIC_SPACE = "\u3000"
NOISE_TOKEN = "##paidbegin##"
DASH_EMPTY = "—"
SLASH_EMPTY = "/"

_FULLWIDTH = str.maketrans("0123456789.%-/,()", "０１２３４５６７８９．％－／，（）")


def wan(a: Amount) -> float:
    """An amount as a number of 万元 (exact to 0.01)."""
    return a / 100


def yi(a: Amount) -> float:
    """An amount as a number of 亿元: six decimals keep 0.01万元 exact."""
    return a / 1_000_000


def key_wan(a: Amount | None) -> float | None:
    return None if a is None else a / 100


def rate(num: int, den: int, places: int = 6) -> float | None:
    """num/den rounded half-up to `places` decimals; None when den is 0."""
    if not den:
        return None
    q = (Decimal(num) / Decimal(den)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return float(q)


def fixed(value: float, places: int) -> str:
    return f"{value:.{places}f}"


def fullwidth(text: str) -> str:
    """'1234.5' → '１２３４．５' (and ％ － ／ ， （ ）)."""
    return text.translate(_FULLWIDTH)


def thousands(text: str, sep: str = ",") -> str:
    """'12345.67' → '12,345.67' (or with the Chinese comma '，')."""
    whole, _, frac = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + sep.join(groups) + (f".{frac}" if frac else "")


def with_noise(text: str) -> str:
    """'76652.01' → '76652.0##paidbegin##1': a web-export token inside the number."""
    return text[:-1] + NOISE_TOKEN + text[-1]


def padded(text: str, style: int) -> str:
    """Odd whitespace around text: NBSP after, em-space indent, ideographic space, or both."""
    return [
        text + NBSP,
        EM_SPACE + EM_SPACE + text,
        IDEOGRAPHIC_SPACE + text,
        NBSP + text + EM_SPACE,
    ][style % 4]


def serial(d: date) -> int:
    """An Excel date serial (origin 1899-12-30): 2025-04-08 → 45755."""
    return (d - EXCEL_EPOCH).days


def cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def slash_date(d: date) -> str:
    return f"{d.year}/{d.month}/{d.day}"


def pct_text(fraction: float, places: int = 2, full: bool = False) -> str:
    """0.6805 → '68.05%' (or '68.05％')."""
    s = f"{fraction * 100:.{places}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s + ("％" if full else "%")
