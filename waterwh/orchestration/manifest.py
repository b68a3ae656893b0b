"""The dbt manifest Dagster builds its asset graph from, parsed when missing or stale."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from waterwh.config import Settings
from waterwh.dbt import dbt_env, dbt_executable

_SOURCES = ("models", "macros", "seeds", "snapshots", "tests", "dbt_project.yml", "profiles.yml")


def _newest_source(project_dir: Path) -> float:
    newest = 0.0
    for name in _SOURCES:
        p = project_dir / name
        files = [p] if p.is_file() else p.rglob("*") if p.exists() else []
        newest = max([newest, *(f.stat().st_mtime for f in files if f.is_file())])
    return newest


def ensure_manifest(settings: Settings) -> Path:
    """`dbt parse` into $WATERWH_HOME/dagster/dbt-manifest unless the manifest there is current.

    A target folder of its own: a nightly run writing dbt's usual target must not be read half
    written while the Dagster code location loads. Dagster's webserver, daemon and code server
    load the definitions at the same moment: one parses (under a lock) into a scratch folder and
    renames the manifest into place, so nobody reads half a file."""
    target = settings.dagster_home / "dbt-manifest"
    manifest = target / "manifest.json"
    target.mkdir(parents=True, exist_ok=True)
    with (target / ".parse.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest.exists() and manifest.stat().st_mtime >= _newest_source(settings.dbt_project_dir):
            return manifest
        scratch = Path(tempfile.mkdtemp(prefix=".parse-", dir=target))
        try:
            proc = subprocess.run(
                [dbt_executable(), "parse", "--quiet", "--project-dir", str(settings.dbt_project_dir),
                 "--profiles-dir", str(settings.dbt_project_dir), "--target-path", str(scratch),
                 "--log-path", str(target / "logs")],
                env=dbt_env(settings, settings.staging_db), capture_output=True, text=True, check=False,
                cwd=os.fspath(settings.dbt_project_dir),
            )
            if proc.returncode != 0 or not (scratch / "manifest.json").exists():
                raise RuntimeError(f"dbt parse failed:\n{(proc.stdout + proc.stderr)[-3000:]}")
            os.replace(scratch / "manifest.json", manifest)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return manifest
