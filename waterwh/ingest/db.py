"""DuckDB access helpers.

DuckDB 2.0 refuses other work on a connection while a result is only partly fetched, so a
single-row read must fetch everything (`fetchone()` alone leaves the result open).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb


def first_row(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> tuple[Any, ...] | None:
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> Any:
    row = first_row(con, sql, params)
    return row[0] if row else None
