"""Great Expectations suites as code: what the raw ledgers and the published marts must satisfy.

Each suite is a query over the staging warehouse plus expectations. `severity: error` blocks
publishing; `warn` is reported and published. Tolerances follow domain.md: amounts ±0.01 万元.

- raw_<ledger>: one per ledger spec, generated from ingest/specs (lineage complete, one row per
  sheet row, required cells present, amounts not negative, enum codes known). Raw rows never change
  once loaded, so these run on the loads this suite (as now defined) has not yet passed: a night
  with one new month reads that month, not 36 (audit.validated_loads; a changed suite reads all);
- marts: grain, allowed values, ranges, the invariants leadership's figures rest on; a suite whose
  rules each read one row reads only rows unlike any of the previous publish (audit.validated_suites);
- reconciliation: the same figure computed two ways (fact vs report) must agree;
- row volume: a publish whose fact rows drop below a share of the previous publish is stopped.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import great_expectations as gx

from waterwh.config import PACKAGE_DIR
from waterwh.ingest.enums import codes
from waterwh.ingest.spec import LINEAGE_COLUMNS, load_specs

E = gx.expectations

# value sets: the enumerations' codes (waterwh/ingest/specs/_enums.yaml), the delay categories' seed
STATUS = codes("status")
PRIORITY = codes("priority_level")
NATURE = codes("construction_nature")
DELAY = [r["category"] for r in csv.DictReader(
    (PACKAGE_DIR / "dbt_project" / "seeds" / "delay_reason_categories.csv").open(encoding="utf-8"))]
CHIEF_LEVEL = codes("chief_level")
HANDLING = codes("handling_status")
DIRECTION = codes("direction")
LINEAGE = [c.name for c in LINEAGE_COLUMNS if c.always]
AMOUNT_TOLERANCE = 0.01


@dataclass
class Suite:
    name: str
    # The table the suite is about (its Dagster asset check hangs on it).
    table: str
    sql: str
    expectations: list[Any] = field(default_factory=list)
    # Tables whose row count must not drop sharply against the previous publish.
    volume_table: str | None = None
    # Rows are immutable per load_id (raw): validate each load once per suite definition.
    by_load: bool = False
    # Every expectation reads one row at a time, so a row whose checked values equal a row of the
    # previous publish (which passed this suite as now defined) passes again: only the others are
    # read. `sql` must read `table` once (the previous publish's copy is read the same way).
    changed_rows_only: bool = False

    def __post_init__(self) -> None:
        if self.changed_rows_only and self.sql.count(self.table) != 1:
            raise ValueError(f"suite {self.name}: changed_rows_only needs a query that reads {self.table} once")
        if self.changed_rows_only and any(severity(e) != "error" for e in self.expectations):
            # a row that only warned last night would not be reported again
            raise ValueError(f"suite {self.name}: changed_rows_only suites hold blocking rules only")

    def fingerprint(self) -> str:
        """What the suite checks (its query and every expectation): a load passed under another
        fingerprint is checked again."""
        exps = [e.configuration.to_json_dict() for e in self.expectations]
        for e in exps:
            e.pop("id", None)
        text = json.dumps([self.sql, exps], sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# GX's own severity: critical blocks publishing (error), warning is reported (warn).
SEVERITY = {"critical": "error", "warning": "warn", "info": "warn"}


def severity(exp: Any) -> str:
    """error or warn, from an expectation's (or its configuration's) GX severity."""
    return SEVERITY[str(getattr(exp.severity, "value", exp.severity))]


def _err(exp: Any) -> Any:
    exp.severity = "critical"
    return exp


def _warn(exp: Any) -> Any:
    exp.severity = "warning"
    return exp


def raw_suites() -> list[Suite]:
    """One suite per ledger spec: a new column or enum in a spec is checked without code."""
    out = []
    for spec in load_specs():
        exps: list[Any] = [_err(E.ExpectColumnValuesToNotBeNull(column=c)) for c in LINEAGE]
        # a row of the sheet is a row of the table; a wide sheet's row is one per indicator column
        cell = ["load_id", "source_sheet", "source_row", *([spec.wide["name"]] if spec.wide else [])]
        exps.append(_err(E.ExpectCompoundColumnsToBeUnique(column_list=cell)))
        for c in spec.columns:
            if c.not_null:
                exps.append(_err(E.ExpectColumnValuesToNotBeNull(column=c.name)))
            if c.type == "amount":
                exps.append(_warn(E.ExpectColumnValuesToBeBetween(column=c.name, min_value=0)))
            if c.type == "enum" and c.enum:
                exps.append(_err(E.ExpectColumnValuesToBeInSet(column=c.name, value_set=codes(c.enum))))
        out.append(Suite(name=f"raw_{spec.ledger_type}", table=f"raw.{spec.table}",
                         sql=f"SELECT * FROM raw.{spec.table}", expectations=exps, by_load=True))
    return out


def mart_suites() -> list[Suite]:
    return [
        Suite(
            name="investment_snapshot_grain",
            table="marts.fct_investment_snapshot",
            sql="SELECT * FROM marts.fct_investment_snapshot",
            expectations=[
                _err(E.ExpectTableRowCountToBeBetween(min_value=1)),
                _err(E.ExpectCompoundColumnsToBeUnique(column_list=["project_key", "report_period_end"])),
                _warn(E.ExpectColumnValuesToBeBetween(column="ytd_completion_rate", min_value=0, max_value=1.5)),
            ],
        ),
        Suite(
            name="investment_snapshot",
            table="marts.fct_investment_snapshot",
            volume_table="marts.fct_investment_snapshot",
            sql=f"""
                SELECT *, since_start_completed_wan + {AMOUNT_TOLERANCE} AS since_start_plus_tolerance
                FROM marts.fct_investment_snapshot
            """,
            # every rule reads one row: a night reads the periods it rebuilt (the grain and the
            # warning are checked over all rows above)
            changed_rows_only=True,
            expectations=[
                _err(E.ExpectColumnValuesToNotBeNull(column="project_name")),
                _err(E.ExpectColumnValuesToNotBeNull(column="report_period_end")),
                _err(E.ExpectColumnValuesToNotBeNull(column="source_file")),
                _err(E.ExpectColumnValuesToBeInSet(column="status", value_set=STATUS)),
                _err(E.ExpectColumnValuesToBeInSet(column="priority_level", value_set=PRIORITY)),
                _err(E.ExpectColumnValuesToBeInSet(column="construction_nature", value_set=NATURE)),
                _err(E.ExpectColumnValuesToBeInSet(column="delay_reason_category", value_set=DELAY)),
                # 年度累计 cannot exceed 开工以来累计 (a clerk swapping the two columns is caught here).
                _err(
                    E.ExpectColumnPairValuesAToBeGreaterThanB(
                        column_A="since_start_plus_tolerance", column_B="ytd_completed_wan",
                        or_equal=True, ignore_row_if="either_value_is_missing",
                    )
                ),
                _err(E.ExpectColumnValuesToBeBetween(column="ytd_completed_wan", min_value=0)),
                _err(E.ExpectColumnValuesToBeBetween(column="annual_plan_wan", min_value=0)),
                _err(E.ExpectColumnValuesToBeBetween(column="total_investment_wan", min_value=0)),
                _err(E.ExpectColumnValuesToBeBetween(column="schedule_share", min_value=0, max_value=1)),
            ],
        ),
        Suite(
            name="investment_summary",
            table="marts.rpt_investment_summary",
            sql="SELECT * FROM marts.rpt_investment_summary",
            # that the build produced a summary at all; its grain, groupings and rates are dbt's tests
            expectations=[
                _err(E.ExpectTableRowCountToBeBetween(min_value=1)),
            ],
        ),
        Suite(
            # 提款 needs its original amount and currency (contract); a foreign currency needs a rate.
            # (fct_funding_flow's key, codes, currency and amounts are dbt's tests on the model.)
            name="funding_drawdowns",
            table="marts.fct_funding_flow",
            volume_table="marts.fct_funding_flow",
            sql="SELECT * FROM marts.fct_funding_flow WHERE event_type = 'drawdown' OR currency <> 'CNY'",
            expectations=[
                _err(E.ExpectColumnValuesToNotBeNull(column="amount_original")),
                _err(E.ExpectColumnValuesToNotBeNull(column="fx_rate")),
                _err(E.ExpectColumnValuesToBeBetween(column="fx_rate", min_value=0, strict_min=True)),
            ],
        ),
        Suite(
            name="funding_summary",
            table="marts.rpt_funding_summary",
            sql="SELECT * FROM marts.rpt_funding_summary",
            expectations=[
                _err(E.ExpectCompoundColumnsToBeUnique(
                    column_list=["report_period_end", "fund_level", "fund_program"])),
                _warn(E.ExpectColumnValuesToBeBetween(column="receipt_rate", min_value=0, max_value=1.0)),
                _warn(E.ExpectColumnValuesToBeBetween(column="spend_rate", min_value=0, max_value=1.0)),
            ],
        ),
        Suite(
            name="indicator_value",
            table="marts.fct_indicator_value",
            volume_table="marts.fct_indicator_value",
            sql="SELECT * FROM marts.fct_indicator_value",
            expectations=[
                _err(E.ExpectColumnValuesToBeUnique(column="indicator_value_key")),
                _err(E.ExpectColumnValuesToNotBeNull(column="indicator_code")),
                _err(E.ExpectColumnValuesToNotBeNull(column="unit")),
                _err(E.ExpectColumnValuesToBeInSet(column="direction", value_set=DIRECTION)),
                _err(E.ExpectColumnValuesToBeInSet(column="qualifier", value_set=["approx", "gt", "ge", "lt"])),
                _warn(E.ExpectColumnValuesToBeBetween(column="achievement_rate", min_value=0, max_value=1.5)),
            ],
        ),
        Suite(
            name="patrol",
            table="marts.fct_patrol",
            volume_table="marts.fct_patrol",
            sql="SELECT * FROM marts.fct_patrol",
            # ~2 million rows at a province, nearly all as they were last night. patrol_key's
            # uniqueness, the one rule over all rows, is dbt's unique test on the same column.
            changed_rows_only=True,
            expectations=[
                _err(E.ExpectColumnValuesToNotBeNull(column="patrol_date")),
                _err(E.ExpectColumnValuesToBeInSet(column="chief_level", value_set=CHIEF_LEVEL)),
                _err(E.ExpectColumnValuesToBeInSet(column="handling_status", value_set=HANDLING)),
                _err(E.ExpectColumnValuesToBeBetween(column="issues_found", min_value=0)),
            ],
        ),
        # fct_river_issue and fct_enforcement_case: keys, codes, dates and amounts are dbt's tests
    ]


def reconciliation_suites() -> list[Suite]:
    """The same figure two ways; a difference means a model dropped or doubled rows."""
    tol = AMOUNT_TOLERANCE
    return [
        Suite(
            name="investment_summary_matches_snapshot",
            table="marts.rpt_investment_summary",
            sql="""
                WITH fact AS (
                    SELECT report_period_end, count(*) AS n, coalesce(sum(ytd_completed_wan), 0) AS ytd,
                           coalesce(sum(annual_plan_wan), 0) AS plan
                    FROM marts.fct_investment_snapshot GROUP BY 1)
                SELECT fact.report_period_end, fact.n - coalesce(rpt.project_count, 0) AS count_difference,
                       abs(fact.ytd - coalesce(rpt.ytd_completed_wan, 0))
                           + abs(fact.plan - coalesce(rpt.annual_plan_wan, 0)) AS amount_difference
                FROM fact LEFT JOIN marts.rpt_investment_summary AS rpt
                    ON rpt.report_period_end = fact.report_period_end AND rpt.grouping = 'all'
            """,
            expectations=[
                _err(E.ExpectColumnValuesToBeBetween(column="count_difference", min_value=0, max_value=0)),
                _err(E.ExpectColumnValuesToBeBetween(column="amount_difference", min_value=0, max_value=tol)),
            ],
        ),
        Suite(
            name="funding_summary_matches_flow",
            table="marts.rpt_funding_summary",
            sql="""
                WITH flow AS (
                    SELECT report_period_end, event_type, sum(amount_wan) AS amount
                    FROM marts.fct_funding_flow GROUP BY 1, 2),
                summary AS (
                    UNPIVOT (SELECT report_period_end, sum(allocated_wan) AS allocated, sum(received_wan) AS received,
                                    sum(spent_wan) AS spent, sum(drawdown_wan) AS drawdown
                             FROM marts.rpt_funding_summary GROUP BY 1)
                    ON allocated, received, spent, drawdown INTO NAME event_type VALUE amount)
                SELECT flow.report_period_end, flow.event_type,
                       abs(flow.amount - coalesce(summary.amount, 0)) AS amount_difference
                FROM flow LEFT JOIN summary USING (report_period_end, event_type)
            """,
            expectations=[
                _err(E.ExpectColumnValuesToBeBetween(column="amount_difference", min_value=0, max_value=tol)),
            ],
        ),
    ]


def suites() -> list[Suite]:
    return [*raw_suites(), *mart_suites(), *reconciliation_suites()]
