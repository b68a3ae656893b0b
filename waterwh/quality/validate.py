"""Run the GX suites on frames read from the staging warehouse (GX's SQL path is broken on DuckDB)."""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb

from waterwh.config import Settings
from waterwh.ingest.db import connect
from waterwh.quality.results import CheckResult
from waterwh.quality.suites import Suite, severity, suites
from waterwh.warehouse import open_warehouse

__all__ = ["CheckResult", "record_passed_validation", "validate", "validate_connection"]


def _describe(res) -> tuple[str, int]:
    cfg = res.expectation_config
    kwargs = {k: v for k, v in cfg.kwargs.items() if k not in ("batch_id",)}
    target = kwargs.get("column") or kwargs.get("column_list") or (
        f"{kwargs.get('column_A')} ≥ {kwargs.get('column_B')}" if "column_A" in kwargs else "table"
    )
    r = res.result or {}
    n = int(r.get("unexpected_count") or 0)
    if not res.success and not n and "observed_value" in r:
        n = 1
    sample = r.get("partial_unexpected_list") or []
    msg = f"{cfg.type} on {target}"
    if not res.success:
        msg += f": {n} unexpected" + (f", e.g. {sample[:3]}" if sample else "")
        if "observed_value" in r:
            msg += f" (observed {r['observed_value']})"
    return msg, n


def validate(
    db_path: Path,
    previous_db: Path | None = None,
    min_row_share: float = 0.5,
    docs_dir: Path | None = None,
    run_name: str | None = None,
    *,
    settings: Settings,
) -> list[CheckResult]:
    """Every suite on frames read from `db_path`, opened for auditing with `settings`; with `docs_dir`,
    GX Data Docs of this run there."""
    con = open_warehouse(db_path, settings, "audit")
    try:
        return validate_connection(con, suites(), previous_db, min_row_share, docs_dir, run_name)
    finally:
        con.close()


def validate_connection(
    con: duckdb.DuckDBPyConnection,
    to_run: list[Suite],
    previous_db: Path | None = None,
    min_row_share: float = 0.5,
    docs_dir: Path | None = None,
    run_name: str | None = None,
) -> list[CheckResult]:
    """The given suites on frames read through `con` (which may be inside a transaction)."""
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    ctx = gx.get_context(mode="ephemeral")
    try:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    except Exception:
        pass
    if docs_dir is not None:
        ctx.add_data_docs_site(site_name=DOCS_SITE, site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        })
    source = ctx.data_sources.add_pandas("warehouse")
    out: list[CheckResult] = []
    for suite in to_run:
        if suite.expectations:
            out += _run_suite(ctx, source, con, suite, docs_dir is not None, run_name)
        if suite.watch_volume:
            out.append(_volume_check(con, previous_db, suite, min_row_share))
    if docs_dir is not None:
        ctx.build_data_docs(site_names=[DOCS_SITE])
    return out


DOCS_SITE = "waterwh"


def _checked_columns(suite: Suite) -> str:
    """The columns the suite's expectations read, as a select list."""
    needed: list[str] = []
    for exp in suite.expectations:
        kw = exp.configuration.kwargs
        for col in [kw.get("column"), kw.get("column_A"), kw.get("column_B"), *(kw.get("column_list") or [])]:
            if col and col not in needed:
                needed.append(col)
    return ", ".join(f'"{c}"' for c in needed) or "1 AS row_marker"  # row counts need no column


def _needed_columns_sql(suite: Suite, rows_sql: str) -> str:
    """The suite's query narrowed to the columns its expectations read: a province's patrol log is
    1.9 million rows, and every other column would go through pandas for nothing."""
    return f"SELECT {_checked_columns(suite)} FROM ({rows_sql}) AS suite_rows"


def _rows_to_check(con: duckdb.DuckDBPyConnection, suite: Suite) -> tuple[str, str]:
    """The suite's query, and for a by-load suite the note of which loads it reads: only those that
    have not passed this suite as now defined (audit.validated_loads, written when a run publishes)."""
    if not suite.by_load:
        return suite.sql, ""
    has_log = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND table_schema = 'audit' AND table_name = 'validated_loads'").fetchall()[0][0]
    if not has_log:
        return suite.sql, ""
    done = ("SELECT load_id FROM audit.validated_loads "
            f"WHERE suite = '{suite.name}' AND suite_fingerprint = '{suite.fingerprint()}'")
    [(new, earlier)] = con.execute(
        f"SELECT count(DISTINCT load_id) FILTER (WHERE load_id NOT IN ({done})), "
        f"count(DISTINCT load_id) FILTER (WHERE load_id IN ({done})) FROM ({suite.sql}) AS suite_rows"
    ).fetchall()
    if not earlier:
        return suite.sql, ""
    sql = f"SELECT * FROM ({suite.sql}) AS suite_rows ANTI JOIN ({done}) AS done USING (load_id)"
    return sql, f" [{new} new loads checked; {earlier} passed this suite on earlier nights]"


def record_passed_validation(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """After every suite passed: each load of each by-load suite's rows is validated under the
    suite's current fingerprint (called on the file about to be published)."""
    for suite in suites():
        if not suite.by_load:
            continue
        fp = suite.fingerprint()
        con.execute(
            f"INSERT INTO audit.validated_loads SELECT DISTINCT load_id, ?, ?, ? FROM ({suite.sql}) AS suite_rows "
            "WHERE load_id NOT IN "
            "(SELECT load_id FROM audit.validated_loads WHERE suite = ? AND suite_fingerprint = ?)",
            [suite.name, fp, run_id, suite.name, fp],
        )


def _run_suite(ctx, source, con: duckdb.DuckDBPyConnection, suite: Suite, docs: bool, run_name: str | None):
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    try:
        rows_sql, scope = _rows_to_check(con, suite)
        df = con.execute(_needed_columns_sql(suite, rows_sql)).df()
    except duckdb.Error as exc:
        return [CheckResult(suite.name, "query", "error", False, 1, f"cannot read data: {exc}")]
    asset = source.add_dataframe_asset(suite.name)
    batch = asset.add_batch_definition_whole_dataframe("all")
    gsuite = ctx.suites.add(gx.ExpectationSuite(name=suite.name))
    for exp in suite.expectations:
        copy = exp.copy()
        copy.id = None  # a suite object may be validated more than once; GX ties an expectation to one suite
        gsuite.add_expectation(copy)
    vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=suite.name, data=batch, suite=gsuite))
    # Data Docs are built once after the last suite (a docs action per checkpoint rebuilt the site each time)
    checkpoint = ctx.checkpoints.add(gx.Checkpoint(name=f"checkpoint_{suite.name}", validation_definitions=[vd],
                                                   actions=[], result_format="SUMMARY"))
    run = checkpoint.run(batch_parameters={"dataframe": df},
                         run_id=RunIdentifier(run_name=run_name) if run_name else None)
    [result] = run.run_results.values()
    out = []
    for res in result.results:
        msg, n = _describe(res)
        out.append(CheckResult(suite.name, res.expectation_config.type, severity(res.expectation_config),
                               bool(res.success), n, msg + scope))
    return out


def _volume_check(con: duckdb.DuckDBPyConnection, previous: Path | None, suite: Suite, share: float) -> CheckResult:
    """A load that drops rows by more than the set share is stopped (the first publish has nothing
    to compare with)."""
    now = con.execute(f"SELECT count(*) FROM {suite.table}").fetchall()[0][0]  # type: ignore[index]
    before = 0
    if previous is not None:
        try:
            with connect() as prev_con:
                prev_con.execute(f"ATTACH '{previous}' AS prev (READ_ONLY)")
                before = prev_con.execute(f"SELECT count(*) FROM prev.{suite.table}").fetchall()[0][0]  # type: ignore[index]
        except duckdb.Error:  # no previous publish readable, or one from before this table
            before = 0
    ok = before == 0 or now >= before * share
    msg = (f"row count {now} vs {before} at the previous publish (must stay ≥ {share:.0%})" if before
           else f"row count {now}; no previous publish of {suite.table} to compare with")
    return CheckResult(suite.name, "row_volume_vs_previous", "error", ok, 0 if ok else before - now, msg)
