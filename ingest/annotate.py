"""An annotated copy of a clerk's workbook: every problem cell highlighted and commented in Chinese.

For .xlsx the original workbook is opened (formatting kept); .xls and .csv are rebuilt from the
cells read, as .xlsx.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill

from ingest.readers import ZIP_EXCEL_SUFFIXES, read_sheets

BAD_ROW = PatternFill("solid", fgColor="FFC7CE")  # light red: the row was not loaded
BAD_CELL = PatternFill("solid", fgColor="FFEB9C")  # amber: the cell was set empty, the row loaded
AUTHOR = "waterwh 检查"


def annotate(
    source: Path,
    problems: list[tuple[str, int, str | None, str, str]],
    sheet_errors: dict[str, str],
    out: Path,
) -> Path:
    """problems: (sheet, row_number, column_letter or None, reason, action)."""
    if source.suffix.lower() in ZIP_EXCEL_SUFFIXES:
        wb = load_workbook(source)
    else:
        wb = Workbook()
        wb.remove(wb.active)
        for sheet in read_sheets(source):
            ws = wb.create_sheet(sheet.name[:31])
            for row in sheet.table.to_pylist():
                ws.append([v for v in row.values()])
    by_cell: dict[tuple[str, int, str], list[tuple[str, str]]] = defaultdict(list)
    for sheet, row, letter, reason, action in problems:
        by_cell[(sheet, row, letter or "A")].append((reason, action))
    for (sheet, row, letter), items in by_cell.items():
        if sheet not in wb.sheetnames:
            continue
        cell = wb[sheet][f"{letter}{row}"]
        rejected = any(a == "row_rejected" for _, a in items)
        cell.fill = BAD_ROW if rejected else BAD_CELL
        verdict = "本行未入库（已隔离）" if rejected else "该单元格按空值入库"
        text = "\n".join(r for r, _ in items) + f"\n→ {verdict}，请更正后重新报送"
        cell.comment = Comment(text, AUTHOR, width=320, height=120)
    for sheet, message in sheet_errors.items():
        if sheet in wb.sheetnames:
            cell = wb[sheet]["A1"]
            cell.fill = BAD_ROW
            cell.comment = Comment(f"整张工作表未入库：{message}", AUTHOR, width=360, height=140)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
