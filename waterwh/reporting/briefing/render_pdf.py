"""PDF with embedded Chinese fonts (fpdf2 reads Debian's Noto CJK collections directly).

The font is found with fontconfig; without a CJK font the PDF cannot be written and the message says
which package to install. Output is byte-identical for the same briefing (fixed creation date).
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from waterwh.reporting.briefing import appendix
from waterwh.reporting.briefing.document import Briefing, Heading, Para, Table

FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC", "WenQuanYi Zen Hei", "AR PL UMing CN")


class NoChineseFont(RuntimeError):
    pass


def find_font(style: str = "Regular") -> tuple[str, int]:
    """(font file, index in the collection) of the first installed CJK family."""
    for family in FAMILIES:
        try:
            out = subprocess.run(["fc-list", "-f", "%{file}|%{index}\n", f"{family}:style={style}"],
                                 capture_output=True, text=True, check=True).stdout.split()
        except (OSError, subprocess.CalledProcessError):
            break
        if out:
            file, index = out[0].rsplit("|", 1)
            return file, int(index)
    if style != "Regular":
        return find_font("Regular")
    raise NoChineseFont("写PDF需要中文字体：请安装 fonts-noto-cjk（Debian/Ubuntu: apt-get install fonts-noto-cjk）")


def render(b: Briefing, path: Path) -> None:
    pdf = FPDF(format="A4")
    pdf.set_margins(25, 25, 25)
    pdf.set_creation_date(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    for style, face in (("", "Regular"), ("B", "Bold")):
        file, index = find_font(face)
        pdf.add_font("cjk", style, file, collection_font_number=index)
    pdf.set_title(b.title)
    pdf.set_author("waterwh")
    pdf.add_page()
    pdf.set_font("cjk", "B", 18)
    pdf.multi_cell(0, 11, b.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", "", 10)
    pdf.multi_cell(0, 6, b.subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for block in b.blocks:
        if isinstance(block, Heading):
            pdf.set_font("cjk", "B", 14 if block.level == 1 else 12)
            pdf.multi_cell(0, 9, block.text, new_x="LMARGIN", new_y="NEXT")
        elif isinstance(block, Para):
            pdf.set_font("cjk", "", 12)
            pdf.multi_cell(0, 7.5, "\u3000\u3000" + block.text, align="J", wrapmode="CHAR",
                           new_x="LMARGIN", new_y="NEXT")
        elif isinstance(block, Table):
            rows = [[c if isinstance(c, str) else c.text for c in row] for row in block.rows]
            _table(pdf, block.caption, block.header, rows, 9)
    pdf.add_page()
    pdf.set_font("cjk", "B", 14)
    pdf.cell(0, 9, appendix.TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", "", 9)
    pdf.multi_cell(0, 5, appendix.NOTE, wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")
    _table(pdf, "", appendix.FIGURE_HEADER, appendix.figure_rows(b), 7, (8, 52, 30, 40, 15, 35))
    for heading, sql in appendix.cited_queries(b):
        pdf.set_font("cjk", "B", 9)
        pdf.cell(0, 6, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", "", 7)
        pdf.multi_cell(0, 3.6, sql, wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def _table(pdf: FPDF, caption: str, header: list[str], rows: list[list[str]], size: float,
           widths: tuple[int, ...] | None = None) -> None:
    if caption:
        pdf.set_font("cjk", "B", 10)
        pdf.cell(0, 7, caption, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", "", size)
    with pdf.table(line_height=size * 0.55, wrapmode="CHAR", repeat_headings=1, col_widths=widths,
                   headings_style=FontFace(emphasis="BOLD")) as t:
        for row in [header, *rows]:
            t.row(row)
    pdf.ln(3)
