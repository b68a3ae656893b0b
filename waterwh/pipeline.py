"""The nightly job: ingest → dbt build → audit → publish. One core for the CLI and Dagster.

`NightlyRun` is one run, stage by stage. `waterwh run` calls every stage in order (`run()`);
Dagster calls one stage per asset inside the same open run (orchestration/). While a run is
open it holds the run lock and owns the staging file; closing it publishes nothing by itself: a
run that did not reach `publish()` is logged, reported, notified and its staging file deleted.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from importlib import metadata
from pathlib import Path
from types import TracebackType

import duckdb

from waterwh import publish as pub
from waterwh.config import PACKAGE_DIR, Settings
from waterwh.dbt import DbtResult, run_dbt
from waterwh.faults import pause_point
from waterwh.ingest.batch import FileResult
from waterwh.ingest.files import ingest_paths
from waterwh.ingest.periods import Period
from waterwh.ingest.schema import ensure_schema
from waterwh.quality.results import CheckResult
from waterwh.run_result import RunResult
from waterwh.warehouse import open_warehouse


class StageFailed(Exception):
    """A stage refused to go on; the message says what and where."""

    def __init__(self, message: str, outcome: str = "failed_build") -> None:
        super().__init__(message)
        self.outcome = outcome


def code_version() -> str:
    """The installed waterwh's version, with the commit when it runs from a git checkout."""
    version = metadata.version("waterwh")
    try:
        out = subprocess.run(["git", "-C", str(PACKAGE_DIR), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=False)
    except OSError:
        return version
    return f"{version}+{out.stdout.strip()}" if out.returncode == 0 and out.stdout.strip() else version


def new_run_id(now: datetime) -> str:
    return f"R{now:%Y%m%dT%H%M%S%f}"


Hook = Callable[[str], None]

# dbt's unit tests check code, not data: CI runs them; the nightly build checks the data.
DBT_BUILD_ARGS = ("build", "--exclude", "test_type:unit")


class NightlyRun:
    """One run of the nightly job. Use as a context manager; call the stages in order."""

    def __init__(
        self,
        settings: Settings,
        *,
        landing: Path | None = None,
        period: Period | None = None,
        run_id: str | None = None,
        on_stage: Hook | None = None,
        on_file: Callable[[FileResult], None] | None = None,
        notify: bool = True,
    ) -> None:
        self.settings = settings
        self._notify = notify  # Dagster reports failed runs through its own run-failure sensor
        self.landing = landing or settings.landing_dir
        self.period = period
        self._on_stage = on_stage or (lambda _s: None)
        self._user_on_file = on_file
        now = self._now()
        self.result = RunResult(run_id or new_run_id(now), now)
        self.staging = settings.staging_db
        self.previous: Path | None = None
        self.stages_done: set[str] = set()
        self._exit = contextlib.ExitStack()

    def _stage(self, name: str) -> None:
        self._on_stage(name)
        pause_point(self.settings.home, name)

    def _on_file(self, f: FileResult) -> None:
        if self._user_on_file:
            self._user_on_file(f)
        pause_point(self.settings.home, "ingest:file")

    def _now(self) -> datetime:
        return datetime.now(self.settings.timezone).replace(tzinfo=None)

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> NightlyRun:
        self._exit.enter_context(pub.run_lock(self.settings))
        try:
            pub.clean_staging(self.settings)  # what a killed run left behind
            self.settings.staging_dir.mkdir(parents=True, exist_ok=True)
            self.previous = pub.current_version(self.settings)
            self._stage("prepare")
            if self.previous is not None:
                # history and the raw layer carry over; the published file itself is never opened for writing
                shutil.copyfile(self.previous, self.staging)
                self.result.previous_headline = headline(self.previous, self.settings)
        except BaseException:
            self._exit.close()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            r = self.result
            if exc is not None and r.outcome in ("running", "published") and not r.published:
                r.outcome = "error"
                r.message = f"{type(exc).__name__}: {exc}"
            elif r.outcome == "running":
                r.outcome = "incomplete"
                r.message = r.message or "the run ended before it reached publishing"
            r.finished_at = self._now()
            from waterwh.reporting.run_report import write_run_report

            r.report_path = write_run_report(self.settings, r)
            if not r.published:
                _log_run(self.settings, r)
                for f in (self.staging, self.staging.with_name(self.staging.name + ".wal")):
                    f.unlink(missing_ok=True)
                if self._notify:
                    from waterwh.notify import notify_failed_run

                    notify_failed_run(self.settings, r)
        finally:
            self._exit.close()

    def fail(self, exc: StageFailed) -> None:
        self.result.outcome = exc.outcome
        self.result.message = str(exc)

    # -- stages ------------------------------------------------------------------------------

    def ingest(self) -> list[FileResult]:
        self._stage("ingest")
        if not self.landing.exists():
            raise StageFailed(
                f"landing folder {self.landing} does not exist (put ledgers there or pass --landing)",
                "failed_ingest",
            )
        con = open_warehouse(self.staging, self.settings, "build")
        try:
            ensure_schema(con)
            specs, self.result.spec_problems = self.settings.specs()  # (said in the run report)
            self.result.files = ingest_paths(
                con, [self.landing], limits=self.settings.read_limits, run_id=self.result.run_id,
                period=self.period, roots=[self.landing], on_file=self._on_file, specs=specs,
            )
            con.execute("CHECKPOINT")
        finally:
            con.close()
        self.stages_done.add("ingest")
        return self.result.files

    def build(self) -> DbtResult:
        """dbt build on the staging file (the CLI's way; Dagster runs dbt itself, then record_dbt)."""
        self._stage("build")
        # Great Expectations takes ~3 s to import, on one core: done while dbt (a child process,
        # mostly one core) builds, so validation starts at once.
        self._exit.enter_context(preloading("waterwh.quality.validate"))
        dbt = run_dbt(self.settings, self.staging, *DBT_BUILD_ARGS)
        self.record_dbt(dbt)
        return dbt

    def record_dbt(self, dbt: DbtResult) -> None:
        self.result.checks += dbt_checks(dbt)
        if dbt.returncode != 0 and not any(not c.passed for c in self.result.checks):
            raise StageFailed(f"dbt build failed:\n{dbt.log_tail}")
        self.stages_done.add("build")
        if self.result.checks_failed:
            self._refuse_publishing()

    def _refuse_publishing(self) -> None:
        r = self.result
        r.outcome = "failed_checks"
        lines = [f"  ✗ [{c.suite}] {c.name}: {c.message}" for c in r.checks_failed[:20]]
        r.message = "publishing refused: blocking checks failed\n" + "\n".join(lines)

    def validate(self) -> list[CheckResult]:
        """The Great Expectations suites, on frames read from the staging file."""
        self._stage("validate")
        if self.result.checks_failed:
            return []  # the data already failed; GX would only repeat it
        from waterwh.quality.validate import validate

        docs = self.settings.reports_dir / "gx" / self.result.run_id
        found = validate(self.staging, self.previous, self.settings.min_row_share_vs_previous,
                         docs_dir=docs, run_name=self.result.run_id, settings=self.settings)
        self.result.data_docs = docs / "index.html"
        self.result.checks += found
        self.stages_done.add("validate")
        if self.result.checks_failed:
            self._refuse_publishing()
        return found

    def publish(self) -> bool:
        """Publish the staging file if and only if every blocking check passed."""
        r = self.result
        missing = [s for s in ("ingest", "build", "validate") if s not in self.stages_done]
        if missing and not r.checks_failed:
            r.outcome = "incomplete"
            r.message = (f"publishing refused: this run did not {', '.join(missing)}; "
                         "only a run of every stage publishes")
            return False
        if r.checks_failed:
            self._refuse_publishing()
            return False
        if not r.checks:
            r.outcome = "failed_checks"
            r.message = "publishing refused: no check ran on this build"
            return False
        self._stage("record")
        r.headline = headline(self.staging, self.settings)
        r.outcome = "published"
        r.published = True
        _record_run(self.settings, self.staging, r)
        self._stage("publish")
        r.published_path = pub.publish(self.settings, self.staging, r.run_id)
        self._stage("done")
        self._write_briefing()
        return True

    def _write_briefing(self) -> None:
        """The 通报 of the latest reported month, from the file just published. Never fails the run:
        the warehouse is already published; a problem here is a note in the run report."""
        formats = self.settings.briefing_formats
        if not formats or not self.result.headline.get("report_period_end"):
            return
        from waterwh.reporting import briefing

        end = self.result.headline["report_period_end"]
        target = self.settings.reports_dir / f"通报-{end:%Y-%m}-all"
        try:
            con = open_warehouse(self.settings.published_path, self.settings, "read")
            try:
                doc = briefing.compose(con, end, briefing.KINDS)
            finally:
                con.close()
            written = briefing.write(doc, target, [f for f in formats if f != "pdf"])
            if "pdf" in formats:
                try:
                    written += briefing.write(doc, target, ["pdf"])
                except RuntimeError as exc:  # no Chinese font on this machine
                    self.result.briefing_note = str(exc)
            self.result.briefing = written
        except Exception as exc:  # reported, never raised: the publish stands
            self.result.briefing_note = f"通报未生成：{type(exc).__name__}: {exc}"


@contextlib.contextmanager
def preloading(module: str) -> Iterator[None]:
    """Import `module` in a background thread; on leaving, wait for it (an import error surfaces
    where the module is used). Children spawned meanwhile are safe: dbt's preexec function imports
    nothing."""
    thread = threading.Thread(target=_import_quietly, args=(module,), name=f"preload {module}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()


def _import_quietly(module: str) -> None:
    with contextlib.suppress(Exception):
        importlib.import_module(module)


def run(
    settings: Settings,
    landing: Path | None = None,
    period: Period | None = None,
    on_stage: Hook | None = None,
    on_file: Callable[[FileResult], None] | None = None,
) -> RunResult:
    """Run the nightly job once. Never raises for data problems: see `RunResult.outcome`."""
    with NightlyRun(settings, landing=landing, period=period, on_stage=on_stage, on_file=on_file) as nightly:
        try:
            nightly.ingest()
            nightly.build()
            nightly.validate()
            nightly.publish()
        except StageFailed as exc:
            nightly.fail(exc)
    return nightly.result


def dbt_checks(dbt: DbtResult) -> list[CheckResult]:
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


HEADLINE_KEYS = [
    "report_period_end", "project_count", "total_investment_wan", "annual_plan_wan", "ytd_completed_wan",
    "ytd_completion_rate", "start_rate", "on_schedule_count", "behind_schedule_count",
]


def headline(db: Path, settings: Settings) -> dict[str, object]:
    """The leadership figures of the latest report period (empty before there is any)."""
    try:
        con = open_warehouse(db, settings, "read")
    except duckdb.Error:
        return {}
    try:
        row = con.execute(
            f"SELECT {', '.join(HEADLINE_KEYS)} FROM marts.rpt_investment_summary "
            "WHERE grouping = 'all' ORDER BY report_period_end DESC LIMIT 1"
        ).fetchall()
    except duckdb.Error:
        row = []
    finally:
        con.close()
    return dict(zip(HEADLINE_KEYS, row[0], strict=True)) if row else {}


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
    con = open_warehouse(staging, settings, "build")
    try:
        known = {r[0] for r in con.execute("SELECT run_id FROM audit.runs").fetchall()}
        for past in read_run_log(settings):
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
        from waterwh.quality.validate import record_passed_validation

        record_passed_validation(con, result.run_id)  # every suite passed: tomorrow reads only what is new
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


def read_run_log(settings: Settings) -> list[dict[str, object]]:
    path = settings.home / "runs.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(json.JSONDecodeError):  # a line cut short by a killed run
            out.append(json.loads(line))
    return out
