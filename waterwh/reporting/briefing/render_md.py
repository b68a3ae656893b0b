"""Markdown: the briefing as text a person can read anywhere and diff between months."""

from __future__ import annotations

from pathlib import Path

from waterwh.reporting.briefing import appendix
from waterwh.reporting.briefing.document import Briefing, Heading, Para, Table


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return out + ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]


def render(b: Briefing, path: Path) -> None:
    lines = [f"# {b.title}", "", b.subtitle, ""]
    for block in b.blocks:
        if isinstance(block, Heading):
            lines += ["#" * (block.level + 1) + " " + block.text, ""]
        elif isinstance(block, Para):
            lines += [block.text, ""]
        elif isinstance(block, Table):
            if block.caption:
                lines += [f"**{block.caption}**", ""]
            rows = [[c if isinstance(c, str) else c.text for c in row] for row in block.rows]
            lines += [*_table(block.header, rows), ""]
    lines += [f"## {appendix.TITLE}", "", appendix.NOTE, ""]
    lines += [*_table(appendix.FIGURE_HEADER, appendix.figure_rows(b)), ""]
    for heading, sql in appendix.cited_queries(b):
        lines += [f"**{heading}**", "", "```sql", sql, "```", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
