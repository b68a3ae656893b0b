"""Ingest behaviour on workbooks written by the tests: counts reconcile, nothing is lost."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.workbooks import INVESTMENT_HEADER, investment_rows, write_xlsx
from waterwh.ingest.files import ingest_paths

P1 = ["1", "城关镇污水处理厂提标改造", "城关镇", "提标改造", "县重点", 9800, 4200, 200, 1200, 8100, "在建", ""]
P2 = ["2", "青石镇供水工程", "青石镇", "新建", "市重点", 5200, 1800, 100, 900, 900, "在建", "设计变更"]
P3 = ["1", "龙潭水库除险加固", "龙潭镇", "续建", "县重点", 3000, 1000, 50, 400, 2100, "在建", ""]
MARCH = "青溪县2025年1-3月台账"


def ingest(con: duckdb.DuckDBPyConnection, *paths: Path):
    return ingest_paths(con, list(paths))


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(":memory:")


def test_counts_reconcile_and_lineage(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows = investment_rows(
        "青溪县2025年1-3月重点项目投资台账",
        [P1, [], P2],
        ["", "合计", "", "", "", 15000, 6000, 300, 2100, 9000, "", ""],
    )
    rows += [["注：数据截至3月31日"], ["填报人：张三"]]
    f = write_xlsx(tmp_path / "inv.xlsx", {"Sheet1": rows})
    [r] = ingest(con, f)
    s = r.sheets[0]
    assert (r.status, s.ledger_type, s.ledger_scope, str(s.period.end)) == (
        "loaded",
        "investment",
        "青溪县",
        "2025-03-31",
    )
    assert (s.rows_read, s.rows_loaded, s.rows_quarantined, s.rows_skipped) == (6, 2, 0, 4)
    assert s.rows_read == s.rows_loaded + s.rows_quarantined + s.rows_skipped
    got = con.execute(
        "SELECT source_row, project_name, ytd_completed, source_file, source_sheet, file_sha256 = ? "
        "FROM raw.investment_ledger ORDER BY source_row",
        [r.sha256],
    ).fetchall()
    assert [(g[0], g[1], float(g[2])) for g in got] == [(3, P1[1], 1200.0), (5, P2[1], 900.0)]
    assert all(g[3] == "inv.xlsx" and g[4] == "Sheet1" and g[5] for g in got)
    totals = con.execute(
        "SELECT row_kind, measure, reported_value, covers_from_row, covers_to_row FROM raw.reported_totals "
        "WHERE measure = 'ytd_completed'"
    ).fetchall()
    assert [(t[0], t[1], float(t[2]), t[3], t[4]) for t in totals] == [("total", "ytd_completed", 2100.0, 3, 5)]
    fl = con.execute(
        "SELECT rows_read, rows_loaded, rows_quarantined, rows_skipped, status FROM audit.file_loads"
    ).fetchall()
    assert fl == [(6, 2, 0, 4, "loaded")]


def test_same_file_twice_adds_nothing(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    f = write_xlsx(tmp_path / "inv.xlsx", {"Sheet1": investment_rows(MARCH, [P1, P2])})
    ingest(con, f)
    [r] = ingest(con, f)
    assert r.status == "unchanged"
    assert con.execute("SELECT count(*) FROM raw.investment_ledger").fetchone() == (2,)


def test_correction_supersedes_and_keeps_history(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    a = write_xlsx(
        tmp_path / "青溪县投资台账2025年03月.xlsx", {"S": investment_rows("青溪县2025年1-3月台账", [P1, P2])}
    )
    fixed = [*P2[:8], 850, *P2[9:]]
    b = write_xlsx(
        tmp_path / "青溪县投资台账2025年03月(更正).xlsx", {"S": investment_rows("青溪县2025年1-3月台账", [P1, fixed])}
    )
    results = ingest(con, tmp_path)
    assert [r.file_name for r in results] == [a.name, b.name]  # the correction loads last
    versions = con.execute(
        "SELECT file_name, version_no, is_current FROM audit.ledger_versions ORDER BY version_no"
    ).fetchall()
    assert versions == [(a.name, 1, False), (b.name, 2, True)]
    assert con.execute("SELECT count(*) FROM raw.investment_ledger").fetchone() == (4,)  # history stays

    # a second correction on a later night continues the numbering and takes over
    again = [*P2[:8], 860, *P2[9:]]
    (tmp_path / "later").mkdir()
    c = write_xlsx(
        tmp_path / "later" / "青溪县投资台账2025年03月(第二版).xlsx",
        {"S": investment_rows("青溪县2025年1-3月台账", [P1, again])},
    )
    ingest(con, c)
    versions = con.execute(
        "SELECT file_name, version_no, is_current FROM audit.ledger_versions ORDER BY version_no"
    ).fetchall()
    assert versions == [(a.name, 1, False), (b.name, 2, False), ("青溪县投资台账2025年03月(第二版).xlsx", 3, True)]


def test_different_ledgers_of_one_area_and_period_both_stay_current(
        tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    """Another department's ledger of the same type, area and period is no version of the first:
    both stay current (it used to replace it silently, the survivor chosen by load order)."""
    a = write_xlsx(tmp_path / "青溪县重点项目台账2025年03月.xlsx", {"S": investment_rows(MARCH, [P1, P2])})
    b = write_xlsx(tmp_path / "青溪县农水项目台账2025年03月.xlsx", {"S": investment_rows(MARCH, [P3])})
    results = ingest(con, tmp_path)
    assert {r.file_name: r.supersedes for r in results} == {a.name: [], b.name: []}
    assert sorted(con.execute(
        "SELECT file_name, version_no, is_current, supersedes FROM audit.ledger_versions").fetchall()) == [
        (b.name, 1, True, None), (a.name, 1, True, None)]


def test_a_ledger_resent_under_another_name_supersedes_by_its_rows(
        tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    """Re-sent whole under a new name (no correction mark): the same projects make it a version."""
    a = write_xlsx(tmp_path / "青溪县重点项目台账2025年03月.xlsx", {"S": investment_rows(MARCH, [P1, P2])})
    ingest(con, a)
    fixed = [*P2[:8], 850, *P2[9:]]
    (tmp_path / "again").mkdir()
    b = write_xlsx(tmp_path / "again" / "三月份投资完成情况（最后）.xlsx",
                   {"S": investment_rows(MARCH, [P1, fixed])})
    [r] = ingest(con, b)
    assert r.supersedes == [f"替代「{a.name}」：其2行中有2行与本台账相同，视为同一台账重新报送"]
    assert con.execute("SELECT file_name, version_no, is_current, supersedes IS NOT NULL FROM audit.ledger_versions "
                       "ORDER BY version_no").fetchall() == [(a.name, 1, False, False), (b.name, 2, True, True)]
    assert con.execute("SELECT file_name, supersedes, superseded_by FROM audit.file_loads ORDER BY loaded_at"
                       ).fetchall() == [(a.name, None, f"「{b.name}」"), (b.name, r.supersedes[0], None)]


def test_a_correction_supersedes_only_the_ledger_it_corrects(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    """Two ledgers of one area and period, then a correction of one of them: the other stays."""
    a = write_xlsx(tmp_path / "青溪县重点项目台账2025年03月.xlsx", {"S": investment_rows(MARCH, [P1, P2])})
    b = write_xlsx(tmp_path / "青溪县农水项目台账2025年03月.xlsx", {"S": investment_rows(MARCH, [P3])})
    fixed = [*P3[:8], 450, *P3[9:]]
    c = write_xlsx(tmp_path / "青溪县农水项目台账2025年03月（更正）.xlsx",
                   {"S": investment_rows(MARCH, [fixed])})
    results = {r.file_name: r for r in ingest(con, tmp_path)}
    assert results[c.name].supersedes == [f"替代「{b.name}」：文件名相同或为其更正版，是同一台账的新版本"]
    assert results[b.name].superseded_by == [f"「{c.name}」"]
    assert sorted(con.execute("SELECT file_name, is_current FROM audit.ledger_versions").fetchall()) == sorted(
        [(a.name, True), (b.name, False), (c.name, True)])


@pytest.mark.parametrize(("name", "document"), [
    ("投资/青溪县台账2025年03月.xlsx", "投资/青溪县台账2025年03月"),
    ("投资/青溪县台账2025年03月(更正).xlsx", "投资/青溪县台账2025年03月"),
    ("投资/青溪县台账2025年03月（10.8修改）.xlsx", "投资/青溪县台账2025年03月"),
    ("投资/青溪县台账2025年03月_v2.xlsx", "投资/青溪县台账2025年03月"),
    ("投资/青溪县台账2025年03月 - 副本.xlsx", "投资/青溪县台账2025年03月"),
    ("投资/青溪县台账2025年03月(1).xlsx", "投资/青溪县台账2025年03月"),
    ("投资/青溪县台账2025年03月（最终版）.xlsx", "投资/青溪县台账2025年03月"),
    ("投资/青溪县台账2025年03月（农水科）.xlsx", "投资/青溪县台账2025年03月(农水科)"),
])
def test_document_of_a_file_name(name: str, document: str) -> None:
    from waterwh.ingest.versions import document_of

    assert document_of(name) == document


def test_every_header_alias_holds_a_chinese_character() -> None:
    """Layout detection rejects cells without a Chinese character at once (most scanned cells are
    numbers); an alias without one would never be recognised."""
    import re

    from waterwh.ingest.spec import load_specs

    cjk = re.compile("[\u3400-\u9fff]")
    for spec in load_specs():
        for c in spec.columns:
            for alias in [*c._exact, *(pat.pattern for pat in c._patterns)]:  # type: ignore[attr-defined]
                assert cjk.search(alias), f"{spec.ledger_type}.{c.name}: alias {alias!r} has no Chinese character"


def test_bad_cells_and_rows_are_quarantined_with_reasons(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    bad_row = ["3", "", "龙潭镇", "新建", "县重点", 100, 50, 5, 10, 10, "在建", ""]
    bad_cell = ["4", "白沙灌区", "白沙乡", "新建", "县重点", 100, "基本完工", 5, 10, 10, "施工中", ""]
    f = write_xlsx(tmp_path / "inv.xlsx", {"台账": investment_rows("青溪县2025年1-3月台账", [P1, bad_row, bad_cell])})
    [r] = ingest(con, f)
    assert r.status == "partial"
    s = r.sheets[0]
    assert (s.rows_read, s.rows_loaded, s.rows_quarantined, s.rows_skipped) == (3, 2, 1, 0)
    q = con.execute(
        "SELECT sheet, row_number, column_name, raw_value, reason, action FROM audit.quarantine ORDER BY 2, 3"
    ).fetchall()
    assert q[0][:3] == ("台账", 4, "project_name") and q[0][5] == "row_rejected"
    assert "必填" in q[0][4]
    cells = {(x[2], x[3], x[5]) for x in q[1:]}
    assert cells == {("annual_plan", "基本完工", "cell_nulled"), ("status", "施工中", "cell_nulled")}
    assert all("「" in x[4] for x in q)  # reasons quote the header / value


def test_two_row_merged_header_and_units(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows = [
        ["青溪县2025年1-6月重点项目投资完成情况"],
        ["单位：万元"],
        ["序号", "项目名称", "所在乡镇", "总投资(亿元)", "年度计划投资", "", "", "", "建设状态"],
        ["", "", "", "", "", "本月完成", "年度累计完成", "开工以来累计完成", ""],
        ["1", "城关镇排水管网", "城关镇", "1.234567", "3000", "100", "１,２００.５", "76652.0##paidbegin##1", "在建"],
    ]
    merges = {"S": [(2, 5, 2, 7, "投资完成情况")]}
    f = write_xlsx(tmp_path / "m.xlsx", {"S": rows}, merges)
    [r] = ingest(con, f)
    assert r.status == "loaded", r.error
    got = con.execute(
        "SELECT total_investment, annual_plan, period_completed, ytd_completed, since_start_completed "
        "FROM raw.investment_ledger"
    ).fetchone()
    assert [float(x) for x in got] == [12345.67, 3000.0, 100.0, 1200.5, 76652.01]


def test_unknown_layout_names_missing_headers(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    f = write_xlsx(
        tmp_path / "x.xlsx", {"S": [["青溪县2025年3月"], ["序号", "项目名称", "所在乡镇", "备注"], ["1", "a", "b", ""]]}
    )
    [r] = ingest(con, f)
    assert r.status == "failed"
    assert "项目投资台账" in r.error and "total_investment" in r.error


def test_missing_period_is_rejected_with_message(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    f = write_xlsx(tmp_path / "inv.xlsx", {"Sheet1": investment_rows("青溪县重点项目台账", [P1])})
    [r] = ingest(con, f)
    assert r.status == "failed" and "找不到报告期" in r.error


def test_gbk_csv_with_blank_lines_keeps_row_numbers(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    text = (
        "青溪县2025年1-3月重点项目投资台账\n\n"
        + ",".join(["序号", "项目名称", "所在乡镇", "总投资", "年度计划投资", "年度累计完成"])
        + '\n1,甲项目,城关镇,100,50,"1,234"\n\n2,乙项目,青石镇,200,80,30\n'
    )
    f = tmp_path / "inv.csv"
    f.write_bytes(text.encode("gbk"))
    [r] = ingest(con, f)
    assert r.status == "loaded", r.error
    rows = con.execute(
        "SELECT source_row, project_name, ytd_completed FROM raw.investment_ledger ORDER BY 1"
    ).fetchall()
    assert [(a, b, float(c)) for a, b, c in rows] == [(4, "甲项目", 1234.0), (6, "乙项目", 30.0)]


def _load_everything(folder: Path, typed_plain: bool, monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    from datetime import datetime

    from waterwh.ingest.loader import BatchLoader
    from waterwh.ingest.schema import AUDIT_TABLES

    monkeypatch.setattr(BatchLoader, "typed_plain", typed_plain)
    con = duckdb.connect(":memory:")
    ingest_paths(con, [folder], now=lambda: datetime(2026, 1, 1))
    tables = [f"raw.{t}" for (t,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw' ORDER BY 1").fetchall()]
    tables += [f"audit.{t}" for t in AUDIT_TABLES if t != "file_loads"]
    return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}


def test_columns_of_plain_cells_load_as_the_parsers_would_load_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stage 2 types a column whose every cell is plain without the parsers (BatchLoader.plain_columns):
    the same ledgers loaded both ways give the same raw rows, totals and quarantine."""
    from waterwh.samples import generate

    generate(tmp_path / "samples", scale="small", seed=5)
    # plain columns of every numeric kind: negatives, exponents, percentages either side of 1.5
    rows = investment_rows("青溪县2025年1-6月重点项目投资台账", [
        ["1", "甲工程", "城关镇", "新建", "县重点", "-12.5", "1e3", 0, "0.00005", 3, "在建", ""],
        ["2", "乙工程", "青石镇", "续建", "市重点", 98000.123456, "12", "7", 1.25, 1.6, "基本完工", ""],
        # a number DuckDB reads and Arrow does not: the column is asked of DuckDB
        ["3", "丙工程", "青石镇", "续建", "市重点", 5, "+-12", "7", 1.25, 1.6, "基本完工", ""],
    ], None)
    pct_rows = [["3", "丙工程", "城关镇", "新建", "县重点", 10, 10, 1, 5, 5, "在建", "", pct, pct]
                for pct in (1.45, 0.5, 68.05, 100, 1.2, "1.6")]
    write_xlsx(tmp_path / "samples" / "plain.xlsx", {
        "Sheet1": rows,
        "完成率": investment_rows("青溪县2025年1-6月重点项目投资台账", pct_rows, None,
                                  header=[*INVESTMENT_HEADER, "完成率", "形象进度"]),
        "占比": investment_rows("青溪县2025年1-6月重点项目投资台账", pct_rows, None,
                                header=[*INVESTMENT_HEADER, "占年度计划%", "形象进度"]),
    })
    plain = _load_everything(tmp_path / "samples", True, monkeypatch)
    parsed = _load_everything(tmp_path / "samples", False, monkeypatch)
    assert sum(len(v) for v in plain.values()) > 1000
    assert plain == parsed


def test_a_number_too_large_for_its_column_is_a_problem_of_the_cell(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    """Out of DECIMAL(18,4) (an amount), DECIMAL(9,6) (a percentage) or BIGINT: the cell is NULL and
    quarantined with its value, the rest of the ledger loads (once an internal error on the file).
    A percentage of -1000 is a fraction of -1000, in a column of plain numbers too (once NULL without
    a word: such a column had no checks)."""
    rows = investment_rows("青溪县2025年1-6月重点项目投资台账", [
        [*P1[:5], "1e20", *P1[6:], 150000],
        [*P2, 0.5],
    ], None, header=[*INVESTMENT_HEADER, "完成率"])
    [r] = ingest(con, write_xlsx(tmp_path / "big.xlsx", {"Sheet1": rows}))
    assert (r.status, r.error, r.total("rows_loaded"), r.total("cell_issues")) == ("loaded", None, 2, 2)
    assert con.execute("SELECT total_investment, ytd_completion_rate FROM raw.investment_ledger ORDER BY source_row"
                       ).fetchall()[0] == (None, None)
    issues = con.execute("SELECT column_name, raw_value, action FROM audit.quarantine ORDER BY 1").fetchall()
    assert issues == [("total_investment", "1e20", "cell_nulled"), ("ytd_completion_rate", "150000", "cell_nulled")]
    rows = investment_rows("青溪县2025年1-6月重点项目投资台账", [[*P1, 0.5], [*P2, -1000]], None,
                           header=[*INVESTMENT_HEADER, "完成率"])
    [r] = ingest(con, write_xlsx(tmp_path / "negative.xlsx", {"Sheet1": rows}))
    assert (r.status, r.total("rows_loaded"), r.total("cell_issues")) == ("loaded", 2, 1)
    assert con.execute("SELECT raw_value FROM audit.quarantine WHERE load_id = ?", [r.load_id]).fetchall() == [
        ("-1000",)]


def test_schema_is_created_then_completed_with_columns_a_spec_added(con: duckdb.DuckDBPyConnection) -> None:
    from waterwh.ingest.schema import ensure_schema, tables

    ensure_schema(con)
    wanted = tables()
    # a warehouse published before a spec gained a column and the audit layer a table, with a row loaded then
    con.execute("ALTER TABLE raw.investment_ledger DROP COLUMN remarks")
    con.execute("DROP TABLE audit.validated_loads")
    con.execute("CREATE TABLE audit.validated_suites (suite VARCHAR)")  # one a later version retired
    con.execute("INSERT INTO raw.investment_ledger (load_id, project_name) VALUES ('L0', '甲工程')")
    ensure_schema(con)
    have = {(t, c) for t, c in con.execute(
        "SELECT schema_name || '.' || table_name, column_name FROM duckdb_columns() "
        "WHERE schema_name IN ('raw', 'audit')").fetchall()}
    assert have == {(t, c) for t, cols in wanted.items() for c, _ in cols}
    assert con.execute("SELECT project_name, remarks FROM raw.investment_ledger").fetchall() == [("甲工程", None)]
