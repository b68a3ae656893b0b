"""A briefing as plain data: blocks of text and tables in which every figure is a citation.

Renderers (Markdown, docx, PDF) only lay the blocks out; they never compute a number. A figure is
cited from a `Query` the `FigureBook` ran on the published warehouse, so the appendix can list, per
figure, the table and the SQL an auditor can run again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb


@dataclass
class Query:
    no: int
    table: str
    sql: str
    rows: list[dict[str, Any]]


@dataclass
class Figure:
    no: int
    label: str
    text: str  # as printed, unit included
    query: Query
    column: str


Segment = str | Figure


@dataclass
class Para:
    segments: list[Segment]

    @property
    def text(self) -> str:
        return "".join(s if isinstance(s, str) else s.text for s in self.segments)


@dataclass
class Heading:
    text: str
    level: int = 1


@dataclass
class Table:
    header: list[str]
    rows: list[list[Segment]]
    caption: str = ""


Block = Para | Heading | Table


@dataclass
class Briefing:
    title: str
    subtitle: str
    blocks: list[Block] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    queries: list[Query] = field(default_factory=list)

    def text(self) -> str:
        """Every word and figure of the body, for tests and search."""
        out = [self.title, self.subtitle]
        for b in self.blocks:
            if isinstance(b, Table):
                out += [" ".join(c if isinstance(c, str) else c.text for c in row) for row in b.rows]
            else:
                out.append(b.text)
        return "\n".join(out)


class FigureBook:
    """Runs the briefing's queries and keeps every figure cited from them, numbered."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.queries: list[Query] = []
        self.figures: list[Figure] = []

    def query(self, table: str, sql: str) -> Query:
        sql = "\n".join(line.rstrip() for line in sql.strip().splitlines())
        cur = self.con.execute(sql)
        names = [d[0] for d in cur.description]
        q = Query(len(self.queries) + 1, table, sql, [dict(zip(names, r, strict=True)) for r in cur.fetchall()])
        self.queries.append(q)
        return q

    def cite(self, label: str, text: str, query: Query, column: str) -> Figure:
        f = Figure(len(self.figures) + 1, label, text, query, column)
        self.figures.append(f)
        return f
