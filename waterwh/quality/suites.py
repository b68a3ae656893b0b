"""Great Expectations suites as code: what the raw ledgers and the published marts must satisfy.

Each suite is a query over the staging warehouse plus expectations. `severity: error` blocks
publishing; `warn` is reported and published. Tolerances follow domain.md: amounts ±0.01 万元.

- raw_<ledger>: one per ledger spec, generated from ingest/specs (lineage complete, one row per
  sheet row, required cells present, amounts not negative, enum codes known). Raw rows never change
  once loaded, so these run on the loads this suite (as now defined) has not yet passed: a night
  with one new month reads that month, not 36 (audit.validated_loads; a changed suite reads all);
- marts: row volume: each fact has rows, and a publish whose fact rows drop below a share of the
  previous publish is stopped (a mart's own invariants are dbt tests on the model);
- reconciliation: the same figure computed two ways (fact vs report) must agree.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import great_expectations as gx

from waterwh.ingest.enums import codes
from waterwh.ingest.spec import LINEAGE_COLUMNS, load_specs

E = gx.expectations

LINEAGE = [c.name for c in LINEAGE_COLUMNS if c.always]
AMOUNT_TOLERANCE = 0.01


@dataclass
class Suite:
    name: str
    # The table the suite is about (its Dagster asset check hangs on it).
    table: str
    sql: str
    expectations: list[Any] = field(default_factory=list)
    # The table's row count must not drop sharply against the previous publish.
    watch_volume: bool = False
    # Rows are immutable per load_id (raw): validate each load once per suite definition.
    by_load: bool = False

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
    """Volume: a fact does not drop sharply against the previous publish, and the investment fact
    and summary leadership reads are never empty (a bureau may report no funding or patrols yet).
    Every rule on a mart's rows is a dbt test on the model (grain, codes, ranges, invariants)."""
    def has_rows() -> list[Any]:
        return [_err(E.ExpectTableRowCountToBeBetween(min_value=1))]

    return [
        Suite("investment_snapshot", "marts.fct_investment_snapshot", "SELECT * FROM marts.fct_investment_snapshot",
              has_rows(), watch_volume=True),
        Suite("investment_summary", "marts.rpt_investment_summary", "SELECT * FROM marts.rpt_investment_summary",
              has_rows()),
        *(Suite(name, f"marts.fct_{name}", f"SELECT * FROM marts.fct_{name}", watch_volume=True)
          for name in ("funding_flow", "indicator_value", "patrol")),
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
