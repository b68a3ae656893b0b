"""Every blocking Great Expectations rule fires: each is broken on a copy of a real build and must fail.

The rules are enumerated from `waterwh.quality.suites`, so a new blocking rule is tested without a new
test, and a rule that cannot fire (a typo in a column name, a suite query that hides the bad rows)
fails here. How a rule is broken follows from its kind; rules on computed columns name their breakage
in BREAK_COMPUTED. The refusal itself (exit code, message, untouched published file) is tested end
to end in test_e2e.py, test_dbt_models.py and test_orchestration.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import Published
from waterwh import pipeline
from waterwh.quality.suites import Suite, severity, suites
from waterwh.quality.validate import CheckResult, validate_connection

pytestmark = [pytest.mark.e2e]

# Columns that exist only in a suite's query: the change to the stored table that breaks them.
BREAK_COMPUTED = {
    ("investment_summary_matches_snapshot", "count_difference"):
        "UPDATE marts.rpt_investment_summary SET project_count = project_count + 1 WHERE grouping = 'all'",
    ("investment_summary_matches_snapshot", "amount_difference"):
        "UPDATE marts.rpt_investment_summary SET ytd_completed_wan = ytd_completed_wan + 1 WHERE grouping = 'all'",
    ("funding_summary_matches_flow", "amount_difference"):
        "UPDATE marts.rpt_funding_summary SET allocated_wan = allocated_wan + 1 WHERE allocated_wan IS NOT NULL",
}


def _target(exp: Any) -> str:
    kw = exp.configuration.kwargs
    if "column_A" in kw:
        return f"{kw['column_A']} ≥ {kw['column_B']}"
    return str(kw.get("column") or kw.get("column_list") or "table")


def blocking_rules() -> list[tuple[Suite, Any]]:
    return [(s, e) for s in suites() for e in s.expectations if severity(e) == "error"]


def _breakage(suite: Suite, exp: Any) -> list[str]:
    """SQL that makes `exp` false on the suite's table."""
    t, kw, kind = suite.table, exp.configuration.kwargs, exp.expectation_type
    col = kw.get("column")
    if (suite.name, _target(exp)) in BREAK_COMPUTED:
        sql = BREAK_COMPUTED[(suite.name, _target(exp))]
    elif kind == "expect_column_values_to_not_be_null":
        sql = f'UPDATE {t} SET "{col}" = NULL'
    elif kind == "expect_column_values_to_be_in_set":
        sql = f"UPDATE {t} SET \"{col}\" = 'not_a_known_code'"
    elif kind in ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"):
        sql = f"INSERT INTO {t} SELECT * FROM {t}"
    elif kind == "expect_column_values_to_be_between" and kw.get("min_value") is not None:
        low = kw["min_value"] if kw.get("strict_min") else kw["min_value"] - 1
        sql = f'UPDATE {t} SET "{col}" = {low} WHERE "{col}" IS NOT NULL'
    elif kind == "expect_column_values_to_be_between":
        sql = f'UPDATE {t} SET "{col}" = {kw["max_value"]} + 1 WHERE "{col}" IS NOT NULL'
    elif kind == "expect_table_row_count_to_be_between":
        sql = f"DELETE FROM {t}"
    else:
        raise AssertionError(f"no way to break {kind} on {suite.name}: add it to BREAK_COMPUTED")
    # a copy of the table without its constraints, so the bad value can be written at all
    stmts = [f"CREATE OR REPLACE TABLE {t} AS SELECT * FROM {t}", sql]
    if suite.by_load:  # every load of the build passed already: the bad rows must come in a new one
        stmts.append(f"DELETE FROM audit.validated_loads WHERE load_id = (SELECT min(load_id) FROM {t})")
    return stmts


def validated_after(con: duckdb.DuckDBPyConnection, changes: list[str], to_run: list[Suite],
                    **options: Any) -> list[CheckResult]:
    """The suites' results on the build with `changes` made, then rolled back."""
    con.begin()
    try:
        for sql in changes:
            con.execute(sql)
        return validate_connection(con, to_run, **options)
    finally:
        con.rollback()


@pytest.fixture(scope="module")
def build(published: Published, tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    copy = tmp_path_factory.mktemp("gate") / "build.duckdb"
    shutil.copyfile(published.settings.published_path.resolve(), copy)
    con = duckdb.connect(str(copy))
    yield con
    con.close()


def test_a_clean_build_passes_every_blocking_rule(build: duckdb.DuckDBPyConnection) -> None:
    failed = [c for c in validate_connection(build, suites()) if not c.passed and c.severity == "error"]
    assert failed == []


def test_every_suite_has_blocking_rules() -> None:
    rules = blocking_rules()
    assert len(rules) > 90  # raw suites from the specs, volume, reconciliation
    # a suite without a blocking expectation watches its table's volume, a blocking rule of its own
    assert {s.name for s, _ in rules} | {s.name for s in suites() if s.watch_volume} == {s.name for s in suites()}


@pytest.mark.parametrize(
    ("suite", "exp"), blocking_rules(), ids=[f"{s.name}:{e.expectation_type}:{_target(e)}" for s, e in blocking_rules()]
)
def test_breaking_the_rule_fails_it(build: duckdb.DuckDBPyConnection, suite: Suite, exp: Any) -> None:
    found = validated_after(build, _breakage(suite, exp), [suite])
    target = _target(exp)
    mine = [c for c in found if c.name == exp.expectation_type and c.message.startswith(f"{c.name} on {target}")]
    assert len(mine) == 1, [c.message for c in found]
    [check] = mine
    assert not check.passed and check.severity == "error"
    assert check.failures >= 1 and target in check.message and ("unexpected" in check.message)


def test_raw_suites_check_each_load_once_per_definition(build: duckdb.DuckDBPyConnection) -> None:
    """Raw rows never change once loaded: a night reads the loads a suite has not passed yet, and a
    changed suite reads every load again."""
    [suite] = [s for s in suites() if s.name == "raw_patrol"]
    loads = build.execute("SELECT count(DISTINCT load_id) FROM raw.patrol_log").fetchall()[0][0]
    assert loads > 1
    found = validate_connection(build, [suite])
    assert all(c.passed for c in found)
    assert all(f"[0 new loads checked; {loads} passed this suite on earlier nights]" in c.message for c in found)

    found = validated_after(build, [  # a new load with a null where the spec requires a value: read, and it fails
        "CREATE OR REPLACE TABLE raw.patrol_log AS SELECT * FROM raw.patrol_log",
        "INSERT INTO raw.patrol_log SELECT * REPLACE ('L-NEW' AS load_id, NULL AS river_name) "
        "FROM raw.patrol_log LIMIT 3",
    ], [suite])
    [river] = [c for c in found if c.message.startswith("expect_column_values_to_not_be_null on river_name")]
    assert not river.passed and river.failures == 3
    assert f"[1 new loads checked; {loads} passed" in river.message

    changed = Suite(suite.name, suite.table, suite.sql, suite.expectations[:-1], by_load=True)
    assert changed.fingerprint() != suite.fingerprint()
    found = validate_connection(build, [changed])
    assert all(c.passed and "new loads checked" not in c.message for c in found)


def test_a_sharp_drop_in_rows_against_the_previous_publish_is_blocking(
    build: duckdb.DuckDBPyConnection, published: Published
) -> None:
    previous = published.settings.published_path.resolve()
    watched = [s for s in suites() if s.watch_volume]
    assert {s.table for s in watched} >= {"marts.fct_investment_snapshot", "marts.fct_patrol"}
    for suite in watched:
        [volume] = [c for c in validate_connection(build, [suite], previous_db=previous, min_row_share=0.5)
                    if c.name == "row_volume_vs_previous"]
        assert volume.passed and "at the previous publish" in volume.message, volume
        found = validated_after(build, [f"DELETE FROM {suite.table} WHERE rowid % 3 <> 0"],  # two thirds gone
                                [suite], previous_db=previous, min_row_share=0.5)
        [volume] = [c for c in found if c.name == "row_volume_vs_previous"]
        assert not volume.passed and volume.severity == "error", volume
        assert "at the previous publish" in volume.message


def test_the_first_publish_has_no_volume_to_compare_with(build: duckdb.DuckDBPyConnection) -> None:
    for suite in [s for s in suites() if s.watch_volume]:
        [volume] = [c for c in validate_connection(build, [suite]) if c.name == "row_volume_vs_previous"]
        assert volume.passed and "no previous publish" in volume.message, volume


def test_refusal_names_the_rules_that_failed(published: Published, tmp_path: Path) -> None:
    """The gate's message (what `waterwh run` prints and the run report shows) lists each failed rule."""
    settings = published.copy_home(tmp_path / "home")
    before = settings.published_path.resolve()
    with pipeline.NightlyRun(settings, notify=False) as nightly:
        nightly.result.checks = [
            CheckResult("patrol", "expect_column_values_to_be_in_set", "error", False, 3,
                        "expect_column_values_to_be_in_set on chief_level: 3 unexpected, e.g. ['x']"),
            CheckResult("patrol", "expect_column_values_to_not_be_null", "warn", False, 1, "only a warning"),
        ]
        nightly.stages_done |= {"ingest", "build", "validate"}
        assert nightly.publish() is False
    r = nightly.result
    assert (r.outcome, r.published) == ("failed_checks", False)
    assert "[patrol] expect_column_values_to_be_in_set: expect_column_values_to_be_in_set on chief_level" in r.message
    assert "only a warning" not in r.message
    assert settings.published_path.resolve() == before
    assert r.report_path is not None and "chief_level" in r.report_path.read_text(encoding="utf-8")
