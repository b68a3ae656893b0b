"""DuckDB through one door: `connect` is the only place waterwh calls `duckdb.connect`.

A warehouse file is opened for a purpose by `waterwh.warehouse.open_warehouse`, which gives each
purpose its settings (build, audit, read); the in-memory databases of reading a file, parsing cells
and checking a ledger are opened here directly. (bi/provision.py runs in Superset's environment,
where waterwh is not installed: it opens the warehouse with the readers' settings it is given.)

DuckDB 2.0 refuses other work on a connection while a result is only partly fetched, so a
single-row read must fetch everything (`fetchone()` alone leaves the result open).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb


def connect(path: str | Path | None = None, *, read_only: bool = False,
            config: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """`path`, or a database in memory when None."""
    return duckdb.connect(":memory:" if path is None else str(path), read_only=read_only, config=config or {})


def first_row(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> tuple[Any, ...] | None:
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> Any:
    row = first_row(con, sql, params)
    return row[0] if row else None
