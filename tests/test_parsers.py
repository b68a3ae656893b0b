"""Number, percent, unit, date and period parsers: examples from the seeds plus properties."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waterwh.ingest.periods import parse_period
from waterwh.ingest.sql_parsers import install_macros, parse_values

FULL = str.maketrans("0123456789.,%-", "０１２３４５６７８９．，％－")


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    install_macros(c)
    return c


def one(con: duckdb.DuckDBPyConnection, expr: str, value: str | None) -> object:
    return con.execute(f"SELECT {expr}", [value]).fetchone()[0]  # type: ignore[index]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("76652.0##paidbegin##1", 76652.01),  # seed 000: noise token inside the headline number
        ("341，645.61", 341645.61),  # seed 001: Chinese-comma thousands separator
        ("１２３４．５", 1234.5),
        ("1,234,567.5", 1234567.5),
        ("约2395万元", 2395.0),
        ("80余", 80.0),
        ("2万余次", 20000.0),
        ("6636万m³", 6636.0),
        ("2.8万t／d", 2.8),
        ("1.5E3", 1500.0),
        ("\u00a0 12 \u2003", 12.0),
        ("—", None),
        ("/", None),
        ("/ ", None),
        ("", None),
        ("基本完工", None),
    ],
)
def test_number_examples(cell: str, expected: float | None) -> None:
    assert parse_values("number", [cell]) == [expected]


def test_qualifiers() -> None:
    cells = ["80余件", "70％以上", "不足6%", "约2395", "超90%", "12", "2万余次"]
    assert parse_values("qualifier", cells) == ["gt", "ge", "lt", "approx", "gt", None, "gt"]


def test_money_units_cell_overrides_header() -> None:
    # header in 亿元 (factor 10000); the cell's own unit wins where it has one
    assert parse_values("wan", ["11.97亿元", "1.234567", "341645元", "1554.2万元"], header_factor=10000) == [
        119700.0, 12345.67, pytest.approx(34.1645), 1554.2,
    ]


@pytest.mark.parametrize(
    ("cell", "header_pct", "expected"),
    [("68.05%", False, 0.6805), ("68.05％", False, 0.6805), ("0.68", False, 0.68), ("68", True, 0.68),
     ("0.68", True, 0.68), ("102.21", False, 1.0221), ("超90%", False, 0.9), ("基本完工", False, None)],
)
def test_percent_forms(cell: str, header_pct: bool, expected: float | None) -> None:
    got = parse_values("pct", [cell], header_is_pct=header_pct)[0]
    assert got == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("45228", date(2023, 10, 29)), ("44386", date(2021, 7, 9)), ("2025-04-08 00:00:00", date(2025, 4, 8)),
     ("2025/4/8", date(2025, 4, 8)), ("2025年4月8日", date(2025, 4, 8)), ("2025.4.8", date(2025, 4, 8)),
     ("6月底", date(2025, 6, 30)), ("2024年10月上旬", date(2024, 10, 10)), ("10月下旬", date(2025, 10, 31)),
     ("2025-13-45", None), ("—", None), ("基本完工", None), ("2025年2月30日", None),
     # deadlines as planned completions (issue: a half-year or quarter was quarantined as no date)
     ("下半年", date(2025, 12, 31)), ("2024年上半年", date(2024, 6, 30)), ("三季度", date(2025, 9, 30)),
     ("2024年第4季度末", date(2024, 12, 31)), ("年底", date(2025, 12, 31)), ("2026年底", date(2026, 12, 31)),
     ("2026年", date(2026, 12, 31)),
     # a day and month: the year is the ledger's
     ("5月10日", date(2025, 5, 10)), ("5月10号", date(2025, 5, 10)), ("13月5日", None),
     # Chinese numerals
     ("九月底", date(2025, 9, 30)), ("十月中旬", date(2025, 10, 20)), ("二〇二四年十二月三十一日", date(2024, 12, 31)),
     ("二零二四年三月", date(2024, 3, 31)), ("十一五期间", None)],
)
def test_dates(cell: str, expected: date | None) -> None:
    assert parse_values("date", [cell], year_hint=2025) == [expected]


# ---- properties ---------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(amounts, st.sampled_from(["plain", "western", "chinese", "fullwidth", "noise", "spaces"]))
def test_number_round_trips_every_written_form(con: duckdb.DuckDBPyConnection, value, form: str) -> None:
    text = f"{value:.2f}"
    if form == "western":
        text = f"{value:,.2f}"
    elif form == "chinese":
        text = f"{value:,.2f}".replace(",", "，")
    elif form == "fullwidth":
        text = text.translate(FULL)
    elif form == "noise":
        text = text[:1] + "##paidbegin##" + text[1:]
    elif form == "spaces":
        text = f"\u00a0{text}\u2003"
    got = one(con, "wh_number(wh_norm(?))", text)
    assert got == pytest.approx(float(value), abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(amounts, st.sampled_from([("元", 0.0001), ("万元", 1), ("亿元", 10000)]))
def test_unit_conversion_to_wan(con: duckdb.DuckDBPyConnection, value, unit: tuple[str, float]) -> None:
    got = one(con, "wh_to_wan(wh_norm(?), 1)", f"{value}{unit[0]}")
    assert got == pytest.approx(float(value) * unit[1], rel=1e-12, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.decimals(min_value=0, max_value=150, places=2))
def test_percent_sign_always_divides_by_100(con: duckdb.DuckDBPyConnection, value) -> None:
    for sign in ("%", "％"):
        got = one(con, "wh_pct(wh_norm(?), FALSE)", f"{value}{sign}")
        assert got == pytest.approx(float(value) / 100)


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=date(1955, 1, 1), max_value=date(2063, 12, 31)))
def test_dates_every_form(con: duckdb.DuckDBPyConnection, d: date) -> None:
    serial = (d - date(1899, 12, 30)).days
    forms = [f"{d.isoformat()} 00:00:00", f"{d.year}/{d.month}/{d.day}", f"{d.year}年{d.month}月{d.day}日"]
    if 20000 <= serial <= 60000:
        forms.append(str(serial))
    for text in forms:
        assert one(con, "wh_date(wh_norm(?), 2025)", text) == d


@settings(max_examples=60, deadline=None)
@given(st.integers(2000, 2099), st.integers(1, 12))
def test_period_ytd_strings(year: int, month: int) -> None:
    for text in (f"{year}年1-{month}月", f"{year}年1－{month}月", f"1－{month}月 ({year}年)"):
        p = parse_period(text)
        assert p is not None
        assert p.start == date(year, 1, 1)
        assert p.end == (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1))


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_period_as_of(d: date) -> None:
    p = parse_period(f"截至{d.year}年{d.month}月{d.day}日")
    assert p is not None and p.end == d and p.type == "as_of"


@pytest.mark.parametrize(
    ("text", "start", "end", "kind"),
    [("2024年上半年", date(2024, 1, 1), date(2024, 6, 30), "half"),
     ("一季度 2024年", date(2024, 1, 1), date(2024, 3, 31), "quarter"),
     ("2022－2023年冬春", date(2022, 11, 1), date(2023, 4, 30), "season"),
     ("2025年度", date(2025, 1, 1), date(2025, 12, 31), "year"),
     ("2024年截止4月份", date(2024, 1, 1), date(2024, 4, 30), "as_of"),
     ("青溪县重点项目投资台账2025年03月", date(2025, 3, 1), date(2025, 3, 31), "month")],
)
def test_period_examples(text: str, start: date, end: date, kind: str) -> None:
    p = parse_period(text)
    assert p is not None and (p.start, p.end, p.type) == (start, end, kind)


def test_no_period_is_none() -> None:
    assert parse_period("截至目前") is None
    assert parse_period("重点项目台账") is None


@settings(max_examples=80, deadline=None)
@given(st.floats(min_value=-999, max_value=999, allow_nan=False, allow_infinity=False), st.booleans())
def test_a_percentage_cell_as_shown_reads_back_as_the_fraction_it_holds(
    con: duckdb.DuckDBPyConnection, stored: float, header_pct: bool
) -> None:
    """An Excel percentage cell holding `stored` (a fraction) is given as shown ("110.5%" for 1.105,
    readers._as_percent): the percent parser must read back `stored`, whatever the header says."""
    from waterwh.ingest.readers import _as_percent

    shown = _as_percent(repr(stored))
    assert shown is not None and shown.endswith("%")
    assert one(con, f"wh_pct(wh_norm(?), {header_pct})", shown) == pytest.approx(stored, rel=1e-12, abs=1e-12)
