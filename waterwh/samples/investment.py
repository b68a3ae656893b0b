"""项目投资台账: one workbook per county per month (layouts in `investment_layouts.py`).

MONTH_PLAN says which month uses which layout and where its period is stated (title, sheet name
or file name only), and which month carries the corrected re-issue (…(更正).xlsx supersedes the
original, which had three projects' figures typed wrong), the nameless data row, the noise token
and the clerk's wrong 合计. The scenic-area project goes by its alias from July on.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, replace
from datetime import date

from waterwh.samples.geography import County
from waterwh.samples.investment_layouts import (
    AmountStyle,
    Line,
    layout_l1,
    layout_l2,
    layout_l3,
)
from waterwh.samples.names import person
from waterwh.samples.portfolio import Trajectory
from waterwh.samples.sheet import Sheet
from waterwh.samples.truth import CountyTruth, ProjectSnapshot
from waterwh.samples.writers import LedgerFile


@dataclass(frozen=True)
class MonthPlan:
    layout: str  # L1, L2, L3
    period_in: str  # how the title states the period (see _titles)
    bad_row: bool = False  # a data row with amounts but no project name
    noise: bool = False  # "##paidbegin##" inside a number
    wrong_total: bool = False  # the 合计's ytd disagrees with the rows (a clerk's error)
    corrected: bool = False  # an original and a (更正) re-issue


MONTH_PLAN: dict[int, MonthPlan] = {
    1: MonthPlan("L1", "title_month"),
    2: MonthPlan("L2", "as_of"),
    3: MonthPlan("L2", "ytd_range", bad_row=True),
    4: MonthPlan("L3", "sheet_name"),
    5: MonthPlan("L1", "file_name", noise=True),
    6: MonthPlan("L2", "as_of", corrected=True),
    7: MonthPlan("L3", "as_of"),
    8: MonthPlan("L2", "ytd_range", wrong_total=True),
    9: MonthPlan("L1", "ytd_range"),
    10: MonthPlan("L2", "ytd_range_fullwidth"),
    11: MonthPlan("L3", "month_end_text"),
    12: MonthPlan("L1", "ytd_range"),
}
ALIAS_FROM_MONTH = 7  # the scenic-area project is written under its other name from July on


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _titles(county: County, year: int, month: int, how: str, layout: str) -> tuple[list[str], str]:
    """Title rows and sheet name. Only 'sheet_name' and 'file_name' leave the title period-less."""
    C = county.name
    last = calendar.monthrange(year, month)[1]
    unit_row = ["单位：万元"] if layout != "L3" else []
    if how == "title_month":
        return [f"  {C}{year}年{month}月\n重点项目投资完成情况台账", *unit_row], "投资台账"
    if how == "as_of":
        return [
            f" {C}重点水利项目投资进展台账",
            f"（截至{year}年{month}月{last}日）",
            *unit_row,
        ], "台账"
    if how == "ytd_range":
        return [f"{C}{year}年1-{month}月重点项目投资完成情况台账", *unit_row], f"{month}月"
    if how == "ytd_range_fullwidth":
        return [f"\n{C}{year}年1－{month}月重点项目投资完成情况台账", *unit_row], "台账"
    if how == "sheet_name":
        return [f" {C}重点工程（省市县三级）\n推进情况表", *unit_row], f"{year}年{month}月"
    if how == "file_name":
        return [f"{C}重点项目投资完成情况台账", *unit_row], "Sheet1"
    if how == "month_end_text":
        return [
            f"{C}{year}年省市县三级重点工程推进情况表",
            f"（截至{month}月底）",
            *unit_row,
        ], "推进情况"
    raise ValueError(how)


def _footnotes(sh: Sheet, rng: random.Random, unit_text: str) -> None:
    sh.footnote(f"注：1.本表金额单位为{unit_text}；2.形象进度按工程量估算，序时进度按月份计算。")
    sh.footnote(
        f"填报人：{person(rng)}    审核人：{person(rng)}    "
        f"联系电话：0{rng.randint(700, 999)}-{rng.randint(2000000, 8999999)}"
    )


def _lines(trajs: list[Trajectory], year: int, month: int) -> list[Line]:
    out = []
    for tr in trajs:
        st = tr.months.get((year, month))
        if st is None:
            continue
        p = tr.project
        name = p.alias if p.alias and month >= ALIAS_FROM_MONTH else p.name
        out.append(Line(p, st, name, st.period, st.ytd, st.since))
    return out


def _sheet(
    county: County,
    year: int,
    month: int,
    plan: MonthPlan,
    lines: list[Line],
    rng: random.Random,
    correction: bool = False,
) -> Sheet:
    titles, sheet_name = _titles(county, year, month, plan.period_in, plan.layout)
    if correction:
        titles[0] = titles[0].rstrip() + "（更正）"
    sh = Sheet(sheet_name, "investment", county.name, _month_end(year, month), 1, titles)
    style = AmountStyle(rng, plan.layout == "L3", plan.noise)
    if plan.layout == "L1":
        layout_l1(sh, lines, style, rng, year)
    elif plan.layout == "L2":
        layout_l2(sh, lines, style, rng, month, plan.bad_row, plan.wrong_total)
    else:
        layout_l3(sh, lines, style, rng, year)
    _footnotes(sh, rng, "亿元" if plan.layout == "L3" else "万元")
    return sh


def _misreported(lines: list[Line], rng: random.Random) -> list[Line]:
    """The original of a corrected ledger: three projects' figures were typed wrong."""
    out = list(lines)
    candidates = [i for i, ln in enumerate(lines) if ln.ytd and ln.period]
    for i in rng.sample(candidates, min(3, len(candidates))):
        ln = lines[i]
        delta = rng.choice((-1, 1)) * rng.randint(100, max(101, (ln.period or 0) // 2))
        ytd = max(0, (ln.ytd or 0) + delta)
        out[i] = replace(
            ln,
            ytd=ytd,
            period=(ln.period or 0) + (ytd - (ln.ytd or 0)),
            since=(ln.since or 0) + (ytd - (ln.ytd or 0)),
        )
    return out


def snapshot(county: County, ln: Line, period_end: date) -> ProjectSnapshot:
    p, st = ln.project, ln.state
    behind = st.on_schedule is False
    return ProjectSnapshot(
        period_end=period_end.isoformat(),
        county=county.name,
        project_name=p.name,
        parent_project=p.parent,
        area_name=p.area,
        priority_level=p.priority,
        construction_nature=p.nature,
        project_type=p.ptype,
        status=st.status,
        total_investment=p.total,
        annual_plan=st.plan,
        period_completed=st.period,
        ytd_completed=st.ytd,
        since_start_completed=st.since,
        on_schedule=st.on_schedule,
        delay_reason_category=p.delay.category if behind else None,
        delay_reason_categories=list(p.delay.categories) if behind else [],
        written_name=ln.name if ln.name != p.name else None,
    )


def investment_files(
    county: County,
    trajs: list[Trajectory],
    years: list[int],
    prefix: str,
    rng: random.Random,
    truth: CountyTruth,
    keep_projects: bool,
) -> list[LedgerFile]:
    files: list[LedgerFile] = []
    for year in years:
        for month in range(1, 13):
            plan = MONTH_PLAN[month]
            lines = _lines(trajs, year, month)
            stem = f"{prefix}投资/{county.name}重点项目投资台账{year}年{month:02d}月"
            if plan.corrected:
                original = _sheet(county, year, month, plan, _misreported(lines, rng), rng)
                files.append(LedgerFile(f"{stem}.xlsx", [original], superseded=True))
                files.append(
                    LedgerFile(
                        f"{stem}(更正).xlsx", [_sheet(county, year, month, plan, lines, rng, True)]
                    )
                )
            else:
                files.append(
                    LedgerFile(f"{stem}.xlsx", [_sheet(county, year, month, plan, lines, rng)])
                )
            end = _month_end(year, month)
            for ln in lines:
                truth.investment.add(snapshot(county, ln, end), keep_projects)
    return files


__all__ = ["MONTH_PLAN", "investment_files"]
