"""The sections of a monthly 通报, each from mart queries, in the register of the bureau's own reports.

Every number in the text is a `Figure` cited from a query of the published warehouse. Queries name
the period as a literal date, so the appendix holds SQL an auditor can run as printed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from waterwh.ingest.spec import load_specs
from waterwh.metrics import metric
from waterwh.reporting.briefing.document import Block, FigureBook, Heading, Para, Query, Segment, Table
from waterwh.reporting.briefing.numbers import num, pct, wan, yi

CN_NUM = "一二三四五六七八九十"
LISTED = 20  # projects named in a list; a province has thousands behind schedule
TABLE_ROWS = 30  # areas in an indicator table
ASCII_COMMA = re.compile(r"(?<!\d),|,(?!\d)")
PROGRAMME_COLUMNS = {"allocated_wan": "下达资金", "received_wan": "到位资金", "spent_wan": "支出资金",
                     "receipt_rate": "到位率", "spend_rate": "支出率"}
INV = "marts.fct_investment_snapshot"
SUMMARY = "marts.rpt_investment_summary"


class NoData(Exception):
    """The published warehouse has nothing of this kind for the period."""


def _d(d: date) -> str:
    return f"DATE '{d.isoformat()}'"


class Writer:
    """Builds paragraphs whose figures are citations: `w.para("共", w.fig(...), "项")`."""

    def __init__(self, book: FigureBook) -> None:
        self.book = book

    def fig(self, label: str, q: Query, column: str, fmt: Callable[[object], str], row: int = 0) -> Segment:
        value = q.rows[row][column]
        return self.book.cite(label, "—" if value is None else fmt(value), q, column)

    @staticmethod
    def para(*segments: Segment) -> Para:
        return Para([s for s in segments if s != ""])


def counted(unit: str) -> Callable[[object], str]:
    return lambda v: f"{int(v)}{unit}"  # type: ignore[call-overload]


count = counted("项")


def in_unit(unit: str) -> Callable[[object], str]:
    """A measured value printed in its unit; percentage indicators are stored as fractions."""
    return pct if unit == "%" else (lambda v: num(v, unit))


def investment(w: Writer, end: date, heading_no: int) -> list[Block]:
    b = w.book
    q = b.query(SUMMARY, f"""
        SELECT project_count, non_preparatory_count, project_count - non_preparatory_count AS preparatory_count,
               started_count, non_preparatory_count - started_count AS not_started_count,
               on_schedule_count, behind_schedule_count,
               project_count - on_schedule_count - behind_schedule_count AS unjudged_count,
               total_investment_wan, annual_plan_wan, ytd_completed_wan, ytd_completion_rate, start_rate,
               schedule_share
        FROM {SUMMARY}
        WHERE grouping = 'all' AND report_period_end = {_d(end)}
    """)
    if not q.rows:
        raise NoData(f"没有{end:%Y年%m月}的项目投资数据（{SUMMARY} 中无 report_period_end = {end}）")
    levels = b.query(SUMMARY, f"""
        SELECT grouping_value AS priority_level,
               CASE grouping_value WHEN 'provincial' THEN '省重点' WHEN 'city' THEN '市重点'
                    WHEN 'county' THEN '县重点' ELSE '非重点' END AS level_zh,
               project_count
        FROM {SUMMARY}
        WHERE grouping = 'priority_level' AND report_period_end = {_d(end)}
        ORDER BY CASE grouping_value WHEN 'provincial' THEN 1 WHEN 'city' THEN 2 WHEN 'county' THEN 3 ELSE 4 END
    """)
    # the groups the bureau reports under: 省市重点在建, 县重点在建, other 在建, and 前期 (rates from sums)
    groups = b.query(INV, f"""
        SELECT CASE WHEN is_preparatory THEN 'preparatory'
                    WHEN priority_level IN ('provincial', 'city') THEN 'provincial_city'
                    WHEN priority_level = 'county' THEN 'county' ELSE 'other' END AS report_group,
               count(*) AS project_count,
               sum(annual_plan_wan) AS annual_plan_wan,
               sum(ytd_completed_wan) AS ytd_completed_wan,
               {metric("ytd_completion_rate").over_rows} AS ytd_completion_rate
        FROM {INV}
        WHERE report_period_end = {_d(end)}
        GROUP BY 1
        ORDER BY CASE report_group WHEN 'provincial_city' THEN 1 WHEN 'county' THEN 2 WHEN 'other' THEN 3 ELSE 4 END
    """)
    month = f"{end.month}月底" if end.day > 27 else f"{end.month}月{end.day}日"
    out: list[Block] = [Heading(f"{CN_NUM[heading_no - 1]}、重点项目投资进展")]

    level_parts: list[Segment] = []
    for i, r in enumerate(levels.rows):
        level_parts += ["，" if i else "", f"{r['level_zh']}", w.fig(f"{r['level_zh']}项目数", levels, "project_count",
                                                                     count, i)]
    out.append(w.para(
        f"{end.year}年共确定重点项目", w.fig("重点项目数", q, "project_count", count),
        "（按建设性质分：在建项目", w.fig("在建项目数", q, "non_preparatory_count", count),
        "，前期项目", w.fig("前期项目数", q, "preparatory_count", count), "；按级别分：", *level_parts,
        "），总投资", w.fig("总投资", q, "total_investment_wan", yi),
        "，年度计划投资", w.fig("年度计划投资", q, "annual_plan_wan", yi),
        f"。截至{month}，累计完成投资", w.fig("年度累计完成投资", q, "ytd_completed_wan", yi),
        "，占年度目标任务的", w.fig("年度投资完成率", q, "ytd_completion_rate", pct), "。",
        *_group_sentences(w, groups),
    ))

    r = q.rows[0]
    on_parts: list[Segment] = [
        f"截至{month}，", w.fig("在建项目数", q, "non_preparatory_count", count), "在建项目中",
        w.fig("已开工项目数", q, "started_count", count), "已开工，",
        w.fig("未开工项目数", q, "not_started_count", count), "未开工，开工率为",
        w.fig("开工率", q, "start_rate", pct), f"；按序时进度（{month}应完成年度计划的",
        w.fig("序时进度", q, "schedule_share", pct), "），", w.fig("重点项目数", q, "project_count", count),
        "重点工程中", w.fig("达到序时进度项目数", q, "on_schedule_count", count), "达到序时进度，",
        w.fig("较序时进度有差距项目数", q, "behind_schedule_count", count), "较序时进度有差距",
    ]
    if r["unjudged_count"]:
        on_parts += ["，", w.fig("无年度计划未评价序时项目数", q, "unjudged_count", count),
                     "无年度计划，未评价序时进度"]
    out += [Heading("（一）开工及序时进度", 2), w.para(*on_parts, "。")]
    out += _project_list(w, end, "（二）未开工项目", "NOT is_started AND NOT is_preparatory", "未开工")
    out += _on_schedule_examples(w, end)
    out += _project_list(w, end, "（四）较序时进度有差距项目", "on_schedule = false", "差距")
    out += _delay_categories(w, end)
    return out


def _group_sentences(w: Writer, groups: Query) -> list[Segment]:
    names = {"provincial_city": "省市重点在建工程", "county": "县重点在建工程", "other": "其他在建项目",
             "preparatory": "前期工程"}
    parts: list[Segment] = []
    for i, g in enumerate(groups.rows):
        name = names[g["report_group"]]
        parts += ["其中，" if i == 0 else "；", name, w.fig(f"{name}项目数", groups, "project_count", count, i),
                  "，累计完成投资", w.fig(f"{name}累计完成投资", groups, "ytd_completed_wan", yi, i)]
        if g["annual_plan_wan"] and g["report_group"] != "preparatory":
            parts += ["，占年度目标任务（", w.fig(f"{name}年度计划投资", groups, "annual_plan_wan", yi, i), "）的",
                      w.fig(f"{name}年度投资完成率", groups, "ytd_completion_rate", pct, i)]
    return [*parts, "。"] if parts else []


def _project_list(w: Writer, end: date, title: str, condition: str, kind: str) -> list[Block]:
    """Each project of the list with its reason; beyond LISTED, the furthest behind and a count (the
    appendix query returns the whole list)."""
    q = w.book.query(INV, f"""
        SELECT priority_level_zh, project_name, area_name, ytd_completion_rate, schedule_share, delay_reason,
               delay_reason_category_zh, count(*) OVER () AS listed_count
        FROM {INV}
        WHERE report_period_end = {_d(end)} AND {condition}
        ORDER BY CASE priority_level WHEN 'provincial' THEN 1 WHEN 'city' THEN 2 WHEN 'county' THEN 3 ELSE 4 END,
                 schedule_gap NULLS FIRST, project_name
    """)
    out: list[Block] = [Heading(f"{title}（{len(q.rows)}项）", 2)]
    if not q.rows:
        out.append(w.para("无。"))
        return out
    for i, r in enumerate(q.rows[:LISTED]):
        parts: list[Segment] = [f"{i + 1}. {r['priority_level_zh'] or ''}{r['project_name']}"]
        if kind == "差距" and r["ytd_completion_rate"] is not None:
            parts += ["，年度投资完成率", w.fig(f"{r['project_name']}年度投资完成率", q, "ytd_completion_rate", pct, i),
                      "（序时进度", w.fig(f"{r['project_name']}序时进度", q, "schedule_share", pct, i), "）"]
        reason = r["delay_reason"]
        if reason:
            reason = ASCII_COMMA.sub("，", reason.rstrip("。"))  # the ledger text was NFKC-normalised
            parts += [f"，因{reason}，影响工程进度（{r['delay_reason_category_zh'] or '其他'}）"]
        else:
            parts.append("，台账未填写原因")
        out.append(w.para(*parts, "。"))
    if len(q.rows) > LISTED:
        out.append(w.para(f"以上为按级别排列、差距最大的{LISTED}项；其余", w.fig(
            f"{title}其余项目数", q, "listed_count", lambda v: f"{int(v) - LISTED}项"), "见附录所列查询。"))
    return out


def _on_schedule_examples(w: Writer, end: date) -> list[Block]:
    q = w.book.query(INV, f"""
        SELECT project_name, total_investment_wan
        FROM {INV}
        WHERE report_period_end = {_d(end)} AND on_schedule AND total_investment_wan IS NOT NULL
        ORDER BY total_investment_wan DESC, project_name
        LIMIT 3
    """)
    n = w.book.query(INV, f"""
        SELECT count(*) AS on_schedule_count FROM {INV} WHERE report_period_end = {_d(end)} AND on_schedule
    """)
    out: list[Block] = [Heading(f"（三）达到序时进度项目（{n.rows[0]['on_schedule_count']}项）", 2)]
    if not q.rows:
        return [*out, w.para("无。")]
    parts: list[Segment] = []
    for i, r in enumerate(q.rows):
        parts += ["、" if i else "", "总投资", w.fig(f"{r['project_name']}总投资", q, "total_investment_wan", yi, i),
                  f"的{r['project_name']}"]
    out.append(w.para(*parts, "等", w.fig("达到序时进度项目数", n, "on_schedule_count", count),
                      "重点工程达到或超过序时进度。"))
    return out


def _delay_categories(w: Writer, end: date) -> list[Block]:
    q = w.book.query(INV, f"""
        SELECT delay_reason_category_zh, count(*) AS project_count
        FROM {INV}
        WHERE report_period_end = {_d(end)} AND on_schedule = false
        GROUP BY 1
        ORDER BY 2 DESC, 1
    """)
    if not q.rows:
        return []
    parts: list[Segment] = ["较序时进度有差距的项目中，"]
    for i, r in enumerate(q.rows):
        parts += ["、" if i else "", f"{r['delay_reason_category_zh']}原因",
                  w.fig(f"滞后原因「{r['delay_reason_category_zh']}」项目数", q, "project_count", count, i)]
    return [Heading("（五）滞后原因分类", 2), w.para(*parts, "。")]


def funding(w: Writer, end: date, heading_no: int) -> list[Block]:
    b = w.book
    levels = b.query("marts.rpt_funding_summary", f"""
        SELECT fund_level, fund_level_zh, sum(allocated_wan) AS allocated_wan, sum(received_wan) AS received_wan,
               sum(spent_wan) AS spent_wan
        FROM marts.rpt_funding_summary
        WHERE report_period_end = {_d(end)} AND allocated_wan IS NOT NULL
        GROUP BY 1, 2
        ORDER BY CASE fund_level WHEN 'central' THEN 1 WHEN 'provincial' THEN 2 WHEN 'city' THEN 3
                 WHEN 'county' THEN 4 ELSE 5 END
    """)
    total = b.query("marts.rpt_funding_summary", f"""
        SELECT sum(allocated_wan) AS allocated_wan, sum(received_wan) AS received_wan, sum(spent_wan) AS spent_wan,
               {metric("receipt_rate").over_rows} AS receipt_rate,
               {metric("spend_rate").over_rows} AS spend_rate
        FROM marts.rpt_funding_summary
        WHERE report_period_end = {_d(end)}
    """)
    if not levels.rows or total.rows[0]["allocated_wan"] is None:
        raise NoData(f"没有{end:%Y年%m月}的资金台账数据（marts.rpt_funding_summary 中无 report_period_end = {end}）")
    parts: list[Segment] = [f"截至{end.month}月底，共下达项目资金", w.fig("下达资金合计", total, "allocated_wan", wan)]
    for i, r in enumerate(levels.rows):
        parts += ["，其中" if i == 0 else "、", f"{r['fund_level_zh']}资金",
                  w.fig(f"{r['fund_level_zh']}下达资金", levels, "allocated_wan", wan, i)]
    parts += ["；已到位", w.fig("到位资金合计", total, "received_wan", wan), "，到位率",
              w.fig("资金到位率", total, "receipt_rate", pct),
              "；已支出", w.fig("已支出资金合计", total, "spent_wan", wan),
              "，支出率", w.fig("资金支出率", total, "spend_rate", pct), "。"]
    out: list[Block] = [Heading(f"{CN_NUM[heading_no - 1]}、资金到位与支出"), w.para(*parts)]

    programmes = b.query("marts.rpt_funding_summary", f"""
        SELECT fund_level_zh, fund_program, allocated_wan, received_wan, spent_wan, receipt_rate, spend_rate
        FROM marts.rpt_funding_summary
        WHERE report_period_end = {_d(end)} AND allocated_wan IS NOT NULL
        ORDER BY allocated_wan DESC, fund_program
    """)
    rows = []
    for i, r in enumerate(programmes.rows):
        def cell(col: str, fmt: Callable[[object], str], r: dict = r, i: int = i) -> Segment:
            label = f"{r['fund_level_zh']}{r['fund_program']}{PROGRAMME_COLUMNS[col]}"
            return w.fig(label, programmes, col, fmt, i) if r[col] is not None else "—"

        rows.append([r["fund_level_zh"], r["fund_program"], cell("allocated_wan", wan), cell("received_wan", wan),
                     cell("spent_wan", wan), cell("receipt_rate", pct), cell("spend_rate", pct)])
    out.append(Table(["级次", "专项名称", "下达", "到位", "支出", "到位率", "支出率"], rows, "分专项资金情况"))

    loans = b.query("marts.fct_funding_flow", f"""
        SELECT fund_program, project_name, event_date, amount_original, currency, fx_rate, amount_wan
        FROM marts.fct_funding_flow
        WHERE report_period_end = {_d(end)} AND event_type = 'drawdown'
        ORDER BY event_date, fund_program
    """)
    for i, r in enumerate(loans.rows):
        when = f"{r['event_date']:%Y年%m月%d日}" if r["event_date"] else "报告期内"
        currency = {"EUR": "欧元", "USD": "美元", "CNY": "元"}.get(r["currency"], r["currency"])
        out.append(w.para(
            f"{r['fund_program']}（{r['project_name'] or '项目未注明'}）于{when}提款",
            w.fig(f"{r['fund_program']}提款原币金额", loans, "amount_original",
                  lambda v, c=currency: f"{float(v):,.2f}{c}", i),  # type: ignore[misc]
            "，按汇率", w.fig(f"{r['fund_program']}折算汇率", loans, "fx_rate", lambda v: num(v), i),
            "折合", w.fig(f"{r['fund_program']}提款折合人民币", loans, "amount_wan", wan, i), "。",
        ))
    return out


def water(w: Writer, end: date, heading_no: int) -> list[Block]:
    """Each indicator at the highest level that reports it: one area is written out (a county's own
    通报); several are summed where the indicator adds up, else counted against their targets."""
    latest = f"""
        WITH latest AS (
            SELECT *, row_number() OVER (PARTITION BY indicator_code, area_name
                                         ORDER BY period_end DESC, report_period_end DESC) AS rn
            FROM marts.fct_indicator_value
            WHERE report_period_end <= {_d(end)} AND year(period_end) = {end.year}
        ), levelled AS (
            SELECT latest.*, coalesce(area.area_level, 'county') AS area_level,
                   CASE coalesce(area.area_level, 'county') WHEN 'province' THEN 1 WHEN 'prefecture' THEN 2
                        WHEN 'county' THEN 3 WHEN 'township' THEN 4 ELSE 5 END AS level_rank,
                   coalesce(ind.additivity, 'non_additive') AS additivity
            FROM latest
            LEFT JOIN marts.dim_admin_area AS area ON area.area_name = latest.area_name
            LEFT JOIN marts.dim_indicator AS ind ON ind.indicator_code = latest.indicator_code
            WHERE rn = 1
        ), reporting AS (
            SELECT * FROM levelled
            QUALIFY level_rank = min(level_rank) OVER (PARTITION BY indicator_code)
        )"""
    per_indicator = w.book.query("marts.fct_indicator_value", f"""{latest}
        SELECT indicator_code, any_value(indicator_name) AS indicator_name, any_value(unit) AS unit,
               any_value(direction) AS direction, any_value(additivity) AS additivity,
               any_value(area_level) AS area_level, count(*) AS area_count,
               any_value(area_name) AS area_name, any_value(period_label) AS period_label,
               any_value(qualifier) AS qualifier,
               sum(actual_value) AS actual_value, sum(target_value) AS target_value,
               {metric("achievement_rate").over_rows} AS achievement_rate,
               count(*) FILTER (WHERE target_value IS NOT NULL) AS with_target,
               count(*) FILTER (WHERE CASE WHEN direction = 'lower_better' THEN actual_value <= target_value
                                           ELSE actual_value >= target_value END) AS meeting_target
        FROM reporting
        GROUP BY indicator_code
        ORDER BY indicator_name
    """)
    if not per_indicator.rows:
        raise NoData(f"没有{end.year}年截至{end.month}月的水资源指标数据（marts.fct_indicator_value）")
    qual = {"approx": "约", "gt": "超过", "ge": "不低于", "lt": "不足"}
    level_zh = {"province": "省", "prefecture": "市", "county": "县（市、区）", "township": "乡镇", "village": "村"}
    out: list[Block] = [Heading(f"{CN_NUM[heading_no - 1]}、水资源指标")]
    for i, r in enumerate(per_indicator.rows):
        fmt = in_unit(r["unit"])
        period = r["period_label"] if re.search(r"\d{4}", r["period_label"]) else f"{end.year}年{r['period_label']}"
        name = r["indicator_name"]
        if r["area_count"] == 1 or r["additivity"] == "additive":
            one = r["area_count"] == 1
            where = r["area_name"] if one else f"{r['area_count']}个{level_zh[r['area_level']]}合计"
            parts: list[Segment] = [f"{period}，{where}{name}", qual.get(r["qualifier"] or "", "") if one else "",
                                    w.fig(f"{where}{period}{name}完成值", per_indicator, "actual_value", fmt, i)]
            if r["target_value"] is not None:
                target = w.fig(f"{where}{period}{name}目标值", per_indicator, "target_value", fmt, i)
                if r["direction"] == "lower_better":
                    met = r["actual_value"] is not None and r["actual_value"] <= r["target_value"]
                    parts += ["，控制目标", target, "，" + ("控制在目标以内" if met else "超出控制目标")]
                elif r["achievement_rate"] is not None:
                    parts += ["，目标", target, "，完成目标的",
                              w.fig(f"{where}{period}{name}完成率", per_indicator, "achievement_rate", pct, i)]
        else:  # rates and scores do not add up: how many areas met their target
            where = level_zh[r["area_level"]]
            parts = [f"{period}，", w.fig(f"{name}填报地区数", per_indicator, "area_count", counted("个")),
                     f"{where}填报{name}"]
            if r["with_target"]:
                parts += ["，其中", w.fig(f"{name}达到目标地区数", per_indicator, "meeting_target", counted("个")),
                          "达到目标"]
        out.append(w.para(*parts, "。"))

    table = w.book.query("marts.fct_indicator_value", f"""{latest}
        SELECT indicator_name, area_name, period_label, unit, target_value, actual_value, achievement_rate,
               count(*) OVER (PARTITION BY indicator_code) AS area_count
        FROM reporting
        QUALIFY row_number() OVER (PARTITION BY indicator_code
                                   ORDER BY achievement_rate NULLS LAST, area_name) <= {TABLE_ROWS}
        ORDER BY indicator_name, achievement_rate NULLS LAST, area_name
    """)
    rows = []
    for i, r in enumerate(table.rows):
        fmt = in_unit(r["unit"])
        label = f"{r['area_name']}{r['period_label']}{r['indicator_name']}"
        rows.append([r["indicator_name"], r["area_name"], r["period_label"],
                     w.fig(f"{label}目标值", table, "target_value", fmt, i) if r["target_value"] is not None else "—",
                     w.fig(f"{label}完成值", table, "actual_value", fmt, i) if r["actual_value"] is not None else "—",
                     w.fig(f"{label}完成率", table, "achievement_rate", pct, i)
                     if r["achievement_rate"] is not None else "—"])
    many = any(r["area_count"] > TABLE_ROWS for r in table.rows)
    caption = f"指标完成情况（每项指标列出完成率最低的{TABLE_ROWS}个地区）" if many else "指标完成情况"
    out.append(Table(["指标", "区域", "统计期", "目标值", "完成值", "完成率"], rows, caption))
    return out


def river(w: Writer, end: date, heading_no: int) -> list[Block]:
    start = date(end.year, 1, 1)
    span = f"BETWEEN {_d(start)} AND {_d(end)}"
    months = f"1-{end.month}月" if end.month > 1 else "1月"
    patrol = w.book.query("marts.fct_patrol", f"""
        SELECT count(*) AS patrol_count, count(DISTINCT chief_name) AS chief_count,
               coalesce(sum(issues_found), 0) AS issues_found,
               coalesce(sum(issues_found) FILTER (WHERE handling_status = 'closed'), 0) AS issues_closed,
               sum(issues_found) FILTER (WHERE handling_status = 'closed') / nullif(sum(issues_found), 0) AS close_rate
        FROM marts.fct_patrol
        WHERE patrol_date {span}
    """)
    issues = w.book.query("marts.fct_river_issue", f"""
        SELECT count(*) AS issue_count,
               count(*) FILTER (WHERE category = 'occupation') AS occupation,
               count(*) FILTER (WHERE category = 'extraction') AS extraction,
               count(*) FILTER (WHERE category = 'dumping') AS dumping,
               count(*) FILTER (WHERE category = 'construction') AS construction,
               count(*) FILTER (WHERE rectify_status = 'closed') AS rectified,
               count(*) FILTER (WHERE rectify_status = 'closed') / nullif(count(*), 0) AS rectify_rate
        FROM marts.fct_river_issue
        WHERE found_date {span}
    """)
    cases = w.book.query("marts.fct_enforcement_case", f"""
        SELECT count(*) FILTER (WHERE handled) AS handled, count(*) FILTER (WHERE filed) AS filed,
               count(*) FILTER (WHERE closed) AS closed, coalesce(sum(penalty_wan), 0) AS penalty_wan
        FROM marts.fct_enforcement_case
        WHERE found_date {span}
    """)
    p, i, c = patrol.rows[0], issues.rows[0], cases.rows[0]
    if not (p["patrol_count"] or i["issue_count"] or c["handled"]):
        raise NoData(f"没有{end.year}年{months}的巡河、清四乱或执法数据")

    times, pieces, spots, cases_ = counted("次"), counted("个"), counted("处"), counted("起")

    out: list[Block] = [Heading(f"{CN_NUM[heading_no - 1]}、河湖长制与清四乱")]
    out.append(w.para(
        f"{months}，", w.fig("巡河河湖长人数", patrol, "chief_count", counted("名")),
        "河湖长累计巡河", w.fig("巡河次数", patrol, "patrol_count", times), "，发现问题",
        w.fig("巡河发现问题数", patrol, "issues_found", pieces), "，已销号",
        w.fig("巡河问题销号数", patrol, "issues_closed", pieces),
        *(["，销号率", w.fig("巡河问题销号率", patrol, "close_rate", pct)] if p["close_rate"] is not None else []),
        "。",
    ))
    out.append(w.para(
        "清四乱方面，排查河湖“四乱”问题", w.fig("四乱问题数", issues, "issue_count", spots), "（乱占",
        w.fig("乱占问题数", issues, "occupation", spots), "、乱采", w.fig("乱采问题数", issues, "extraction", spots),
        "、乱堆", w.fig("乱堆问题数", issues, "dumping", spots), "、乱建",
        w.fig("乱建问题数", issues, "construction", spots), "），已整改销号",
        w.fig("四乱已整改数", issues, "rectified", spots),
        *(["，整治完成率", w.fig("四乱整治完成率", issues, "rectify_rate", pct)]
          if i["rectify_rate"] is not None else []),
        "。",
    ))
    out.append(w.para(
        "执法方面，处理水事违法行为", w.fig("水事违法行为处理数", cases, "handled", cases_), "，立案",
        w.fig("立案数", cases, "filed", cases_), "，结案", w.fig("结案数", cases, "closed", cases_), "，罚没款",
        w.fig("罚没款", cases, "penalty_wan", wan), "。",
    ))
    return out


def reconciliation(w: Writer, end: date, heading_no: int, ledger_types: list[str]) -> list[Block]:
    """Where a ledger's own 合计 disagrees with its rows, say so instead of printing either silently."""
    measure_zh = {c.name: c.aliases[0] for s in load_specs() for c in s.columns if c.aliases}
    types = ", ".join(f"'{t}'" for t in ledger_types)
    q = w.book.query("marts.fct_reported_total", f"""
        SELECT source_file, source_sheet, source_row, label, measure, reported_value, computed_value, difference
        FROM marts.fct_reported_total
        WHERE NOT matches AND is_current_version AND report_period_end = {_d(end)} AND ledger_type IN ({types})
        ORDER BY source_file, source_row, measure
    """)
    missing = w.book.query("marts.rpt_missing_ledgers", f"""
        SELECT ledger_type_zh, area_name, expected_period_end
        FROM marts.rpt_missing_ledgers
        WHERE expected_period_end = {_d(end)} AND ledger_type IN ({types})
        ORDER BY ledger_type_zh, area_name
    """)
    out: list[Block] = [Heading(f"{CN_NUM[heading_no - 1]}、数据核对说明")]
    if not q.rows and not missing.rows:
        out.append(w.para("本期各台账所列合计、小计与明细之和一致，应报台账均已报送。"))
        return out
    for i, r in enumerate(q.rows):
        name = measure_zh.get(r["measure"], r["measure"])
        out.append(w.para(
            f"《{r['source_file']}》工作表「{r['source_sheet']}」第{r['source_row']}行「{r['label']}」所列{name}为",
            w.fig(f"{r['source_file']}第{r['source_row']}行所列{name}", q, "reported_value", num, i),
            "，按明细计算为",
            w.fig(f"{r['source_file']}第{r['source_row']}行明细合计{name}", q, "computed_value", num, i),
            "，相差", w.fig(f"{r['source_file']}第{r['source_row']}行{name}差额", q, "difference", num, i),
            "（金额单位：万元）。本通报采用按明细计算的数值，请填报单位核实。",
        ))
    if missing.rows:
        names = "、".join(f"{r['area_name']}{r['ledger_type_zh']}" for r in missing.rows)
        out.append(w.para(f"截至本期，以下台账未报送（数据未报送）：{names}，相关数字未包含其内容。"))
    return out
