"""Opening a warehouse file to read it: one door, with the readers' settings.

Every connection that serves a reader — `waterwh sql`, `waterwh status`, the 通报, the run report,
the landing sensor, the BI provisioning — opens the file read-only, with no file access beyond it
(`enable_external_access=false`: no COPY … TO, ATTACH, read_text, glob, extension install), its
configuration locked (no SQL may SET the memory limit, threads or access back), a memory limit and
a thread count. Superset's connections are given the same settings (`reader_config`, bi/).

DuckDB keeps one database instance per file and process, so a file opened twice at once in one
process must be opened with the same settings: every reader goes through here.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from waterwh.config import Settings


def reader_config(settings: Settings) -> dict[str, object]:
    return {
        "enable_external_access": False,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "memory_limit": settings.reader_memory_limit,
        "threads": settings.reader_threads,
        "lock_configuration": True,  # last: the settings above cannot be changed by a query
    }


def open_reader(path: Path, settings: Settings) -> duckdb.DuckDBPyConnection:
    """`path` (the published warehouse, or a built file being reported on) for reading only."""
    return duckdb.connect(str(path), read_only=True, config=reader_config(settings))
