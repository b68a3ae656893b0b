"""Write built sheets to disk, byte-for-byte reproducibly.

xlsx goes through xlsxwriter with a fixed `created` property (xlsxwriter also fixes the zip
entry timestamps), so the same sheets give the same bytes. Big merge-free workbooks use
`constant_memory`. CSV is written in the encoding a clerk's export would use (GBK, UTF-8 with BOM).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import xlsxwriter

from waterwh.samples.sheet import Cell, Sheet
from waterwh.samples.truth import FileRecord, QuarantineRecord, TotalRecord

FIXED_CREATED = datetime(2025, 1, 1, 8, 0, 0)
CONSTANT_MEMORY_ROWS = 3000
DEFAULT_WIDTH = 12


@dataclass
class LedgerFile:
    rel_path: str  # relative to the output folder, with forward slashes
    sheets: list[Sheet]
    superseded: bool = False
    csv_encoding: str | None = None  # None: xlsx; else "gbk", "utf-8-sig", "utf-8"

    @property
    def ledger_type(self) -> str:
        types = {s.ledger_type for s in self.sheets}
        return types.pop() if len(types) == 1 else "mixed"


def write_ledger(
    out_dir: Path, lf: LedgerFile
) -> tuple[FileRecord, list[QuarantineRecord], list[TotalRecord]]:
    path = out_dir / lf.rel_path
    path.parent.mkdir(parents=True, exist_ok=True)
    if lf.csv_encoding:
        if len(lf.sheets) != 1:
            raise ValueError("a CSV file holds exactly one sheet")
        # A CSV's only sheet is named after the file, as a reader sees it.
        lf.sheets[0].name = path.stem
        _write_csv(path, lf.sheets[0], lf.csv_encoding)
    else:
        _write_xlsx(path, lf.sheets)
    records, quarantine, totals = [], [], []
    for sh in lf.sheets:
        rec, q, t = sh.finish(lf.rel_path, collect_totals=not lf.superseded)
        if lf.superseded and q:
            raise ValueError(f"{lf.rel_path}: keep quarantined rows out of superseded files")
        records.append(rec)
        quarantine += q
        totals += t
    return FileRecord(lf.rel_path, lf.ledger_type, records, lf.superseded), quarantine, totals


def _write_xlsx(path: Path, sheets: list[Sheet]) -> None:
    has_merges = any(s.header_merges or s.body_merges for s in sheets)
    big = sum(len(s.rows) for s in sheets) > CONSTANT_MEMORY_ROWS and not has_merges
    wb = xlsxwriter.Workbook(
        str(path),
        {
            "in_memory": not big,
            "constant_memory": big,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    wb.set_properties(
        {"created": FIXED_CREATED, "author": "填报单位", "comments": "waterwh sample"}
    )
    title_fmt = wb.add_format(
        {"bold": True, "font_size": 14, "text_wrap": True, "align": "center", "valign": "vcenter"}
    )
    head_fmt = wb.add_format(
        {"bold": True, "text_wrap": True, "align": "center", "valign": "vcenter", "border": 1}
    )
    merge_fmt = wb.add_format({"valign": "vcenter", "text_wrap": True})
    date_fmts: dict[str, object] = {}
    for sh in sheets:
        ws = wb.add_worksheet(sh.name)
        date_fmt = date_fmts.get(sh.date_format)
        if date_fmt is None:
            date_fmt = date_fmts[sh.date_format] = wb.add_format({"num_format": sh.date_format})
        widths = sh.col_widths or [DEFAULT_WIDTH] * sh.width
        for c, w in enumerate(widths):
            ws.set_column(c, c, w)
        r = 0
        for title in sh.titles:
            if sh.width > 1:
                ws.merge_range(r, 0, r, sh.width - 1, title, title_fmt)
            else:
                ws.write_string(r, 0, title, title_fmt)
            r += 1
        covered: set[tuple[int, int]] = set()
        for r0, c0, r1, c1 in sh.header_merges:
            ws.merge_range(r + r0, c0, r + r1, c1, sh.header[r0][c0] or "", head_fmt)
            covered.update((rr, cc) for rr in range(r0, r1 + 1) for cc in range(c0, c1 + 1))
        for hr, hrow in enumerate(sh.header):
            for c, text in enumerate(hrow):
                if (hr, c) not in covered and text:
                    ws.write_string(r + hr, c, text, head_fmt)
        r += len(sh.header)
        merged_first: dict[tuple[int, int], int] = {}
        merged_rest: set[tuple[int, int]] = set()
        for first, last, col in sh.body_merges:
            merged_first[(first, col)] = last
            merged_rest.update((i, col) for i in range(first + 1, last + 1))
        for i, row in enumerate(sh.rows):
            for c, v in enumerate(row.cells):
                if (i, c) in merged_rest:
                    continue
                last = merged_first.get((i, c))
                if last is not None and last > i:
                    ws.merge_range(r + i, c, r + last, c, "" if v is None else str(v), merge_fmt)
                    continue
                _write_cell(ws, r + i, c, v, date_fmt)
    wb.close()


def _write_cell(
    ws: xlsxwriter.worksheet.Worksheet, r: int, c: int, v: Cell, date_fmt: object
) -> None:
    if v is None or v == "":
        return
    if isinstance(v, str):
        ws.write_string(r, c, v)
    elif isinstance(v, int | float):
        ws.write_number(r, c, v)
    elif isinstance(v, date):
        ws.write_datetime(r, c, datetime(v.year, v.month, v.day), date_fmt)
    else:  # pragma: no cover - the Cell type admits nothing else
        raise TypeError(type(v))


def csv_text(v: Cell) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return v.isoformat()


def _write_csv(path: Path, sh: Sheet, encoding: str) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for title in sh.titles:
        w.writerow([title])
    for hrow in sh.header:
        w.writerow([h or "" for h in hrow])
    for row in sh.rows:
        w.writerow([csv_text(v) for v in row.cells])
    path.write_bytes(buf.getvalue().encode(encoding))
