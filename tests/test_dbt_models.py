"""The dbt project on the small raw fixture (tests/fixtures/raw_fixture.sql).

Builds a warehouse from the fixture once per module, then checks: the build passes with only the
expected warnings, a second build changes nothing, figures from the seed documents come out right,
an incremental build after a corrected ledger equals a full refresh, a ledger whose 年度累计 exceeds
its 开工以来累计 fails the build, docs generate, every column is documented in English and Chinese,
and every mart has the contract's columns.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from waterwh.ingest.schema import ensure_schema

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("dbt")]

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "waterwh" / "dbt_project"
FIXTURE = ROOT / "tests" / "fixtures" / "raw_fixture.sql"

# contract.md, "Published tables": required columns of every mart.
CONTRACT = {
    "fct_investment_snapshot": "project_key project_name parent_project area_name priority_level construction_nature "
    "project_type report_period_end total_investment_wan annual_plan_wan period_completed_wan ytd_completed_wan "
    "since_start_completed_wan ytd_completion_rate schedule_share on_schedule status delay_reason_category "
    "source_file source_row",
    "fct_funding_flow": "fund_level fund_program project_name event_type event_date amount_original currency fx_rate "
    "amount_wan source_file source_row",
    "fct_indicator_value": "indicator_code indicator_name unit area_name period_start period_end target_value "
    "actual_value achievement_rate direction qualifier source_file source_row",
    "fct_patrol": "chief_level river_name patrol_date issues_found handling_status source_file",
    "fct_river_issue": "issue_id category found_date river_name area_name rectify_status source_file",
    "fct_enforcement_case": "case_no violation_type found_date filed closed penalty_wan source_file",
    "fct_approval_milestone": "project_name item status planned_date actual_date",
    "fct_reported_total": "source_file source_row label measure reported_value computed_value matches",
    "rpt_investment_summary": "report_period_end grouping grouping_value project_count started_count "
    "on_schedule_count behind_schedule_count total_investment_wan annual_plan_wan ytd_completed_wan "
    "ytd_completion_rate start_rate",
    "rpt_funding_summary": "report_period_end fund_level fund_program allocated_wan received_wan spent_wan "
    "receipt_rate spend_rate",
}
EXPECTED_WARNINGS = {
    "assert_raw_loads_are_registered",  # load L-INV-ORPHAN never reached audit.ledger_versions
    "fct_reported_total__stated_totals_match",  # 000's 合计 covers 33 sub-projects, 5 are listed
    "fct_investment_snapshot__ytd_completion_rate__above_1",  # 污泥处理厂 and XX镇第一污水处理厂 beat plan
    "rpt_investment_summary__ytd_completion_rate__above_1",
}


def dbt(db: Path, work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        str(Path(sys.executable).with_name("dbt")), *args,
        "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"), "--no-use-colors",
    ]
    env = {**os.environ, "WATERWH_BUILD_DB": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    return subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)


def results(work: Path) -> dict[str, str]:
    """unique_id → status of the last dbt command run with this work dir."""
    data = json.loads((work / "target" / "run_results.json").read_text(encoding="utf-8"))
    return {r["unique_id"]: r["status"] for r in data["results"]}


def query(db: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def copy_db(src: Path, dest: Path) -> Path:
    shutil.copyfile(src, dest)
    return dest


def mart_contents(db: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]
        return {t: sorted(con.execute(f'select * from marts."{t}"').fetchall(), key=repr) for t in tables}


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dbt")


@pytest.fixture(scope="module")
def built(work: Path) -> Path:
    db = work / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        ensure_schema(con)
        con.execute(FIXTURE.read_text(encoding="utf-8"))
    proc = dbt(db, work, "build")
    assert proc.returncode == 0, proc.stdout[-4000:]
    (work / "first_build_results.json").write_text(json.dumps(results(work)), encoding="utf-8")
    return db


def test_build_passes_with_only_the_expected_warnings(built: Path, work: Path) -> None:
    status = json.loads((work / "first_build_results.json").read_text(encoding="utf-8"))
    assert not [u for u, s in status.items() if s in ("fail", "error", "skipped")]
    warned = {u.split(".")[2] for u, s in status.items() if s == "warn"}
    assert warned == EXPECTED_WARNINGS
    unit_tests = [u for u in status if u.startswith("unit_test.")]
    assert len(unit_tests) >= 14 and all(status[u] == "pass" for u in unit_tests)
    assert any(u.startswith("snapshot.") for u in status) and any(u.startswith("seed.") for u in status)


def test_second_build_changes_nothing(built: Path, work: Path, tmp_path: Path) -> None:
    db = copy_db(built, tmp_path / "again.duckdb")
    before = mart_contents(db)
    proc = dbt(db, work, "build")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert mart_contents(db) == before
    assert query(db, "select count(*) = count(distinct project_key) from snapshots.snap_project") == [(True,)]


def test_only_current_ledger_versions_reach_the_facts(built: Path) -> None:
    loads = {r[0] for r in query(built, "select distinct load_id from marts.fct_investment_snapshot")}
    assert loads == {"L-INV-2108", "L-INV-2109B", "L-INV-2212"}  # not the superseded 2109A nor the orphan
    rows = query(built, "select project_name, ytd_completed_wan from marts.fct_investment_snapshot "
                        "where report_period_end = '2021-09-30' order by source_row")
    assert len(rows) == 8 and "礼杨工业集聚区标准化厂房建设项目" not in {r[0] for r in rows}
    assert dict(rows)["王莽岭景区基础设施改造提升工程"] == Decimal("26000")  # the typo 260000 was corrected


def test_figures_from_the_seed_documents(built: Path) -> None:
    # 004: alias resolved, behind schedule at 30 Sept (0.65 < 0.75), earliest keyword decides
    assert query(built, "select ytd_completion_rate, schedule_share, on_schedule, delay_reason_category, "
                        "delay_reason_categories from marts.fct_investment_snapshot where project_name = "
                        "'王莽岭景区基础设施改造提升工程' and report_period_end = '2021-09-30'") == [
        (Decimal("0.650000"), Decimal("0.750000"), False, "DESIGN", "DESIGN,FUNDING")]
    # 001: AFD loan drawdown 341,645.61 EUR × 7.7 / 10000
    assert query(built, "select amount_original, currency, fx_rate, amount_wan, event_date from "
                        "marts.fct_funding_flow where event_type = 'drawdown'") == [
        (Decimal("341645.6100"), "EUR", Decimal("7.700000"), Decimal("263.0671"), date(2023, 11, 6))]
    assert query(built, "select receipt_rate, spend_rate from marts.rpt_funding_summary "
                        "where fund_program = '中央水利发展资金'") == [(Decimal("1.000000"), Decimal("0.630549"))]
    # 001: 合计 3209 = 1650.2 + 436 + 1122.8, loan excluded; allocated events add up to it (no subtotal counted)
    assert query(built, "select sum(amount_wan) from marts.fct_funding_flow where event_type = 'allocated'") == [
        (Decimal("3209.0000"),)]
    # 001: 11.97亿元 → 119700万元; 6636 / 6415.36 万m³
    values = dict((r[0], r[1:]) for r in query(built, "select indicator_code, unit, actual_value, achievement_rate "
                                                      "from marts.fct_indicator_value"))
    assert values["WATER_FAI"][:2] == ("万元", 119700.0)
    assert values["WINTER_SPRING_STORAGE"] == ("万m³", 6636.0, Decimal("1.034392"))
    assert values["WATER_USE_PER_GDP"][2] == Decimal("1.200000")  # lower is better: 30 / 25
    # an area the seed does not know
    assert query(built, "select area_code like 'U%', is_known from marts.dim_admin_area where area_name = 'XX镇'") == [
        (True, False)]
    # 003: 罚没款 7万元, 4 cases, all handled
    assert query(built, "select count(*), count(*) filter (where filed), sum(penalty_wan) "
                        "from marts.fct_enforcement_case") == [(4, 3, Decimal("7.0000"))]


def test_stated_total_mismatches_are_data(built: Path) -> None:
    mismatches = set(query(built, "select label, measure, is_current_version from marts.fct_reported_total "
                                  "where not matches"))
    assert mismatches == {
        ("合计8项", "total_investment", True),  # 概算 stated 800万元 above its rows
        ("合计(33个子项)", "total_investment", True),  # 000 lists 5 of 33 sub-projects
        ("合计(33个子项)", "annual_plan", True),
        ("合计(33个子项)", "ytd_completed", True),
        ("合计(33个子项)", "since_start_completed", True),
        ("合计", "ytd_completed", False),  # the superseded load, checked against its own rows
    }
    assert query(built, "select count(*) from marts.fct_reported_total") == query(
        built, "select count(*) from raw.reported_totals")


CORRECTION = """
-- a third load of the September notice: 城南 reports more, 县城东北片区污水管网 is dropped
insert into raw.investment_ledger by name
select 'L-INV-2109C' as load_id, ledger_key, source_file, source_sheet, file_sha256,
    timestamp '2021-10-20 09:00:00' as loaded_at, ledger_scope, report_period_start, report_period_end,
    period_type, source_row, seq_no, project_name, parent_project, admin_area, project_type,
    construction_nature, priority_level, total_investment, annual_plan, period_completed,
    case when project_name = '城南生态公园建设项目' then 7000 else ytd_completed end as ytd_completed,
    case when project_name = '城南生态公园建设项目' then 7000 else since_start_completed end as since_start_completed,
    status, start_date, on_schedule_reported, delay_reason
from raw.investment_ledger
where load_id = 'L-INV-2109B' and project_name <> '县城东北片区新建污水管网工程';
update audit.ledger_versions set is_current = false where load_id = 'L-INV-2109B';
insert into audit.ledger_versions by name
select ledger_key, ledger_type, ledger_scope, report_period_end, 'L-INV-2109C' as load_id, file_name, sha256,
    timestamp '2021-10-20 09:00:00' as loaded_at, 3 as version_no, true as is_current
from audit.ledger_versions where load_id = 'L-INV-2109B';
-- and a new October ledger
insert into raw.investment_ledger by name
select 'L-INV-2110' as load_id, 'investment|青溪县重点工程|2021-10-31' as ledger_key, source_file, source_sheet,
    file_sha256, timestamp '2021-11-05 09:00:00' as loaded_at, ledger_scope, report_period_start,
    date '2021-10-31' as report_period_end, period_type, source_row, seq_no, project_name, parent_project,
    admin_area, project_type, construction_nature, priority_level, total_investment, annual_plan,
    period_completed, ytd_completed + 100 as ytd_completed, since_start_completed + 100 as since_start_completed,
    status, start_date, on_schedule_reported, delay_reason
from raw.investment_ledger where load_id = 'L-INV-2109C';
insert into audit.ledger_versions by name
select 'investment|青溪县重点工程|2021-10-31' as ledger_key, 'investment' as ledger_type,
    '青溪县重点工程' as ledger_scope, date '2021-10-31' as report_period_end, 'L-INV-2110' as load_id,
    timestamp '2021-11-05 09:00:00' as loaded_at, 1 as version_no, true as is_current;
"""


def incremental_and_full(built: Path, work: Path, tmp_path: Path, change: str, upstream_of: str,
                         *rebuilt: str) -> tuple[Path, Path]:
    """Two copies of the build after `change`: one brought up to date incrementally (dbt run of
    `upstream_of` and what it reads), one whose `rebuilt` models were then rebuilt with --full-refresh."""
    incremental = copy_db(built, tmp_path / "incremental.duckdb")
    with duckdb.connect(str(incremental)) as con:
        con.execute(change)
    proc = dbt(incremental, work, "run", "--select", f"+{upstream_of}")
    assert proc.returncode == 0, proc.stdout[-4000:]
    full = copy_db(incremental, tmp_path / "full.duckdb")
    proc = dbt(full, work, "run", "--full-refresh", "--select", *rebuilt)
    assert proc.returncode == 0, proc.stdout[-4000:]
    return incremental, full


def test_incremental_build_after_a_correction_equals_a_full_refresh(built: Path, work: Path, tmp_path: Path) -> None:
    incremental, full = incremental_and_full(
        built, work, tmp_path, CORRECTION, "fct_investment_snapshot", "fct_investment_snapshot")

    sql = "select * from marts.fct_investment_snapshot order by report_period_end, project_key"
    assert query(incremental, sql) == query(full, sql)
    september = dict(query(incremental, "select project_name, ytd_completed_wan from marts.fct_investment_snapshot "
                                        "where report_period_end = '2021-09-30'"))
    assert "县城东北片区新建污水管网工程" not in september  # dropped by the correction, not left behind
    assert september["城南生态公园建设项目"] == Decimal("7000")
    assert query(incremental, "select distinct load_id from marts.fct_investment_snapshot "
                              "where report_period_end = '2021-09-30'") == [("L-INV-2109C",)]
    assert query(incremental, "select count(*) from marts.fct_investment_snapshot "
                              "where report_period_end = '2021-10-31'") == [(7,)]


PATROL_CORRECTION = """
-- the 1-5月 log sent again: 张建国's 8 April patrol taken out (the April log still reports it) and
-- his 9 May patrol now 85 minutes; then a June log
create temp table corrected as
select * from raw.patrol_log where load_id = 'L-PAT-2405' and patrol_date <> date '2024-04-08';
update corrected set load_id = 'L-PAT-2405B', loaded_at = timestamp '2024-06-10 10:00:00',
    duration_min = case when patrol_date = date '2024-05-09' then 85 else duration_min end;
insert into raw.patrol_log select * from corrected;
update audit.ledger_versions set is_current = false where load_id = 'L-PAT-2405';
insert into audit.ledger_versions by name
select ledger_key, ledger_type, ledger_scope, report_period_end, 'L-PAT-2405B' as load_id, file_name, sha256,
    timestamp '2024-06-10 10:00:00' as loaded_at, 2 as version_no, true as is_current
from audit.ledger_versions where load_id = 'L-PAT-2405';
create temp table june as select * from raw.patrol_log where load_id = 'L-PAT-2404' and source_row = 5;
update june set load_id = 'L-PAT-2406', ledger_key = 'patrol|青溪县河长办|2024-06-30',
    loaded_at = timestamp '2024-07-03 10:00:00', report_period_start = date '2024-06-01',
    report_period_end = date '2024-06-30', patrol_date = date '2024-06-11';
insert into raw.patrol_log select * from june;
insert into audit.ledger_versions by name
select 'patrol|青溪县河长办|2024-06-30' as ledger_key, 'patrol' as ledger_type, '青溪县河长办' as ledger_scope,
    date '2024-06-30' as report_period_end, 'L-PAT-2406' as load_id, timestamp '2024-07-03 10:00:00' as loaded_at,
    1 as version_no, true as is_current;
"""


def test_incremental_patrols_after_a_corrected_cumulative_log_equal_a_full_refresh(
    built: Path, work: Path, tmp_path: Path
) -> None:
    """int_patrols_deduplicated re-ranks only the patrols a new or superseded log touched; the result
    is the full rebuild's, including a patrol that falls back to the earlier log reporting it."""
    incremental, full = incremental_and_full(
        built, work, tmp_path, PATROL_CORRECTION, "fct_patrol", "int_patrols_deduplicated", "fct_patrol")

    for table in ("intermediate.int_patrols_deduplicated", "marts.fct_patrol"):
        sql = f"select * from {table} order by patrol_key"
        assert query(incremental, sql) == query(full, sql), table
    rows = {(r[0], str(r[1])): r[2:] for r in query(
        incremental, "select chief_name, patrol_date, load_id, duration_min from marts.fct_patrol")}
    assert rows[("张建国", "2024-04-08")] == ("L-PAT-2404", 90)  # back to the April log
    assert rows[("张建国", "2024-05-09")] == ("L-PAT-2405B", 85)
    assert rows[("李明", "2024-06-11")] == ("L-PAT-2406", 60)
    assert not [k for k, v in rows.items() if v[0] == "L-PAT-2405"]
    assert len(rows) == 8


TOTALS_CORRECTION = CORRECTION + """
-- the third September load states the same 合计 rows as the second (now a row short)
insert into raw.reported_totals by name
select * replace ('L-INV-2109C' as load_id) from raw.reported_totals where load_id = 'L-INV-2109B';
-- and rows an older release built: another fingerprint, another (wrong) figure
update intermediate.int_reported_totals_recomputed set logic_fingerprint = 'an-older-release', computed_value = -1
where load_id = 'L-INV-2109A';
"""


def test_incremental_stated_totals_equal_a_full_refresh(built: Path, work: Path, tmp_path: Path) -> None:
    """A night recomputes the stated totals of new loads only, and every row built under other logic."""
    incremental, full = incremental_and_full(
        built, work, tmp_path, TOTALS_CORRECTION, "fct_reported_total",
        "int_ledger_measures_unpivoted", "int_reported_totals_recomputed", "fct_reported_total")

    for table in ("intermediate.int_ledger_measures_unpivoted", "marts.fct_reported_total"):
        sql = f"select * from {table} order by all"
        assert query(incremental, sql) == query(full, sql), table
    fingerprints = "select count(distinct logic_fingerprint) from intermediate.int_reported_totals_recomputed"
    assert query(incremental, fingerprints) == [(1,)]
    by_load = dict(query(incremental, "select load_id, bool_and(is_current_version) from marts.fct_reported_total "
                                      "where load_id like 'L-INV-2109%' group by 1"))
    assert by_load == {"L-INV-2109A": False, "L-INV-2109B": False, "L-INV-2109C": True}


def test_ytd_above_since_start_fails_the_build(built: Path, work: Path, tmp_path: Path) -> None:
    """The pipeline refuses to publish a ledger whose 年度累计 exceeds its 开工以来累计."""
    db = copy_db(built, tmp_path / "swapped.duckdb")
    with duckdb.connect(str(db)) as con:
        con.execute("""
            insert into raw.investment_ledger by name
            select 'L-BAD' as load_id, 'investment|石门乡|2021-09-30' as ledger_key, '石门乡补报.xlsx' as source_file,
                'S' as source_sheet, 5 as source_row, date '2021-01-01' as report_period_start,
                date '2021-09-30' as report_period_end, 'as_of' as period_type,
                'e3b0c442' as file_sha256, timestamp '2021-10-08 09:00' as loaded_at,  -- as ingest writes it
                '石门乡堤防加固工程' as project_name, '石门乡' as admin_area, 9000 as total_investment,
                6000 as annual_plan, 5000 as ytd_completed, 100 as since_start_completed,
                'under_construction' as status;
            insert into audit.ledger_versions by name
            select 'investment|石门乡|2021-09-30' as ledger_key, 'L-BAD' as load_id, 1 as version_no,
                true as is_current;
        """)
    proc = dbt(db, work, "build")  # what the nightly job runs
    assert proc.returncode != 0
    failed = {u.split(".")[2] for u, s in results(work).items() if s == "fail"}
    assert failed == {"fct_investment_snapshot__ytd_not_above_since_start"}


def test_a_drawdown_without_its_rate_fails_the_tests(built: Path, work: Path, tmp_path: Path) -> None:
    """提款 keeps its original amount and a positive rate: a mart row without them fails dbt's test."""
    db = copy_db(built, tmp_path / "no_rate.duckdb")
    with duckdb.connect(str(db)) as con:
        changed = con.execute("update marts.fct_funding_flow set fx_rate = null "
                              "where event_type = 'drawdown' returning funding_event_key").fetchall()
    assert changed  # the fixture's EUR loan
    proc = dbt(db, work, "test", "--select", "fct_funding_flow")
    assert proc.returncode != 0
    failed = {u.split(".")[2] for u, s in results(work).items() if s == "fail"}
    assert failed == {"fct_funding_flow__drawdowns_keep_original_amount_and_rate"}


def test_docs_generate(built: Path, work: Path, tmp_path: Path) -> None:
    db = copy_db(built, tmp_path / "docs.duckdb")
    proc = dbt(db, work, "docs", "generate")
    assert proc.returncode == 0, proc.stdout[-4000:]
    catalog = json.loads((work / "target" / "catalog.json").read_text(encoding="utf-8"))
    assert "model.waterwh.fct_investment_snapshot" in catalog["nodes"]


def test_every_column_is_documented_in_english_and_chinese(built: Path, work: Path) -> None:
    dbt(built, work, "parse")
    manifest = json.loads((work / "target" / "manifest.json").read_text(encoding="utf-8"))
    with duckdb.connect(str(built), read_only=True) as con:
        actual = {(s, t): [c for (c,) in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [s, t]).fetchall()] for s, t in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('staging', 'intermediate', 'marts')").fetchall()}
    undocumented = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        for column in actual[(node["schema"], node["name"])]:
            text = node["columns"].get(column, {}).get("description", "")
            if not (re.search(r"[A-Za-z]{3}", text) and re.search(r"[\u4e00-\u9fff]", text)):
                undocumented.append(f"{node['name']}.{column}")
    assert not undocumented


def test_marts_have_the_contract_columns(built: Path) -> None:
    for table, required in CONTRACT.items():
        have = {c for (c,) in query(built, "select column_name from information_schema.columns "
                                           "where table_schema = 'marts' and table_name = ?", [table])}
        assert set(required.split()) <= have, (table, set(required.split()) - have)
