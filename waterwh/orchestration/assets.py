"""Assets of the nightly job: ingest → dbt models (tests as checks) → GX checks → publish.

Every asset calls a stage of the same `NightlyRun` that `waterwh run` uses, through
`NightlyRunResource`; nothing here reimplements a stage.
"""


from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from waterwh.dbt import DbtResult, read_run_results
from waterwh.ingest.spec import load_specs
from waterwh.orchestration.resources import NightlyRunResource
from waterwh.pipeline import DBT_BUILD_ARGS, StageFailed
from waterwh.quality.suites import suites

RAW_TABLES = [*(s.table for s in load_specs()), "reported_totals"]
AUDIT_TABLES = ["ledger_versions", "file_loads", "quarantine"]
INGEST_KEYS = [dg.AssetKey(["raw", t]) for t in RAW_TABLES] + [dg.AssetKey(["audit", t]) for t in AUDIT_TABLES]

# A transient fault (a file briefly locked, a full disk freed) is worth two more tries; a data
# problem is not: those raise Failure(allow_retries=False).
RETRY = dg.RetryPolicy(max_retries=2, delay=15)


@dg.multi_asset(
    specs=[dg.AssetSpec(k, group_name="ingest", description=f"Ledger rows loaded into {'.'.join(k.path)}")
           for k in INGEST_KEYS],
    can_subset=False,
    retry_policy=RETRY,
    description="Read every new or changed ledger in the landing folder into the raw layer of the staging file.",
)
def ingest_ledgers(context: AssetExecutionContext, nightly: NightlyRunResource) -> Iterator[dg.MaterializeResult]:
    try:
        files = nightly.run.ingest()
    except StageFailed as exc:
        nightly.run.fail(exc)
        raise dg.Failure(str(exc), allow_retries=False) from exc
    rows: dict[str, int] = defaultdict(int)
    for f in files:
        for s in f.sheets:
            if s.ledger_type:
                rows[s.ledger_type] += s.rows_loaded
    by_table = {s.table: rows.get(s.ledger_type, 0) for s in load_specs()}
    status = defaultdict(int)
    for f in files:
        status[f.status] += 1
    for key in INGEST_KEYS:
        meta: dict[str, Any] = {"files": len(files), **{f"files_{k}": v for k, v in status.items()}}
        if key.path[0] == "raw" and key.path[1] in by_table:
            meta["rows_loaded_this_run"] = by_table[key.path[1]]
        yield dg.MaterializeResult(asset_key=key, metadata=meta)


class WaterwhDbtTranslator(DagsterDbtTranslator):
    """dbt sources are the ingest assets (raw.* and audit.*); models keep [schema, name]."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] in ("seed", "snapshot"):
            return dbt_resource_props["resource_type"] + "s"
        return dbt_resource_props.get("config", {}).get("schema") or "dbt"


def build_dbt_assets(manifest: Path) -> dg.AssetsDefinition:
    @dbt_assets(manifest=manifest, dagster_dbt_translator=WaterwhDbtTranslator(), retry_policy=RETRY)
    def waterwh_dbt(context: AssetExecutionContext, dbt: DbtCliResource, nightly: NightlyRunResource):
        settings = nightly.settings
        target = settings.home / "dbt" / "target"
        invocation = dbt.cli(list(DBT_BUILD_ARGS), context=context, raise_on_error=False, target_path=target)
        yield from invocation.stream()
        returncode = invocation.process.wait()
        error = invocation.get_error()
        # read back the way the command line's run is: the same results feed the same gate
        result = DbtResult(returncode, read_run_results(target / "run_results.json"),
                           str(error)[-4000:] if error else "")
        try:
            nightly.run.record_dbt(result)
        except StageFailed as exc:
            nightly.run.fail(exc)
            raise  # dbt itself broke: retried
        failed = nightly.run.result.checks_failed
        if failed:
            lines = "\n".join(f"✗ {c.name}: {c.message}" for c in failed[:20])
            raise dg.Failure(f"dbt tests failed; the warehouse will not be published:\n{lines}", allow_retries=False)

    return waterwh_dbt


GX_SUITES = suites()
VALIDATED = dg.AssetKey(["validated_warehouse"])


def build_validation_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The staging build as Great Expectations saw it, with one blocking check per suite.

    The checks sit on this asset rather than on the marts they read: a blocking check on a mart
    would have to run in the middle of the one dbt step that builds it and the models below it.
    """

    @dg.asset(
        key=VALIDATED,
        deps=upstream,
        group_name="audit",
        check_specs=[
            dg.AssetCheckSpec(
                f"gx_{s.name}", asset=VALIDATED, blocking=True,
                description=f"Great Expectations suite {s.name} on {s.table}: errors block publishing, "
                "warnings are reported",
            )
            for s in GX_SUITES
        ],
        description="The staging warehouse validated by the Great Expectations suites (frames read from the "
        "staging file); Data Docs under $WATERWH_HOME/reports/gx/<run>/.",
    )
    def validated_warehouse(nightly: NightlyRunResource) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        found = nightly.run.validate()
        by_suite = defaultdict(list)
        for c in found:
            by_suite[c.suite].append(c)
        docs = nightly.run.result.data_docs
        yield dg.MaterializeResult(metadata={
            "expectations": len(found),
            "failed": sum(1 for c in found if not c.passed and c.severity == "error"),
            "warnings": sum(1 for c in found if not c.passed and c.severity == "warn"),
            "data_docs": str(docs) if docs else "",
        })
        for s in GX_SUITES:
            checks = by_suite.get(s.name, [])
            errors = [c for c in checks if not c.passed and c.severity == "error"]
            warnings = [c for c in checks if not c.passed and c.severity == "warn"]
            yield dg.AssetCheckResult(
                asset_key=VALIDATED,
                check_name=f"gx_{s.name}",
                passed=bool(checks) and not errors and not warnings,
                severity=dg.AssetCheckSeverity.ERROR if errors or not checks else dg.AssetCheckSeverity.WARN,
                metadata={
                    "table": s.table,
                    "expectations": len(checks),
                    "failed": len(errors),
                    "warnings": len(warnings),
                    "problems": dg.MetadataValue.md(
                        "\n".join(f"- {c.message}" for c in errors + warnings) or "none"),
                },
            )

    return validated_warehouse


def build_publish_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(["published_warehouse"]),
        deps=upstream,
        group_name="publish",
        description="Atomically publish the staging file as $WATERWH_HOME/warehouse/waterwh.duckdb, "
        "only if every blocking check of this run passed.",
    )
    def published_warehouse(nightly: NightlyRunResource) -> dg.MaterializeResult:
        run = nightly.run
        if not run.publish():
            raise dg.Failure(run.result.message, allow_retries=False)
        r = run.result
        return dg.MaterializeResult(
            metadata={
                "run_id": r.run_id,
                "path": str(r.published_path),
                "checks_passed": sum(1 for c in r.checks if c.passed),
                "warnings": len(r.checks_warned),
                **{k: str(v) for k, v in r.headline.items()},
            }
        )

    return published_warehouse
