"""`waterwh sql`: a read-only SQL shell on the published warehouse, on the pinned DuckDB.

Opened through waterwh.warehouse: no SQL typed here can write, read files or change the reader's
limits. Results are printed as DuckDB renders them, character for character (no markup, no emoji)."""

from __future__ import annotations

import contextlib
import sys

import duckdb
from rich.console import Console

from waterwh.config import Settings
from waterwh.warehouse import open_warehouse

HELP = """Read-only SQL on the published warehouse (DuckDB {version}).
Schemas: marts (facts, dims, reports), audit (file_loads, quarantine, runs), raw, staging.
Examples:  SELECT * FROM marts.rpt_investment_summary WHERE grouping = 'all';
           .tables   .quit"""


def shell(settings: Settings, query: str | None, console: Console) -> int:
    path = settings.published_path
    if not path.exists():
        console.print(f"Nothing published yet at {path}. Run `waterwh run` first.")
        return 1
    con = open_warehouse(path, settings, "read")
    try:
        if query is not None:
            return _run(con, query, console)
        console.print(HELP.format(version=duckdb.__version__))
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (line editing and history at the prompt)
        buf = ""
        while True:
            try:
                line = input("waterwh> " if not buf else "   ...> ")
            except EOFError:
                break
            if not buf and line.strip() in (".quit", ".exit", "\\q"):
                break
            if not buf and line.strip() == ".tables":
                line = ("SELECT table_schema, table_name FROM information_schema.tables "
                        "WHERE table_schema IN ('marts','audit') ORDER BY 1, 2;")
            buf += line + "\n"
            if buf.strip().endswith(";"):
                _run(con, buf, console)
                buf = ""
        return 0
    finally:
        con.close()


def _run(con: duckdb.DuckDBPyConnection, query: str, console: Console) -> int:
    try:
        rel = con.sql(query)
        if rel is not None:
            _exact(str(rel.limit(200)) if hasattr(rel, "limit") else str(rel))
        return 0
    except duckdb.Error as exc:
        console.print(str(exc), style="red", markup=False, emoji=False, highlight=False)
        return 1


def _exact(text: str) -> None:
    """Values as they are: rich would read "[bold]" as markup (and fail on "[/]")."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()
