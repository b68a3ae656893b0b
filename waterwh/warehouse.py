"""Opening a warehouse file for a purpose, with that purpose's settings: the one function for it.

- build: the staging file a run writes (ingest, dbt's neighbours, the run record), read-write, with
  the build's memory limit (it spills beyond it).
- audit: the built file, read-only, with the build's memory limit (the Great Expectations suites).
- read: every connection that serves a reader — `waterwh sql` (the analysts' shell), `waterwh status`,
  the 通报, the run report, the landing sensor, `waterwh doctor` — read-only, with no file access
  beyond it (`enable_external_access=false`: no COPY … TO, ATTACH, read_text, glob, extension install),
  its configuration locked (no SQL may SET the memory limit, threads or access back), a memory limit
  and a thread count. Superset's connections are given the same settings (`reader_config`, bi/).

DuckDB keeps one database instance per file and process, so a file opened twice at once in one
process must be opened with the same settings: every opening goes through here (and the door under
it, `waterwh.ingest.db.connect`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import duckdb

from waterwh.config import Settings
from waterwh.ingest.db import connect

Purpose = Literal["build", "audit", "read"]


def reader_config(settings: Settings) -> dict[str, object]:
    return {
        "enable_external_access": False,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "memory_limit": settings.reader_memory_limit,
        "threads": settings.reader_threads,
        "lock_configuration": True,  # last: the settings above cannot be changed by a query
    }


def open_warehouse(path: Path, settings: Settings, purpose: Purpose) -> duckdb.DuckDBPyConnection:
    if purpose == "read":
        return connect(path, read_only=True, config=reader_config(settings))
    return connect(path, read_only=purpose == "audit", config={"memory_limit": settings.duckdb_memory_limit})
