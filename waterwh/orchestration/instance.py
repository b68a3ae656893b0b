"""The Dagster instance's configuration, `$DAGSTER_HOME/dagster.yaml`, from waterwh's settings.

SQLite under $WATERWH_HOME/dagster by default (one server); PostgreSQL when WATERWH_DAGSTER_POSTGRES_URL
is set. The URL is written with its driver named (Dagster's SQLAlchemy 2 would take a bare postgresql://
for psycopg 3, which dagster-postgres does not use), so the file is owner-only: it may hold a password,
as the environment file does. Written by `make serve` and by the daemon's unit before it starts
(`python -m waterwh.orchestration.instance`): a changed setting takes effect at the next start.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml

from waterwh.config import Settings, SettingsError


def instance_yaml(settings: Settings) -> str:
    doc: dict[str, object] = {"telemetry": {"enabled": False}}
    if settings.dagster_postgres_url:
        url = settings.dagster_postgres_url.replace("postgresql://", "postgresql+psycopg2://", 1)
        doc["storage"] = {"postgres": {"postgres_url": url}}
    return "# Written by waterwh from its settings (waterwh/orchestration/instance.py); edits are replaced.\n" \
        + yaml.safe_dump(doc, sort_keys=False)


def write_instance(settings: Settings) -> Path:
    path = settings.dagster_home / "dagster.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = instance_yaml(settings)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
    os.chmod(path, 0o600)
    return path


if __name__ == "__main__":
    try:
        print(write_instance(Settings.from_env()))
    except SettingsError as exc:
        sys.exit(str(exc))
