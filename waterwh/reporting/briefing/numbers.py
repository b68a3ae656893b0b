"""Numbers the way bureau briefings print them: 24.02亿元, 3209万元, 77.91%, 36项."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def _round(value: object, places: int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _trim(d: Decimal) -> str:
    s = f"{d:f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def yi(wan: object) -> str:
    """万元 → 亿元 with two decimals, trailing zeros dropped: 240200 → 24.02亿元, 1368000 → 136.8亿元."""
    return f"{_trim(_round(Decimal(str(wan)) / 10000, 2))}亿元"


def wan(value: object) -> str:
    """万元 with up to two decimals: 3209.00 → 3209万元, 1554.20 → 1554.2万元."""
    return f"{_trim(_round(value, 2))}万元"


def pct(fraction: object) -> str:
    """0.779111 → 77.91%."""
    return f"{_round(Decimal(str(fraction)) * 100, 2)}%"


def num(value: object, unit: str = "") -> str:
    """A measured value in its own unit; percentages (fractions) as %."""
    if unit == "%":
        return pct(value)
    return f"{_trim(_round(value, 2))}{unit}"
