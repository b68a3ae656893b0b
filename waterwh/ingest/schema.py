"""DDL of the raw and audit layers, generated from the ledger specs.

`python -m waterwh.ingest.schema PATH` creates an empty warehouse file with every raw and audit table,
which is what dbt's sources expect to exist.
"""

from __future__ import annotations

import sys

import duckdb

from waterwh.ingest.db import connect
from waterwh.ingest.spec import load_specs

AUDIT_TABLES: dict[str, list[tuple[str, str]]] = {
    # One row per file per load (contract).
    "file_loads": [
        ("load_id", "VARCHAR"),
        ("file_name", "VARCHAR"),
        ("sha256", "VARCHAR"),
        ("ledger_type", "VARCHAR"),
        ("ledger_scope", "VARCHAR"),
        ("report_period_end", "DATE"),
        ("sheets", "INTEGER"),
        ("rows_read", "BIGINT"),
        ("rows_loaded", "BIGINT"),
        ("rows_quarantined", "BIGINT"),
        ("rows_skipped", "BIGINT"),
        ("rows_subtotal", "BIGINT"),
        ("cell_issues", "BIGINT"),
        ("status", "VARCHAR"),
        ("error", "VARCHAR"),
        ("loaded_at", "TIMESTAMP"),
        ("run_id", "VARCHAR"),
        ("supersedes", "VARCHAR"),  # the ledgers this load replaced, and why (ingest/versions.py)
        ("superseded_by", "VARCHAR"),  # the files that later replaced this load
    ],
    # One row per rejected row (action = row_rejected) or per nulled cell (action = cell_nulled).
    "quarantine": [
        ("load_id", "VARCHAR"),
        ("file_name", "VARCHAR"),
        ("sheet", "VARCHAR"),
        ("row_number", "INTEGER"),
        ("column_name", "VARCHAR"),
        ("header", "VARCHAR"),
        ("raw_value", "VARCHAR"),
        ("reason", "VARCHAR"),
        ("action", "VARCHAR"),
        ("ledger_type", "VARCHAR"),
        ("column_letter", "VARCHAR"),  # the spreadsheet column (A, B, …) the clerk sees
    ],
    # Versions of the ledgers of one type × scope × period: a load is current until a load of the same
    # document (or of mostly the same rows) supersedes it; different documents stay current side by side.
    "ledger_versions": [
        ("ledger_key", "VARCHAR"),
        ("ledger_type", "VARCHAR"),
        ("ledger_scope", "VARCHAR"),
        ("report_period_end", "DATE"),
        ("load_id", "VARCHAR"),
        ("file_name", "VARCHAR"),
        ("sha256", "VARCHAR"),
        ("loaded_at", "TIMESTAMP"),
        ("version_no", "INTEGER"),
        ("is_current", "BOOLEAN"),
        ("document", "VARCHAR"),  # the file name without correction marks (versions.document_of)
        ("supersedes", "VARCHAR"),  # load ids this version replaced, comma-separated
    ],
    "runs": [
        ("run_id", "VARCHAR"),
        ("started_at", "TIMESTAMP"),
        ("finished_at", "TIMESTAMP"),
        ("outcome", "VARCHAR"),
        ("published", "BOOLEAN"),
        ("checks_passed", "INTEGER"),
        ("checks_failed", "INTEGER"),
        ("checks_warned", "INTEGER"),
        ("files_seen", "INTEGER"),
        ("files_loaded", "INTEGER"),
        ("rows_loaded", "BIGINT"),
        ("rows_quarantined", "BIGINT"),
        ("code_version", "VARCHAR"),
        ("message", "VARCHAR"),
    ],
    # Loads of raw rows that passed a by-load GX suite, under that suite's fingerprint (a raw load
    # never changes: a later night checks only loads missing here).
    "validated_loads": [
        ("load_id", "VARCHAR"),
        ("suite", "VARCHAR"),
        ("suite_fingerprint", "VARCHAR"),
        ("run_id", "VARCHAR"),
    ],
    # Each check result of each run: dbt tests and GX expectations alike.
    "check_results": [
        ("run_id", "VARCHAR"),
        ("suite", "VARCHAR"),
        ("check_name", "VARCHAR"),
        ("severity", "VARCHAR"),
        ("passed", "BOOLEAN"),
        ("failures", "BIGINT"),
        ("message", "VARCHAR"),
    ],
}

# raw.reported_totals: (column, type, what it is).
REPORTED_TOTALS: list[tuple[str, str, str]] = [
    ("load_id", "VARCHAR", "Load that wrote the row (导入批次)."),
    ("ledger_key", "VARCHAR", "The ledger it belongs to: type|scope|period (台账键)."),
    ("ledger_type", "VARCHAR", "The ledger's type (台账类型)."),
    ("source_file", "VARCHAR", "The file the total came from (来源文件)."),
    ("source_sheet", "VARCHAR", "The sheet of that file (工作表)."),
    ("source_row", "INTEGER", "Spreadsheet row of the stated total (合计行行号)."),
    ("row_kind", "VARCHAR", "total (合计), subtotal (小计), group (大项/分类 row) or breakdown (其中) (行类型)."),
    ("label", "VARCHAR", "The row's label as written (合计行标签)."),
    ("measure", "VARCHAR", "Canonical column the stated value belongs to (度量列)."),
    ("reported_value", "DECIMAL(18,4)", "The stated value, in the column's canonical unit: 万元 for amounts (填报值)."),
    ("covers_from_row", "INTEGER", "First data row the stated value is a total of (覆盖起始行)."),
    ("covers_to_row", "INTEGER", "Last data row the stated value is a total of (覆盖结束行)."),
    ("report_period_end", "DATE", "Last day of the reporting period (报告期止)."),
]


def tables() -> dict[str, list[tuple[str, str]]]:
    """Every raw and audit table with its columns, from the specs and the fixed audit layout."""
    out = {f"raw.{spec.table}": spec.raw_columns() for spec in load_specs()}
    out["raw.reported_totals"] = [(n, t) for n, t, _ in REPORTED_TOTALS]
    out |= {f"audit.{table}": columns for table, columns in AUDIT_TABLES.items()}
    return out


def ddl_statements() -> list[str]:
    stmts = ["CREATE SCHEMA IF NOT EXISTS raw", "CREATE SCHEMA IF NOT EXISTS audit"]
    for table, columns in tables().items():
        cols = ", ".join(f'"{n}" {t}' for n, t in columns)
        stmts.append(f"CREATE TABLE IF NOT EXISTS {table} ({cols})")
    return stmts


def _columns(con: duckdb.DuckDBPyConnection, wanted: dict[str, list[tuple[str, str]]]) -> dict[str, set[str]] | None:
    """The columns each wanted table has; None when a table is missing. One query over
    pragma_table_info (~3 ms): duckdb_columns() cost ~20 ms on a connection's first use of it."""
    query = " UNION ALL ".join(f"SELECT '{t}', name FROM pragma_table_info('{t}')" for t in wanted)
    try:
        rows = con.execute(query).fetchall()
    except duckdb.CatalogException:
        return None
    have: dict[str, set[str]] = {}
    for table, column in rows:
        have.setdefault(table, set()).add(column)
    return have


# Tables an earlier version kept and nothing reads any more: dropped from a warehouse that has them.
RETIRED_TABLES = ["audit.validated_suites"]


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create what is missing. A column added to a spec after a warehouse was published is added to
    its table (NULL in the rows loaded before), so a spec change never needs a manual migration.
    Not in a transaction: a missing table is found by the error reading it."""
    wanted = tables()
    existing = _columns(con, wanted)
    if existing is None:  # one script: ~8 ms for every table of a new warehouse, ~15 one by one
        con.execute(";\n".join(ddl_statements()))
        existing = _columns(con, wanted) or {}  # tables made before a spec added one may lack columns
    for table, columns in wanted.items():
        for name, type_ in columns:
            if name not in existing.get(table, ()):
                con.execute(f'ALTER TABLE {table} ADD COLUMN "{name}" {type_}')
    for table in RETIRED_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {table}")


if __name__ == "__main__":
    with connect(sys.argv[1]) as con:
        ensure_schema(con)
    print(f"created raw and audit tables in {sys.argv[1]}")


# What a clerk reads for each quarantine action (waterwh check, the annotated copy, the run report).
ACTION_ZH = {
    "row_rejected": "整行未入库（已隔离）",
    "cell_nulled": "该格按空值入库",
    "cell_cleaned": "已删除不可见字符后入库",
    "cell_flagged": "已入库，请核对该格",
}
# audit.file_loads.status in Chinese.
STATUS_ZH = {"loaded": "已入库", "partial": "部分入库", "failed": "失败", "unchanged": "未变化"}

