"""No single cell blocks the night: every rule a blocking check applies to one row of a mart is
applied at ingest too, so a ledger breaking it has that row (or cell) quarantined with its reason
and the night publishes everything else. (A unit cell left empty once reached the marts as NULL,
failed a blocking Great Expectations check, and nothing was published for anyone.)

One night, the samples plus one ledger per broken rule, beside them in the landing folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Published
from tests.test_e2e import q
from tests.workbooks import INVESTMENT_HEADER, write_xlsx
from waterwh import pipeline
from waterwh.warehouse import open_warehouse

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

INV = "石门乡2025年1-12月重点项目投资台账"
FUND = ["序号", "资金来源", "资金名称", "项目名称", "下达文号", "下达金额", "到位金额", "已支出", "币种", "原币金额",
        "汇率", "提款日期", "备注"]
IND = ["序号", "指标名称", "行政区", "单位", "目标值", "完成值", "完成率", "统计期", "备注"]
PATROL = ["序号", "河长姓名", "河长级别", "河湖名称", "巡河河段", "所在乡镇", "巡河日期", "巡河时长(分钟)",
          "巡河里程(km)", "发现问题数", "问题类型", "处理情况", "销号日期", "问题描述"]
ISSUE = ["序号", "问题编号", "发现时间", "河湖名称", "所在乡镇", "问题类型", "发现途径", "整治情况", "销号时间",
         "问题描述"]
CASE = ["序号", "案件编号", "发现时间", "河湖名称", "所在乡镇", "违法类型", "案件来源", "是否立案", "是否结案",
        "立案日期", "结案日期", "罚没款(元)", "备注"]

# (file, sheet rows, [(column, action, a phrase of the reason)]) — each ledger breaks one mart rule
BROKEN = [
    ("投资_年度累计大于开工以来.xlsx", [[INV], INVESTMENT_HEADER,
     ["1", "石门乡堤防加固工程", "石门乡", "新建", "县重点", 9000, 6000, 100, 5000, 100, "在建", ""]],
     [("ytd_completed", "row_rejected", "大于开工以来累计完成（100万元）")]),
    ("投资_负数金额.xlsx", [[INV], INVESTMENT_HEADER,
     ["1", "石门乡排涝站", "石门乡", "新建", "县重点", -9000, -6000, 100, -50, 100, "在建", ""]],
     [("total_investment", "cell_nulled", "不能为负数"), ("annual_plan", "cell_nulled", "不能为负数"),
      ("ytd_completed", "cell_nulled", "不能为负数")]),
    ("资金_负数与缺汇率.xlsx", [["石门乡2025年水利项目资金到位及支出情况台账"], ["截至2025年12月31日"], FUND,
     ["1", "中央", "中央水利发展资金", "石门乡排涝站", "X财〔2025〕1号", -300, 100, 50, "人民币", "", "", "", ""],
     ["2", "贷款", "法开署贷款", "石门乡供水工程", "", "", "", "", "欧元", 341645.61, "", "2025-11-06", ""]],
     [("allocated_amount", "cell_nulled", "不能为负数"), ("amount_original", "row_rejected", "缺少有效汇率")]),
    ("巡河_负数与缺项.xlsx", [["石门乡河湖长巡河记录台账", "（2025年12月）"], PATROL,
     ["1", "张三", "村级", "石门河", "全段", "石门乡", "2025-12-03", 60, 3.2, -2, "", "已销号", "", ""],
     ["2", "李四", "村级", "石门河", "全段", "石门乡", "", 60, 3.2, 0, "", "", "", ""],
     ["3", "王五", "村级", "", "全段", "石门乡", "2025-12-05", 60, 3.2, 0, "", "", "", ""]],
     [("issues_found", "cell_nulled", "不能为负数"), ("patrol_date", "row_rejected", "必填"),
      ("river_name", "row_rejected", "必填")]),
    ("四乱_缺发现时间.xlsx", [["石门乡2025年河湖“清四乱”问题整治台账", "截至2025年12月31日"], ISSUE,
     ["1", "SM-2025-001", "", "石门河", "石门乡", "乱堆", "巡河发现", "已整改", "2025-12-20", "建筑垃圾"]],
     [("found_date", "row_rejected", "必填")]),
    ("执法_负罚款与缺时间.xlsx", [["石门乡2025年水行政执法案件台账", "截至2025年12月31日"], CASE,
     ["1", "SM-ZF-001", "2025-10-01", "石门河", "石门乡", "非法采砂", "巡查", "是", "是", "2025-10-02", "2025-11-01",
      -70000, ""],
     ["2", "SM-ZF-002", "", "石门河", "石门乡", "非法采砂", "巡查", "否", "否", "", "", 0, ""]],
     [("penalty", "cell_nulled", "不能为负数"), ("found_date", "row_rejected", "必填")]),
]


@pytest.fixture(scope="module")
def night(published: Published, tmp_path_factory: pytest.TempPathFactory) -> tuple[Published, pipeline.RunResult]:
    settings = published.copy_home(tmp_path_factory.mktemp("broken") / "home")
    folder = settings.landing_dir / "石门乡"
    folder.mkdir()
    for name, rows, _ in BROKEN:
        write_xlsx(folder / name, {"S": rows})
    # an indicator whose unit sits in its value cell, and one no ledger or seed gives a unit for
    write_xlsx(folder / "指标_单位.xlsx", {"S": [
        ["石门乡2025年度水资源管理指标考核台账"], IND,
        ["1", "污水处理能力", "石门乡", "", "3万t/d", "2.8万t/d", "", "2025年度", ""],
        ["2", "新建排水泵站", "石门乡", "", 5, 4, "", "2025年度", ""]]})
    return published, pipeline.run(settings)


def test_the_night_publishes(night: tuple[Published, pipeline.RunResult]) -> None:
    _, result = night
    assert result.published, result.message
    assert not result.checks_failed


@pytest.mark.parametrize(("name", "problems"), [(b[0], b[2]) for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_each_broken_rule_is_quarantined_with_its_reason(night: tuple[Published, pipeline.RunResult], name: str,
                                                          problems: list[tuple[str, str, str]]) -> None:
    _, result = night
    [f] = [f for f in result.files if f.file_name.endswith(name)]
    with open_warehouse(result.published_path, _settings(night), "read") as con:
        got = con.execute("SELECT column_name, action, reason FROM audit.quarantine WHERE load_id = ? "
                          "ORDER BY row_number, column_name", [f.load_id]).fetchall()
    for column, action, phrase in problems:
        assert any(c == column and a == action and phrase in r for c, a, r in got), (column, got)


def test_a_unit_from_the_value_cell_or_said_to_be_missing(night: tuple[Published, pipeline.RunResult]) -> None:
    _, result = night
    with open_warehouse(result.published_path, _settings(night), "read") as con:
        units = dict(con.execute("SELECT indicator_name, unit FROM marts.fct_indicator_value "
                                 "WHERE source_file = '石门乡/指标_单位.xlsx'").fetchall())
    assert units == {"污水处理能力": "万t/d", "新建排水泵站": "未注明"}
    assert any("unit_stated" in c.name for c in result.checks_warned)


def test_the_samples_figures_are_as_published_without_the_broken_ledgers(
        night: tuple[Published, pipeline.RunResult]) -> None:
    published, result = night
    sql = ("SELECT report_period_end, grouping, grouping_value, project_count, ytd_completed_wan "
           "FROM marts.rpt_investment_summary WHERE grouping <> 'area' OR grouping_value <> '石门乡' ORDER BY ALL")
    with open_warehouse(result.published_path, _settings(night), "read") as con:
        now = con.execute(sql).fetchall()
    before = q(published, sql)
    changed = {r[:3] for r in set(now) ^ set(before)}
    # only the totals the new valid rows join (石门乡's 排涝站 with its amounts set empty) may move
    assert all(r[0].isoformat() == "2025-12-31" and r[1] in ("all", "priority_level", "construction_nature",
                                                              "project_type") for r in changed), changed


def _settings(night: tuple[Published, pipeline.RunResult]):  # type: ignore[no-untyped-def]
    from waterwh.config import Settings

    return Settings.from_env(Path(night[1].published_path).parent.parent.parent)
