"""answer_key.json: the true values behind the sample ledgers, in the warehouse's terms.

Amounts in 万元 rounded to 2 decimals, rates as fractions rounded to 6 decimals (half-up),
dates ISO. Only valid data rows count (not quarantined, not in a superseded file).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from waterwh.samples.cells import key_wan, rate
from waterwh.samples.geography import PROVINCE_NAME, QINGXI_NAME, Geography
from waterwh.samples.truth import GROUPINGS, CountyTruth, FundingLine, GroupTally

NOTES = [
    "Amounts are 万元 with 2 decimals; rates are fractions with 6 decimals (half-up).",
    "investment: on_schedule = ytd/annual_plan >= month/12, null when annual_plan is null or 0; "
    "every project's rate is at least 0.002 away from the share. delay_reason_category is null "
    "unless the project is behind; a cell naming several reasons takes the first one's category "
    "(all of them in delay_reason_categories).",
    "investment: '—' or '/' in an amount cell is null, and null counts as 0 in group sums.",
    "investment: written_name is set when the ledger used an alias of the canonical project_name.",
    "files: a superseded file is read normally (its sheet counts are given) but none of its rows "
    "count in any figure; its stated totals are not in reported_totals.",
    "funding: lines are cumulative as-of statements per quarter; the loan line has no 万元 "
    "amounts and is left out of by_period_level_program (see loan_drawdowns).",
    "funding: receipt_rate = received/allocated, spend_rate = spent/received.",
    "indicator: unit '%' values are fractions; money is in 万元 (亿元 converted); other units as "
    "the indicators seed writes them (万m³, m³/万元: compare NFKC-insensitively). qualifier is "
    "the actual value's (approx/gt/ge/lt).",
    "patrol: by_handling_status counts events that found issues and state a handling status.",
    "reported_totals: count = stated (row, measure) values in non-superseded files, rows = "
    "distinct total rows (= sum of rows_subtotal over non-superseded files).",
]


def _funding_summary(lines: list[FundingLine]) -> list[dict[str, object]]:
    sums: dict[tuple[str, str, str], list[int]] = {}
    for ln in lines:
        if ln.fund_level == "loan":
            continue
        acc = sums.setdefault((ln.period_end, ln.fund_level, ln.fund_program), [0, 0, 0])
        acc[0] += ln.allocated or 0
        acc[1] += ln.received or 0
        acc[2] += ln.spent or 0
    out = []
    for (period, level, program), (a, r, s) in sorted(sums.items()):
        out.append(
            {
                "report_period_end": period,
                "fund_level": level,
                "fund_program": program,
                "allocated_wan": key_wan(a),
                "received_wan": key_wan(r),
                "spent_wan": key_wan(s),
                "receipt_rate": rate(r, a),
                "spend_rate": rate(s, r),
            }
        )
    return out


def _by_period(tallies: dict[str, dict[str, dict[str, GroupTally]]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for period in sorted(tallies):
        groupings = tallies[period]
        entry: dict[str, object] = {"all": groupings["all"]["all"].to_key()}
        for g in GROUPINGS:
            entry[g] = {v: t.to_key() for v, t in sorted(groupings.get(g, {}).items())}
        out[period] = entry
    return out


def _sorted_counter(c: Counter[str]) -> dict[str, int]:
    return {k: c[k] for k in sorted(c)}


def build_answer_key(
    truth: CountyTruth, geo: Geography, scale: str, seed: int, years: list[int], keep_lists: bool
) -> dict[str, object]:
    live = {f.path for f in truth.files if not f.superseded}
    totals = [t for t in truth.totals if t.path in live]
    mismatches = [t for t in totals if abs(t.reported_value - t.computed_value) > 0.001]
    counties = [c.name for c in geo.counties]
    investment: dict[str, object] = {"by_period": _by_period(truth.investment.tallies)}
    reported: dict[str, object] = {
        "count": len(totals),
        "rows": len({(t.path, t.sheet, t.row_number) for t in totals}),
        "mismatches": [dict(t.__dict__) for t in mismatches],
    }
    if keep_lists:
        investment["projects"] = {
            period: [p.to_key() for p in snaps]
            for period, snaps in sorted(truth.investment.projects.items())
        }
        reported["entries"] = [dict(t.__dict__) for t in totals]
    key: dict[str, object] = {
        "generator": {
            "seed": seed,
            "scale": scale,
            "year": years[-1],
            "years": years,
            "province": PROVINCE_NAME,
            "county": QINGXI_NAME if scale == "small" else None,
            "counties": counties,
            "notes": NOTES,
        },
        "files": [
            {
                "path": f.path,
                "ledger_type": f.ledger_type,
                "sheets": [dict(s.__dict__) for s in f.sheets],
                "superseded": f.superseded,
            }
            for f in truth.files
        ],
        "quarantine": [dict(q.__dict__) for q in truth.quarantine],
        "investment": investment,
        "funding": {
            "lines": [ln.to_key() for ln in truth.funding_lines],
            "by_period_level_program": _funding_summary(truth.funding_lines),
            "loan_drawdowns": [d.to_key() for d in truth.drawdowns],
        },
        "indicator": {"values": [v.to_key() for v in truth.indicators]},
        "patrol": {
            "events": truth.patrol.events,
            "by_chief_level": _sorted_counter(truth.patrol.by_chief_level),
            "issues_found": truth.patrol.issues_found,
            "by_handling_status": _sorted_counter(truth.patrol.by_handling_status),
        },
        "river_issue": {
            "count": truth.river_issue.count,
            "by_category": _sorted_counter(truth.river_issue.by_category),
            "by_rectify_status": _sorted_counter(truth.river_issue.by_rectify_status),
        },
        "enforcement": {
            "cases": truth.enforcement.cases,
            "filed": truth.enforcement.filed,
            "closed": truth.enforcement.closed,
            "penalty_wan": key_wan(truth.enforcement.penalty),
            "by_violation_type": _sorted_counter(truth.enforcement.by_violation_type),
        },
        "approval": {
            "milestones": truth.approval.milestones,
            "by_status": _sorted_counter(truth.approval.by_status),
        },
        "reported_totals": reported,
    }
    return key


def write_answer_key(out_dir: Path, key: dict[str, object]) -> Path:
    path = out_dir / "answer_key.json"
    path.write_text(json.dumps(key, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path
