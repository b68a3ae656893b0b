"""Check a ledger of one line per event against its own running total.

A 资金到位 ledger may list every arrival (本次到位金额) with the total so far (累计到位金额). The
event amounts are what the line reports; the running total is the clerk's own sum of them, so the
two must agree: each line's total is the previous line's (of the same fund line) plus this event,
and the first line's total is at least its event (arrivals before this ledger are allowed). A line
that disagrees is loaded with its event amount and reported on the running-total cell, for the
clerk to check; nothing is summed twice and nothing is dropped.
"""

from __future__ import annotations

import duckdb

from waterwh.ingest.layout import Layout
from waterwh.ingest.spec import LedgerSpec
from waterwh.ingest.text import column_letter

CELL_FLAGGED = "cell_flagged"
TOLERANCE = 0.005  # 万元: half a cent of a 万元 figure written with two decimals


def check_running_totals(con: duckdb.DuckDBPyConnection, spec: LedgerSpec, layout: Layout) -> dict[int, int]:
    """Report every line of this batch (temp table batch_meta) whose running total disagrees with
    its events into audit.quarantine; the number reported per sheet of the batch (`__sheet`)."""
    flagged: dict[int, int] = {}
    for total in layout.columns:
        target = total.spec.running_total_of
        amount = layout.mapped(target) if target else None
        if amount is None:
            continue
        line = ", ".join(f"r.{c}" for c in spec.identity)
        rows = con.execute(f"""
            SELECT __sheet, source_row, amount, total, before, before_row FROM (
                SELECT meta.__sheet, r.source_row, r.{target} AS amount, r.{total.spec.name} AS total,
                       lag(r.{total.spec.name}) OVER w AS before, lag(r.source_row) OVER w AS before_row
                FROM raw.{spec.table} AS r
                JOIN batch_meta AS meta ON meta.load_id = r.load_id AND meta.source_sheet = r.source_sheet
                WINDOW w AS (PARTITION BY r.load_id, r.source_sheet, {line} ORDER BY r.source_row)
            )
            WHERE total IS NOT NULL AND CASE
                WHEN before_row IS NULL THEN total < coalesce(amount, 0) - {TOLERANCE}
                WHEN before IS NULL THEN FALSE
                ELSE abs(before + coalesce(amount, 0) - total) > {TOLERANCE} END
            ORDER BY __sheet, source_row
        """).fetchall()
        for sheet, row, value, running, before, before_row in rows:
            flagged[sheet] = flagged.get(sheet, 0) + 1
            if before_row is None:
                said = f"小于本行{_header(amount.header)} {_wan(value)}"
            else:
                said = (f"不等于上一笔（第{before_row}行）累计 {_wan(before)} 加本行{_header(amount.header)} "
                        f"{_wan(value)}（应为 {_wan(before + (value or 0))}）")
            con.execute(
                "INSERT INTO audit.quarantine SELECT load_id, source_file, source_sheet, ?, ?, ?, ?, ?, ?, ?, ? "
                "FROM batch_meta WHERE __sheet = ?",
                [row, total.spec.name, total.header, _wan(running),
                 f"{_header(total.header)} {_wan(running)} 万元{said}；已按本行金额入库，请核对累计数",
                 CELL_FLAGGED, spec.ledger_type, column_letter(total.index), sheet])
    return flagged


def _header(text: str) -> str:
    return f"「{text.replace('_', '')}」"


def _wan(value: object) -> str:
    return "空" if value is None else f"{float(value):,.2f}".rstrip("0").rstrip(".")
