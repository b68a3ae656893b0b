"""End to end for the other five ledger types: the published marts equal answer_key.json.

The investment ledger has its own file (test_e2e.py); these share its one real nightly run.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import Published
from tests.test_e2e import near, q

PROJECT_ROOT = Path(__file__).resolve().parents[1]  # the checkout

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_funding_summary_equals_answer_key(published: Published) -> None:
    fields = ["allocated_wan", "received_wan", "spent_wan", "receipt_rate", "spend_rate"]
    rows = q(
        published,
        f"SELECT report_period_end, fund_level, fund_program, {', '.join(fields)} FROM marts.rpt_funding_summary",
    )
    got = {(str(r[0]), r[1], r[2]): dict(zip(fields, r[3:], strict=True)) for r in rows}
    want = published.answer["funding"]["by_period_level_program"]
    assert want, "answer key has no funding summary"
    # The EUR loan has its own row with the drawdown in 万元 and no CNY flows (the key lists it apart).
    loans = q(
        published,
        "SELECT report_period_end, fund_program, drawdown_wan, allocated_wan, received_wan, spent_wan "
        "FROM marts.rpt_funding_summary WHERE fund_level = 'loan'",
    )
    drawdowns = published.answer["funding"]["loan_drawdowns"]
    assert len(loans) == len(drawdowns) == 1 and loans[0][3:] == (None, None, None)
    assert near(loans[0][2], drawdowns[0]["amount_wan"], 2)
    del got[(str(loans[0][0]), "loan", loans[0][1])]
    assert set(got) == {(w["report_period_end"], w["fund_level"], w["fund_program"]) for w in want}
    for w in want:
        have = got[(w["report_period_end"], w["fund_level"], w["fund_program"])]
        for f in fields:
            places = 6 if f.endswith("rate") else 2
            assert near(have[f], w[f], places), f"{w['report_period_end']} {w['fund_program']} {f}: {have[f]} != {w[f]}"


def test_funding_lines_become_one_event_per_stated_amount(published: Published) -> None:
    lines = [x for x in published.answer["funding"]["lines"] if x["currency"] == "CNY"]
    rows = q(
        published,
        "SELECT report_period_end, fund_program, project_name, event_type, amount_wan "
        "FROM marts.fct_funding_flow WHERE currency = 'CNY'",
    )
    got = Counter((str(r[0]), r[1], r[2], r[3], round(float(r[4]), 2)) for r in rows)
    want: Counter[tuple] = Counter()
    for x in lines:
        for event in ("allocated", "received", "spent"):
            if x[f"{event}_wan"] is not None:
                want[(x["period_end"], x["fund_program"], x["project_name"], event, x[f"{event}_wan"])] += 1
    assert got == want


def test_eur_loan_drawdown_keeps_original_amount_and_rate(published: Published) -> None:
    rows = q(
        published,
        "SELECT amount_original, currency, fx_rate, amount_wan, event_date, event_type, fund_level "
        "FROM marts.fct_funding_flow WHERE currency <> 'CNY'",
    )
    want = published.answer["funding"]["loan_drawdowns"]
    assert len(rows) == len(want) == 1
    (orig, currency, rate, wan, date, event, level), w = rows[0], want[0]
    assert (currency, event, level, str(date)) == (w["currency"], "drawdown", "loan", w["event_date"])
    assert near(orig, w["amount_original"], 2) and near(rate, w["fx_rate"], 4) and near(wan, w["amount_wan"], 2)


def _nfkc(s: str | None) -> str | None:
    return None if s is None else unicodedata.normalize("NFKC", s)


def test_indicator_values_equal_answer_key(published: Published) -> None:
    rows = q(
        published,
        "SELECT indicator_name, area_name, period_start, period_end, unit, target_value, actual_value, "
        "qualifier, direction FROM marts.fct_indicator_value",
    )
    got = {(r[0], r[1], str(r[2]), str(r[3])): r[4:] for r in rows}
    want = published.answer["indicator"]["values"]
    assert len(rows) == len(got) == len(want)
    for w in want:
        key = (w["indicator_name"], w["area_name"], w["period_start"], w["period_end"])
        assert key in got, f"missing indicator value {key}"
        unit, target, actual, qualifier, direction = got[key]
        assert _nfkc(unit) == _nfkc(w["unit"]), key
        assert near(target, w["target_value"], 4) and near(actual, w["actual_value"], 4), key
        assert (qualifier, direction) == (w["qualifier"], w["direction"]), key


def test_patrols_equal_answer_key(published: Published) -> None:
    want = published.answer["patrol"]
    [(events, issues)] = q(published, "SELECT count(*), sum(issues_found) FROM marts.fct_patrol")
    assert (events, issues) == (want["events"], want["issues_found"])
    by_level = dict(q(published, "SELECT chief_level, count(*) FROM marts.fct_patrol GROUP BY 1"))
    assert by_level == want["by_chief_level"]
    by_status = dict(
        q(
            published,
            "SELECT handling_status, count(*) FROM marts.fct_patrol "
            "WHERE issues_found > 0 AND handling_status IS NOT NULL GROUP BY 1",
        )
    )
    assert by_status == want["by_handling_status"]


def test_river_issues_equal_answer_key(published: Published) -> None:
    want = published.answer["river_issue"]
    [(n, distinct_ids)] = q(published, "SELECT count(*), count(DISTINCT issue_id) FROM marts.fct_river_issue")
    assert n == distinct_ids == want["count"]
    assert dict(q(published, "SELECT category, count(*) FROM marts.fct_river_issue GROUP BY 1")) == want["by_category"]
    assert (
        dict(q(published, "SELECT rectify_status, count(*) FROM marts.fct_river_issue GROUP BY 1"))
        == want["by_rectify_status"]
    )


def test_enforcement_cases_equal_answer_key(published: Published) -> None:
    want = published.answer["enforcement"]
    [(cases, filed, closed, penalty)] = q(
        published,
        "SELECT count(*), count(*) FILTER (WHERE filed), count(*) FILTER (WHERE closed), sum(penalty_wan) "
        "FROM marts.fct_enforcement_case",
    )
    assert (cases, filed, closed) == (want["cases"], want["filed"], want["closed"])
    assert near(penalty, want["penalty_wan"], 2)
    by_type = dict(q(published, "SELECT violation_type, count(*) FROM marts.fct_enforcement_case GROUP BY 1"))
    assert by_type == want["by_violation_type"]


def test_approval_milestones_equal_answer_key(published: Published) -> None:
    want = published.answer["approval"]
    [(n,)] = q(published, "SELECT count(*) FROM marts.fct_approval_milestone")
    assert n == want["milestones"]
    by_status = dict(q(published, "SELECT status, count(*) FROM marts.fct_approval_milestone GROUP BY 1"))
    assert by_status == want["by_status"]


def test_reported_totals_of_current_ledgers_equal_answer_key(published: Published) -> None:
    want = published.answer["reported_totals"]
    rows = q(
        published,
        "SELECT source_file, source_row, measure, reported_value, computed_value, matches "
        "FROM marts.fct_reported_total WHERE is_current_version",
    )
    got = {(r[0], r[1], r[2]): r[3:] for r in rows}
    assert len(rows) == len(got) == want["count"]
    assert len({(r[0], r[1]) for r in rows}) == want["rows"]
    for e in want["entries"]:
        reported, computed, _ = got[(e["path"], e["row_number"], e["measure"])]
        assert near(reported, e["reported_value"], 2), e
        assert near(computed, e["computed_value"], 2), e
    mismatches = {(r[0], r[1], r[2]) for r in rows if not r[5]}
    assert mismatches == {(m["path"], m["row_number"], m["measure"]) for m in want["mismatches"]}


def test_every_query_in_the_analysts_guide_runs(published: Published) -> None:
    import re


    text = (PROJECT_ROOT / "docs" / "analysts.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sql\n(.*?)```", text, flags=re.S)
    statements = [s.strip() for b in blocks for s in b.split(";") if s.strip()]
    statements = [s for s in statements if any(not line.startswith("--") for line in s.splitlines())]
    assert len(statements) >= 12
    for sql in statements:
        q(published, sql)  # raises on any error


def test_two_departments_ledgers_of_one_county_and_half_year_stay_current(published: Published) -> None:
    """The 水资源科's and the 水保站's indicator ledgers share type, county and half-year: neither is a
    version of the other (one used to replace the other silently), so both are current and the run
    report names the correction that did supersede its original, and no conflict."""
    both = q(published, "SELECT ledger_key, list_sort(list(file_name)) FROM audit.ledger_versions "
                        "WHERE is_current AND ledger_type = 'indicator' GROUP BY 1 HAVING count(*) > 1")
    assert both and all(len(files) == 2 and any("水土保持" in f for f in files) for _, files in both)
    assert q(published, "SELECT count(*) FROM marts.rpt_conflicting_reports") == [(0,)]
    report = (published.settings.reports_dir / "latest-run.md").read_text(encoding="utf-8")
    [superseding] = [f for f in published.result.files if f.supersedes]
    assert "## 更正与替代（1）" in report and superseding.file_name in report
    assert "替代「" in superseding.supersedes[0] and "## 数据冲突（0）" in report
