"""Load ledger files into the raw layer of a DuckDB file.

Per batch of same-layout sheets: the few cells that need it normalised and every row classified in
Arrow and numpy (stage 1), typed and checked in one SQL pass (stage 2, the columns it need not type
left out of it) → raw rows, stated totals, quarantine. Per file: one `audit.file_loads` row whose
counts reconcile (rows_read = rows_loaded + rows_quarantined + rows_skipped).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.cells import (
    cell_flags,
    code_of,
    first_bytes,
    nothing,
    one_array,
    only_bytes,
    put_cells,
    rows_containing,
)
from ingest.layout import Layout, MappedColumn, quantity_factor
from ingest.periods import CN_NUMERALS, Period, PeriodError, numerals_as_digits, parse_period
from ingest.readers import Sheet
from ingest.running_totals import check_running_totals
from ingest.spec import Check, ColumnSpec, LedgerSpec
from ingest.sql_parsers import CELL_UNIT, NULL_TOKENS
from ingest.text import CONTROLS, column_letter, compact, normalise_cells
from waterwh.config import UNIT_TO_WAN

# Row tests of stage 1 (`classify`), on normalised text. `[\t\n\f\r ]` is what `\s` meant when
# they were DuckDB regular expressions (RE2); Python's `\s` matches more.
_FOOTNOTE_WORDS = ("注", "说明", "备注[:：]", "填报人", "填表人", "审核人", "制表人", "填报单位", "联系人", "负责人",
                   "单位负责人", "填表说明", "填报说明", "附注", "数据来源", "资料来源", "制表")
FOOTNOTE_START = re.compile("(" + "|".join(_FOOTNOTE_WORDS) + ")")  # at the start of a row's first filled cell
FOOTNOTE_CODES = np.array(sorted({code_of(w[0]) for w in _FOOTNOTE_WORDS}), dtype=np.uint32)
TOTALISH = re.compile(r"[合总小][\t\n\f\r ]*计|^[\t\n\f\r ]*其中")  # in a row's label cells
TOTAL_WORDS = re.compile(r"[合总][\t\n\f\r ]*计")
SUBTOTAL_WORDS = re.compile(r"小[\t\n\f\r ]*计")
NUMERAL_SEQ = re.compile(r"[(]?[一二三四五六七八九十]+[)、.]?")  # a group row's 序号 (whole cell)
NUMERAL_LEADS = np.array(sorted({c.encode()[0] for c in "(一二三四五六七八九十"}), dtype=np.uint32)
# a group row's label (prefix off) that names an area: 青溪县, 城关镇, 市本级, 高新区
GROUP_AREA = re.compile(r"[\u4e00-\u9fa5]{1,10}?(省|自治州|州|市|县|区|旗|镇|乡|街道)|[\u4e00-\u9fa5]{0,6}本级")
GROUP_PREFIX = re.compile(r"^[(]?[一二三四五六七八九十0-9]+[)、.][\t\n\f\r ]*")  # off a group's label
BOOL_WORDS: dict[str, object] = {"是": True, "否": False, "√": True, "×": False, "Y": True, "N": False,
                                 "已立案": True, "未立案": False, "已结案": True, "未结案": False}


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


def _sql_str(s: str | None) -> str:
    return "NULL" if s is None else "'" + s.replace("'", "''") + "'"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
    # of the cells that held control characters (removed by normalising; reported, never stored)


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


META_COLUMNS = [
    ("__sheet", pa.int32()), ("__start", pa.int32()), ("__year", pa.int32()), ("load_id", pa.string()),
    ("ledger_key", pa.string()), ("source_file", pa.string()), ("source_sheet", pa.string()),
    ("file_sha256", pa.string()), ("loaded_at", pa.timestamp("s")), ("ledger_scope", pa.string()),
    ("report_period_start", pa.date32()), ("report_period_end", pa.date32()), ("period_type", pa.string()),
]


NUMERIC = ("amount", "decimal", "int", "pct")
NUMBER_BYTES = b"0123456789.+-eE"  # all a plain number's cells may hold (DuckDB reads a few more: 1_000)

# Row kinds, as stage 1 classifies them (small ints: the per-sheet passes over them run in numpy).
KIND_NAMES = ("data", "total", "subtotal", "breakdown", "group", "header", "blank", "footnote")
DATA, TOTAL, SUBTOTAL, BREAKDOWN, GROUP, HEADER, BLANK, FOOTNOTE = range(len(KIND_NAMES))
KIND_NAME_SQL = "CASE __kind " + " ".join(f"WHEN {k} THEN '{name}'" for k, name in enumerate(KIND_NAMES)) + " END"


@dataclass
class ParseSql:
    """Stage 2's expressions, by the query layer they are computed in (a layer reads the ones below)."""

    pre: dict[str, str] = field(default_factory=dict)  # quoted name -> per-cell fact several expressions need
    empty: set[str] = field(default_factory=set)  # columns whose `z_<col>` (cell means nothing) is read
    values: list[str] = field(default_factory=list)  # typed value(s) of each column
    derived: list[str] = field(default_factory=list)  # from a typed value: qualifier, unparsed text
    issues: list[tuple[str, str]] = field(default_factory=list)  # (issue text or NULL, column; '!': rejects)


class BatchLoader:
    """Turns sheets of one layout into raw rows.

    Planning the parse SQL costs ~10 ms whatever the rows; a province sends ~12,000 small ledgers
    a night, so sheets of the same layout share one plan. Rows arrive in sheet order, so
    everything that depends on earlier rows (padding after the last row, rows under a footnote,
    group labels, fill-down) is a running index in numpy between classifying and parsing: window
    functions sorted every column of every row and cost more than the parsing.
    """

    typed_plain = True  # columns of plain cells skip the parsers (plain_columns); tests turn it off
    as_read: dict[str, pa.Array]  # plain columns as Arrow read them: numbers, words' positions (plain_columns)

    def __init__(self, con: duckdb.DuckDBPyConnection, items: list[Pending]):
        self.con = con
        self.items = items
        self.layout = items[0].layout  # all items share its signature
        self.spec: LedgerSpec = self.layout.spec
        self.as_read = {}
        # for sheets rebuilt from a wide one: per column, the spreadsheet column and header of each
        # row of the batch's source (see _source); empty for a batch of plain sheets
        self.origin: dict[int, tuple[np.ndarray, list[str]]] = {}

    # ---- stage 1: normalise and classify rows (Arrow and numpy) -------------------------
    def classify(self, cells: Cells) -> pa.Table:
        """Per row, independently of the others: its mapped cells as text (`n_<col>`), whether it
        starts a footnote, and its kind by its cells: blank, a repeated header, a 合计/小计/其中
        row or a group row by its label cells, else data (`label_text`, `group_text` where one
        of those). Tests that hold on few rows (a footnote word, 计 in a label, a numeral
        sequence number) find candidates from the bytes of whole columns and decide in Python:
        the same tests as SQL over every row cost ~75 ms per 100,000 rows, a third of it
        building their result."""
        L, spec, text = self.layout, self.spec, cells.text
        n = len(cells.filled)
        hits = np.zeros(n, dtype=np.int32)
        for m in L.columns:  # a header repeated: its words in two cells or more
            word = compact(m.header.split("_")[-1])
            same = pc.equal(text[m.index], word)
            at, values = cells.normalised[m.index]
            if len(at):  # clean cells hold no space; normalised ones may ("项 目")
                hit = pc.fill_null(same, False).to_numpy(zero_copy_only=False)
                hit[at] = [v is not None and v.replace(" ", "") == word for v in values]
                hits += hit
            elif pc.any(same).as_py():  # most columns repeat their header nowhere
                hits += pc.fill_null(same, False).to_numpy(zero_copy_only=False)
        kind = np.full(n, DATA, dtype=np.int8)
        group = self._group_rows(text, n)
        kind[group] = GROUP
        labels = [text[m.index] for m in L.columns if m.spec.name in spec.label_columns]
        label_of: dict[int, str] = {}
        if labels:
            maybe = np.zeros(n, dtype=bool)
            for col in labels:
                maybe |= rows_containing(col, "计", "其中")
            label_of = self._labels(labels, np.flatnonzero(maybe))
            for i, label in label_of.items():
                if TOTALISH.search(label):
                    kind[i] = (TOTAL if TOTAL_WORDS.search(label)
                               else SUBTOTAL if SUBTOTAL_WORDS.search(label) else BREAKDOWN)
        self._heads(kind, group, text)
        kind[hits >= 2] = HEADER
        kind[self._column_numbers(text, n)] = HEADER  # "1 2 3 …" under the header: the columns' numbers
        kind[~cells.filled] = BLANK
        named = np.flatnonzero((kind >= TOTAL) & (kind <= GROUP))  # label_text: reported totals
        label_of |= self._labels(labels, np.setdiff1d(named, np.fromiter(label_of, int, len(label_of))))
        group_text: dict[int, str] = {}
        g = spec.group_row
        if g and group.any():
            at = np.flatnonzero(kind == GROUP)
            label = text[L.mapped(g["label"]).index]
            group_text = {int(i): GROUP_PREFIX.sub("", v, count=1)
                          for i, v in zip(at, label.take(pa.array(at)).to_pylist(), strict=True)}
        return pa.table({
            "__i": pa.array(np.arange(n, dtype=np.int32)),
            **{"n_" + m.spec.name: text[m.index] for m in L.columns},
            "label_text": _sparse({int(i): label_of[i] for i in named}, n),
            "is_footnote": pa.array(self._footnotes(text, n)),
            "kind": pa.array(kind),
            "group_text": _sparse(group_text, n),
        })

    def _heads(self, kind: np.ndarray, group: np.ndarray, text: list[pa.Array]) -> None:
        """The 拼盘 layout: a 合计 row naming a project (the spec's `heads` column) totals the lines
        below it, not the sheet: a group row of its own. Lines within such a block are its parts,
        never groups of their own (a 资金来源 line without a programme)."""
        m = self.layout.mapped(self.spec.heads or "")
        if m is None:
            return
        named = pc.is_valid(text[m.index]).to_numpy(zero_copy_only=False)
        head = named & ((kind == TOTAL) | (kind == SUBTOTAL))
        if not head.any():
            return
        idx = np.arange(len(kind))
        last_head = _running_last(np.where(head, idx, -1))
        last_end = _running_last(np.where(((kind == TOTAL) | (kind == SUBTOTAL)) & ~head, idx, -1))
        starts = _sheet_starts(self.sheet_of)
        within = (last_head > last_end) & (last_head >= starts) & ~head
        kind[within & group] = DATA
        kind[head] = GROUP

    @staticmethod
    def _labels(labels: list[pa.Array], rows: np.ndarray) -> dict[int, str]:
        """Row → its label cells joined by a space (an empty cell as ''), for a few rows."""
        if not len(rows) or not labels:
            return {}
        at = pa.array(rows)
        parts = [col.take(at).to_pylist() for col in labels]
        return {int(i): " ".join(p or "" for p in row) for i, row in zip(rows, zip(*parts, strict=True), strict=True)}

    @staticmethod
    def _footnotes(text: list[pa.Array], n: int) -> np.ndarray:
        """Rows whose first filled cell starts with 注, 说明, 填报人…"""
        out = np.zeros(n, dtype=bool)
        if not text:
            return out
        first = pc.coalesce(*text)
        maybe = np.flatnonzero(np.isin(first_bytes(first), FOOTNOTE_CODES))
        if len(maybe):
            out[maybe] = [FOOTNOTE_START.match(v) is not None for v in first.take(pa.array(maybe)).to_pylist()]
        return out

    def _column_numbers(self, text: list[pa.Array], n: int) -> np.ndarray:
        """Rows that number the columns (1, 2, 3 … left to right, at least three): templates put
        one under the header; it is no data row."""
        out = np.zeros(n, dtype=bool)
        columns = sorted(m.index for m in self.layout.columns)
        if len(columns) < 3:
            return out
        first = text[columns[0]]
        maybe = np.flatnonzero(pc.fill_null(pc.equal(first, "1"), False).to_numpy(zero_copy_only=False))
        for i in maybe:
            cells = [text[c][int(i)].as_py() for c in columns]
            numbers = [v for v in cells if v is not None]
            out[i] = (len(numbers) >= 3 and all(v.isdigit() for v in numbers)
                      and [int(v) for v in numbers] == list(range(1, len(numbers) + 1)))
        return out

    def _group_rows(self, text: list[pa.Array], n: int) -> np.ndarray:
        """Group rows (大项): a label and no sequence number, or a Chinese-numeral one (一、, (二)).
        In a sheet that numbers its groups only (一、二 …) and none of its items, a row without a
        number is an item, not a group."""
        g, L = self.spec.group_row, self.layout
        out = np.zeros(n, dtype=bool)
        if not (g and L.mapped(g["label"]) and L.mapped(g["when_empty"])):
            return out
        out = pc.is_valid(text[L.mapped(g["label"]).index]).to_numpy(zero_copy_only=False)
        seq = text[L.mapped(g["when_empty"]).index]
        given = pc.is_valid(seq).to_numpy(zero_copy_only=False)
        maybe = np.flatnonzero(out & given & np.isin(first_bytes(seq) >> 16, NUMERAL_LEADS))
        unnumbered = out & ~given
        out = unnumbered.copy()
        if len(maybe):
            out[maybe] = [NUMERAL_SEQ.fullmatch(v) is not None for v in seq.take(pa.array(maybe)).to_pylist()]
            numeral = np.zeros(n, dtype=bool)
            numeral[maybe] = out[maybe]
            # an item's number starts with a digit (1, 1.2, 1●); a 合计 or a note in the column, or the row numbering
            # the columns is none
            digits = pc.fill_null(pc.match_substring_regex(seq, "^[(]?[0-9]"), False).to_numpy(zero_copy_only=False)
            numbered_items = given & ~numeral & digits & ~self._column_numbers(text, n)
            for sheet in np.unique(self.sheet_of):  # per sheet: groups numbered, items not
                rows = self.sheet_of == sheet
                if numeral[rows].any() and not numbered_items[rows].any():
                    out[rows & unnumbered] = False
        return out

    def row_kinds(self, stage1: pa.Table, sheet_of: np.ndarray,
                  starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(kind, counted): the final kind of each row and whether it counts as read.

        Rows after a sheet's last non-blank one are padding, not part of the ledger (not counted);
        every row from a footnote (注：, 填报人) on is footnote. `starts`: each row's sheet's first row."""
        kind = stage1.column("kind").to_numpy().astype(np.int8)
        n = len(kind)
        idx = np.arange(n)
        filled = np.where(kind != BLANK, idx, -1)
        # the last non-blank row at or after each row, within its sheet
        last_after = np.minimum.accumulate(np.where(filled >= 0, filled, n)[::-1])[::-1]
        ends = _sheet_ends(sheet_of)
        counted = last_after <= ends
        note = _running_last(np.where(stage1.column("is_footnote").to_numpy(zero_copy_only=False), idx, -1))
        kind[(note >= starts) & (kind != BLANK)] = FOOTNOTE
        return kind, counted

    def parse_input(self, stage1: pa.Table, kind: np.ndarray, keep: np.ndarray,
                    src: pa.Table, sheet_of: np.ndarray, starts: np.ndarray) -> pa.Table:
        """The rows that are ledger content, with each column's effective text (`m_<col>`): after
        fill-down (merged cells in approval ledgers) and the group label (大项 → parent_project)."""
        idx = np.arange(len(kind))
        content = keep & (kind != BLANK) & (kind != HEADER) & (kind != FOOTNOTE)
        cols: dict[str, pa.Array] = {}
        group_text = stage1.column("group_text")
        is_area = np.zeros(len(kind), dtype=bool)
        if self.spec.group_area and pc.any(pc.is_valid(group_text)).as_py():
            # a group row named after an area (二、青溪县, （一）市本级): the area of the rows under it,
            # not a 大项; a 大项 under it holds until the next area
            named = np.flatnonzero(np.asarray(pc.is_valid(group_text).to_numpy(zero_copy_only=False)))
            is_area[named] = [GROUP_AREA.fullmatch(v) is not None for v in group_text.take(pa.array(named)).to_pylist()]
        area = _running_last(np.where(content & (kind == GROUP) & is_area, idx, -1))
        group = _running_last(np.where(content & (kind == GROUP) & ~is_area, idx, -1))
        group[group < area] = -1
        group_label = (_take_within(group_text, group, starts) if (group >= 0).any()
                       else pa.nulls(len(kind), pa.string()))
        area_label = (_take_within(group_text, area, starts) if (area >= 0).any()
                      else pa.nulls(len(kind), pa.string()))
        for m in self.layout.columns:
            name = m.spec.name
            col = stage1.column("n_" + name)
            if name in self.spec.fill_down:
                have = np.asarray(pc.is_valid(col).to_numpy(zero_copy_only=False))
                col = _take_within(col, _running_last(np.where(content & have, idx, -1)), starts)
            if name == self.spec.heads:  # a 拼盘 block's lines take the project of its 合计 line
                marker = (kind == GROUP) | (kind == TOTAL) | (kind == SUBTOTAL)
                col = pc.coalesce(col, _take_within(col, _running_last(np.where(content & marker, idx, -1)), starts))
            if name == self.spec.group_target:
                col = pc.coalesce(col, group_label)
            if name == self.spec.group_area:
                col = pc.coalesce(col, area_label)
            cols["m_" + name] = col
        years = np.array([it.meta["year"] for it in self.items], dtype=np.int32)
        table = pa.table({
            "__i": stage1.column("__i"),
            "__sheet": src.column("__sheet"),
            "__row": src.column("__row"),
            "__year": pa.array(years[sheet_of]),
            "__from_title": pa.array([self.items[i].meta.get("from_title") for i in range(len(self.items))],
                                     pa.string()).take(pa.array(sheet_of)),
            "__kind": pa.array(kind),
            "label_text": stage1.column("label_text"),
            "__group_label": group_label,
            "__group_area": area_label,
            **cols,
            **{c: stage1.column(c) for c in stage1.column_names if c.startswith(("d_", "x_"))},  # plain_columns
        })
        return table if content.all() else table.filter(pa.array(content))

    # ---- stage 2: typed values, issues --------------------------------------------------
    def _gated(self) -> list[MappedColumn]:
        """Columns that may turn out plain: numeric, enum and bool ones that are not required
        (a required column is always parsed, for its check) and no row rule reads as an enum."""
        checked = {c for k in self._checks() for c in k.columns}
        return [m for m in self.layout.columns if not m.spec.not_null and (m.spec.type in NUMERIC or (
                m.spec.type in ("enum", "bool") and self._enum_words(m.spec) and m.spec.name not in checked))]

    def plain_sql(self, m: MappedColumn) -> str:
        """Whether every cell of numeric column `m` is empty or a finite number (the `isfinite(d)`
        branch every numeric parser starts with) its column's type holds (a value beyond it is NULL
        and a problem of the cell: the parsers say so), over `plain_src`. `_plain_numbers` is the
        same test on numbers Arrow read."""
        c = m.spec
        d = f"try_cast(n_{c.name} AS DOUBLE)"
        factor, limit = _limit(m)
        fits = "TRUE" if math.isinf(limit) else f"abs({d} * {factor}) < {limit}"
        if c.min is not None:  # a value below it is a problem of the cell
            fits += f" AND {d} * {factor} >= {c.min}"
        return f"bool_and(coalesce(n_{c.name} IS NULL OR (isfinite({d}) AND {fits}), FALSE))"

    def plain_columns(self, stage1: pa.Table) -> tuple[set[str], dict[str, pa.Array]]:
        """Columns in which every cell of the batch is plain: empty, a finite number, an enum word
        exactly as written. Stage 2 types them without the parsers, and none of their cells can
        have a problem. Read off stage 1's rows (every row of the batch: a superset of those stage 2
        parses, carried-down cells included): the parsers, derived columns and checks this spares
        cost ~7 ms a column, and a sixth of stage 2's planning for the numeric ones.

        A numeric column with a byte no number has (约, 万, a comma) is not plain. The others are
        read as numbers by Arrow (~2 ms a column): what Arrow reads, DuckDB's cast reads as the same
        number (tests/test_cells.py), so stage 2 types these numbers (`d_<col>`) instead of reading
        the text again. A column Arrow cannot read whole ("1_000", which DuckDB reads) is asked of
        DuckDB (~4 ms a column). Returned with the plain columns: by name, what was read (numbers;
        for an enum, the position of each cell's word)."""
        if not self.typed_plain:
            return set(), {}
        plain, ask, read = set(), [], {}
        for m in self._gated():
            c, n = m.spec, one_array(stage1.column("n_" + m.spec.name))
            if c.type not in NUMERIC:
                found = pc.index_in(n, value_set=pa.array([k for k, _ in self._enum_words(c)], pa.string()))
                if found.null_count == n.null_count:  # every word one of the column's
                    plain.add(c.name)
                    read[c.name] = found
            elif only_bytes(n, NUMBER_BYTES):
                try:
                    numbers = pc.cast(n, pa.float64())
                except pa.ArrowInvalid:
                    ask.append(m)
                    continue
                if _plain_numbers(numbers, *_limit(m), m.spec.min):
                    plain.add(c.name)
                    read[c.name] = numbers
        if ask:
            self.con.register("plain_src", _morsels(stage1.select(["n_" + m.spec.name for m in ask])))
            [tests] = self.con.sql(f"SELECT {', '.join(self.plain_sql(m) for m in ask)} FROM plain_src").fetchall()
            plain |= {m.spec.name for m, ok in zip(ask, tests, strict=True) if ok is not False}
        return plain, read

    def _plain_value(self, m: MappedColumn) -> str:
        """The value stage 2's parser gives a plain cell of numeric column `m` (see `plain_columns`;
        enum columns of plain cells are typed in Arrow), from the number Arrow read (`d_<col>`) or
        else DuckDB's."""
        c, n = m.spec, _q("m_" + m.spec.name)
        d = _q("d_" + c.name) if c.name in self.as_read else f"try_cast({n} AS DOUBLE)"
        if c.type == "amount":
            return f"TRY_CAST({_round(f'{d} * {_factor(m)}', 4)} AS DECIMAL(18,4))"
        if c.type == "decimal":
            return f"{d} * {_factor(m)}"
        if c.type == "int":
            return f"TRY_CAST(round({d} * {_factor(m)}) AS BIGINT)"
        if c.type == "pct":
            is_pct = _is_pct(m)
            fraction = f"CASE WHEN {is_pct} AND {d} > 1 THEN {d} / 100 WHEN {d} > 1.5 THEN {d} / 100 ELSE {d} END"
            return f"TRY_CAST({_round(fraction, 6)} AS DECIMAL(9,6))"
        raise ValueError(f"no plain value for column {c.name} of type {c.type}")

    def parse_exprs(self, plain: set[str] = frozenset()) -> ParseSql:
        """The SQL of stage 2, from each column's effective text `m_<col>`.

        What several expressions of a cell need is computed once per cell in `pre` (each reference
        to a macro is evaluated anew): the cell as a plain number (`d_`, NULL unless it is one: most
        numeric cells are, and skip every regex), the text without spaces for enums (`e_`). Whether
        the text means "nothing" (`z_`) comes with the input (`arrow_values`). Columns in `plain`
        hold only plain cells (`plain_columns`): typed directly, no derived columns, no checks.
        Columns `in_arrow` are not here at all."""
        sql = ParseSql()

        def pre(prefix: str, name: str, expr: str) -> str:
            col = _q(prefix + name)
            sql.pre.setdefault(col, expr)
            return col

        in_arrow = self.in_arrow(plain)
        for m in self.layout.columns:
            c = m.spec
            n = _q("m_" + c.name)
            col = _q(c.name)
            if c.name in in_arrow:
                continue
            if c.name in plain:
                sql.values.append(f"{self._plain_value(m)} AS {col}")
                continue
            header = m.header.replace("_", " ")
            bad = f"'「{header}」' || "
            sql.empty.add(c.name)
            given = f"NOT {_q('z_' + c.name)}"
            # the cell as a double, for the *_of parsers (NULL unless a plain number)
            d = pre("d_", c.name, f"try_cast({n} AS DOUBLE)") if c.type in NUMERIC else "NULL::DOUBLE"
            if c.type == "amount":
                factor = _factor(m)
                wan = f"TRY_CAST({_round(f'wh_to_wan_of({n}, {d}, {factor})', 4)} AS DECIMAL(18,4))"
                read = col  # what the cell reads as: the value, or before `min` (read once) the number
                if c.min is not None:
                    read = wan = pre("w_", c.name, wan)
                sql.values.append(f"{_at_least(wan, c.min)} AS {col}")
                sql.issues.append((
                    f"CASE WHEN {read} IS NULL AND {given} THEN "
                    f"{bad}'应为金额（{m.unit or c.unit or '万元'}），实际为「' || {n} || '」' "
                    f"{_below_min(read, c.min, bad, n)} END",
                    c.name,
                ))
            elif c.type in ("decimal", "int"):
                # "68.05%" in a value column is a percentage: stored as the fraction 0.6805
                val = f"wh_number_of({n}, {d}) * {_factor(m)}"
                if c.type == "decimal":
                    val += f" / CASE WHEN contains({n}, '%') THEN 100 ELSE 1 END"
                if c.type == "int":  # beyond BIGINT: NULL, and a problem of the cell below
                    val = f"TRY_CAST(round({val}) AS BIGINT)"
                read = col
                if c.min is not None:
                    read = val = pre("w_", c.name, val)
                sql.values.append(f"{_at_least(val, c.min)} AS {col}")
                if not c.qualified:
                    sql.issues.append((
                        f"CASE WHEN {read} IS NULL AND {given} THEN {bad}'应为数字，实际为「' || {n} || '」' "
                        f"{_below_min(read, c.min, bad, n)} END",
                        c.name,
                    ))
                elif c.min is not None:
                    sql.issues.append((f"CASE {_below_min(read, c.min, bad, n)} END", c.name))
            elif c.type == "pct":
                is_pct = _is_pct(m)
                sql.values.append(f"TRY_CAST({_round(f'wh_pct_of({n}, {d}, {is_pct})', 6)} AS DECIMAL(9,6)) AS {col}")
                if not c.qualified:
                    sql.issues.append((
                        f"CASE WHEN {col} IS NULL AND {given} THEN {bad}'应为百分比，实际为「' || {n} || '」' END",
                        c.name,
                    ))
            elif c.type == "date":
                sql.values.append(f"wh_date({n}, __year) AS {col}")
                sql.issues.append((
                    f"CASE WHEN {col} IS NULL AND {given} THEN "
                    f"{bad}'应为日期（如2025-04-08），实际为「' || {n} || '」' END",
                    c.name,
                ))
            elif c.type in ("enum", "bool"):
                values = self._enum_values(c)
                e = pre("e_", c.name, f"replace({n}, ' ', '')")
                sql.values.append(f"{self._enum_case(e, self._enum_words(c), c.type)} AS {col}")
                expected = "、".join(list(values)[:8])
                sql.issues.append((
                    f"CASE WHEN {col} IS NULL AND {given} THEN "
                    f"{bad}'无法识别的取值「' || {n} || '」（可填：{expected}…）' END",
                    c.name,
                ))
            elif c.type == "rank":
                sql.values.append(f"wh_rank({n}) AS {col}")
                sql.values.append(f"wh_rank_of({n}) AS {_q(c.name + '_of')}")
            elif c.type == "period":
                sql.values.append(f"{n} AS {_q(c.name + '_label')}")
            else:
                raise ValueError(f"no SQL for column {c.name} of type {c.type}")
            if c.qualified:
                sql.derived.append(
                    f"CASE WHEN {col} IS NOT NULL THEN wh_qualifier_of({n}, {d}) END AS {_q(c.name + '_qualifier')}")
                sql.derived.append(f"CASE WHEN {col} IS NULL AND {given} THEN {n} END AS {_q(c.name + '_text')}")
        if self.spec.columns:
            sql.issues = [self._required(e, name) for e, name in sql.issues]
            have = {name for _, name in sql.issues}
            sql.empty |= {name[1:] for name in have if name.startswith("!")}
            for m in self.layout.columns:
                if m.spec.not_null and "!" + m.spec.name not in have:
                    sql.empty.add(m.spec.name)
                    header = m.header.replace("_", " ")
                    sql.issues.append((
                        f"CASE WHEN {_q('z_' + m.spec.name)} THEN '「{header}」为必填项，不能为空' END",
                        "!" + m.spec.name,
                    ))
        for i, k in enumerate(self._checks()):  # rules over a row's values: the row is quarantined
            sql.issues.append((f"CASE WHEN {k.when} THEN {k.reason_sql()} END", f"!{k.columns[0]}#{i}"))
        return sql

    def _checks(self) -> list[Check]:
        """The spec's row rules this sheet has every column of."""
        mapped = {m.spec.name for m in self.layout.columns}
        return [k for k in self.spec.checks if set(k.columns) <= mapped]

    def in_arrow(self, plain: set[str]) -> set[str]:
        """Columns whose values need no SQL: text ('—', '/' and the like mean "nothing", not the
        text "—") and enum or bool columns of plain cells. Typed in Arrow (`arrow_values`), they
        never pass through DuckDB: a string that does is copied in and out (~3 ms a column)."""
        checked = {c for k in self._checks() for c in k.columns}  # a row rule reads them in SQL
        return {m.spec.name for m in self.layout.columns if m.spec.name not in checked and (
                (m.spec.type == "text" and not m.spec.qualified)
                or (m.spec.name in plain and m.spec.type in ("enum", "bool")))}

    def arrow_values(self, rows: pa.Table, plain: set[str], empty: set[str]) -> tuple[pa.Table, dict[str, pa.Array]]:
        """Stage 2's input (`rows` with `z_<col>` for the columns in `empty`, without the text of
        columns SQL does not read) and the values of the columns `in_arrow`."""
        in_arrow, values = self.in_arrow(plain), {}
        # the texts a unit column falls back to, before stage 2's input drops them
        written = {s: rows.column("m_" + s) for m in self.layout.columns for s in m.spec.from_cells
                   if "m_" + s in rows.column_names}
        for m in self.layout.columns:
            c, text = m.spec, rows.column("m_" + m.spec.name)
            if c.name in empty or (c.name in in_arrow and c.type == "text"):
                z = pa.array(nothing(one_array(text), NULL_TOKENS))
                if c.name in empty:
                    rows = rows.append_column("z_" + c.name, z)
            if c.name in self.as_read and c.type in NUMERIC:  # stage 2 reads the number (`d_<col>`)
                rows = rows.drop_columns(["m_" + c.name])
            if c.name not in in_arrow:
                continue
            if c.type == "text":
                values[c.name] = pc.if_else(z, pa.scalar(None, text.type), text)
                for source in (s for s in c.from_cells if s in written):
                    found = pc.struct_field(pc.extract_regex(written[source], CELL_UNIT), "unit")
                    values[c.name] = pc.coalesce(values[c.name], found)
            else:  # the words of a plain column, as written
                lit = pa.array([_word_value(v, c.type) for _, v in self._enum_words(c)],
                               pa.bool_() if c.type == "bool" else pa.string())
                values[c.name] = lit.take(rows.column("x_" + c.name))  # the word's position (plain_columns)
                rows = rows.drop_columns(["x_" + c.name])
            rows = rows.drop_columns(["m_" + c.name])
        return rows, values

    def _required(self, expr: str, name: str) -> tuple[str, str]:
        """A parse problem in a required column rejects the whole row; say so in the same entry."""
        m = self.layout.mapped(name)
        if m is None or not m.spec.not_null:
            return expr, name
        header = m.header.replace("_", " ")
        return (
            f"coalesce({expr}, CASE WHEN {_q('z_' + name)} THEN '「{header}」为必填项，不能为空' END)",
            "!" + name,
        )

    @staticmethod
    def _enum_values(c: ColumnSpec) -> dict[str, object]:
        """Word → value of an enum or bool column, as the spec lists them (bool: yes/no words)."""
        return dict(c.values) or (BOOL_WORDS if c.type == "bool" else {})

    @classmethod
    def _enum_words(cls, c: ColumnSpec) -> list[tuple[str, object]]:
        """(word as compared, value) of an enum or bool column: without spaces, longest first."""
        return sorted(((compact(k), v) for k, v in cls._enum_values(c).items()), key=lambda kv: -len(kv[0]))

    @staticmethod
    def _enum_case(e: str, words: list[tuple[str, object]], kind: str) -> str:
        """`e`: the cell without spaces. Exact words first, then words the cell starts with."""
        def lit(v: object) -> str:
            value = _word_value(v, kind)
            return ("TRUE" if value else "FALSE") if kind == "bool" else _sql_str(str(value))

        exact = " ".join(f"WHEN {e} = {_sql_str(k)} THEN {lit(val)}" for k, val in words)
        prefix = " ".join(f"WHEN starts_with({e}, {_sql_str(k)}) THEN {lit(val)}" for k, val in words)
        return f"CASE {exact} {prefix} END"

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
            starts = _sheet_starts(sheet_of)
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

    def _finish(self, read: np.ndarray, src: pa.Table, rows: pa.Table, plain: set[str],
                cleaned: list[tuple[int, np.ndarray, list[str]]]) -> None:
        con, L, spec = self.con, self.layout, self.spec
        sql = self.parse_exprs(plain)
        rows, in_arrow = self.arrow_values(rows, plain, sql.empty)
        con.register("batch_rows", _morsels(rows))
        exprs, issues = sql.values, sql.issues
        target = spec.group_target
        if target and not L.mapped(target):
            exprs.append(f"__group_label AS {_q(target)}")
        if spec.group_area and not L.mapped(spec.group_area):
            exprs.append(f"__group_area AS {_q(spec.group_area)}")
        if spec.from_title and not L.mapped(spec.from_title["column"]):
            exprs.append(f"__from_title AS {_q(spec.from_title['column'])}")
        issue_cols = [f"{e} AS {_q('i_' + col)}" for e, col in issues]
        reject_cols = [col for _, col in issues if col.startswith("!")]
        reject = " OR ".join(f"{_q('i_' + c)} IS NOT NULL" for c in reject_cols) or "FALSE"
        inputs = [*(_q(c) for c in rows.column_names if c.startswith(("m_", "z_", "d_"))),
                  "__group_label", "__group_area", "__from_title", *sql.pre]
        pre = ", ".join(f"{expr} AS {name}" for name, expr in sql.pre.items()) or "NULL AS p__none"
        # Nested, not lateral aliases: DuckDB would re-evaluate an aliased expression at every use.
        parsed = con.sql(f"""
            SELECT *, ({reject}) AS __reject FROM (
                SELECT * EXCLUDE ({", ".join(inputs)}), {", ".join(sql.derived + issue_cols) or "NULL AS i__none"}
                FROM (
                    SELECT *, {", ".join(exprs) or "NULL AS v__none"}
                    FROM (SELECT *, {pre} FROM batch_rows)
                )
            )
        """).to_arrow_table()
        if not parsed.column("__i").equals(rows.column("__i")):  # a projection keeps the order of its input
            raise RuntimeError("stage 2 changed the order of the rows")
        for name, values in in_arrow.items():
            parsed = parsed.append_column(name, values)
        con.register("sheet_parsed", _morsels(parsed))
        sheet = parsed.column("__sheet").to_numpy()
        data = parsed.column("__kind").to_numpy() == DATA
        rejected = parsed.column("__reject").to_numpy(zero_copy_only=False).astype(bool)
        n = len(self.items)
        loaded = np.bincount(sheet[data & ~rejected], minlength=n)
        quarantined = np.bincount(sheet[data & rejected], minlength=n)
        subtotal = np.bincount(sheet[~data], minlength=n)
        for i, it in enumerate(self.items):
            r = it.result
            r.rows_read, r.rows_loaded = int(read[i]), int(loaded[i])
            r.rows_quarantined, r.rows_subtotal = int(quarantined[i]), int(subtotal[i])
            r.rows_skipped = r.rows_read - r.rows_loaded - r.rows_quarantined

        raw_cols = [n for n, _ in spec.raw_columns()]
        produced = set(parsed.column_names)
        lineage = {c: f"meta.{c}" for c, _ in META_COLUMNS if not c.startswith("__")} | {"source_row": "p.__row"}
        derived_values = {k: _sql_str(v) for m in L.columns for k, v in m.sets.items()}
        select = []
        for col in raw_cols:
            if col in lineage:
                select.append(lineage[col])
            elif col in produced:
                select.append(f"p.{_q(col)}")
            elif col in derived_values:
                select.append(derived_values[col])
            else:
                select.append("NULL")
        with _one_thread(con):
            con.execute(
                f"INSERT INTO raw.{spec.table} ({', '.join(_q(c) for c in raw_cols)}) "
                f"SELECT {', '.join(select)} FROM sheet_parsed AS p JOIN batch_meta AS meta USING (__sheet) "
                f"WHERE p.__kind = {DATA} AND NOT p.__reject"
            )
        self._quarantine([col for _, col in issues], parsed, data, rejected, src, cleaned)
        for sheet, n in check_running_totals(con, spec, L).items():
            self.items[sheet].result.cell_issues += n
        self._periods_per_row()
        if not data.all():  # a 合计, 小计, 其中 or group row
            self._reported_totals()

    def _periods_per_row(self) -> None:
        """Period columns (e.g. 统计期) have few distinct values: parse them in Python once each.
        A cell naming no period, or one not understood, keeps its text and goes to quarantine."""
        for m in self.layout.columns:
            if m.spec.type != "period":
                continue
            name = m.spec.name
            labels = self.con.execute(
                f"SELECT DISTINCT r.{name}_label, meta.__year FROM raw.{self.spec.table} AS r "
                f"JOIN batch_meta AS meta ON meta.load_id = r.load_id AND meta.source_sheet = r.source_sheet "
                f"WHERE r.{name}_label IS NOT NULL AND r.{name}_start IS NULL"
            ).fetchall()
            where = (f"FROM batch_meta AS meta WHERE meta.load_id = r.load_id "
                     f"AND meta.source_sheet = r.source_sheet AND meta.__year = ? AND r.{name}_label = ?")
            for label, year in labels:
                try:
                    p = parse_period(label, default_year=int(year))
                    reason = None if p else f"「{label}」不是统计期（应为如「2025年1-3月」「上半年」「2025年度」）"
                except PeriodError as exc:
                    p, reason = None, f"统计期{exc}"
                if p:
                    self.con.execute(
                        f"UPDATE raw.{self.spec.table} AS r SET {name}_start = ?, {name}_end = ?, {name}_type = ? "
                        + where, [p.start, p.end, p.type, year, label])
                    continue
                cells = f"FROM raw.{self.spec.table} AS r, batch_meta AS meta " + where.removeprefix(
                    "FROM batch_meta AS meta ")
                for sheet, n in self.con.execute(f"SELECT meta.__sheet, count(*) {cells} GROUP BY 1",
                                                 [year, label]).fetchall():
                    self.items[sheet].result.cell_issues += n
                self.con.execute(
                    f"INSERT INTO audit.quarantine SELECT r.load_id, r.source_file, r.source_sheet, r.source_row, "
                    f"?, ?, r.{name}_label, ?, 'cell_nulled', ?, ? {cells} ORDER BY r.source_sheet, r.source_row",
                    [name, m.header, reason, self.spec.ledger_type, column_letter(m.index), year, label],
                )

    def _quarantine(self, issue_cols: list[str], parsed: pa.Table, data: np.ndarray, rejected: np.ndarray,
                    src: pa.Table, cleaned: list[tuple[int, np.ndarray, list[str]]]) -> None:
        """One audit row per problem cell of a data row: the row rejected (a required column) or
        the cell nulled; and one per cell of a loaded column that held control characters, which
        were removed (`cell_cleaned`). Gathered in Arrow: problem cells are few, and the raw value
        is a take from the source by row position, not a join over every row of the batch."""
        parts: list[pa.Table] = [self._cleaned_cells(src, i, rows, read) for i, rows, read in cleaned
                                 if any(m.index == i for m in self.layout.columns)]
        nulled = np.zeros(len(self.items), dtype=np.int64)
        sheet, row, index = (parsed.column(c) for c in ("__sheet", "__row", "__i"))
        sheet_no = sheet.to_numpy()
        for col in issue_cols:
            reason = parsed.column("i_" + col)
            problem = data & np.asarray(pc.is_valid(reason).to_numpy(zero_copy_only=False), dtype=bool)
            if not problem.any():
                continue
            nulled += np.bincount(sheet_no[problem & ~rejected], minlength=len(nulled))
            at = pa.array(np.flatnonzero(problem))
            name = col.lstrip("!").split("#")[0]  # (a row rule's, reported under its first column)
            m = self.layout.mapped(name)
            n = len(at)
            raw = (pc.take(src.column(f"c{m.index}"), pc.take(index, at)) if m
                   else pa.nulls(n, pa.string()))
            letters, headers = self._cells_of(m, pc.take(index, at).to_numpy(), name)
            parts.append(pa.table({
                "__sheet": pc.take(sheet, at), "__row": pc.take(row, at),
                "column_name": pa.array([name] * n, pa.string()),
                "header": pa.array(headers, pa.string()),
                "raw_value": raw, "reason": pc.take(reason, at),
                "action": pa.array(np.where(rejected[problem], "row_rejected", "cell_nulled"), pa.string()),
                "letter": pa.array(letters, pa.string()),
            }))
        for i, it in enumerate(self.items):
            it.result.cell_issues = int(nulled[i])
        if not parts:
            return
        self.con.register("quarantine_src", pa.concat_tables(parts))
        try:
            self.con.execute(f"""
                INSERT INTO audit.quarantine
                SELECT meta.load_id, meta.source_file, meta.source_sheet, q.__row, q.column_name, q.header,
                       q.raw_value, q.reason, q.action, {_sql_str(self.spec.ledger_type)}, q.letter
                FROM quarantine_src AS q JOIN batch_meta AS meta ON meta.__sheet = q.__sheet
                ORDER BY q.__sheet, q.__row, q.column_name
            """)
        finally:
            self.con.unregister("quarantine_src")

    def _cells_of(self, m: MappedColumn | None, positions: np.ndarray, name: str) -> tuple[list, list]:
        """The spreadsheet column letter and header of column `m`'s cells at source `positions`:
        its own, or, for a sheet rebuilt from a wide one, each cell's own."""
        n = len(positions)
        if m is None:
            return [None] * n, [name] * n
        if m.index not in self.origin:
            return [column_letter(m.index)] * n, [m.header] * n
        columns, headers = self.origin[m.index]
        return ([column_letter(int(columns[p])) for p in positions],
                [headers[p] or m.header for p in positions])

    def _cleaned_cells(self, src: pa.Table, index: int, rows: np.ndarray, read: list[str]) -> pa.Table:
        m = next(m for m in self.layout.columns if m.index == index)
        at, n = pa.array(rows), len(rows)
        letters, headers = self._cells_of(m, np.asarray(rows), m.header)
        shown = [CONTROLS.sub(lambda c: f"\\x{ord(c.group(0)):02x}", v) for v in read]
        return pa.table({
            "__sheet": pc.take(src.column("__sheet"), at), "__row": pc.take(src.column("__row"), at),
            "column_name": pa.array([m.spec.name] * n, pa.string()),
            "header": pa.array(headers, pa.string()), "raw_value": pa.array(shown, pa.string()),
            "reason": pa.array(["含不可见的控制字符（如 \\x00，多见于系统导出的文件），已删除后入库"] * n, pa.string()),
            "action": pa.array(["cell_cleaned"] * n, pa.string()),
            "letter": pa.array(letters, pa.string()),
        })

    def _reported_totals(self) -> None:
        """Stated 合计/小计/group values, with the data rows each one is a total of."""
        measures = [m.spec.name for m in self.layout.columns if m.spec.type in ("amount", "decimal", "int")]
        if not measures:
            return
        markers: dict[int, list[tuple[int, str]]] = {}
        for sheet, row, kind in self.con.execute(
            f"SELECT __sheet, __row, __kind FROM sheet_parsed WHERE __kind <> {DATA} ORDER BY __sheet, __row"
        ).fetchall():
            markers.setdefault(sheet, []).append((row, KIND_NAMES[kind]))
        data_rows = {sheet: (lo, hi) for sheet, lo, hi in self.con.execute(
            f"SELECT __sheet, min(__row), max(__row) FROM sheet_parsed WHERE __kind = {DATA} GROUP BY 1"
        ).fetchall()}
        spans: list[tuple[int, int, int | None, int | None]] = []
        for sheet, marks in markers.items():
            if sheet not in data_rows:
                continue
            spans += [(sheet, *span) for span in _spans(marks, *data_rows[sheet])]
        if not spans:
            return
        self.con.register("spans_src", pa.table({
            "__sheet": pa.array([s[0] for s in spans], pa.int32()), "r": pa.array([s[1] for s in spans], pa.int32()),
            "f": pa.array([s[2] for s in spans], pa.int32()), "t": pa.array([s[3] for s in spans], pa.int32()),
        }))
        try:
            self.con.execute("CREATE OR REPLACE TEMP TABLE spans AS SELECT * FROM spans_src")
        finally:
            self.con.unregister("spans_src")
        unions = " UNION ALL ".join(
            f"SELECT * FROM (SELECT __sheet, __row, {KIND_NAME_SQL} AS row_kind, label_text, "
            f"{_sql_str(ms)} AS measure, TRY_CAST({_q(ms)} AS DECIMAL(18,4)) AS v "
            f"FROM sheet_parsed WHERE __kind <> {DATA}) WHERE v IS NOT NULL"
            for ms in measures
        )
        self.con.execute(f"""
            INSERT INTO raw.reported_totals
            SELECT meta.load_id, meta.ledger_key, {_sql_str(self.spec.ledger_type)}, meta.source_file,
                   meta.source_sheet, u.__row, u.row_kind, nullif(trim(u.label_text), ''),
                   u.measure, u.v, s.f, s.t, meta.report_period_end
            FROM ({unions}) u JOIN spans s ON s.__sheet = u.__sheet AND s.r = u.__row
            JOIN batch_meta AS meta ON meta.__sheet = u.__sheet
            ORDER BY u.__sheet, u.__row, u.measure
        """)


MORSEL_ROWS = 16_384


@contextmanager
def _one_thread(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run statements on one thread. Appending rows that are already computed is faster so
    (100,000 ledger rows: 0.09 s, 0.12-0.16 s on two threads, which append to separate row
    groups and then merge them)."""
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    con.execute("SET threads = 1")
    try:
        yield
    finally:
        con.execute(f"SET threads = {int(threads)}")


def _word_value(v: object, kind: str) -> object:
    """The value an enum word stands for as its raw column holds it (bool: yes or no)."""
    return v in (True, "true", "True", 1) if kind == "bool" else str(v)


def _text(column: pa.Array, at: np.ndarray, values: list[str | None], filled: np.ndarray) -> pa.Array:
    """The column with the cells at `at` replaced by their normalised `values`, NULL where not `filled`."""
    if len(at):
        column = put_cells(column, at, values)
    if filled.all():
        return column
    return pc.if_else(pa.array(filled), column, pa.scalar(None, column.type))


def _at_least(value: str, low: float | None) -> str:
    """SQL: the value, or NULL below the column's `min` (the check says why: `_below_min`)."""
    return value if low is None else f"CASE WHEN {value} < {low} THEN NULL ELSE {value} END"


def _below_min(value: str, low: float | None, bad: str, cell: str) -> str:
    """SQL: the WHEN branch of a column's issue for a value below its `min` ('' without one)."""
    if low is None:
        return ""
    words = "不能为负数" if low == 0 else f"不能小于{low:g}"
    return f"WHEN {value} < {low} THEN {bad}'{words}，实际为「' || {cell} || '」'"


def _limit(m: MappedColumn) -> tuple[float, float]:
    """(factor, limit): a number d of numeric column `m` fits its raw column's type when
    |d × factor| < limit (DECIMAL(18,4) in 万元, BIGINT, DECIMAL(9,6) as a fraction: a negative
    percentage is kept as written, so -1000 does not fit; within ±999 every reading of it does)."""
    return {"amount": (_factor(m), 1e14), "int": (_factor(m), 9e18), "pct": (1.0, 999.0)}.get(
        m.spec.type, (_factor(m), math.inf))


def _plain_numbers(numbers: pa.Array, factor: float, limit: float, low: float | None = None) -> bool:
    """Whether every number is NULL or finite and within |d × factor| < limit, and not below the
    column's `low` (`plain_sql`)."""
    d = numbers.to_numpy(zero_copy_only=False)  # NULL → NaN
    ok = np.isfinite(d) & (np.abs(d * factor) < limit)
    if low is not None:
        ok &= d * factor >= low
    if numbers.null_count:
        ok |= ~pc.is_valid(numbers).to_numpy(zero_copy_only=False)
    return bool(ok.all())


def _sparse(values: dict[int, str], n: int) -> pa.Array:
    """A string column of n rows, NULL but at the positions given (a column of Python Nones
    costs ~2 ms per 100,000 rows to convert)."""
    if not values:
        return pa.nulls(n, pa.string())
    at = np.sort(np.fromiter(values, dtype=np.int64, count=len(values)))
    return put_cells(pa.nulls(n, pa.string()), at, [values[int(i)] for i in at])


def _round(expr: str, digits: int) -> str:
    """SQL: `round(expr, digits)` as DuckDB computes it (std::round(x * 10^d) / 10^d), at a third
    of its cost; it differs only where x * 10^d overflows, which the DECIMAL cast around it makes
    NULL either way."""
    return f"round(({expr}) * {10**digits}) / {10**digits}"


def _is_pct(m: MappedColumn) -> str:
    """SQL TRUE when a percentage column's header says its numbers are points (完成率(%))."""
    return "TRUE" if (m.unit == "%" or "%" in m.header) else "FALSE"


def _factor(m: MappedColumn) -> float:
    """An amount column's unit as a factor to 万元 (the header's unit, else the spec's); a
    quantity's, to the unit its column keeps ("里程（m）": 0.001 to km)."""
    if m.spec.type != "amount":
        return quantity_factor(m)
    return UNIT_TO_WAN.get(m.unit or m.spec.unit or "万元", 1.0)


def _morsels(table: pa.Table) -> pa.Table:
    """The table in record batches of MORSEL_ROWS (slices, not copies): DuckDB scans an Arrow
    table one record batch per thread, so one 100,000-row batch would use one core of two."""
    return pa.Table.from_batches(table.to_batches(max_chunksize=MORSEL_ROWS), schema=table.schema)


def _sheet_starts(sheet_of: np.ndarray) -> np.ndarray:
    """For each row, the position of its sheet's first row (sheets are contiguous)."""
    first = np.flatnonzero(np.r_[True, sheet_of[1:] != sheet_of[:-1]])
    return np.repeat(first, np.diff(np.r_[first, len(sheet_of)]))


def _sheet_ends(sheet_of: np.ndarray) -> np.ndarray:
    """For each row, the position of its sheet's last row."""
    last = np.flatnonzero(np.r_[sheet_of[1:] != sheet_of[:-1], True])
    return np.repeat(last, np.diff(np.r_[-1, last]))


def _running_last(marked: np.ndarray) -> np.ndarray:
    """Position of the last marked row at or before each row (marked: position, else -1)."""
    return np.maximum.accumulate(marked) if len(marked) else marked


def _take_within(values: pa.ChunkedArray, last: np.ndarray, starts: np.ndarray) -> pa.Array:
    """values[last[i]] where that row is in row i's sheet, else NULL."""
    valid = last >= starts
    return pc.take(values, pa.array(np.where(valid, last, 0), mask=~valid))


def _spans(markers: list[tuple[int, str]], first_data: int, last_data: int) -> list[tuple[int, int | None, int | None]]:
    """(marker row, first, last data row it totals) for each 合计/小计/group/其中 row of one sheet."""
    spans: list[tuple[int, int | None, int | None]] = []
    for i, (row, kind) in enumerate(markers):
        if kind == "total":
            spans.append((row, first_data, last_data))
        elif kind == "group":
            nxt = next((r for r, k in markers[i + 1 :] if k in ("group", "total", "subtotal")), None)
            spans.append((row, row + 1, (nxt - 1) if nxt else last_data))
        elif kind == "subtotal":
            prev = next((r for r, k in reversed(markers[:i]) if k in ("group", "subtotal", "total")), None)
            spans.append((row, (prev + 1) if prev else first_data, row - 1))
        else:
            spans.append((row, None, None))
    return spans
