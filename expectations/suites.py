"""Great Expectations suites as code: what the published marts must satisfy.

Each suite is a query over the staging warehouse plus expectations. `severity: error` blocks
publishing; `warn` is reported and published. Tolerances follow domain.md: amounts ±0.01 万元.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import great_expectations as gx

E = gx.expectations

STATUS = ["not_started", "under_construction", "substantially_complete", "complete", "preparatory", "operating"]
PRIORITY = ["provincial", "city", "county", "none"]


@dataclass
class Suite:
    name: str
    sql: str
    expectations: list[Any] = field(default_factory=list)
    # Tables whose row count must not drop sharply against the previous publish.
    volume_table: str | None = None


def _err(exp: Any) -> Any:
    exp.meta = {"severity": "error"}
    return exp


def _warn(exp: Any) -> Any:
    exp.meta = {"severity": "warn"}
    return exp


def suites() -> list[Suite]:
    return [
        Suite(
            name="investment_snapshot",
            volume_table="marts.fct_investment_snapshot",
            sql="""
                SELECT *, since_start_completed_wan + 0.01 AS since_start_plus_tolerance
                FROM marts.fct_investment_snapshot
            """,
            expectations=[
                _err(E.ExpectTableRowCountToBeBetween(min_value=1)),
                _err(E.ExpectCompoundColumnsToBeUnique(column_list=["project_key", "report_period_end"])),
                _err(E.ExpectColumnValuesToNotBeNull(column="project_name")),
                _err(E.ExpectColumnValuesToNotBeNull(column="report_period_end")),
                _err(E.ExpectColumnValuesToNotBeNull(column="source_file")),
                _err(E.ExpectColumnValuesToBeInSet(column="status", value_set=STATUS)),
                _err(E.ExpectColumnValuesToBeInSet(column="priority_level", value_set=PRIORITY)),
                # 年度累计 cannot exceed 开工以来累计 (a clerk swapping the two columns is caught here).
                _err(
                    E.ExpectColumnPairValuesAToBeGreaterThanB(
                        column_A="since_start_plus_tolerance", column_B="ytd_completed_wan",
                        or_equal=True, ignore_row_if="either_value_is_missing",
                    )
                ),
                _err(E.ExpectColumnValuesToBeBetween(column="ytd_completed_wan", min_value=0)),
                _err(E.ExpectColumnValuesToBeBetween(column="annual_plan_wan", min_value=0)),
                _err(E.ExpectColumnValuesToBeBetween(column="schedule_share", min_value=0, max_value=1)),
                _warn(E.ExpectColumnValuesToBeBetween(column="ytd_completion_rate", min_value=0, max_value=1.5)),
            ],
        ),
        Suite(
            name="investment_summary",
            sql="SELECT * FROM marts.rpt_investment_summary",
            expectations=[
                _err(E.ExpectTableRowCountToBeBetween(min_value=1)),
                _err(E.ExpectCompoundColumnsToBeUnique(
                    column_list=["report_period_end", "grouping", "grouping_value"])),
                _err(E.ExpectColumnValuesToBeInSet(
                    column="grouping",
                    value_set=["all", "priority_level", "construction_nature", "project_type", "area"])),
                _err(E.ExpectColumnValuesToBeBetween(column="start_rate", min_value=0, max_value=1)),
                _warn(E.ExpectColumnValuesToBeBetween(column="ytd_completion_rate", min_value=0, max_value=1.5)),
            ],
        ),
    ]
