"""Which cells Excel shows as percentages (ingest/number_formats.py)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from waterwh.ingest.number_formats import is_percent_format, percent_cells
from waterwh.ingest.readers import read_excel


@pytest.mark.parametrize(("code", "percent"), [
    ("0%", True), ("0.00%", True), ("0.0%;[Red]-0.0%", True), ("[>=1]0%;0.00", True), ("#,##0.0%", True),
    ('0.00"%"', False), ("0.0\\%", False), ("General", False), ("0.00", False), ('"完成"0%', True),
    ("0.00;0.00%", False),  # a positive number is shown without a percent sign
])
def test_a_percent_format_is_told_from_a_percent_sign_printed_as_text(code: str, percent: bool) -> None:
    assert is_percent_format(code) is percent


def _workbook(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    pct, builtin, plain = wb.add_format({"num_format": "0.0%"}), wb.add_format({"num_format": 10}), wb.add_format()
    ws = wb.add_worksheet("台账")
    ws.write_row(0, 1, ["项目", "完成率"])
    ws.write_number(1, 2, 1.105, pct)  # C2
    ws.write_string(2, 2, "95%", pct)  # text in a percentage cell: shown as written
    ws.write_blank(3, 2, None, pct)  # formatted, empty
    ws.write_formula(4, 2, "=C2/2", builtin, 0.5525)  # C5: a formula's number
    ws.write_number(5, 2, 0.3, plain)
    ws.write_boolean(6, 2, True, pct)
    other = wb.add_worksheet("说明")
    other.write_number(9, 27, 2, builtin)  # AB10
    wb.add_worksheet("空白")
    wb.close()
    return path


def test_the_numeric_cells_of_percent_formats_are_found_by_sheet(tmp_path: Path) -> None:
    with zipfile.ZipFile(_workbook(tmp_path / "w.xlsx")) as zf:
        assert percent_cells(zf) == {"台账": {2: [1, 4]}, "说明": {27: [9]}}


def test_cells_without_their_position_are_found_by_their_order(tmp_path: Path) -> None:
    """Some writers leave out `r` (it is optional): a row follows the one before, a cell the one on its left."""
    src = tmp_path / "w.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    pct = wb.add_format({"num_format": "0%"})
    ws = wb.add_worksheet("S")
    ws.write_row(0, 0, ["项目", "完成率", "备注"])
    for r, (name, rate) in enumerate([("甲", 1.105), ("乙", 0.2)], start=1):
        ws.write_row(r, 0, [name, rate, "—"])
        ws.write_number(r, 1, rate, pct)
    ws.write_number(5, 1, 0.7, pct)  # B6, after a gap: keeps its position
    wb.close()
    dst = tmp_path / "no-r.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'(<(?:c|row)) r="(?:[A-C][1-3]|[1-3])"', rb"\1", data)
                assert b'r="B2"' not in data and b'r="B6"' in data  # removed what it says it does
            zout.writestr(info, data)
    with zipfile.ZipFile(dst) as zf:
        assert percent_cells(zf) == {"S": {1: [1, 2, 5]}}


def test_a_workbook_without_percent_formats_is_not_scanned(tmp_path: Path) -> None:
    path = tmp_path / "plain.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("S").write_number(0, 0, 1.5)
    wb.close()
    with zipfile.ZipFile(path) as zf:
        assert percent_cells(zf) == {}


def test_the_reader_places_columns_where_the_clerk_sees_them_and_shows_percentages(tmp_path: Path) -> None:
    sheets = {s.name: s for s in read_excel(_workbook(tmp_path / "w.xlsx"))}
    sheet = sheets["台账"]
    assert sheet.table.column("c0").null_count == sheet.height  # column A is empty, not dropped
    assert sheet.table.column("c2").to_pylist()[:2] == ["完成率", "1.105"]
    shown = sheet.percent_as_shown([2]).table.column("c2").to_pylist()
    assert shown[:6] == ["完成率", "110.5%", "95%", None, "55.25%", "0.3"]
    assert sheet.percent_as_shown([1]).table.equals(sheet.table)  # other columns keep their values


def test_cells_whose_attributes_come_in_another_order_are_found(tmp_path: Path) -> None:
    src = _workbook(tmp_path / "w.xlsx")
    dst = tmp_path / "order.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data, n = re.subn(rb'<c r="([A-Z]+[0-9]+)" s="([0-9]+)"', rb'<c s="\2" r="\1"', data)
                assert n or info.filename.endswith("sheet3.xml")
            zout.writestr(info, data)
    with zipfile.ZipFile(dst) as zf:
        assert percent_cells(zf) == {"台账": {2: [1, 4]}, "说明": {27: [9]}}
