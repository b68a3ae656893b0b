"""The three investment-ledger layouts clerks use, as sheet builders.

* L1 (PPP project office, 万元): two-row header with "投资完成情况(万元)" merged over 本月完成 /
  年度累计完成 / 开工以来累计完成; standalone projects first, then 大项 group rows (no 序号) that
  carry their own subtotals, 子项 indented with em-spaces; blank spacer; 合计.
* L2 (bureau, 万元): one header row, 大项 as a column, header repeated mid-sheet (page break),
  NBSP after some town names, optionally a nameless data row and a wrong 合计; blank row, 合计.
* L3 (key-projects notice, 亿元): "2025年" merged over 计划投资/本月完成/累计完成 (亿元), sections
  省市重点 / 县重点及一般 / 重大前期 each closed by a 小计 row, then 合计.

Amounts are written as numbers, now and then as text (full-width digits, Western or Chinese
thousands separators, one "##paidbegin##" noise token), and "—" or "/" when empty.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from waterwh.samples import cells
from waterwh.samples.cells import Amount
from waterwh.samples.portfolio import PRIORITY_ZH, STATUS_ZH, MonthState, Project
from waterwh.samples.sheet import Bad, Kind, Sheet, Stated

AMOUNTS = (
    "total_investment",
    "annual_plan",
    "period_completed",
    "ytd_completed",
    "since_start_completed",
)


@dataclass
class Line:
    """One project in one month as the ledger writes it."""

    project: Project
    state: MonthState
    name: str  # as written
    period: Amount | None
    ytd: Amount | None
    since: Amount | None

    def amount(self, measure: str) -> Amount | None:
        return {
            "total_investment": self.project.total,
            "annual_plan": self.state.plan,
            "period_completed": self.period,
            "ytd_completed": self.ytd,
            "since_start_completed": self.since,
        }[measure]


class AmountStyle:
    """Writes amounts as numbers, now and then as text: full-width, thousands, noise, —, /."""

    def __init__(self, rng: random.Random, in_yi: bool, noise: bool) -> None:
        self.rng = rng
        self.in_yi = in_yi
        self.noise_left = 1 if noise else 0

    def cell(self, a: Amount | None, plain: bool = False) -> cells.Cell:
        rng = self.rng
        if a is None:
            return rng.choice((cells.DASH_EMPTY, cells.SLASH_EMPTY))
        if self.in_yi:
            return cells.yi(a)
        if plain:
            return cells.wan(a)
        text = cells.fixed(cells.wan(a), 2)
        if self.noise_left and a >= 100_000:
            self.noise_left -= 1
            return cells.with_noise(text)
        roll = rng.random()
        if roll < 0.025:
            return cells.fullwidth(text.rstrip("0").rstrip(".") if "." in text else text)
        if roll < 0.045 and a >= 100_000:
            return cells.thousands(text, ",")
        if roll < 0.06 and a >= 100_000:
            return cells.thousands(text, "，")
        return cells.wan(a)


def _rate_cell(line: Line, rng: random.Random) -> cells.Cell:
    if not line.state.plan:
        return cells.DASH_EMPTY
    r = (line.ytd or 0) / line.state.plan
    roll = rng.random()
    if roll < 0.5:
        return cells.pct_text(r)
    if roll < 0.65:
        return cells.pct_text(r, full=True)
    return round(r, 4)


def _status_text(state: MonthState, rng: random.Random) -> str:
    if state.status == "under_construction":
        return rng.choice(("在建", "在建", "已开工", "实质性开工"))
    if state.status == "substantially_complete":
        return rng.choice(("基本完工", "主体完工"))
    if state.status == "complete":
        return rng.choice(("完工", "已完工"))
    return STATUS_ZH[state.status]


def _delay_text(line: Line) -> str | None:
    return line.project.delay.text if line.state.delay_shown else None


def _sum(lines: list[Line], measure: str) -> Amount:
    return sum(ln.amount(measure) or 0 for ln in lines)


def _stated(
    label: str,
    lines: list[Line],
    measures: tuple[str, ...] = AMOUNTS,
    wrong: dict[str, Amount] | None = None,
) -> tuple[list[Stated], dict[str, Amount]]:
    """What a total row states: the sums of its lines, except where a clerk got it wrong."""
    out, values = [], {}
    for m in measures:
        computed = _sum(lines, m)
        reported = (wrong or {}).get(m, computed)
        out.append(Stated(label, m, reported, computed))
        values[m] = reported
    return out, values


def _swap_digits(a: Amount) -> Amount:
    """A transposition typo: 45123.45 → 54123.45 (first two different digits swapped)."""
    s = str(a)
    for i in range(len(s) - 1):
        if s[i] != s[i + 1]:
            return int(s[:i] + s[i + 1] + s[i] + s[i + 2 :])
    return a + 100_000


def layout_l1(
    sh: Sheet, lines: list[Line], style: AmountStyle, rng: random.Random, year: int
) -> None:
    head = [
        "序号",
        "项目名称",
        "所在乡镇",
        "项目类型",
        "建设性质",
        "级别",
        "可研投资",
        f"{year}年计划投资",
        "投资完成情况(万元)",
        None,
        None,
        "完成率",
        "形象进度",
        "建设状态",
        "滞后原因",
        "责任单位",
    ]
    sub = [None] * 8 + ["本月完成", "年度累计完成", "开工以来累计完成"] + [None] * 5
    sh.width = len(head)
    sh.header = [head, sub]
    sh.header_merges = [(0, c, 1, c) for c in range(len(head)) if c not in (8, 9, 10)]
    sh.header_merges.append((0, 8, 0, 10))
    sh.col_widths = [6, 34, 10, 10, 10, 8, 12, 12, 11, 12, 14, 9, 12, 10, 26, 22]
    standalone = [ln for ln in lines if ln.project.parent is None]
    parents: dict[str, list[Line]] = {}
    for ln in lines:
        if ln.project.parent is not None:
            parents.setdefault(ln.project.parent, []).append(ln)
    seq = 0

    def data_row(ln: Line, indent: bool) -> None:
        nonlocal seq
        seq += 1
        p = ln.project
        sh.add(
            Kind.DATA,
            [
                str(seq),
                cells.padded(ln.name, 1) if indent else ln.name,
                p.area,
                p.ptype,
                p.nature_zh,
                PRIORITY_ZH[p.priority],
                style.cell(p.total),
                style.cell(ln.state.plan),
                style.cell(ln.period),
                style.cell(ln.ytd),
                style.cell(ln.since),
                _rate_cell(ln, rng),
                ln.state.progress,
                _status_text(ln.state, rng),
                _delay_text(ln),
                p.unit,
            ],
        )

    for ln in standalone:
        data_row(ln, False)
    for parent, children in parents.items():
        stated, v = _stated(parent, children)
        sh.add(
            Kind.GROUP,
            [
                None,
                parent,
                None,
                children[0].project.ptype,
                None,
                None,
                *(style.cell(v[m], plain=True) for m in AMOUNTS),
            ],
            stated=stated,
        )
        for ln in children:
            data_row(ln, True)
        if rng.random() < 0.4:
            sh.blank()
    if sh.rows[-1].kind is not Kind.BLANK:
        sh.blank()
    stated, v = _stated("合计", lines)
    sh.add(
        Kind.TOTAL,
        ["合计", None, None, None, None, None, *(style.cell(v[m], plain=True) for m in AMOUNTS)],
        stated=stated,
    )


def layout_l2(
    sh: Sheet,
    lines: list[Line],
    style: AmountStyle,
    rng: random.Random,
    month: int,
    bad_row: bool = False,
    wrong_total: bool = False,
) -> None:
    head = [
        "序号",
        "项目名称",
        "大项",
        "建设地点",
        "项目类型",
        "建设性质",
        "重点类别",
        "总投资",
        "年度计划投资",
        "本月完成投资",
        f"1-{month}月累计完成",
        "累计完成投资",
        "完成率",
        "形象进度",
        "建设状态",
        "存在问题",
        "建设单位",
        "备注",
    ]
    sh.width = len(head)
    sh.header = [head]
    sh.col_widths = [6, 34, 26, 10, 10, 10, 9, 12, 12, 12, 12, 12, 9, 12, 10, 26, 22, 10]
    order = [ln for ln in lines if ln.project.parent is None] + [
        ln for ln in lines if ln.project.parent is not None
    ]
    repeat_at = 30 if len(order) > 40 else -1
    bad_at = 20 if bad_row else -1
    seq = 0
    for i, ln in enumerate(order):
        if i == repeat_at:
            sh.repeat_header()
        if i == bad_at:
            seq += 1
            ghost = order[(i * 7) % len(order)]
            gp = ghost.project
            sh.add(
                Kind.QUARANTINE,
                [
                    str(seq),
                    None,
                    None,
                    gp.area,
                    gp.ptype,
                    gp.nature_zh,
                    PRIORITY_ZH[gp.priority],
                    style.cell(gp.total, plain=True),
                    style.cell(ghost.state.plan, plain=True),
                    style.cell(ghost.period, plain=True),
                    style.cell(ghost.ytd, plain=True),
                    style.cell(ghost.since, plain=True),
                    None,
                    ghost.state.progress,
                    _status_text(ghost.state, rng),
                    None,
                    gp.unit,
                    None,
                ],
                bad=Bad("project_name", None, "required project_name is empty"),
            )
        seq += 1
        p = ln.project
        area = cells.padded(p.area, 0) if rng.random() < 0.15 else p.area
        remark = "民生实事" if "农村" in p.name and rng.random() < 0.5 else None
        sh.add(
            Kind.DATA,
            [
                str(seq),
                ln.name,
                p.parent,
                area,
                p.ptype,
                p.nature_zh,
                PRIORITY_ZH[p.priority],
                style.cell(p.total),
                style.cell(ln.state.plan),
                style.cell(ln.period),
                style.cell(ln.ytd),
                style.cell(ln.since),
                _rate_cell(ln, rng),
                ln.state.progress,
                _status_text(ln.state, rng),
                _delay_text(ln),
                p.unit,
                remark,
            ],
        )
    sh.blank()
    wrong = {"ytd_completed": _swap_digits(_sum(lines, "ytd_completed"))} if wrong_total else None
    stated, v = _stated("合计", lines, wrong=wrong)
    sh.add(
        Kind.TOTAL,
        [
            None,
            "合计",
            None,
            None,
            None,
            None,
            None,
            *(style.cell(v[m], plain=True) for m in AMOUNTS),
        ],
        stated=stated,
    )


def layout_l3(
    sh: Sheet, lines: list[Line], style: AmountStyle, rng: random.Random, year: int
) -> None:
    head = [
        "序号",
        "项目名称",
        "所属项目",
        "所在乡镇",
        "项目类型",
        "建设性质",
        "级别",
        "总投资(亿元)",
        f"{year}年",
        None,
        None,
        "开工以来累计完成(亿元)",
        "完成率",
        "是否达到序时",
        "建设状态",
        "滞后原因",
        "责任单位",
    ]
    sub = [None] * 8 + ["计划投资(亿元)", "本月完成(亿元)", "累计完成(亿元)"] + [None] * 6
    sh.width = len(head)
    sh.header = [head, sub]
    sh.header_merges = [(0, c, 1, c) for c in range(len(head)) if c not in (8, 9, 10)]
    sh.header_merges.append((0, 8, 0, 10))
    sh.col_widths = [6, 34, 26, 10, 10, 10, 8, 11, 11, 11, 11, 13, 9, 10, 10, 26, 22]
    sections = [
        (
            "省市重点在建工程",
            [
                ln
                for ln in lines
                if ln.project.nature != "preparatory"
                and ln.project.priority in ("provincial", "city")
            ],
        ),
        (
            "县重点及一般在建工程",
            [
                ln
                for ln in lines
                if ln.project.nature != "preparatory" and ln.project.priority in ("county", "none")
            ],
        ),
        ("重大前期项目", [ln for ln in lines if ln.project.nature == "preparatory"]),
    ]
    seq = 0
    for label, members in sections:
        if not members:
            continue
        for ln in members:
            seq += 1
            p = ln.project
            flag = {True: "达到", False: "有差距", None: cells.DASH_EMPTY}[ln.state.on_schedule]
            sh.add(
                Kind.DATA,
                [
                    str(seq),
                    ln.name,
                    p.parent,
                    p.area,
                    p.ptype,
                    p.nature_zh,
                    PRIORITY_ZH[p.priority],
                    style.cell(p.total),
                    style.cell(ln.state.plan),
                    style.cell(ln.period),
                    style.cell(ln.ytd),
                    style.cell(ln.since),
                    _rate_cell(ln, rng),
                    flag,
                    _status_text(ln.state, rng),
                    _delay_text(ln),
                    p.unit,
                ],
            )
        text = f"小计：{label}{len(members)}项"
        stated, v = _stated(text, members)
        sh.add(
            Kind.SUBTOTAL,
            [None, text, None, None, None, None, None, *(style.cell(v[m]) for m in AMOUNTS)],
            stated=stated,
        )
    stated, v = _stated(f"合计{len(lines)}项", lines)
    sh.add(
        Kind.TOTAL,
        [
            f"合计{len(lines)}项",
            None,
            None,
            None,
            None,
            None,
            None,
            *(style.cell(v[m]) for m in AMOUNTS),
        ],
        stated=stated,
    )
