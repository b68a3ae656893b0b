"""Stage 1 of loading a batch: classify every row (data, 合计/小计, group, header repeated, blank,
footnote) by its own cells, then give each data row its effective text: fill-down, group labels,
the area of a group row named after one, the project of a 拼盘 block's 合计 line.

Tests that hold on few rows find candidates from the bytes of whole columns (numpy) and decide
in Python; everything that depends on earlier rows is a running index over the batch, in sheet
order (see ingest/batch.py).
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from waterwh.ingest.batch import (
    BLANK,
    BREAKDOWN,
    DATA,
    FOOTNOTE,
    GROUP,
    HEADER,
    SUBTOTAL,
    TOTAL,
    BatchState,
    Cells,
    running_last,
    sheet_ends,
    sheet_starts,
    take_within,
)
from waterwh.ingest.cells import (
    code_of,
    first_bytes,
    put_cells,
    rows_containing,
)
from waterwh.ingest.text import compact

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


class RowStage(BatchState):
    """Classify the rows of the batch and give each its effective text (`m_<col>`)."""

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
        last_head = running_last(np.where(head, idx, -1))
        last_end = running_last(np.where(((kind == TOTAL) | (kind == SUBTOTAL)) & ~head, idx, -1))
        starts = sheet_starts(self.sheet_of)
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
        ends = sheet_ends(sheet_of)
        counted = last_after <= ends
        note = running_last(np.where(stage1.column("is_footnote").to_numpy(zero_copy_only=False), idx, -1))
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
        area = running_last(np.where(content & (kind == GROUP) & is_area, idx, -1))
        group = running_last(np.where(content & (kind == GROUP) & ~is_area, idx, -1))
        group[group < area] = -1
        group_label = (take_within(group_text, group, starts) if (group >= 0).any()
                       else pa.nulls(len(kind), pa.string()))
        area_label = (take_within(group_text, area, starts) if (area >= 0).any()
                      else pa.nulls(len(kind), pa.string()))
        for m in self.layout.columns:
            name = m.spec.name
            col = stage1.column("n_" + name)
            if name in self.spec.fill_down:
                have = np.asarray(pc.is_valid(col).to_numpy(zero_copy_only=False))
                col = take_within(col, running_last(np.where(content & have, idx, -1)), starts)
            if name == self.spec.heads:  # a 拼盘 block's lines take the project of its 合计 line
                marker = (kind == GROUP) | (kind == TOTAL) | (kind == SUBTOTAL)
                col = pc.coalesce(col, take_within(col, running_last(np.where(content & marker, idx, -1)), starts))
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


def _sparse(values: dict[int, str], n: int) -> pa.Array:
    """A string column of n rows, NULL but at the positions given (a column of Python Nones
    costs ~2 ms per 100,000 rows to convert)."""
    if not values:
        return pa.nulls(n, pa.string())
    at = np.sort(np.fromiter(values, dtype=np.int64, count=len(values)))
    return put_cells(pa.nulls(n, pa.string()), at, [values[int(i)] for i in at])
