"""What the stages of loading a batch share: the results they fill, the sheets waiting to be
loaded, the row kinds, and the running-index helpers every stage uses.

A batch is the sheets of one layout (ingest/loader.py), loaded in stages, each a module:
read (loader._source) → classify rows (ingest/rows.py) → parse cells (ingest/parse.py) → write
(ingest/write.py). Its columns travel through the stages in one Arrow table or query, named by
a prefix that says which stage made them:

    c<i>     the cells of sheet column i, as read                        loader._source
    n_<col>  a mapped column's cells as text, normalised                rows.classify
    m_<col>  its effective text, after fill-down and group labels      rows.parse_input
    d_<col>  the cell as a number (Arrow's reading, else DuckDB's)      parse
    x_<col>  a plain enum cell: the position of its word                parse.plain_columns
    z_<col>  whether the text means nothing ("—", "/", "无")              parse.arrow_values
    e_, w_   per-cell facts several expressions read once              parse.parse_exprs
    i_<col>  the cell's problem, or NULL ("!" before the name: it rejects the row)  parse.parse_exprs
    __<name> row bookkeeping: __i (position), __sheet, __row, __kind     every stage
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from waterwh.ingest.layout import Layout
from waterwh.ingest.periods import Period
from waterwh.ingest.readers import Sheet
from waterwh.ingest.spec import LINEAGE_COLUMNS, LedgerSpec
from waterwh.ingest.text import compact


@dataclass
class SheetResult:
    sheet: str
    ledger_type: str | None
    ledger_scope: str | None
    period: Period | None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_skipped: int = 0
    rows_subtotal: int = 0
    cell_issues: int = 0
    error: str | None = None
    # A sheet that is not a ledger at all (填表说明) in a workbook that has one: skipped, said so.
    note: str | None = None
    read_as: str | None = None  # how a sheet not in the long form was read (a wide sheet: ingest/wide.py)
    ledger_key: str | None = None
    recognised: list[tuple[str, str, str | None]] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)

    def say(self, how: str) -> None:
        """Add to how the sheet was read (`read_as`)."""
        self.read_as = f"{self.read_as}；{how}" if self.read_as else how


@dataclass
class FileResult:
    path: Path
    file_name: str
    sha256: str
    load_id: str
    status: str  # loaded, partial, failed, unchanged
    sheets: list[SheetResult] = field(default_factory=list)
    error: str | None = None
    loaded_at: datetime | None = None
    broken: bool = False  # an unexpected fault while loading: nothing of the file may stay loaded
    supersedes: list[str] = field(default_factory=list)  # what this load replaced, in Chinese (versions.py)
    superseded_by: list[str] = field(default_factory=list)  # files of the same night that replaced it

    def total(self, attr: str) -> int:
        return sum(getattr(s, attr) for s in self.sheets)

    @property
    def ledger_type(self) -> str | None:
        types = {s.ledger_type for s in self.sheets if s.ledger_type}
        return types.pop() if len(types) == 1 else ("mixed" if types else None)

    @property
    def period_end(self) -> date | None:
        ends = [s.period.end for s in self.sheets if s.period]
        return max(ends) if ends else None

    @property
    def scope(self) -> str | None:
        scopes = [s.ledger_scope for s in self.sheets if s.ledger_scope]
        return scopes[0] if scopes else None


@dataclass
class Pending:
    """A sheet read and recognised, waiting to be loaded with others of the same layout."""

    sheet: Sheet
    layout: Layout
    result: SheetResult
    file: FileResult
    meta: dict[str, object]  # lineage and context: load_id, file_name, sha256, loaded_at, year


@dataclass
class Cells:
    """The cells of a batch below each sheet's header, by column position, as stage 1 reads them."""

    text: list[pa.Array]  # normalised where needed; NULL where empty
    normalised: list[tuple[np.ndarray, list[str | None]]]  # (rows, normalised text) of the cells that needed it
    filled: np.ndarray  # per row: any cell not empty
    cleaned: list[tuple[int, np.ndarray, list[str]]] = field(default_factory=list)  # (column, rows, text as read)


def signature(layout: Layout) -> tuple:
    """Sheets whose layouts give the same SQL are loaded together: same spec, same column mapping,
    units and header words (repeated-header detection). Positions of header rows may differ."""
    return (
        layout.spec.ledger_type,
        tuple(
            (m.index, m.spec.name, compact(m.header.split("_")[-1]), m.unit, "%" in m.header,
             tuple(sorted(m.sets.items())))
            for m in layout.columns
        ),
    )


_ARROW = {"VARCHAR": pa.string(), "TIMESTAMP": pa.timestamp("s"), "DATE": pa.date32(), "INTEGER": pa.int32()}
# A sheet's columns besides its cells: the batch's own (__), then the lineage every raw row carries
# (source_row is each row's own: __row).
META_COLUMNS = [("__sheet", pa.int32()), ("__start", pa.int32()), ("__year", pa.int32())] + [
    (c.name, _ARROW[c.type]) for c in LINEAGE_COLUMNS if c.name != "source_row"]


NUMERIC = ("amount", "decimal", "int", "pct")

# Row kinds, as stage 1 classifies them (small ints: the per-sheet passes over them run in numpy).
KIND_NAMES = ("data", "total", "subtotal", "breakdown", "group", "header", "blank", "footnote")


DATA, TOTAL, SUBTOTAL, BREAKDOWN, GROUP, HEADER, BLANK, FOOTNOTE = range(len(KIND_NAMES))


class BatchState:
    """The batch every stage works on: sheets of one layout and the connection they load into."""

    sheet_of: np.ndarray  # per row of the batch, its sheet's position in `items` (set by loader.run)

    def __init__(self, con: duckdb.DuckDBPyConnection, items: list[Pending]):
        self.con = con
        self.items = items
        self.layout = items[0].layout  # all items share its signature
        self.spec: LedgerSpec = self.layout.spec
        self.as_read = {}
        # for sheets rebuilt from a wide one: per column, the spreadsheet column and header of each
        # row of the batch's source (see _source); empty for a batch of plain sheets
        self.origin: dict[int, tuple[np.ndarray, list[str]]] = {}


def sql_str(s: str | None) -> str:
    return "NULL" if s is None else "'" + s.replace("'", "''") + "'"


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


MORSEL_ROWS = 16_384


def morsels(table: pa.Table) -> pa.Table:
    """The table in record batches of MORSEL_ROWS (slices, not copies): DuckDB scans an Arrow
    table one record batch per thread, so one 100,000-row batch would use one core of two."""
    return pa.Table.from_batches(table.to_batches(max_chunksize=MORSEL_ROWS), schema=table.schema)


def sheet_starts(sheet_of: np.ndarray) -> np.ndarray:
    """For each row, the position of its sheet's first row (sheets are contiguous)."""
    first = np.flatnonzero(np.r_[True, sheet_of[1:] != sheet_of[:-1]])
    return np.repeat(first, np.diff(np.r_[first, len(sheet_of)]))


def sheet_ends(sheet_of: np.ndarray) -> np.ndarray:
    """For each row, the position of its sheet's last row."""
    last = np.flatnonzero(np.r_[sheet_of[1:] != sheet_of[:-1], True])
    return np.repeat(last, np.diff(np.r_[-1, last]))


def running_last(marked: np.ndarray) -> np.ndarray:
    """Position of the last marked row at or before each row (marked: position, else -1)."""
    return np.maximum.accumulate(marked) if len(marked) else marked


def take_within(values: pa.ChunkedArray, last: np.ndarray, starts: np.ndarray) -> pa.Array:
    """values[last[i]] where that row is in row i's sheet, else NULL."""
    valid = last >= starts
    return pc.take(values, pa.array(np.where(valid, last, 0), mask=~valid))
