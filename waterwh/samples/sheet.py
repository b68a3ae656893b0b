"""A sheet as the generator builds it: title rows, header rows, and self-describing body rows.

Every body row carries its kind, so the answer key's row accounting is a count rather than a
guess: rows_read = every body row (title and header rows excluded, nothing after the last
non-empty row) = loaded + quarantined + skipped; skipped = blank, repeated header, footnote,
group and (sub)total rows; rows_subtotal = the group/subtotal/total rows (all of which carry
values in these samples).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from waterwh.samples.cells import Amount
from waterwh.samples.truth import QuarantineRecord, SheetRecord, TotalRecord

Cell = str | int | float | date | None


class Kind(StrEnum):
    DATA = "data"
    QUARANTINE = "quarantine"
    BLANK = "blank"
    REPEAT_HEADER = "repeat_header"
    FOOTNOTE = "footnote"
    GROUP = "group"
    SUBTOTAL = "subtotal"
    TOTAL = "total"


TOTAL_KINDS = frozenset({Kind.GROUP, Kind.SUBTOTAL, Kind.TOTAL})


@dataclass(frozen=True)
class Bad:
    """Why a data row is rejected: the canonical column (None = whole row) and its raw text."""

    column: str | None
    raw_value: str | None
    why: str


@dataclass(frozen=True)
class Stated:
    """A value a total row states, and the sum of the loaded rows it covers (both in 0.01万元)."""

    label: str
    measure: str
    reported: Amount
    computed: Amount


@dataclass
class Row:
    cells: list[Cell]
    kind: Kind
    bad: Bad | None = None
    stated: list[Stated] = field(default_factory=list)


@dataclass
class Sheet:
    name: str
    ledger_type: str
    scope: str
    period_end: date
    width: int
    titles: list[str] = field(default_factory=list)
    header: list[list[str | None]] = field(default_factory=list)
    # (first_row, first_col, last_row, last_col) inside the header block, 0-based.
    header_merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    # Vertical merges in the body: (first_row_index, last_row_index, col).
    body_merges: list[tuple[int, int, int]] = field(default_factory=list)
    date_format: str = "yyyy-mm-dd"
    col_widths: list[int] | None = None

    def add(
        self,
        kind: Kind,
        cells: list[Cell],
        bad: Bad | None = None,
        stated: list[Stated] | None = None,
    ) -> int:
        if kind is Kind.QUARANTINE and bad is None:
            raise ValueError("a quarantined row needs a reason")
        self.rows.append(Row(cells, kind, bad, stated or []))
        return len(self.rows) - 1

    def blank(self) -> None:
        self.add(Kind.BLANK, [])

    def repeat_header(self) -> None:
        self.add(Kind.REPEAT_HEADER, list(self.header[-1]))

    def footnote(self, text: str) -> None:
        self.add(Kind.FOOTNOTE, [text])

    @property
    def first_body_row(self) -> int:
        """1-based Excel row number of the first body row."""
        return len(self.titles) + len(self.header) + 1

    def row_number(self, index: int) -> int:
        return self.first_body_row + index

    def finish(
        self, path: str, collect_totals: bool = True
    ) -> tuple[SheetRecord, list[QuarantineRecord], list[TotalRecord]]:
        if self.rows and self.rows[-1].kind is Kind.BLANK:
            raise ValueError(f"{path}:{self.name}: trailing blank rows are not part of a ledger")
        counts = {k: 0 for k in Kind}
        quarantine: list[QuarantineRecord] = []
        totals: list[TotalRecord] = []
        for i, row in enumerate(self.rows):
            counts[row.kind] += 1
            if row.kind in TOTAL_KINDS and not row.stated:
                raise ValueError(f"{path}:{self.name}: total row {i} states no value")
            if row.bad is not None:
                quarantine.append(
                    QuarantineRecord(
                        path,
                        self.name,
                        self.row_number(i),
                        row.bad.column,
                        row.bad.raw_value,
                        row.bad.why,
                    )
                )
            if collect_totals:
                for s in row.stated:
                    totals.append(
                        TotalRecord(
                            path,
                            self.name,
                            self.row_number(i),
                            s.label,
                            s.measure,
                            s.reported / 100,
                            s.computed / 100,
                        )
                    )
        loaded = counts[Kind.DATA]
        quarantined = counts[Kind.QUARANTINE]
        record = SheetRecord(
            sheet=self.name,
            ledger_type=self.ledger_type,
            ledger_scope=self.scope,
            report_period_end=self.period_end.isoformat(),
            rows_read=len(self.rows),
            rows_loaded=loaded,
            rows_quarantined=quarantined,
            rows_skipped=len(self.rows) - loaded - quarantined,
            rows_subtotal=sum(counts[k] for k in TOTAL_KINDS),
        )
        return record, quarantine, totals
