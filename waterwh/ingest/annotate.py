"""An annotated copy of a clerk's workbook: every problem cell highlighted and commented in Chinese.

For .xlsx the original workbook is opened (formatting kept); .xls and .csv are rebuilt, as .xlsx,
from the cells as read (by the isolated reader: the copy is never a second, unguarded read). What
openpyxl cannot write is cleaned or skipped, never a crash after the clerk's message: control
characters are dropped, a cell reading "=HYPERLINK(…)" stays text, a sheet name Excel forbids is
changed, and a workbook openpyxl cannot open (pivot caches, strict OOXML) gets no copy, with the
reason (`NoCopy`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from waterwh.ingest.readers import ZIP_EXCEL_SUFFIXES, Sheet
from waterwh.ingest.text import CONTROLS

BAD_ROW = PatternFill("solid", fgColor="FFC7CE")  # light red: the row was not loaded
BAD_CELL = PatternFill("solid", fgColor="FFEB9C")  # amber: the cell was set empty, the row loaded
CLEANED = PatternFill("solid", fgColor="DDEBF7")  # blue: loaded, invisible characters removed
AUTHOR = "waterwh 检查"
MAX_COPY_BYTES = 20 * 1024 * 1024  # openpyxl holds a workbook in memory: ~50x its size
_SHEET_NAME = re.compile(r"[\\/?*\[\]:]")


class NoCopy(Exception):
    """The annotated copy could not be written; the message says why (in Chinese)."""


def annotate(
    source: Path,
    problems: list[tuple[str, int, str | None, str, str]],
    sheet_errors: dict[str, str],
    out: Path,
    sheets: list[Sheet] | None = None,
) -> Path:
    """problems: (sheet, row_number, column_letter or None, reason, action); `sheets`: the cells as
    read, to rebuild a .xls or .csv from. NoCopy when no copy can be written."""
    try:
        wb, names = _workbook(source, sheets)
        _mark(wb, names, problems, sheet_errors)
        out.parent.mkdir(parents=True, exist_ok=True)
        wb.save(out)
    except NoCopy:
        raise
    except Exception as exc:  # openpyxl on what it does not support (pivot caches, strict OOXML, …)
        out.unlink(missing_ok=True)
        raise NoCopy(f"标注副本未生成：openpyxl 无法处理该文件（{type(exc).__name__}: {str(exc)[:160]}）") from exc
    return out


def _workbook(source: Path, sheets: list[Sheet] | None) -> tuple[Workbook, dict[str, str]]:
    """The workbook to mark, and each sheet's name in it by its name as read."""
    if source.stat().st_size > MAX_COPY_BYTES:
        raise NoCopy(f"标注副本未生成：文件较大（{source.stat().st_size / 1e6:.0f} MB），请按上表逐项核对")
    if source.suffix.lower() in ZIP_EXCEL_SUFFIXES:
        wb = load_workbook(source)
        return wb, {name: name for name in wb.sheetnames}
    if sheets is None:
        raise NoCopy("标注副本未生成：没有读到的单元格")
    wb = Workbook()
    wb.remove(wb.active)
    names: dict[str, str] = {}
    for sheet in sheets:
        title = _title(sheet.name, set(names.values()))
        names[sheet.name] = title
        ws = wb.create_sheet(title)
        for r, row in enumerate(sheet.table.to_pylist(), start=1):
            for c, value in enumerate(row.values(), start=1):
                if value is None:
                    continue
                cell = ws.cell(r, c)
                cell.value = CONTROLS.sub("", value)
                cell.data_type = "s"  # as read: text, never a formula ("=HYPERLINK(…)" from a CSV)
    return wb, names


def _title(name: str, taken: set[str]) -> str:
    """A sheet name Excel accepts: none of \\ / ? * [ ] :, at most 31 characters, not taken."""
    base = _SHEET_NAME.sub("_", CONTROLS.sub("", name)).strip("'")[:31] or "Sheet"
    title, n = base, 1
    while title in taken:
        n += 1
        title = f"{base[:28]}({n})"
    return title


def _writable(ws: Worksheet, coordinate: str) -> Cell:
    """The cell to mark: inside a merged range, its top-left cell (the others take no comment)."""
    cell = ws[coordinate]
    if isinstance(cell, MergedCell):
        for merged in ws.merged_cells.ranges:
            if coordinate in merged:
                return ws.cell(merged.min_row, merged.min_col)
    return cell


def _mark(wb: Workbook, names: dict[str, str], problems: list[tuple[str, int, str | None, str, str]],
          sheet_errors: dict[str, str]) -> None:
    by_cell: dict[tuple[str, int, str], list[tuple[str, str]]] = defaultdict(list)
    for sheet, row, letter, reason, action in problems:
        by_cell[(sheet, row, letter or "A")].append((reason, action))
    for (sheet, row, letter), items in by_cell.items():
        if names.get(sheet) not in wb.sheetnames:
            continue
        cell = _writable(wb[names[sheet]], f"{letter}{row}")
        actions = {a for _, a in items}
        if "row_rejected" in actions:
            cell.fill, verdict = BAD_ROW, "本行未入库（已隔离），请更正后重新报送"
        elif "cell_nulled" in actions:
            cell.fill, verdict = BAD_CELL, "该单元格按空值入库，请更正后重新报送"
        else:
            cell.fill, verdict = CLEANED, "已删除不可见字符后入库"
        text = "\n".join(r for r, _ in items) + f"\n→ {verdict}"
        cell.comment = Comment(CONTROLS.sub("", text), AUTHOR, width=320, height=120)
    for sheet, message in sheet_errors.items():
        if names.get(sheet) in wb.sheetnames:
            cell = _writable(wb[names[sheet]], "A1")
            cell.fill = BAD_ROW
            cell.comment = Comment(CONTROLS.sub("", f"整张工作表未入库：{message}"), AUTHOR, width=360, height=140)
