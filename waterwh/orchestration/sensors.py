"""When the nightly job runs: 02:00 Asia/Shanghai, and whenever a new or changed ledger lands.

The landing sensor deduplicates by content: a file is new when its sha256 is neither in the
sensor's cursor nor among the files the published warehouse already loaded. Hashes are cached
per (path, size, mtime) so an unchanged landing folder costs a directory walk, not a read.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import dagster as dg
import duckdb

from waterwh.config import Settings
from waterwh.ingest.files import discover
from waterwh.ingest.readers import readable, sha256_of
from waterwh.notify import notify
from waterwh.pipeline import read_run_log
from waterwh.warehouse import open_warehouse

NIGHTLY_CRON = "0 2 * * *"
# A file still being copied into the landing folder is left for the next tick.
SETTLE_SECONDS = 10


def published_hashes(settings: Settings) -> set[str]:
    path = settings.published_path
    if not path.exists():
        return set()
    try:
        con = open_warehouse(path, settings, "read")
    except duckdb.Error:
        return set()  # being swapped right now: the cursor still deduplicates
    try:
        return {r[0] for r in con.execute("SELECT DISTINCT sha256 FROM audit.file_loads").fetchall()}
    except duckdb.Error:
        return set()
    finally:
        con.close()


def scan_landing(settings: Settings, cursor: dict[str, list], now: float) -> tuple[dict[str, list], list[Path]]:
    """(new cursor, files whose content was never seen). Cursor: path → [size, mtime_ns, sha256]."""
    landing = settings.landing_dir
    if not landing.exists():
        return cursor, []
    seen = {entry[2] for entry in cursor.values()}
    state: dict[str, list] = {}
    candidates: list[tuple[Path, str]] = []
    for f in discover([landing]):
        st = f.stat()
        if now - st.st_mtime < SETTLE_SECONDS:
            continue
        key = readable(f.relative_to(landing).as_posix())  # text even for a GBK name
        old = cursor.get(key)
        sha = old[2] if old and old[0] == st.st_size and old[1] == st.st_mtime_ns else sha256_of(f)
        state[key] = [st.st_size, st.st_mtime_ns, sha]
        if sha not in seen:
            candidates.append((f, sha))
    loaded = published_hashes(settings) if candidates else set()
    # the same content twice in one tick (a copy under another name) is one new file
    new = list({sha: f for f, sha in candidates if sha not in loaded}.values())
    return state, new


def build_landing_sensor(job: dg.JobDefinition, home: str) -> dg.SensorDefinition:
    @dg.sensor(job=job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
               description="Starts the nightly job when a new or changed ledger arrives in the landing folder.")
    def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        settings = Settings.from_env(home)
        cursor = json.loads(context.cursor) if context.cursor else {}
        state, new = scan_landing(settings, cursor, time.time())
        requests = []
        if new:
            digest = hashlib.sha256("".join(sorted(sha256_of(f) for f in new)).encode()).hexdigest()[:16]
            names = ", ".join(sorted(readable(f.name) for f in new))[:500]
            requests.append(dg.RunRequest(run_key=f"landing-{digest}", tags={"waterwh/trigger": "landing",
                                                                             "waterwh/new_files": names}))
        # keep forgotten (deleted) files' hashes so a re-sent copy of an old file stays deduplicated
        merged = {**cursor, **state}
        return dg.SensorResult(run_requests=requests, cursor=json.dumps(merged, ensure_ascii=False))

    return landing_sensor


def build_schedule(job: dg.JobDefinition, timezone: str) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="nightly_schedule", job=job, cron_schedule=NIGHTLY_CRON, execution_timezone=timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING, description="The nightly load at 02:00 (Asia/Shanghai).",
    )


def report_for(settings: Settings, dagster_run_id: str) -> Path | None:
    found = sorted(settings.reports_dir.glob(f"run-*-{dagster_run_id[:8]}.md"))
    return found[-1] if found else None


def notify_dagster_failure(settings: Settings, dagster_run_id: str, job_name: str, error: str) -> dict[str, object]:
    """Notify with what the pipeline itself recorded for the run (why it refused), then Dagster's error."""
    report = report_for(settings, dagster_run_id)
    run_id = report.stem.removeprefix("run-") if report else dagster_run_id
    logged = [e for e in read_run_log(settings) if e.get("run_id") == run_id]
    why = str(logged[-1]["message"]) if logged else ""
    subject = f"waterwh 夜间运行失败，未发布（Dagster 运行 {dagster_run_id[:8]}，作业 {job_name}）"
    body = "\n\n".join(t for t in (why.strip(), error.strip()) if t) or "运行失败"
    body = body[:3000] + f"\n\n已发布的数据仓库保持不变：{settings.published_path}"
    return notify(settings, run_id, subject, body, report)


def build_failure_sensor(job: dg.JobDefinition, home: str) -> dg.SensorDefinition:
    @dg.run_failure_sensor(monitored_jobs=[job], default_status=dg.DefaultSensorStatus.RUNNING,
                           description="Sends the run report of a failed nightly run to the configured sinks.")
    def nightly_failure_notification(context: dg.RunFailureSensorContext) -> None:
        error = context.failure_event.message or ""
        for step_event in context.get_step_failure_events():
            if step_event.event_specific_data and step_event.event_specific_data.error:
                error += "\n" + step_event.event_specific_data.error.message
        notify_dagster_failure(Settings.from_env(home), context.dagster_run.run_id, job.name, error)

    return nightly_failure_notification
