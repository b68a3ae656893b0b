"""The nightly job: ingest → dbt build → audit → publish. One core for the CLI and Dagster."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from expectations.validate import CheckResult
from ingest.files import ingest_paths
from ingest.loader import FileResult
from ingest.periods import Period
from ingest.schema import ensure_schema
from waterwh import publish as pub
from waterwh.config import PROJECT_ROOT, Settings
from waterwh.dbt import DbtResult, run_dbt


class StageFailed(Exception):
    """A stage refused to go on; the message says what and where."""


@dataclass
class RunResult:
    run_id: str
    started_at: datetime
    finished_at: datetime | None = None
    outcome: str = "running"  # published, failed_checks, failed_build, failed_ingest, no_data, error
    published: bool = False
    published_path: Path | None = None
    files: list[FileResult] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    message: str = ""
    headline: dict[str, object] = field(default_factory=dict)

    @property
    def checks_failed(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed and c.severity == "error"]

    @property
    def checks_warned(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed and c.severity == "warn"]


def code_version() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=False,
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def new_run_id(now: datetime) -> str:
    return f"R{now:%Y%m%dT%H%M%S%f}"


Hook = Callable[[str], None]


def run(
    settings: Settings,
    landing: Path | None = None,
    period: Period | None = None,
    on_stage: Hook | None = None,
    on_file: Callable[[FileResult], None] | None = None,
) -> RunResult:
    """Run the nightly job once. Never raises for data problems: see `RunResult.outcome`."""
    landing = landing or settings.landing_dir
    stage = on_stage or (lambda _s: None)
    now = datetime.now(settings.timezone).replace(tzinfo=None)
    result = RunResult(new_run_id(now), now)
    with pub.run_lock(settings):
        pub.clean_staging(settings)
        settings.staging_dir.mkdir(parents=True, exist_ok=True)
        staging = settings.staging_dir / f"{result.run_id}.duckdb"
        previous = pub.current_version(settings)
        try:
            stage("prepare")
            if previous is not None:
                shutil.copyfile(previous, staging)
            stage("ingest")
            _ingest(settings, staging, landing, period, result, on_file)
            stage("build")
            # unit tests check code, not data: CI runs them; the nightly build checks the data
            dbt = run_dbt(settings, staging, "build", "--exclude", "test_type:unit")
            result.checks += _dbt_checks(dbt)
            if dbt.returncode != 0 and not any(not c.passed for c in result.checks):
                raise StageFailed(f"dbt build failed:\n{dbt.log_tail}")
            stage("validate")
            if not result.checks_failed:
                from expectations.validate import validate

                result.checks += validate(staging, previous, settings.min_row_share_vs_previous)
            if result.checks_failed:
                result.outcome = "failed_checks"
                lines = [f"  ✗ [{c.suite}] {c.name}: {c.message}" for c in result.checks_failed[:20]]
                result.message = "publishing refused: blocking checks failed\n" + "\n".join(lines)
                return result
            stage("record")
            result.headline = headline(staging)
            result.outcome = "published"
            result.published = True
            _record_run(settings, staging, result)
            stage("publish")
            result.published_path = pub.publish(settings, staging, result.run_id)
            stage("done")
            return result
        except StageFailed as exc:
            result.outcome = result.outcome if result.outcome != "running" else "failed_build"
            result.message = str(exc)
            return result
        finally:
            result.finished_at = datetime.now(settings.timezone).replace(tzinfo=None)
            if not result.published:
                _log_run(settings, result)
                staging.unlink(missing_ok=True)


def _ingest(
    settings: Settings,
    staging: Path,
    landing: Path,
    period: Period | None,
    result: RunResult,
    on_file: Callable[[FileResult], None] | None,
) -> None:
    if not landing.exists():
        raise StageFailed(f"landing folder {landing} does not exist (put ledgers there or pass --landing)")
    con = duckdb.connect(str(staging))
    try:
        ensure_schema(con)
        result.files = ingest_paths(
            con, [landing], max_file_bytes=settings.max_file_bytes, run_id=result.run_id,
            period=period, roots=[landing], on_file=on_file,
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _dbt_checks(dbt: DbtResult) -> list[CheckResult]:
    out = []
    for n in dbt.nodes:
        name = n.unique_id.split(".", 2)[-1]
        if n.is_check:
            passed = n.status in ("pass", "success")
            severity = "warn" if n.status == "warn" else "error"
            out.append(CheckResult(f"dbt {n.resource_type}", name, severity, passed, n.failures, n.message or n.status))
        elif n.blocking_failure:
            out.append(CheckResult(f"dbt {n.resource_type}", name, "error", False, 1, n.message or n.status))
    return out


def headline(db: Path) -> dict[str, object]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            """
            SELECT report_period_end, project_count, total_investment_wan, annual_plan_wan,
                   ytd_completed_wan, ytd_completion_rate, start_rate, on_schedule_count,
                   behind_schedule_count
            FROM marts.rpt_investment_summary
            WHERE grouping = 'all'
            ORDER BY report_period_end DESC LIMIT 1
            """
        ).fetchall()
        row = row[0] if row else None
    except duckdb.Error:
        row = None
    finally:
        con.close()
    if row is None:
        return {}
    keys = ["report_period_end", "project_count", "total_investment_wan", "annual_plan_wan",
            "ytd_completed_wan", "ytd_completion_rate", "start_rate", "on_schedule_count",
            "behind_schedule_count"]
    return dict(zip(keys, row, strict=True))


def _run_row(result: RunResult) -> list[object]:
    return [
        result.run_id, result.started_at, result.finished_at or datetime.now(), result.outcome,
        result.published, sum(1 for c in result.checks if c.passed), len(result.checks_failed),
        len(result.checks_warned), len(result.files),
        sum(1 for f in result.files if f.status in ("loaded", "partial")),
        sum(f.total("rows_loaded") for f in result.files),
        sum(f.total("rows_quarantined") for f in result.files), code_version(), result.message[:2000],
    ]


def _record_run(settings: Settings, staging: Path, result: RunResult) -> None:
    """audit.runs and audit.check_results in the file about to be published.

    Runs that failed since the last publish are in runs.jsonl; they are carried in too so the
    published history shows them.
    """
    con = duckdb.connect(str(staging))
    try:
        known = {r[0] for r in con.execute("SELECT run_id FROM audit.runs").fetchall()}
        for past in _read_log(settings):
            if past["run_id"] not in known:
                con.execute(
                    "INSERT INTO audit.runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [past[k] for k in RUN_LOG_KEYS],
                )
        result.finished_at = datetime.now(settings.timezone).replace(tzinfo=None)
        con.execute("INSERT INTO audit.runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", _run_row(result))
        con.executemany(
            "INSERT INTO audit.check_results VALUES (?, ?, ?, ?, ?, ?, ?)",
            [[result.run_id, c.suite, c.name, c.severity, c.passed, c.failures, c.message] for c in result.checks],
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()


RUN_LOG_KEYS = [
    "run_id", "started_at", "finished_at", "outcome", "published", "checks_passed", "checks_failed",
    "checks_warned", "files_seen", "files_loaded", "rows_loaded", "rows_quarantined", "code_version", "message",
]


def _log_run(settings: Settings, result: RunResult) -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    row = dict(zip(RUN_LOG_KEYS, _run_row(result), strict=True))
    with (settings.home / "runs.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(row, default=str, ensure_ascii=False) + "\n")


def _read_log(settings: Settings) -> list[dict[str, object]]:
    path = settings.home / "runs.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
