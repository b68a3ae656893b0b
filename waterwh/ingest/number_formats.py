"""Which numeric cells of an xlsx workbook Excel shows as percentages.

A cell formatted `0.00%` that holds 1.105 shows "110.50%": the clerk typed 110.5 into a percentage
cell, or a formula divided two amounts. The reader gets the stored 1.105, and the percent rule
(a value over 1 under a "(%)" header is in points) would read it as 1.105%, without a word. Knowing
the format, the cell is given as the clerk sees it ("110.5%"), which every percent rule reads right.

calamine (through fastexcel) does not expose number formats, so they are read from the package:
the styles part names the cell formats (`cellXfs`) whose number format shows a percent sign; only
a workbook that has one has its sheets scanned for cells of those formats (regular expressions
over the sheet's XML: ~0.1 ms for a few hundred rows, ~0.3 s for a column of 100,000 percentages,
a third of it unzipping). Legacy .xls files keep their stored values.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from xml.etree import ElementTree as ET

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
OFFICE_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
BUILTIN_PERCENT = frozenset({9, 10})  # 0% and 0.00%
_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')  # quoted text, escaped characters, [Red] and [>=100]
_MAY_SHOW_PERCENT = re.compile(rb'%|numFmtId="(?:9|10)"')
_ATTR = re.compile(rb'\b(r|t)="([^"]*)"')
_REF = re.compile(rb"([A-Z]{1,3})([0-9]+)")

PercentCells = dict[int, list[int]]  # column position (A = 0) → row positions (row 1 = 0)


def is_percent_format(code: str) -> bool:
    """Whether a number format code shows positive numbers as a percentage ("0.0%", not "0.0\\%"
    or '0"%"', which only print a percent sign after the number as it is)."""
    return "%" in _LITERALS.sub("", code.split(";")[0])


def percent_cells(zf: zipfile.ZipFile) -> dict[str, PercentCells]:
    """By sheet name, the numeric cells shown as percentages (none for most workbooks: only those
    whose styles define a percent format are scanned)."""
    usual = "xl/styles.xml"
    if usual in zf.NameToInfo and not _MAY_SHOW_PERCENT.search(zf.read(usual)):
        return {}  # ~0.1 ms, where finding the styles part through the relationships costs ~0.3
    workbook = _workbook_part(zf)
    parts = _relationships(zf, workbook)
    styles = next((target for kind, target in parts.values() if kind.endswith("/styles")), None)
    percent = _percent_styles(zf, styles) if styles else frozenset()
    if not percent:
        return {}
    out: dict[str, PercentCells] = {}
    root = ET.fromstring(zf.read(workbook))
    for sheet in root.iter(MAIN + "sheet"):
        kind, target = parts.get(sheet.get(OFFICE_REL + "id", ""), ("", ""))
        if kind.endswith("/worksheet") and target in zf.NameToInfo:
            cells = _sheet_percent_cells(zf.read(target), percent)
            if cells:
                out[sheet.get("name", "")] = cells
    return out


def _workbook_part(zf: zipfile.ZipFile) -> str:
    root = ET.fromstring(zf.read("_rels/.rels"))
    for rel in root.iter(REL + "Relationship"):
        if rel.get("Type", "").endswith("/officeDocument"):
            return rel.get("Target", "").lstrip("/")
    return "xl/workbook.xml"


def _relationships(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """The relationships of a part: id → (type, target part path)."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    if rels not in zf.NameToInfo:
        return {}
    out = {}
    for rel in ET.fromstring(zf.read(rels)).iter(REL + "Relationship"):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id", "")] = (rel.get("Type", ""), path)
    return out


def _percent_styles(zf: zipfile.ZipFile, part: str) -> frozenset[int]:
    """Positions in `cellXfs` (a cell's `s`) of the cell formats whose number format is a percentage."""
    if part not in zf.NameToInfo:
        return frozenset()
    root = ET.fromstring(zf.read(part))
    custom = {int(f.get("numFmtId", "-1")): f.get("formatCode", "") for f in root.iter(MAIN + "numFmt")}
    percent_ids = BUILTIN_PERCENT | {i for i, code in custom.items() if is_percent_format(code)}
    xfs = root.find(MAIN + "cellXfs")
    if xfs is None:
        return frozenset()
    return frozenset(i for i, xf in enumerate(xfs.iter(MAIN + "xf")) if int(xf.get("numFmtId", "0")) in percent_ids)


def _sheet_percent_cells(xml: bytes, styles: frozenset[int]) -> PercentCells:
    """The numeric cells of one sheet whose format is in `styles`, found by their `r` attribute.
    Cells as Excel and most writers write them (`<c r="D4" s="3" t="n">`) are found by one pattern;
    when the style attributes it found are fewer than the sheet holds (another attribute order, a
    styled row), by a pattern for any order; a writer may leave out `r` (the position is then
    implied by order), and the sheet is walked in full."""
    alternation = b"|".join(str(s).encode() for s in sorted(styles))
    usual = re.compile(rb'<c r="([A-Z]{1,3})([0-9]+)" s="(?:' + alternation + rb')"(?: t="([a-z]+)")?(/?)>')
    found = usual.findall(xml)
    if len(found) == sum(xml.count(b' s="%d"' % s) for s in styles):
        cells = [(letters, row) for letters, row, kind, empty in found if kind in (b"", b"n") and not empty]
    else:
        cells = []
        tags = re.compile(rb'<c\b([^>]*?\bs="(?:' + alternation + rb')"[^>]*)>')
        for attrs in tags.findall(xml):
            if attrs.endswith(b"/"):  # <c .../>: no value
                continue
            named = dict(_ATTR.findall(attrs))
            ref = _REF.fullmatch(named.get(b"r", b""))
            if ref is None:
                return _walk_sheet(xml, styles)
            if named.get(b"t", b"n") == b"n":  # not text, boolean, error or date
                cells.append((ref.group(1), ref.group(2)))
    out: PercentCells = {}
    columns: dict[bytes, list[int]] = {}
    for letters, row in cells:
        rows = columns.get(letters)
        if rows is None:
            rows = columns[letters] = out.setdefault(_column(letters), [])
        rows.append(int(row) - 1)
    return out


def _walk_sheet(xml: bytes, styles: frozenset[int]) -> PercentCells:
    """`_sheet_percent_cells` for a sheet whose cells or rows leave out their position (implied
    by order: a row after the previous one, a cell right of the previous one)."""
    out: PercentCells = {}
    row = col = -1
    for event, el in ET.iterparse(io.BytesIO(xml), events=("start", "end")):
        if event == "start" and el.tag == MAIN + "row":
            row, col = (int(el.get("r")) - 1 if el.get("r") else row + 1), -1
        elif event == "start" and el.tag == MAIN + "c":
            ref = _REF.fullmatch((el.get("r") or "").encode())
            col = _column(ref.group(1)) if ref else col + 1
        elif event == "end" and el.tag == MAIN + "c":
            if int(el.get("s", "0")) in styles and el.get("t", "n") == "n" and el.find(MAIN + "v") is not None:
                out.setdefault(col, []).append(row)
            el.clear()
    return out


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n - 1
