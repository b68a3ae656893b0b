"""Ledgers laid out as the world writes them, through ingest and the real dbt project to the marts.

- Property: a batch of investment ledgers drawn from real header spellings, unit placements, period
  spellings and row layouts (the strategy of tests/test_header_variants.py, one ledger per county
  so that none supersedes another) builds, and fct_investment_snapshot holds each project's
  figures in 万元 as the answer key, computed from what was written, says.
- The real layouts of issue 23 that reach beyond one row per fact: one line per 到位 event with its
  running total, the 拼盘 (a project's 合计 line over its sources), a monitoring record per section
  and factor against its standard, a per-chief patrol list that names no river. Each reaches the
  marts as what it says.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_header_variants import ledgers
from tests.workbooks import write_xlsx
from waterwh.ingest.files import ingest_paths
from waterwh.ingest.schema import ensure_schema

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("dbt")]

PROJECT = Path(__file__).resolve().parent.parent / "waterwh" / "dbt_project"
COUNTIES = ["青溪县", "云谷县", "白沙县", "龙潭县"]
INVESTMENT = {"total_investment": "total_investment_wan", "annual_plan": "annual_plan_wan",
              "ytd_completed": "ytd_completed_wan", "since_start_completed": "since_start_completed_wan",
              "period_completed": "period_completed_wan"}


def build(landing: Path, work: Path) -> Path:
    """Ingest the landing folder into a new warehouse file and build it with dbt (tests included)."""
    db = work / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        ensure_schema(con)
        results = ingest_paths(con, [landing])
    assert all(r.status == "loaded" for r in results), [(r.file_name, r.status, r.error) for r in results]
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "build", "--project-dir", str(PROJECT),
         "--profiles-dir", str(PROJECT), "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
         "--no-use-colors"],
        env={**os.environ, "WATERWH_BUILD_DB": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    return db


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [tuple(float(v) if isinstance(v, Decimal) else v for v in row) for row in con.execute(sql).fetchall()]


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ledgers(), min_size=2, max_size=len(COUNTIES)))
def test_drawn_real_world_ledgers_reach_the_marts_with_their_figures(batch: list[tuple[list, list]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        landing = Path(folder) / "landing"
        landing.mkdir()
        want = {}
        for i, (rows, projects) in enumerate(batch):
            county, town = COUNTIES[i], COUNTIES[i][:2] + "镇"
            rows = [[c.replace("青溪县", county).replace("青石镇", town) if isinstance(c, str) else c for c in r]
                    for r in rows]
            write_xlsx(landing / f"{county}.xlsx", {"S": rows})
            for p in projects:
                want[p["project_name"].replace("青石镇", town)] = {c: float(v) for c, v in p.items() if c in INVESTMENT}
        db = build(landing, Path(folder))
        columns = list(INVESTMENT.values())
        got = {r[0]: dict(zip(INVESTMENT, r[1:], strict=True)) for r in query(
            db, f"SELECT project_name, {', '.join(columns)} FROM marts.fct_investment_snapshot")}
    assert got == want


@pytest.fixture(scope="module")
def layouts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("real_world")
    landing = work / "landing"
    landing.mkdir()
    # cisdi-pms FundReachExportModel: one line per arrival, with the running total
    write_xlsx(landing / "青溪县2025年3月资金到位台账.xlsx", {"S": [
        ["青溪县2025年3月资金到位台账"], ["单位：万元"],
        ["资金大类", "资金来源", "项目名称", "到位次数", "本次资金到位类别", "本次到位金额", "累计到位金额",
         "到位日期"],
        ["中央水利发展资金", "中央", "甲水库除险加固", "1", "建设资金", 300, 300, "2025-01-10"],
        ["中央水利发展资金", "中央", "甲水库除险加固", "2", "建设资金", 200, 500, "2025-02-10"],
        ["中央水利发展资金", "中央", "甲水库除险加固", "3", "建设资金", 100, 600, "2025-03-10"]]})
    # catkins10/cms 项目资金拼盘及到位汇总表: a project's 合计 line, then one line per source
    write_xlsx(landing / "云谷县2025年3月资金到位汇总表.xlsx", {"S": [
        ["云谷县2025年1-3月资金到位汇总表"], ["单位：万元"],
        ["序号", "项目名称", "项目总投资", "投资主体", "资金来源", "来源说明", "至上年底累计资金到位", "年度资金到位",
         "年计划完成投资", "年实际完成投资"],
        ["1", "乙河综合治理", 9000, "国有", "合 计", "", 4000, 1500, 3000, 2000],
        ["", "", 9000, "", "中央", "中央水利发展资金", 2500, 1000, "", ""],
        ["", "", 9000, "", "县级", "县财政配套", 1500, 500, "", ""]]})
    # siwf/leaflet-extend-element 断面单指标统计, and a record naming its factors 监测因子
    write_xlsx(landing / "青溪县2025年3月断面水质监测统计.xlsx", {"S": [
        ["青溪县2025年3月断面水质监测统计"],
        ["断面名称", "监测指标", "监测时间", "样本数", "最大值", "最小值", "平均值", "目标值", "结论"],
        ["青溪桥", "化学需氧量", "2025-03-05", 4, 18, 12, 15.5, 20, "达标"],
        ["青溪桥", "溶解氧", "2025-03-05", 4, 8, 6, 7.1, 5, "达标"],
        ["白沙渡", "氨氮", "2025-03-06", 4, 1.2, 0.8, 1.25, 1.0, "超标"]]})
    # siwf/leaflet-extend-element 断面水质监测数据 (wide, keyed by section) and a county template's
    # 水质监测成果 (a factor's designation in brackets: 总磷（以P记）)
    write_xlsx(landing / "云谷县2025年3月断面水质监测数据.xlsx", {"S": [
        ["云谷县2025年3月断面水质监测数据"],
        ["断面名称", "行政区", "所属河流", "监测时间", "水质类别", "COD(mg/L)", "总磷（以P记）", "溶解氧(mg/L)"],
        ["云谷桥", "云谷镇", "云谷河", "2025-03-05", "Ⅲ", 18, 0.15, 6.5]]})
    # a patrol app's 巡河记录: per chief, no river in the sheet or its title
    write_xlsx(landing / "白沙县2025年3月巡河记录.xlsx", {"S": [
        ["白沙县2025年3月巡河记录"],
        ["序号", "用户名称", "电话", "负责河长", "巡河开始时间", "巡河结束时间", "历时（min）", "里程（m）",
         "问题数量"],
        ["1", "巡河员甲", "—", "张三", "2025-03-02", "2025-03-02", 45, 3500, 1],
        ["2", "巡河员乙", "—", "李四", "2025-03-03", "2025-03-03", 30, 1200, 0]]})
    return build(landing, work)


def test_arrivals_are_counted_once_not_their_running_totals(layouts: Path) -> None:
    rows = query(layouts, "SELECT event_date, amount_wan FROM marts.fct_funding_flow "
                          "WHERE project_name = '甲水库除险加固' AND event_type = 'received' ORDER BY 1")
    assert [(str(d), a) for d, a in rows] == [("2025-01-10", 300.0), ("2025-02-10", 200.0), ("2025-03-10", 100.0)]


def test_pinpan_sources_stand_under_their_project(layouts: Path) -> None:
    rows = query(layouts, "SELECT fund_level, fund_program, amount_wan FROM marts.fct_funding_flow "
                          "WHERE project_name = '乙河综合治理' AND event_type = 'received' ORDER BY 1")
    assert rows == [("central", "中央水利发展资金", 1000.0), ("county", "县财政配套", 500.0)]
    [(stated, computed, matches)] = query(layouts, "SELECT reported_value, computed_value, matches "
                                                   "FROM marts.fct_reported_total WHERE source_file LIKE '云谷县%'")
    assert (stated, computed, matches) == (1500.0, 1500.0, True)


def test_monitoring_records_are_values_against_their_standard(layouts: Path) -> None:
    rows = query(layouts, """
        SELECT station_name, indicator_name, area_name, period_type, cast(period_start AS VARCHAR),
               actual_value, target_value, direction, round(achievement_rate, 4)
        FROM marts.fct_indicator_value WHERE station_name IS NOT NULL AND source_file LIKE '青溪县%' ORDER BY 1, 2""")
    assert rows == [
        ("白沙渡", "氨氮", "青溪县", "day", "2025-03-06", 1.25, 1.0, "lower_better", 0.8),
        ("青溪桥", "化学需氧量", "青溪县", "day", "2025-03-05", 15.5, 20.0, "lower_better", round(20 / 15.5, 4)),
        ("青溪桥", "溶解氧", "青溪县", "day", "2025-03-05", 7.1, 5.0, "higher_better", round(7.1 / 5, 4)),
    ]


def test_a_patrol_list_without_a_river_keeps_its_patrols_with_no_river(layouts: Path) -> None:
    rows = query(layouts, "SELECT chief_name, river_name, river_key, distance_km, duration_min FROM marts.fct_patrol "
                          "WHERE source_file LIKE '白沙县%' ORDER BY 1")
    assert rows == [("张三", None, None, 3.5, 45), ("李四", None, None, 1.2, 30)]


def test_a_wide_quality_sheet_keyed_by_section_reaches_the_marts(layouts: Path) -> None:
    rows = query(layouts, """
        SELECT reported_indicator_name, indicator_code, direction, area_name, cast(period_start AS VARCHAR), unit,
               actual_value
        FROM marts.fct_indicator_value WHERE station_name = '云谷桥' ORDER BY 1""")
    assert rows == [("COD", "WQ_COD", "lower_better", "云谷镇", "2025-03-05", "mg/L", 18.0),
                    ("总磷(以P记)", "WQ_TOTAL_PHOSPHORUS", "lower_better", "云谷镇", "2025-03-05", "mg/L", 0.15),
                    ("溶解氧", "WQ_DISSOLVED_OXYGEN", "higher_better", "云谷镇", "2025-03-05", "mg/L", 6.5)]
