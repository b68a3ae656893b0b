"""Run dbt against a given warehouse file and read back what happened, test by test."""

from __future__ import annotations

import ctypes
import functools
import hashlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from waterwh.config import Settings


@dataclass
class DbtNodeResult:
    unique_id: str
    resource_type: str  # model, test, unit_test, seed, snapshot
    status: str  # success, pass, fail, warn, error, skipped
    failures: int
    message: str

    @property
    def is_check(self) -> bool:
        return self.resource_type in ("test", "unit_test")

    @property
    def blocking_failure(self) -> bool:
        return self.status in ("fail", "error") or (self.status == "skipped" and not self.is_check)


@dataclass
class DbtResult:
    returncode: int
    nodes: list[DbtNodeResult]
    log_tail: str


def _prctl() -> Callable[..., int] | None:
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except OSError:  # not Linux: no such call; the next run still cleans staging under the run lock
        return None


def die_with_parent(prctl: Callable[..., int] | None) -> None:
    """In the child: receive SIGKILL when the job dies, so a killed job leaves no dbt writing on.
    `prctl` is looked up in the parent: this runs between fork and exec, possibly while another
    thread of the parent holds an import lock (see pipeline.preloading), so it imports nothing."""
    if prctl is not None:
        prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def dbt_executable() -> str:
    return str(Path(sys.executable).with_name("dbt"))


def macros_sha(project_dir: Path) -> str:
    """A hash of the project's macros: dbt checksums models and seeds but not macros, and the rows of
    an incremental model must be rebuilt when a macro it uses changes (macro logic_fingerprint)."""
    h = hashlib.sha256()
    for path in sorted((project_dir / "macros").rglob("*.sql")):
        h.update(path.relative_to(project_dir).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def dbt_env(settings: Settings, db_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["WATERWH_BUILD_DB"] = str(db_path)
    env["WATERWH_DBT_MACROS_SHA"] = macros_sha(settings.dbt_project_dir)
    env["WATERWH_DUCKDB_MEMORY_LIMIT"] = settings.duckdb_memory_limit
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    return env


def run_dbt(settings: Settings, db_path: Path, *args: str) -> DbtResult:
    """dbt on the DuckDB build file `db_path` (the nightly job's target).

    dbt runs in the file's folder and the profile names the file relative to it: dbt re-parses the
    whole project (~4–8 s) whenever the rendered profile changes, and an absolute path would change it
    for every copy of a warehouse home (a restored backup, a test's copy)."""
    env = dbt_env(settings, db_path)
    env["WATERWH_BUILD_DB"] = db_path.name
    return run_dbt_command(
        dbt_executable(), args, project_dir=settings.dbt_project_dir, target=settings.home / "dbt" / "target",
        log_dir=settings.home / "dbt" / "logs", env=env, cwd=db_path.parent,
    )


def run_dbt_command(
    executable: str | Path,
    args: tuple[str, ...] | list[str],
    *,
    project_dir: Path,
    target: Path,
    log_dir: Path,
    env: dict[str, str],
    cwd: Path | None = None,
) -> DbtResult:
    """Run one dbt command (any environment, any target) and read back its results node by node."""
    cmd = [
        str(executable), *args,
        "--project-dir", str(project_dir),
        "--profiles-dir", str(project_dir),
        "--target-path", str(target),
        "--log-path", str(log_dir),
        "--no-use-colors",
    ]
    target.mkdir(parents=True, exist_ok=True)
    results_file = target / "run_results.json"
    results_file.unlink(missing_ok=True)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, cwd=cwd,
                          preexec_fn=functools.partial(die_with_parent, _prctl()))
    tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
    return DbtResult(proc.returncode, read_run_results(results_file), tail)


def read_run_results(results_file: Path) -> list[DbtNodeResult]:
    if not results_file.exists():
        return []
    data = json.loads(results_file.read_text(encoding="utf-8"))
    return [
        DbtNodeResult(
            unique_id=r["unique_id"],
            resource_type=r["unique_id"].split(".", 1)[0],
            status=str(r.get("status")),
            failures=int(r.get("failures") or 0),
            message=(r.get("message") or "")[:500],
        )
        for r in data.get("results", [])
    ]
