"""The dbt project on Apache Spark builds the same marts as on DuckDB (issue: scale-out).

Real Spark (pyspark in session mode, a local[2] master, Java 17) and real dbt-spark, from the
raw and audit tables of the published sample warehouse exchanged as Parquet. `make test-spark`
runs this file alone.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import Published
from waterwh.spark_parity import ENGINE_SPECIFIC, ParityReport, compare_mart, run_parity

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("spark")]

CONTRACT_MARTS = {
    "dim_project", "bridge_project_alias", "dim_admin_area", "dim_period", "dim_funding_source",
    "dim_indicator", "dim_river", "dim_delay_reason", "fct_investment_snapshot", "fct_funding_flow",
    "fct_indicator_value", "fct_patrol", "fct_river_issue", "fct_enforcement_case",
    "fct_approval_milestone", "fct_reported_total", "rpt_investment_summary", "rpt_funding_summary",
    "rpt_missing_ledgers",
}


@pytest.fixture(scope="module")
def parity(published: Published, tmp_path_factory: pytest.TempPathFactory) -> tuple[ParityReport, Path]:
    if shutil.which("java") is None:
        pytest.fail("Java 17 is needed for Spark (Debian: openjdk-17-jre-headless; .ci/run installs it)")
    work = tmp_path_factory.mktemp("spark")
    with pytest.MonkeyPatch.context() as env:
        # a sample county's tables fit one partition: fewer tasks per query (116 s → 100 s)
        env.setenv("WATERWH_SPARK_SHUFFLE_PARTITIONS", "1")
        # the marts are what must agree; the 309 dbt tests on Spark (another 47 s of CI) are run by
        # `python -m waterwh.spark_parity`
        return run_parity(published.settings, work, data_tests=False), work


def test_every_mart_built_on_spark_equals_duckdb(parity: tuple[ParityReport, Path]) -> None:
    report, _ = parity
    assert report.dbt_returncode == 0, report.dbt_log_tail
    built = {m.mart for m in report.marts}
    assert built >= CONTRACT_MARTS, f"marts missing from the comparison: {CONTRACT_MARTS - built}"
    differing = [m for m in report.marts if not m.equal]
    assert not differing, "\n".join(f"{m.mart}: {m.example_differences}" for m in differing)
    assert report.equal


def test_parity_compares_real_rows(parity: tuple[ParityReport, Path]) -> None:
    report, _ = parity
    assert report.exported_rows["raw.investment_ledger"] > 0
    rows = {m.mart: m for m in report.marts}
    # the sample county's facts are not empty: equality is not two empty tables agreeing
    for mart in ("fct_investment_snapshot", "fct_funding_flow", "fct_patrol", "rpt_investment_summary"):
        assert rows[mart].duckdb_rows > 0 and rows[mart].spark_rows == rows[mart].duckdb_rows
    for mart, skipped in ENGINE_SPECIFIC.items():
        assert rows[mart].skipped_columns == sorted(skipped)
    assert rows["fct_investment_snapshot"].compared_columns >= 40


def test_one_changed_figure_is_a_difference(parity: tuple[ParityReport, Path], published: Published,
                                            tmp_path: Path) -> None:
    """The comparison can fail: one count changed in Spark's output is found, both ways."""
    _, work = parity
    spark_table = work / "spark" / "warehouse" / "marts.db" / "rpt_investment_summary"
    tampered = tmp_path / "rpt_investment_summary"
    tampered.mkdir()
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * replace (case when row_number() over () = 1 then project_count + 1 "
            f"else project_count end as project_count) "
            f"from read_parquet('{spark_table}/*.parquet')) to '{tampered / 'part.parquet'}' (format parquet)"
        )
        con.execute(f"attach '{published.settings.published_path.resolve()}' as pub (read_only)")
        result = compare_mart(con, "rpt_investment_summary", tampered)
    assert not result.equal
    assert (result.only_in_duckdb, result.only_in_spark) == (1, 1)
    assert any(e.startswith("spark: ") for e in result.example_differences)
