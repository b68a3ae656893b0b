"""A county's key projects and how their investment progresses month by month.

About 60 projects per county: 大项 programmes with 子项, standalone projects, five preparatory
(前期) ones, two operating PPP assets (存量), a few not started. Each year a project gets an annual
plan; its year-to-date completion follows a pace (ahead / behind / catching up / slipping) and is
then settled so that

* year-to-date is non-decreasing within a year and since-start = before-the-year + year-to-date;
* ytd / annual_plan is never within 0.003 of the elapsed share month/12, so rounding can never
  flip the 序时 (on-schedule) flag (the contract asks for 0.002);
* since-start never exceeds the total investment.

All amounts are integers in hundredths of 万元.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from waterwh.samples.cells import Amount
from waterwh.samples.geography import County
from waterwh.samples.names import county_rivers, reservoirs, river_of

SCHEDULE_MARGIN = 0.003
PACES = ("ahead", "behind", "catch_up", "slip")
PACE_WEIGHTS = (14, 3, 3, 2)


@dataclass(frozen=True)
class DelayReason:
    text: str
    categories: tuple[str, ...]

    @property
    def category(self) -> str:
        """The first reason a cell names is its category (the others are kept as a list)."""
        return self.categories[0]


DELAY_POOL: tuple[DelayReason, ...] = (
    DelayReason("中央预算内资金未到位", ("FUNDING",)),
    DelayReason("配套资金未落实", ("FUNDING",)),
    DelayReason("融资难、资金落实难", ("FUNDING",)),
    DelayReason("设计方案不优，需重新论证", ("DESIGN",)),
    DelayReason("勘察设计滞后，施工图未完成", ("DESIGN",)),
    DelayReason("用地手续未办结", ("LAND",)),
    DelayReason("涉及基本农田，需调整规划", ("LAND",)),
    DelayReason("沿线拆迁未完成，剩余3户未签约", ("DEMOLITION",)),
    DelayReason("移民搬迁安置未完成", ("RESETTLEMENT",)),
    DelayReason("前期推进滞后，环评未批复", ("PREWORK_APPROVAL",)),
    DelayReason("林地占用手续审批中", ("PREWORK_APPROVAL",)),
    DelayReason("施工组织不力，材料设备人员不足", ("CONSTRUCTION_MGMT",)),
    DelayReason("汛期影响，有效施工期不足", ("SEASON",)),
    DelayReason("受上游工程进度影响", ("OTHER",)),
)
TWO_REASONS = DelayReason("设计变更及资本金到位迟缓", ("DESIGN", "FUNDING"))
IDLE_FUNDING = DelayReason("申请中央预算内资金未到位", ("FUNDING",))
IDLE_LAND = DelayReason("用地手续未办结，农用地转用未批复", ("LAND",))

NATURE_ZH = {
    "new": "新建",
    "continuing": "续建",
    "expansion": "扩建",
    "renovation": "改建",
    "upgrade": "提标改造",
    "existing": "存量",
    "preparatory": "前期",
}
PRIORITY_ZH = {"provincial": "省重点", "city": "市重点", "county": "县重点", "none": "一般"}
STATUS_ZH = {
    "not_started": "未开工",
    "under_construction": "在建",
    "substantially_complete": "基本完工",
    "complete": "完工",
    "preparatory": "前期",
    "operating": "投入运营",
}


@dataclass
class Project:
    name: str  # canonical name
    parent: str | None
    area: str  # town name
    ptype: str  # 项目类型 as written (Chinese)
    nature: str  # construction_nature code
    total: Amount
    prior: Amount  # since-start completion before the first data year
    role: str  # build | finish | late_start | idle | preparatory | operating
    pace: str  # ahead | behind | catch_up | slip
    delay: DelayReason
    unit: str  # responsible unit
    priority: str = "county"
    alias: str | None = None  # another name the same project goes by in some ledgers
    start_month: int | None = None  # late_start: month construction starts
    finish_month: float | None = None  # finish: month the last money is spent (>12: not this year)
    plan_share: float = 0.4
    prep_plan: Amount | None = None  # preparatory / idle projects: a fixed plan (None = "—")
    nature_written: str | None = None  # e.g. 扩建及提标改造 for an expansion

    @property
    def nature_zh(self) -> str:
        return self.nature_written or NATURE_ZH[self.nature]


@dataclass
class MonthState:
    year: int
    month: int
    status: str
    plan: Amount | None
    period: Amount | None
    ytd: Amount | None
    since: Amount | None
    on_schedule: bool | None
    progress: str  # 形象进度 as written

    @property
    def delay_shown(self) -> bool:
        return self.on_schedule is False


@dataclass
class Trajectory:
    project: Project
    months: dict[tuple[int, int], MonthState] = field(default_factory=dict)


# ---- the portfolio -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Template:
    name: str
    ptype: str
    nature: str
    size: tuple[int, int]  # total investment range, 万元
    town: int  # index into the county's towns (modulo), 0 = county seat
    unit: str


def _templates(county: County) -> tuple[list[tuple[str, list[_Template]]], list[_Template]]:
    """(大项 name, children) programmes and standalone projects, named after the county."""
    C = county.name
    towns = county.towns
    t = [towns[i % len(towns)].short for i in range(9)]
    r = county_rivers(county)
    rv = [r[0]] + [river_of(x) for x in t[1:]]  # rv[i]: the river of town i (0: main river)
    seat = ["镇区" if towns[i % len(towns)].name.endswith("镇") else "集镇" for i in range(9)]
    rs = reservoirs(county)
    wb, inv, gov = f"{C}水务局", f"{C}水利投资开发有限公司", "人民政府"

    def T(
        name: str, ptype: str, nature: str, size: tuple[int, int], town: int, unit: str = wb
    ) -> _Template:
        return _Template(name, ptype, nature, size, town, unit)

    groups = [
        (
            f"{C}污水处理提质增效工程",
            [
                T(
                    f"{t[1]}污水处理厂扩建及提标改造工程",
                    "污水处理",
                    "expansion",
                    (4000, 12000),
                    1,
                    "项目公司",
                ),
                T(
                    f"{t[2]}污水处理厂提标改造工程",
                    "污水处理",
                    "upgrade",
                    (2000, 6000),
                    2,
                    "项目公司",
                ),
                T(f"{t[3]}污水处理厂新建工程", "污水处理", "new", (3000, 9000), 3, "项目公司"),
                T(
                    f"{t[4]}污水处理厂扩建工程",
                    "污水处理",
                    "expansion",
                    (2500, 7000),
                    4,
                    "项目公司",
                ),
                T(f"{C}污泥无害化处理中心", "污泥", "new", (3000, 6000), 0, "项目公司"),
            ],
        ),
        (
            f"{C}城乡污水管网建设工程",
            [
                T(f"{t[0]}雨污分流改造工程", "污水管网", "renovation", (3000, 9000), 0),
                T(
                    f"{t[1]}{seat[1]}污水管网工程",
                    "污水管网",
                    "continuing",
                    (1500, 5000),
                    1,
                    t[1] + gov,
                ),
                T(
                    f"{t[2]}{seat[2]}污水管网工程",
                    "污水管网",
                    "continuing",
                    (1500, 5000),
                    2,
                    t[2] + gov,
                ),
                T(f"{t[4]}{seat[4]}污水管网工程", "污水管网", "new", (1200, 4000), 4, t[4] + gov),
                T(
                    f"{t[5]}{seat[5]}污水管网工程",
                    "污水管网",
                    "continuing",
                    (1200, 4000),
                    5,
                    t[5] + gov,
                ),
                T(f"{t[6]}{seat[6]}污水管网工程", "污水管网", "new", (1000, 3500), 6, t[6] + gov),
                T(f"{C}城东片区污水管网完善工程", "污水管网", "continuing", (2000, 6000), 0),
            ],
        ),
        (
            f"{C}水库除险加固工程",
            [
                T(f"{rs[i % len(rs)]}除险加固工程", "水库", "continuing", (3000, 18000), i + 1)
                for i in range(4)
            ],
        ),
        (
            f"{C}灌区续建配套与节水改造工程",
            [
                T(f"{t[i]}灌区渠系改造工程", "灌区", "continuing", (1500, 6000), i)
                for i in (2, 3, 5, 6)
            ],
        ),
        (
            f"{C}城乡供水一体化工程",
            [
                T(f"{t[1]}水厂及配套管网工程", "供水", "continuing", (2500, 9000), 1, inv),
                T(f"{t[3]}水厂及配套管网工程", "供水", "new", (2000, 8000), 3, inv),
                T(f"{t[5]}水厂及配套管网工程", "供水", "continuing", (2000, 8000), 5, inv),
                T(f"{t[7]}水厂及配套管网工程", "供水", "expansion", (1500, 6000), 7, inv),
                T(f"{C}城乡供水一体化主管网工程", "供水", "new", (8000, 26000), 0, inv),
            ],
        ),
    ]
    standalone = [
        T(f"{rv[0]}综合治理工程", "河道治理", "continuing", (8000, 30000), 0),
        T(f"{rv[1]}综合治理工程", "河道治理", "continuing", (3000, 12000), 1),
        T(f"{rv[2]}河道清淤及护岸工程", "河道治理", "new", (1500, 6000), 2),
        T(f"{rv[3]}河道清淤及护岸工程", "河道治理", "continuing", (1200, 5000), 3),
        T(f"{rv[4]}生态修复工程", "河道治理", "new", (1000, 4000), 4),
        T(f"{rv[0]}堤防加固工程", "河道治理", "renovation", (3000, 15000), 0),
        T(f"{t[2]}景区水系连通工程", "河道治理", "continuing", (4000, 16000), 2, inv),
        T(f"{C}水系连通及水美乡村建设项目", "河道治理", "new", (5000, 15000), 6, inv),
        T(f"{t[3]}防洪堤工程", "河道治理", "new", (1500, 5000), 3),
        T(f"{C}城区防洪排涝工程", "防洪排涝", "continuing", (8000, 35000), 0, f"{C}住建局"),
        T(f"{C}智慧水务平台建设项目", "智慧水务", "new", (800, 3000), 0),
        T(f"{C}水资源监测能力提升项目", "智慧水务", "continuing", (500, 2000), 0),
        T(f"{C}河湖长制信息化项目", "智慧水务", "new", (300, 1200), 0, f"{C}河长办"),
        T(f"{C}餐厨垃圾处理项目", "餐厨", "new", (3000, 6000), 0, f"{C}城管局"),
        T(f"{C}滨河路提升改造工程", "交通", "renovation", (5000, 20000), 0, f"{C}交通运输局"),
        T(f"{C}环城北路新建工程", "交通", "new", (8000, 25000), 0, f"{C}交通运输局"),
        T(f"{t[1]}至{t[3]}公路改造工程", "交通", "renovation", (4000, 15000), 1, f"{C}交通运输局"),
        T(f"{t[4]}农村饮水安全巩固提升工程", "供水", "continuing", (300, 1500), 4, t[4] + gov),
        T(f"{t[6]}农村饮水安全巩固提升工程", "供水", "continuing", (300, 1500), 6, t[6] + gov),
        T(f"{t[7]}农村饮水安全巩固提升工程", "供水", "new", (300, 1500), 7, t[7] + gov),
        T(f"{t[5]}{seat[5]}供水管网改造工程", "供水", "renovation", (600, 2500), 5, inv),
        T(f"{t[3]}小流域综合治理工程", "水土保持", "continuing", (200, 900), 3, t[3] + gov),
        T(f"{t[5]}小流域综合治理工程", "水土保持", "new", (200, 900), 5, t[5] + gov),
        T(f"{t[7]}小流域综合治理工程", "水土保持", "continuing", (200, 900), 7, t[7] + gov),
        T(f"{t[1]}农村生活污水治理工程", "污水处理", "continuing", (400, 1800), 1, t[1] + gov),
        T(f"{t[4]}农村生活污水治理工程", "污水处理", "new", (400, 1800), 4, t[4] + gov),
        T(f"{t[6]}农村生活污水治理工程", "污水处理", "continuing", (400, 1800), 6, t[6] + gov),
        T(f"{C}污水处理厂尾水湿地工程", "污水处理", "new", (1500, 4000), 0, "项目公司"),
        T(f"{C}第一污水处理厂", "污水处理", "existing", (6000, 15000), 0, "项目公司"),
        T(f"{C}城北供水厂", "供水", "existing", (4000, 12000), 0, inv),
        T(f"引{rv[1]}入城调水工程", "供水", "preparatory", (30000, 120000), 1, inv),
        T(f"{C}再生水利用工程", "污水处理", "preparatory", (8000, 30000), 0, "项目公司"),
        T(f"{t[4]}闸站扩建工程", "河道治理", "preparatory", (5000, 20000), 4),
        T(f"{C}城市内涝治理工程", "防洪排涝", "preparatory", (20000, 80000), 0, f"{C}住建局"),
        T(f"{C}西部水源工程", "水库", "preparatory", (40000, 150000), 8, inv),
    ]
    return groups, standalone


def alias_of(name: str) -> str:
    """The other name a scenic-area project goes by: 龙潭景区… ↔ 龙潭旅游区…."""
    return name.replace("景区", "旅游区", 1)


def build_portfolio(county: County, rng: random.Random) -> list[Project]:
    """About 60 projects for one county, with roles for the first data year."""
    groups, standalone = _templates(county)
    towns = county.towns
    projects: list[Project] = []

    def make(tp: _Template, parent: str | None) -> Project:
        lo, hi = tp.size
        total = rng.randint(lo * 100, hi * 100)
        return Project(
            name=tp.name,
            parent=parent,
            area=towns[tp.town % len(towns)].name,
            ptype=tp.ptype,
            nature=tp.nature,
            total=total,
            prior=0,
            role="build",
            pace="ahead",
            delay=rng.choice(DELAY_POOL),
            unit=tp.unit,
        )

    for tp in standalone:
        projects.append(make(tp, None))
    for parent, children in groups:
        for tp in children:
            projects.append(make(tp, parent))
    seen: set[str] = set()
    for p in projects:  # counties with 6 towns reuse a town: make it a second phase
        if p.name in seen:
            p.name = p.name[:-2] + "提升工程" if p.name.endswith("工程") else p.name + "（提升）"
        seen.add(p.name)
    by_name = {p.name: p for p in projects}
    C = county.name
    t = [towns[i % len(towns)].short for i in range(9)]
    rv0 = county_rivers(county)[0]

    # Fixed roles first: they are what the mess catalogue and the tests rely on.
    for p in projects:
        if p.nature == "preparatory":
            p.role = "preparatory"
        elif p.nature == "existing":
            p.role = "operating"
            p.prior = p.total
    preparatory = [p for p in projects if p.role == "preparatory"]
    for p in preparatory[:2]:  # two have a budget for preparatory work
        p.prep_plan = rng.randint(80 * 100, 400 * 100)
        p.pace = "behind" if p is preparatory[0] else "ahead"
    idle = [
        (f"{C}餐厨垃圾处理项目", IDLE_FUNDING, True),
        (f"{C}环城北路新建工程", IDLE_LAND, True),
        (f"{C}污水处理厂尾水湿地工程", None, False),
    ]
    for name, reason, has_plan in idle:
        p = by_name[name]
        p.role = "idle"
        if reason:
            p.delay = reason
        p.prep_plan = rng.randint(300 * 100, 1500 * 100) if has_plan else None
    late = [
        (f"{t[3]}污水处理厂新建工程", 3),
        (f"{C}城乡供水一体化主管网工程", 5),
        (f"{C}河湖长制信息化项目", 7),
    ]
    for name, month in late:
        p = by_name[name]
        p.role, p.start_month = "late_start", month
        p.plan_share = rng.uniform(0.25, 0.5)
    by_name[f"{t[2]}景区水系连通工程"].alias = alias_of(f"{t[2]}景区水系连通工程")
    two = by_name[f"{rv0}综合治理工程"]
    two.pace, two.delay = "behind", TWO_REASONS

    movable = [p for p in projects if p.role == "build" and p is not two]
    finishers = [p for p in movable if p.nature in ("continuing", "renovation", "expansion")]
    for p, month in zip(rng.sample(finishers, 4), (5, 8, 11, 12.5), strict=True):
        p.role, p.finish_month = "finish", month
        p.prior = round(p.total * rng.uniform(0.6, 0.8))
    for p in projects:
        if p.role != "build":
            continue
        if p.nature in ("continuing", "renovation", "expansion", "upgrade"):
            p.prior = round(p.total * rng.uniform(0.1, 0.5))
        p.plan_share = rng.uniform(0.25, 0.55)
        if p is not two:
            p.pace = rng.choices(PACES, PACE_WEIGHTS)[0]
    _assign_priorities(projects, rng)
    for p in projects:
        if p.nature == "expansion" and "提标改造" in p.name:
            p.nature_written = "扩建及提标改造"
    return projects


def _assign_priorities(projects: list[Project], rng: random.Random) -> None:
    ranked = sorted(projects, key=lambda p: (-p.total, p.name))
    top = ranked[:10]
    provincial = set(id(p) for p in rng.sample(top, 4))
    rest = [p for p in ranked if id(p) not in provincial]
    city = set(id(p) for p in rng.sample(rest[:24], 10))
    small = [p for p in reversed(ranked) if id(p) not in provincial | city][:24]
    none = set(id(p) for p in rng.sample(small, 12))
    for p in projects:
        if id(p) in provincial:
            p.priority = "provincial"
        elif id(p) in city:
            p.priority = "city"
        elif id(p) in none:
            p.priority = "none"
        else:
            p.priority = "county"


# ---- month by month ------------------------------------------------------------------------


def _targets(pace: str, rng: random.Random) -> list[float]:
    """Wished-for ytd / plan for months 1..12, before settling."""
    base = rng.uniform(0.015, 0.10) if pace in ("ahead", "catch_up") else rng.uniform(0.04, 0.22)
    late = rng.uniform(0.015, 0.06)
    out = []
    for m in range(1, 13):
        share = m / 12
        jitter = rng.uniform(-0.008, 0.008)
        if pace == "ahead":
            off = base + jitter
        elif pace == "behind":
            off = -base + jitter
        elif pace == "catch_up":
            off = -base - 0.03 + jitter if m <= 6 else late + jitter
        else:  # slip: on time in spring, behind from summer on
            off = late + jitter if m <= 5 else -base + jitter
        out.append(max(0.0, share + off))
    return out


def settle(targets: list[float], plan: Amount, cap: Amount) -> list[Amount]:
    """Turn wished-for rates into ytd amounts: monotone, ≤ cap, clear of the 序时 share."""
    ytd: list[Amount] = []
    prev = 0
    for m, r in enumerate(targets, start=1):
        y = min(cap, max(prev, round(r * plan)))
        hi = math.floor(plan * (m / 12 - SCHEDULE_MARGIN))  # largest amount still behind
        lo = math.ceil(plan * (m / 12 + SCHEDULE_MARGIN))  # smallest amount ahead
        if hi < y < lo:
            y = hi if (hi >= prev and y - hi <= lo - y) or lo > cap else lo
        if hi < y < lo or y > cap or y < prev:
            raise AssertionError(f"cannot settle month {m}: plan {plan}, cap {cap}")
        ytd.append(y)
        prev = y
    return ytd


def on_schedule(ytd: Amount | None, plan: Amount | None, month: int) -> bool | None:
    if not plan:
        return None
    gap = 12 * (ytd or 0) - month * plan  # (rate - share) * 12 * plan
    if abs(gap) * 1000 < 24 * plan:  # |rate - share| < 0.002
        raise AssertionError("a project's rate is too close to the schedule share")
    return gap >= 0


def _progress(status: str, since: Amount | None, total: Amount, rng: random.Random) -> str:
    if status == "not_started":
        return rng.choice(("/", "/", "未开工"))
    if status == "preparatory":
        return rng.choice(("/", "前期工作", "可研编制中"))
    if status == "operating":
        return "已运营"
    if status == "complete":
        return rng.choice(("完工", "100%"))
    share = (since or 0) / total
    if status == "substantially_complete":
        return rng.choice(("基本完工", "超90%", "已完成主体建设"))
    if 0.7 <= share < 0.8 and rng.random() < 0.5:
        return "70％以上"
    pct = min(99.0, share * 100 + rng.uniform(-4, 6))
    pct = max(1.0, pct)
    return f"{pct:.2f}％" if rng.random() < 0.3 else f"{pct:.0f}%"


def _status(since: Amount, total: Amount) -> str:
    if since >= total:
        return "complete"
    if since * 10 >= total * 9:
        return "substantially_complete"
    return "under_construction"


def simulate(p: Project, years: list[int], rng: random.Random) -> Trajectory:
    """Month-by-month state over the data years; a project finished in one year is gone the next."""
    traj = Trajectory(p)
    since = p.prior
    role = p.role
    for yi, year in enumerate(years):
        if role == "done":
            break
        remaining = p.total - since
        if role == "build" and yi > 0 and remaining * 100 <= p.total * 45:
            role = "finish"
        plan: Amount | None
        ytds: list[Amount] | None
        started_from = 1
        if role == "operating":
            for m in range(1, 13):
                traj.months[(year, m)] = MonthState(
                    year, m, "operating", None, None, None, p.total, None, "已运营"
                )
            continue
        if role == "preparatory" or role == "idle":
            plan = p.prep_plan
            if plan and role == "preparatory":
                ytds = settle(_targets(p.pace, rng), plan, remaining)
            elif plan:
                ytds = [0] * 12
            else:
                ytds = None
        elif role == "late_start":
            started_from = p.start_month if yi == 0 and p.start_month else rng.randint(2, 8)
            plan = round(remaining * p.plan_share)
            end = rng.uniform(0.55, 1.08)
            wish = [
                0.0 if m < started_from else end * (m - started_from + 1) / (13 - started_from)
                for m in range(1, 13)
            ]
            ytds = settle(wish, plan, min(remaining, round(plan * 1.12)))
        elif role == "finish":
            k = p.finish_month if yi == 0 and p.finish_month else rng.randint(5, 11)
            plan = round(remaining * rng.uniform(0.85, 0.95))
            ytds = [min(remaining, round(remaining * m / k)) for m in range(1, 13)]
            ytds = settle([y / plan for y in ytds], plan, remaining)
        else:  # build
            if yi > 0:
                p.plan_share = rng.uniform(0.25, 0.55)
                p.pace = rng.choices(PACES, PACE_WEIGHTS)[0]
            plan = round(remaining * p.plan_share)
            ytds = settle(_targets(p.pace, rng), plan, min(remaining, round(plan * 1.12)))
        prev = 0
        for m in range(1, 13):
            ytd = ytds[m - 1] if ytds is not None else None
            if role == "preparatory":
                status = "preparatory"
            elif role == "idle" or (role == "late_start" and m < started_from):
                status = "not_started"
            else:
                status = _status(since + (ytd or 0), p.total)
            period = None if ytd is None else ytd - prev
            s = None if ytd is None and since == 0 else since + (ytd or 0)
            traj.months[(year, m)] = MonthState(
                year,
                m,
                status,
                plan,
                period,
                ytd,
                s,
                on_schedule(ytd, plan, m),
                _progress(status, s, p.total, rng),
            )
            prev = ytd or 0
        since += ytds[-1] if ytds is not None else 0
        if since >= p.total:
            role = "done"
        elif role == "late_start":
            role = "build"
        elif role == "idle" and rng.random() < 0.5:
            role = "late_start"
            p.plan_share = rng.uniform(0.25, 0.5)
            if p.prep_plan is None:
                p.prep_plan = 0
    return traj


PHASES = "二三四五六"


def successor(p: Project, phase: int, rng: random.Random) -> Project:
    """The next phase of a finished project (二期, 三期 …): new, starting during its first year."""
    root = p.name.split("（")[0]
    return Project(
        name=f"{root}（{PHASES[phase - 2]}期）",
        parent=p.parent,
        area=p.area,
        ptype=p.ptype,
        nature="new",
        total=round(p.total * rng.uniform(0.5, 1.2)),
        prior=0,
        role="late_start",
        pace="ahead",
        delay=rng.choice(DELAY_POOL),
        unit=p.unit,
        priority=p.priority,
        start_month=rng.randint(2, 8),
        plan_share=rng.uniform(0.25, 0.5),
    )


def simulate_series(p: Project, years: list[int], rng: random.Random) -> list[Trajectory]:
    """A project and, when it finishes before the last data year, its later phases."""
    out = [simulate(p, years, rng)]
    phase = 2
    while True:
        last = max(y for y, _ in out[-1].months)
        rest = [y for y in years if y > last]
        if not rest or phase - 2 >= len(PHASES):
            return out
        p = successor(out[-1].project, phase, rng)
        out.append(simulate(p, rest, rng))
        phase += 1
