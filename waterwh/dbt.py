"""Run dbt against a given warehouse file and read back what happened, test by test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


def die_with_parent() -> None:
    """In the child: receive SIGKILL when the job dies, so a killed job leaves no dbt writing on."""
    import contextlib
    import ctypes
    import signal

    # not Linux: no such call; the next run still cleans staging under the run lock
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def dbt_executable() -> str:
    return str(Path(sys.executable).with_name("dbt"))


def dbt_env(settings: Settings, db_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["WATERWH_BUILD_DB"] = str(db_path)
    env["WATERWH_DUCKDB_MEMORY_LIMIT"] = settings.duckdb_memory_limit
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    return env


def run_dbt(settings: Settings, db_path: Path, *args: str) -> DbtResult:
    target = settings.home / "dbt" / "target"
    cmd = [
        dbt_executable(), *args,
        "--project-dir", str(settings.dbt_project_dir),
        "--profiles-dir", str(settings.dbt_project_dir),
        "--target-path", str(target),
        "--log-path", str(settings.home / "dbt" / "logs"),
        "--no-use-colors",
    ]
    (target).mkdir(parents=True, exist_ok=True)
    results_file = target / "run_results.json"
    results_file.unlink(missing_ok=True)
    proc = subprocess.run(cmd, env=dbt_env(settings, db_path), capture_output=True, text=True, check=False,
                          preexec_fn=die_with_parent)
    nodes: list[DbtNodeResult] = []
    if results_file.exists():
        data = json.loads(results_file.read_text(encoding="utf-8"))
        for r in data.get("results", []):
            uid = r["unique_id"]
            nodes.append(
                DbtNodeResult(
                    unique_id=uid,
                    resource_type=uid.split(".", 1)[0],
                    status=str(r.get("status")),
                    failures=int(r.get("failures") or 0),
                    message=(r.get("message") or "")[:500],
                )
            )
    tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
    return DbtResult(proc.returncode, nodes, tail)
