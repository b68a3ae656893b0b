"""The true values behind the generated ledgers, as plain Python objects.

Each county's generation returns a `CountyTruth`; `answer_key.py` merges them and writes JSON.
Amounts are integers in hundredths of 万元 until the JSON is written.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from waterwh.samples.cells import Amount, key_wan, rate


@dataclass
class SheetRecord:
    sheet: str
    ledger_type: str
    ledger_scope: str
    report_period_end: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_skipped: int
    rows_subtotal: int


@dataclass
class FileRecord:
    path: str
    ledger_type: str
    sheets: list[SheetRecord]
    superseded: bool = False


@dataclass
class QuarantineRecord:
    path: str
    sheet: str
    row_number: int
    column: str | None
    raw_value: str | None
    why: str


@dataclass
class TotalRecord:
    path: str
    sheet: str
    row_number: int
    label: str
    measure: str
    reported_value: float
    computed_value: float


@dataclass
class ProjectSnapshot:
    """One project in one reporting period, as the warehouse should hold it."""

    period_end: str
    county: str
    project_name: str
    parent_project: str | None
    area_name: str
    priority_level: str
    construction_nature: str
    project_type: str
    status: str
    total_investment: Amount
    annual_plan: Amount | None
    period_completed: Amount | None
    ytd_completed: Amount | None
    since_start_completed: Amount | None
    on_schedule: bool | None
    delay_reason_category: str | None
    delay_reason_categories: list[str] = field(default_factory=list)
    written_name: str | None = None  # the name as the ledger wrote it, when it is an alias

    @property
    def started(self) -> bool:
        return self.status not in ("not_started", "preparatory")

    def to_key(self) -> dict[str, object]:
        out: dict[str, object] = {
            "project_name": self.project_name,
            "county": self.county,
            "parent_project": self.parent_project,
            "area_name": self.area_name,
            "priority_level": self.priority_level,
            "construction_nature": self.construction_nature,
            "project_type": self.project_type,
            "status": self.status,
            "total_investment_wan": key_wan(self.total_investment),
            "annual_plan_wan": key_wan(self.annual_plan),
            "period_completed_wan": key_wan(self.period_completed),
            "ytd_completed_wan": key_wan(self.ytd_completed),
            "since_start_completed_wan": key_wan(self.since_start_completed),
            "on_schedule": self.on_schedule,
            "delay_reason_category": self.delay_reason_category,
        }
        if len(self.delay_reason_categories) > 1:
            out["delay_reason_categories"] = self.delay_reason_categories
        if self.written_name:
            out["written_name"] = self.written_name
        return out


@dataclass
class GroupTally:
    """Additive parts of one rpt_investment_summary row; rates are derived at the end."""

    project_count: int = 0
    started_count: int = 0
    non_preparatory_count: int = 0
    on_schedule_count: int = 0
    behind_schedule_count: int = 0
    total_investment: Amount = 0
    annual_plan: Amount = 0
    ytd_completed: Amount = 0

    def add(self, p: ProjectSnapshot) -> None:
        self.project_count += 1
        self.started_count += p.started
        self.non_preparatory_count += p.status != "preparatory"
        self.on_schedule_count += p.on_schedule is True
        self.behind_schedule_count += p.on_schedule is False
        self.total_investment += p.total_investment
        self.annual_plan += p.annual_plan or 0
        self.ytd_completed += p.ytd_completed or 0

    def merge(self, other: GroupTally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def to_key(self) -> dict[str, object]:
        return {
            "project_count": self.project_count,
            "started_count": self.started_count,
            "on_schedule_count": self.on_schedule_count,
            "behind_schedule_count": self.behind_schedule_count,
            "total_investment_wan": key_wan(self.total_investment),
            "annual_plan_wan": key_wan(self.annual_plan),
            "ytd_completed_wan": key_wan(self.ytd_completed),
            "ytd_completion_rate": rate(self.ytd_completed, self.annual_plan),
            "start_rate": rate(self.started_count, self.non_preparatory_count),
        }


GROUPINGS = ("priority_level", "construction_nature", "project_type", "area")


@dataclass
class InvestmentTruth:
    # period_end → grouping → value → tally ("all" has the single value "all")
    tallies: dict[str, dict[str, dict[str, GroupTally]]] = field(default_factory=dict)
    projects: dict[str, list[ProjectSnapshot]] = field(default_factory=dict)

    def add(self, p: ProjectSnapshot, keep_project: bool) -> None:
        period = self.tallies.setdefault(p.period_end, {})
        values = {
            "all": "all",
            "priority_level": p.priority_level,
            "construction_nature": p.construction_nature,
            "project_type": p.project_type,
            "area": p.area_name,
        }
        for grouping, value in values.items():
            period.setdefault(grouping, {}).setdefault(value, GroupTally()).add(p)
        if keep_project:
            self.projects.setdefault(p.period_end, []).append(p)

    def merge(self, other: InvestmentTruth) -> None:
        for period, groupings in other.tallies.items():
            mine = self.tallies.setdefault(period, {})
            for grouping, values in groupings.items():
                for value, tally in values.items():
                    mine.setdefault(grouping, {}).setdefault(value, GroupTally()).merge(tally)
        for period, snaps in other.projects.items():
            self.projects.setdefault(period, []).extend(snaps)


@dataclass
class FundingLine:
    period_end: str
    county: str
    fund_level: str
    fund_program: str
    project_name: str | None
    allocated: Amount | None
    received: Amount | None
    spent: Amount | None
    currency: str = "CNY"
    amount_original: float | None = None
    fx_rate: float | None = None

    def to_key(self) -> dict[str, object]:
        return {
            "period_end": self.period_end,
            "county": self.county,
            "fund_level": self.fund_level,
            "fund_program": self.fund_program,
            "project_name": self.project_name,
            "allocated_wan": key_wan(self.allocated),
            "received_wan": key_wan(self.received),
            "spent_wan": key_wan(self.spent),
            "currency": self.currency,
            "amount_original": self.amount_original,
            "fx_rate": self.fx_rate,
        }


@dataclass
class Drawdown:
    county: str
    amount_original: float
    currency: str
    fx_rate: float
    amount: Amount
    event_date: str

    def to_key(self) -> dict[str, object]:
        return {
            "county": self.county,
            "amount_original": self.amount_original,
            "currency": self.currency,
            "fx_rate": self.fx_rate,
            "amount_wan": key_wan(self.amount),
            "event_date": self.event_date,
        }


@dataclass
class IndicatorValue:
    indicator_name: str
    area_name: str
    unit: str
    period_start: str
    period_end: str
    target_value: float | None
    actual_value: float | None
    qualifier: str | None
    direction: str

    def to_key(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class PatrolTally:
    events: int = 0
    by_chief_level: Counter[str] = field(default_factory=Counter)
    issues_found: int = 0
    by_handling_status: Counter[str] = field(default_factory=Counter)

    def merge(self, o: PatrolTally) -> None:
        self.events += o.events
        self.by_chief_level.update(o.by_chief_level)
        self.issues_found += o.issues_found
        self.by_handling_status.update(o.by_handling_status)


@dataclass
class RiverIssueTally:
    count: int = 0
    by_category: Counter[str] = field(default_factory=Counter)
    by_rectify_status: Counter[str] = field(default_factory=Counter)

    def merge(self, o: RiverIssueTally) -> None:
        self.count += o.count
        self.by_category.update(o.by_category)
        self.by_rectify_status.update(o.by_rectify_status)


@dataclass
class EnforcementTally:
    cases: int = 0
    filed: int = 0
    closed: int = 0
    penalty: Amount = 0
    by_violation_type: Counter[str] = field(default_factory=Counter)

    def merge(self, o: EnforcementTally) -> None:
        self.cases += o.cases
        self.filed += o.filed
        self.closed += o.closed
        self.penalty += o.penalty
        self.by_violation_type.update(o.by_violation_type)


@dataclass
class ApprovalTally:
    milestones: int = 0
    by_status: Counter[str] = field(default_factory=Counter)

    def merge(self, o: ApprovalTally) -> None:
        self.milestones += o.milestones
        self.by_status.update(o.by_status)


@dataclass
class CountyTruth:
    """Everything one county's ledgers contain, ready to merge into the province's."""

    files: list[FileRecord] = field(default_factory=list)
    quarantine: list[QuarantineRecord] = field(default_factory=list)
    totals: list[TotalRecord] = field(default_factory=list)
    investment: InvestmentTruth = field(default_factory=InvestmentTruth)
    funding_lines: list[FundingLine] = field(default_factory=list)
    drawdowns: list[Drawdown] = field(default_factory=list)
    indicators: list[IndicatorValue] = field(default_factory=list)
    patrol: PatrolTally = field(default_factory=PatrolTally)
    river_issue: RiverIssueTally = field(default_factory=RiverIssueTally)
    enforcement: EnforcementTally = field(default_factory=EnforcementTally)
    approval: ApprovalTally = field(default_factory=ApprovalTally)

    def merge(self, o: CountyTruth) -> None:
        self.files += o.files
        self.quarantine += o.quarantine
        self.totals += o.totals
        self.investment.merge(o.investment)
        self.funding_lines += o.funding_lines
        self.drawdowns += o.drawdowns
        self.indicators += o.indicators
        self.patrol.merge(o.patrol)
        self.river_issue.merge(o.river_issue)
        self.enforcement.merge(o.enforcement)
        self.approval.merge(o.approval)
