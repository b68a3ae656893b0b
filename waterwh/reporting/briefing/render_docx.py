"""Word (.docx), as the bureau files its 通报: 仿宋 body, 黑体/楷体 headings, and a comment on every
figure naming its table and query (the appendix repeats them for print)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.comments import CT_Comments
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.run import Run

from waterwh.reporting.briefing import appendix
from waterwh.reporting.briefing.document import Briefing, Figure, Heading, Para, Segment, Table

BODY_FONT, TITLE_FONT, H1_FONT, H2_FONT = "仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312"


def _font(run: Run, name: str, size: float, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)  # Word takes Chinese glyphs from eastAsia, not from font.name
    for theme in ("w:asciiTheme", "w:eastAsiaTheme", "w:hAnsiTheme"):
        fonts.attrib.pop(qn(theme), None)


class _Fonts:
    """Run properties built once per (font, size, bold) and copied onto each new run: python-docx's
    attribute setters cost ~0.3 ms a run, and a province's 通报 has ~11,000 runs (3 s → 0.1 s)."""

    def __init__(self) -> None:
        self._templates: dict[tuple[str, float, bool], object] = {}

    def __call__(self, run: Run, name: str, size: float, bold: bool = False) -> None:
        template = self._templates.get((name, size, bold))
        if template is None:
            _font(run, name, size, bold)
            self._templates[(name, size, bold)] = deepcopy(run._element.rPr)
        else:
            run._element.insert(0, deepcopy(template))  # a new run has no rPr; it must come first


def _segments(doc, fonts: _Fonts, paragraph, segments: list[Segment], size: float) -> None:
    for s in segments:
        run = paragraph.add_run(s if isinstance(s, str) else s.text)
        fonts(run, BODY_FONT, size)
        if isinstance(s, Figure):
            doc.add_comment(run, text=f"{s.label}：来源 {s.query.table}，字段 {s.column}，见附录查询{s.query.no}",
                            author="waterwh", initials="WH")


def _table(doc, fonts: _Fonts, header: list[str], rows: list[list[Segment]], size: float = 10.5) -> None:
    # every row at once: add_row() re-reads the table grid for each new row (1,600 rows: ~2 s)
    t = doc.add_table(rows=1 + len(rows), cols=len(header))
    t.style = "Table Grid"
    table_rows = iter(t.rows)
    for cell, text in zip(next(table_rows).cells, header, strict=True):
        fonts(cell.paragraphs[0].add_run(text), H1_FONT, size)
    for row, table_row in zip(rows, table_rows, strict=True):
        for cell, seg in zip(table_row.cells, row, strict=True):
            _segments(doc, fonts, cell.paragraphs[0], [seg], size)


@contextmanager
def _comment_ids_in_order() -> Iterator[None]:
    """python-docx 1.2 finds each new comment's id by reading every existing comment's id: O(n²) for
    a province 通报's ~1,300 cited figures (~4 s of ~10). This document only appends comments, so the
    next id is the last comment's plus one. Restored on exit."""
    original = CT_Comments._next_available_comment_id
    w_id = qn("w:id")

    def after_last(self: CT_Comments) -> int:
        last = self[-1] if len(self) else None
        return int(last.get(w_id)) + 1 if last is not None and last.get(w_id) is not None else original(self)

    CT_Comments._next_available_comment_id = after_last  # type: ignore[method-assign]
    try:
        yield
    finally:
        CT_Comments._next_available_comment_id = original  # type: ignore[method-assign]


def render(b: Briefing, path: Path) -> None:
    with _comment_ids_in_order():
        _render(b, path)


def _render(b: Briefing, path: Path) -> None:
    doc = Document()
    fonts = _Fonts()
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fonts(title.add_run(b.title), TITLE_FONT, 22)
    sub = doc.add_paragraph()
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fonts(sub.add_run(b.subtitle), H2_FONT, 14)
    for block in b.blocks:
        if isinstance(block, Heading):
            p = doc.add_paragraph()
            fonts(p.add_run(block.text), H1_FONT if block.level == 1 else H2_FONT, 16)
        elif isinstance(block, Para):
            p = doc.add_paragraph()
            p.paragraph_format.first_line_indent = Pt(32)
            _segments(doc, fonts, p, block.segments, 16)
        elif isinstance(block, Table):
            if block.caption:
                fonts(doc.add_paragraph().add_run(block.caption), H2_FONT, 14)
            _table(doc, fonts, block.header, block.rows)
    doc.add_page_break()
    fonts(doc.add_paragraph().add_run(appendix.TITLE), H1_FONT, 16)
    fonts(doc.add_paragraph().add_run(appendix.NOTE), BODY_FONT, 12)
    _table(doc, fonts, appendix.FIGURE_HEADER, appendix.figure_rows(b), 9)
    for heading, sql in appendix.cited_queries(b):
        fonts(doc.add_paragraph().add_run(heading), H2_FONT, 12)
        fonts(doc.add_paragraph().add_run(sql), "Consolas", 8)
    doc.core_properties.title = b.title
    doc.core_properties.author = "waterwh"
    doc.save(str(path))
