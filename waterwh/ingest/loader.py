"""Load a batch of same-layout sheets into the raw layer of a DuckDB file.

Per batch of same-layout sheets: the few cells that need it normalised and every row classified in
Arrow and numpy (stage 1), typed and checked in one SQL pass (stage 2, the columns it need not type
left out of it) → raw rows, stated totals, quarantine. Per file: one `audit.file_loads` row whose
counts reconcile (rows_read = rows_loaded + rows_quarantined + rows_skipped).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from waterwh.ingest.batch import META_COLUMNS, Cells, Pending, sheet_starts
from waterwh.ingest.cells import (
    cell_flags,
    one_array,
    put_cells,
    rows_containing,
)
from waterwh.ingest.parse import ParseStage
from waterwh.ingest.periods import CN_NUMERALS, numerals_as_digits
from waterwh.ingest.rows import RowStage
from waterwh.ingest.text import CONTROLS, normalise_cells
from waterwh.ingest.write import WriteStage


class BatchLoader(RowStage, ParseStage, WriteStage):
    """Turns sheets of one layout into raw rows: read (`_source`) → classify rows (ingest/rows.py)
    → parse cells (ingest/parse.py) → write (ingest/write.py).

    Planning the parse SQL costs ~10 ms whatever the rows; a province sends ~12,000 small ledgers
    a night, so sheets of the same layout share one plan. Rows arrive in sheet order, so
    everything that depends on earlier rows (padding after the last row, rows under a footnote,
    group labels, fill-down) is a running index in numpy between classifying and parsing: window
    functions sorted every column of every row and cost more than the parsing.
    """

    def run(self) -> None:
        """Load every sheet of the batch; fills each item's SheetResult counts."""
        con = self.con
        width = max(it.sheet.table.num_columns for it in self.items)
        src, sheet_of, cells = self._source(width)
        self.sheet_of = sheet_of
        meta = pa.Table.from_pylist([self._meta_row(it, i) for i, it in enumerate(self.items)],
                                    schema=pa.schema(META_COLUMNS))
        con.register("batch_meta_src", meta)
        try:
            # a table, not the registered view: later statements join it many times
            con.execute("CREATE OR REPLACE TEMP TABLE batch_meta AS SELECT * FROM batch_meta_src")
            stage1 = self.classify(cells)
            plain, self.as_read = self.plain_columns(stage1)
            for name, values in self.as_read.items():
                stage1 = stage1.append_column(("d_" if pa.types.is_floating(values.type) else "x_") + name, values)
            starts = sheet_starts(sheet_of)
            kind, counted = self.row_kinds(stage1, sheet_of, starts)
            rows = self.parse_input(stage1, kind, counted, src, sheet_of, starts)
            cleaned = cells.cleaned
            del stage1, cells
            read = np.bincount(sheet_of[counted], minlength=len(self.items))
            self._finish(read, src, rows, plain, cleaned)
        finally:
            for view in ("batch_meta_src", "batch_rows", "sheet_parsed", "plain_src"):
                con.unregister(view)
            for t in ("batch_meta", "spans"):
                con.execute(f"DROP TABLE IF EXISTS {t}")

    def _source(self, width: int) -> tuple[pa.Table, np.ndarray, Cells]:
        """The rows below each sheet's header, one table, in sheet order (`c<i>`: the cells as
        read, `__sheet`, `__row`: the spreadsheet row); `sheet_of[i]` is row i's sheet's position
        in the batch. With the cells as stage 1 reads them: the few that need it normalised (in
        Python, `text.normalise_cells`), '' as NULL."""
        parts, sheets, rows = [], [], []
        for i, it in enumerate(self.items):
            start = it.layout.header_last + 1
            t = it.sheet.table.slice(start)
            for c in range(t.num_columns, width):  # sheets of one layout may differ in trailing columns
                t = t.append_column(f"c{c}", pa.nulls(t.num_rows, pa.string()))
            parts.append(t)
            sheets.append(np.full(t.num_rows, i, dtype=np.int32))
            numbers = it.sheet.row_numbers
            rows.append(numbers[start:] if numbers is not None  # a rebuilt sheet's rows are its source's
                        else np.arange(start + 1, start + 1 + t.num_rows, dtype=np.int32))  # spreadsheet rows
        src = pa.concat_tables(parts)
        sheet_of = np.concatenate(sheets)
        if any(it.sheet.origin for it in self.items):
            for c in range(width):
                letters, headers = [], []
                for it, t in zip(self.items, parts, strict=True):
                    start = it.layout.header_last + 1
                    got = (it.sheet.origin or {}).get(c)
                    letters.append(got[0][start:] if got else np.full(t.num_rows, c, dtype=np.int32))
                    headers += got[1][start:] if got else [""] * t.num_rows
                self.origin[c] = (np.concatenate(letters), headers)
        cells = Cells([], [], np.zeros(len(sheet_of), dtype=bool))
        dates = {m.index for m in self.layout.columns if m.spec.type == "date"}
        for i in range(width):
            column = one_array(src.column(f"c{i}"))
            dirty, filled = cell_flags(column)
            if i in dates:  # "九月底": Chinese numerals of a date as digits, for wh_date
                dirty |= rows_containing(column, *CN_NUMERALS)
            at = np.flatnonzero(dirty)
            read = column.take(pa.array(at)).to_pylist() if len(at) else []
            values = normalise_cells(read) if read else []
            controls = [j for j, v in enumerate(read) if CONTROLS.search(v)]
            if controls:
                cells.cleaned.append((i, at[controls], [read[j] for j in controls]))
            if i in dates:
                values = [numerals_as_digits(v) if v else v for v in values]
            filled[at] = [v is not None for v in values]  # a cell of spaces is empty once normalised
            cells.text.append(_text(column, at, values, filled))
            cells.normalised.append((at, values))
            cells.filled |= filled
        src = src.append_column("__sheet", pa.array(sheet_of)).append_column("__row", pa.array(np.concatenate(rows)))
        return src, sheet_of, cells

    @staticmethod
    def _meta_row(it: Pending, i: int) -> dict[str, object]:
        """The META_COLUMNS of one sheet of the batch."""
        r, period = it.result, it.result.period
        return {
            "__sheet": i, "__start": it.layout.header_last + 1, "__year": it.meta["year"],
            "load_id": it.meta["load_id"], "ledger_key": r.ledger_key, "source_file": it.meta["file_name"],
            "source_sheet": r.sheet, "file_sha256": it.meta["sha256"], "loaded_at": it.meta["loaded_at"],
            "ledger_scope": r.ledger_scope, "report_period_start": period.start if period else None,
            "report_period_end": period.end if period else None, "period_type": period.type if period else None,
        }


def _text(column: pa.Array, at: np.ndarray, values: list[str | None], filled: np.ndarray) -> pa.Array:
    """The column with the cells at `at` replaced by their normalised `values`, NULL where not `filled`."""
    if len(at):
        column = put_cells(column, at, values)
    if filled.all():
        return column
    return pc.if_else(pa.array(filled), column, pa.scalar(None, column.type))
