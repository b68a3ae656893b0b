"""Headers read as measure + scope + basis + unit (ingest/headers.py), spelled as real templates do
(the spellings below are from tests/corpus/real_layouts.yaml's sources and the domain guide)."""

from __future__ import annotations

import pytest

from waterwh.ingest.headers import read_header
from waterwh.ingest.layout import _match, quantity_factor
from waterwh.ingest.spec import normalise_header, spec_for

INVESTMENT = [
    ("2023年1-9月完成投资（万元）", "ytd_completed"),
    ("1-3月实际完成投资(万元)", "ytd_completed"),
    ("1～  月 完成投资 (万元)", "ytd_completed"),
    ("1-  月累计完成投资", "ytd_completed"),
    ("2025年1-12月累计完成投资(万元)", "ytd_completed"),
    ("本年度累计完成投资", "ytd_completed"),
    ("年实际完成投资", "ytd_completed"),
    ("本年度投资计划完成情况（万元）", "ytd_completed"),
    ("开工至报告期累计完成投资（万元）", "since_start_completed"),
    ("自开工以来累计完成投资（万元）", "since_start_completed"),
    ("开工累计完成投资", "since_start_completed"),
    ("项目总累计完成投资（万元）", "since_start_completed"),
    ("当月完成投资额（万元）", "period_completed"),
    ("月完成\n投资", "period_completed"),
    ("3月完成投资(万元)", "period_completed"),
    ("本月实际完成投资（万元）", "period_completed"),
    ("本年度安排计划投资", "annual_plan"),
    ("2010年  计划投资(万元)", "annual_plan"),
    ("2025年度计划投资(万元)", "annual_plan"),
    ("2025年下达投资 （万元）", "annual_plan"),
    ("年计划完成投资", "annual_plan"),
    ("总投资               (万元)", "total_investment"),
    ("项目\n总投资", "total_investment"),
    ("总投资（亿元）", "total_investment"),
    ("完成投资占年计划%", "ytd_completion_rate"),
    ("完成年度投资计划%", "ytd_completion_rate"),
    ("投资完成比例", "ytd_completion_rate"),
    ("开工至上一年度底累计完成投资", "before_year_completed"),
    ("至2009年底累计完成投资（万元）", "before_year_completed"),
    ("到上年底累计完成投资（万元）", "before_year_completed"),
    ("1-3月实际形象进度", "physical_progress"),
    ("目前项目建设形象进度", "physical_progress"),
    ("项目建设单位", "responsible_unit"),
    ("建设单位                 及责任人", "responsible_unit"),
    ("存在问题及建议", "delay_reason"),
]
NOT_INVESTMENT = ["本月计划完成投资", "预计开工日期", "计划完成时间", "截止上年底累计下达计划"]
FUNDING = [
    ("累计支付资金（万元）", "spent_amount"),
    ("已拨付资金", "spent_amount"),
    ("年初至报告期累计到位资金", "received_amount"),
    ("年度资金到位", "received_amount"),
    ("累计到位金额", "received_amount"),
    ("下达资金（万元）", "allocated_amount"),
    ("计划下达资金（万元）", "allocated_amount"),
    ("批复金额（万元）", "allocated_amount"),
]


@pytest.mark.parametrize(("header", "column"), [*INVESTMENT, *[(h, None) for h in NOT_INVESTMENT]])
def test_an_investment_header_is_read_as_what_it_measures(header: str, column: str | None) -> None:
    mapped, _ = _match(spec_for("investment"), [header])
    assert [m.spec.name for m in mapped] == ([column] if column else []), header


@pytest.mark.parametrize(("header", "column"),
                         [*FUNDING, ("至上年底累计资金到位", None), ("本次到位金额", "received_amount")])
def test_a_funding_header_is_read_as_what_it_measures(header: str, column: str | None) -> None:
    mapped, _ = _match(spec_for("funding"), [header])
    assert [m.spec.name for m in mapped] == ([column] if column else []), header


@pytest.mark.parametrize("headers", [["本次到位金额", "累计到位金额"],
                                     ["累计到位金额（万元）", "本次到位金额（万元）"]])
def test_an_event_and_its_running_total_are_told_apart_in_either_order(headers: list[str]) -> None:
    mapped, unmapped = _match(spec_for("funding"), headers)
    read = {m.header: m.spec.name for m in mapped}
    assert read == {next(h for h in headers if "本次" in h): "received_amount",
                    next(h for h in headers if "累计" in h): "received_running_total"} and not unmapped


def test_without_an_event_column_a_cumulative_amount_is_the_lines_amount() -> None:
    mapped, unmapped = _match(spec_for("funding"), ["年度资金到位", "累计到位金额"])
    assert [m.spec.name for m in mapped] == ["received_amount"] and unmapped == [(1, "累计到位金额")]


def test_the_upper_row_gives_the_scope_the_lower_row_leaves_out() -> None:
    spec = spec_for("investment")
    headers = ["项目名称", "年度计划_节点计划", "年度计划_计划投资（万元）", "2025年_累计完成(亿元)"]
    mapped, _ = _match(spec, headers)
    assert {m.spec.name: m.header for m in mapped} == {"project_name": "项目名称",
                                                       "annual_plan": "年度计划_计划投资（万元）",
                                                       "ytd_completed": "2025年_累计完成(亿元)"}


def test_the_unit_basis_year_and_months_are_kept() -> None:
    r = read_header("2023年1-9月实际完成投资（万元）")
    assert (r.text, r.scope, r.year, r.months, r.unit) == ("完成投资", "ytd", 2023, (1, 9), "万元")
    assert read_header("概算总投资").basis == "budget_estimate"
    mapped, _ = _match(spec_for("investment"), ["项目名称", "概算总投资(亿元)"])
    assert (mapped[1].unit, mapped[1].sets) == ("亿元", {"investment_basis": "budget_estimate"})
    assert normalise_header("总投资\n（万元）") == "总投资"


def test_a_quantity_in_another_unit_is_converted_or_left_unread_never_misread() -> None:
    """"里程（m）" in metres is a distance in km × 0.001, "巡河时长(小时)" minutes × 60; a unit no
    distance is written in ("里程（亩）") is listed unread (with a suggestion), never stored as km."""
    mapped, unmapped = _match(spec_for("patrol"), ["河长姓名", "里程（m）", "巡河时长(小时)"])
    assert {m.spec.name: (m.header, m.unit) for m in mapped} == {
        "chief_name": ("河长姓名", None), "distance_km": ("里程（m）", "m"), "duration_min": ("巡河时长(小时)", "小时")}
    assert [quantity_factor(m) for m in mapped] == [1.0, 0.001, 60.0] and not unmapped
    mapped, unmapped = _match(spec_for("patrol"), ["河长姓名", "里程（亩）", "历时（min）"])
    assert [m.spec.name for m in mapped] == ["chief_name", "duration_min"] and unmapped == [(1, "里程（亩）")]


def test_a_header_two_ledgers_fit_equally_is_refused_naming_both() -> None:
    """Two ledger types whose columns a header fits equally well: the sheet is refused with both
    named and a header that would tell them apart, never loaded as whichever came first."""
    from dataclasses import replace

    from waterwh.ingest.layout import LayoutError, detect_layout

    patrol = spec_for("patrol")
    twin = replace(patrol, ledger_type="patrol_twin", name_zh="巡河台账（另一种）")
    rows = [["青溪县2025年3月巡河台账"], ["河长姓名", "河湖名称", "巡河日期", "发现问题数"],
            ["张三", "青溪河", "2025-03-02", "1"]]
    with pytest.raises(LayoutError, match="既像「河湖长巡河台账」也像「巡河台账（另一种）」"):
        detect_layout(rows, (patrol, twin))
    assert detect_layout(rows, (patrol,)).spec is patrol
