"""The byte scan that lets clean cells skip normalisation must never call a cell clean that the
SQL rule (sql_parsers.NEEDS_NORM) would change; the other byte-level tests stage 1 makes find
every cell they must; what Arrow reads as a number DuckDB reads as the same number."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from waterwh.ingest.cells import cell_flags, code_of, first_bytes, has_text, nothing, only_bytes, rows_containing
from waterwh.ingest.parse import NUMBER_BYTES, _round
from waterwh.ingest.sql_parsers import NEEDS_NORM, NULL_TOKENS, install_macros
from waterwh.ingest.text import normalise_cell, normalise_cells

# Characters normalisation acts on, their byte neighbours (same lead bytes, other characters),
# and ordinary ledger text.
TRICKY = (
    " \t\n\r\x0b\x0c\x01\x00\x1f\x7f#[]\u3000\u3001\u3002\u300c\u2002\u2003\u200b\u200f\u2010\u2014\u00a0\u00a9"
    "\ufeff\ufe30\uff01\uff08\uff09\uff0c\uff10\uff5e\uff5f\uff61\uffe5"
)
ORDINARY = "0123456789.,-%万亿元约余合计其中项目工程青溪县第号（）"
cells = st.one_of(st.none(), st.text(alphabet=st.sampled_from(TRICKY + ORDINARY), max_size=8))


def sql_dirty(values: list[str | None]) -> list[bool]:
    con = duckdb.connect()
    con.register("v", pa.table({"i": list(range(len(values))), "s": pa.array(values, pa.string())}))
    rows = con.execute(f"SELECT coalesce(regexp_matches(s, '{NEEDS_NORM}'), FALSE) FROM v ORDER BY i").fetchall()
    return [r[0] for r in rows]


@settings(max_examples=300, deadline=None)
@given(st.lists(cells, min_size=1, max_size=30), st.integers(0, 5))
def test_no_cell_the_sql_rule_would_change_is_called_clean(values: list[str | None], cut: int) -> None:
    # sliced and chunked, as sheets arrive after the header rows are cut off
    arr = pa.chunked_array([pa.array(values[:cut], pa.string()), pa.array(values[cut:], pa.string())])
    dirty, filled = cell_flags(arr.slice(0))
    expected = sql_dirty(values)
    assert all(d for d, e in zip(dirty, expected, strict=True) if e)
    assert list(filled) == [v is not None and v != "" for v in values]


def test_ordinary_ledger_text_is_clean_and_every_rule_character_dirty() -> None:
    values = ["第1号水利工程", "1,234.56", "基本完工", "超90%", "、。「」—", None, "",
              "城关镇 ", "\uff08万元\uff09", "\u3000", "##paidbegin##", "[bookmark: x]", "a\u00a0b", "\ufeffx"]
    dirty, filled = cell_flags(pa.array(values, pa.string()))
    assert list(dirty) == [False] * 7 + [True] * 7
    assert list(filled) == [True] * 5 + [False, False] + [True] * 7


def test_large_strings_and_offset_slices() -> None:
    arr = pa.array(["x", "a b", "ok", "（"], pa.large_string()).slice(1)
    dirty, filled = cell_flags(arr)
    assert list(dirty) == [True, False, True]
    assert list(filled) == [True, True, True]


NOISY = TRICKY + ORDINARY + "#bookmark:ab_9\u00ad\u2028\x85]"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(NOISY), max_size=12), min_size=1, max_size=40))
def test_python_normalisation_equals_the_sql_rule(values: list[str]) -> None:
    values += ["##paidbegin##x", "a[bookmark: q]b", "\uff11\uff12\uff0e\uff15", "\u3000 a\t\tb \u00a0", "##中文##"]
    con = duckdb.connect()
    install_macros(con)
    con.register("v", pa.table({"i": list(range(len(values))), "s": pa.array(values, pa.string())}))
    expected = [r[0] for r in con.execute("SELECT wh_norm(s) FROM v ORDER BY i").fetchall()]
    assert [normalise_cell(v) for v in values] == expected
    assert normalise_cells(values) == expected
    # one by one (a NUL is the joined path's separator), and removed like every control character
    assert normalise_cells([*values, "a\x00 b"]) == [*expected, "a b"]


@settings(max_examples=200, deadline=None)
@given(st.lists(cells, min_size=1, max_size=30), st.integers(0, 5))
def test_byte_level_tests_find_every_cell(values: list[str | None], cut: int) -> None:
    arr = pa.chunked_array([pa.array(values[:cut], pa.string()), pa.array(values[cut:], pa.string())])
    arr = arr.combine_chunks().slice(1) if cut % 2 and len(values) > 1 else arr.combine_chunks()
    seen = arr.to_pylist()
    codes = first_bytes(arr)
    for v, code in zip(seen, codes, strict=True):
        assert code == (code_of(v) if v else 0)
    for needles in (("计",), ("其中", "万元")):
        maybe = rows_containing(arr, *needles)
        assert all(m for v, m in zip(seen, maybe, strict=True) if v and any(n in v for n in needles))
    assert only_bytes(arr, b"0123456789") == all(v is None or (v.isascii() and v.isdigit()) or v == "" for v in seen)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(NUMBER_BYTES.decode()), min_size=1, max_size=12),
                min_size=1, max_size=40))
def test_what_arrow_reads_as_a_number_duckdb_reads_as_the_same_number(values: list[str]) -> None:
    """BatchLoader.plain_columns tests with Arrow's reading what stage 2 computes with DuckDB's cast."""
    values += ["1e5", "+1.5", ".5", "5.", "-0", "1E-3", "00012", "1e400", "+-2"]
    con = duckdb.connect()
    duck = [r[0] for r in con.execute("SELECT try_cast(unnest(?) AS DOUBLE)", [values]).fetchall()]
    for v, d in zip(values, duck, strict=True):
        try:
            a = pc.cast(pa.array([v]), pa.float64())[0].as_py()
        except pa.ArrowInvalid:
            continue
        assert d == a, v


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(NULL_TOKENS), cells.filter(bool),
                          st.sampled_from(NULL_TOKENS).map(lambda t: t + "1"), st.just("N/A "),
                          st.sampled_from(("新建", "扩建", "无效", "—/", "N/B", "#N/B", "——"))),
                min_size=1, max_size=30))
def test_cells_that_mean_nothing_are_those_the_sql_rule_names(values: list[str | None]) -> None:
    con = duckdb.connect()
    install_macros(con)
    con.register("v", pa.table({"i": list(range(len(values))), "s": pa.array(values, pa.string())}))
    expected = [r[0] for r in con.execute("SELECT wh_is_null_token(s) FROM v ORDER BY i").fetchall()]
    assert list(nothing(pa.array(values, pa.string()), NULL_TOKENS)) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                          st.floats(-1e6, 1e6).map(lambda x: round(x, 5))), min_size=1, max_size=50))
def test_rounding_as_the_loader_writes_it_equals_duckdbs_round(values: list[float]) -> None:
    values += [0.00005, 0.00015, 1.00005, -0.00005, 2.5e-7, 1e306, -1e306]
    con = duckdb.connect()
    con.execute("CREATE TABLE v AS SELECT unnest(?::DOUBLE[]) AS x", [values])
    for digits, kind in ((4, "DECIMAL(18,4)"), (6, "DECIMAL(9,6)")):
        [(differ,)] = con.execute(
            f"SELECT count(*) FILTER (WHERE TRY_CAST(round(x, {digits}) AS {kind}) "
            f"IS DISTINCT FROM TRY_CAST({_round('x', digits)} AS {kind})) FROM v").fetchall()
        assert differ == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(" \t\u3000\u00a0\x1c\u2028\ufeffa中"),
                                             max_size=3)), max_size=8), st.integers(0, 4))
def test_a_column_has_text_when_a_cell_has_more_than_whitespace(values: list[str | None], cut: int) -> None:
    column = pa.chunked_array([pa.array(values[:cut], pa.string()), pa.array(values[cut:], pa.string())])
    assert has_text(column) == any(v is not None and v.strip() for v in values)
