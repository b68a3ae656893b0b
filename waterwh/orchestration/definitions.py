"""Dagster definitions for waterwh: `dagster dev -m waterwh.orchestration.definitions` (see `make serve`)."""

from __future__ import annotations

import dagster as dg
from dagster_dbt import DbtCliResource

from waterwh.config import Settings
from waterwh.dbt import dbt_env, dbt_executable
from waterwh.orchestration.assets import build_dbt_assets, build_publish_asset, build_validation_asset, ingest_ledgers
from waterwh.orchestration.manifest import ensure_manifest
from waterwh.orchestration.resources import NightlyRunResource
from waterwh.orchestration.sensors import build_failure_sensor, build_landing_sensor, build_schedule


def build_definitions(settings: Settings) -> dg.Definitions:
    # dagster-dbt runs dbt with the process environment: the core's, for the build file (fixed per home)
    import os

    os.environ.update(dbt_env(settings, settings.staging_db))
    dbt_defs = build_dbt_assets(ensure_manifest(settings))
    validated = build_validation_asset(list(dbt_defs.keys))
    publish = build_publish_asset([validated.key])
    # One process for the whole run: the steps share one open NightlyRun (lock, staging file).
    job = dg.define_asset_job(
        "nightly", selection=dg.AssetSelection.all(), executor_def=dg.in_process_executor,
        description="Ingest → dbt build (tests as checks) → Great Expectations → publish.",
        tags={"waterwh/job": "nightly"},
    )
    home = str(settings.home)
    return dg.Definitions(
        assets=[ingest_ledgers, dbt_defs, validated, publish],
        jobs=[job],
        schedules=[build_schedule(job, str(settings.timezone))],
        sensors=[build_landing_sensor(job, home), build_failure_sensor(job, home)],
        resources={
            "nightly": NightlyRunResource(home=home),
            "dbt": DbtCliResource(
                project_dir=str(settings.dbt_project_dir), profiles_dir=str(settings.dbt_project_dir),
                dbt_executable=dbt_executable(), global_config_flags=["--no-use-colors"],
            ),
        },
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    """Loaded by Dagster when it loads the code location (not on import: importing this module
    must not run `dbt parse`)."""
    return build_definitions(Settings.from_env())
