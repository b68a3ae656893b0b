"""The monthly 通报, written from the published warehouse: `waterwh report --period YYYY-MM`.

`compose` turns mart queries into a `Briefing` (text blocks whose every figure cites its query);
`render_md`, `render_docx` and `render_pdf` lay it out. Nothing here computes a figure a mart has not.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import duckdb

from waterwh.reporting.briefing import sections
from waterwh.reporting.briefing.document import Briefing, FigureBook, Heading, Para
from waterwh.reporting.briefing.sections import NoData

KINDS = ("investment", "funding", "water", "river")
FORMATS = ("md", "docx", "pdf")
KIND_ZH = {"investment": "重点项目投资", "funding": "水利资金", "water": "水资源指标", "river": "河湖长制与清四乱"}
LEDGERS_OF = {"investment": ["investment"], "funding": ["funding"], "water": ["indicator"],
              "river": ["patrol", "river_issue", "enforcement"]}

__all__ = ["FORMATS", "KINDS", "Briefing", "NoData", "compose", "month_end", "write"]


def month_end(year: int, month: int) -> date:
    return date(year, month, monthrange(year, month)[1])


def _scope(con: duckdb.DuckDBPyConnection) -> str:
    """The area the warehouse reports for: the smallest known county, city or province holding every
    project's area (a province's warehouse covers 128 counties: naming one of them would be wrong);
    without known areas, the area most ledgers are scoped to."""
    row = con.execute("""
        WITH areas AS (
            SELECT DISTINCT a.province_name, a.prefecture_name, a.county_name
            FROM marts.fct_investment_snapshot AS f
            JOIN marts.dim_admin_area AS a ON f.area_code = a.area_code
            WHERE a.is_known
        )
        SELECT CASE
            WHEN count(DISTINCT county_name) = 1 AND count(county_name) = count(*) THEN min(county_name)
            WHEN count(DISTINCT prefecture_name) = 1 AND count(prefecture_name) = count(*) THEN min(prefecture_name)
            WHEN count(DISTINCT province_name) = 1 AND count(province_name) = count(*) THEN min(province_name)
        END
        FROM areas
    """).fetchone()
    if row and row[0]:
        return row[0]
    row = con.execute(
        "SELECT ledger_scope FROM marts.fct_investment_snapshot GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    ).fetchone()
    return row[0] if row and row[0] else ""


def compose(con: duckdb.DuckDBPyConnection, end: date, kinds: Sequence[str]) -> Briefing:
    """The briefing of the month ending `end`. A kind with no data for the month is left out with a
    sentence saying so; if no kind has data, NoData."""
    book = FigureBook(con)
    w = sections.Writer(book)
    blocks: list = []
    missing: list[str] = []
    n = 0
    for kind in kinds:
        try:
            part = getattr(sections, kind)(w, end, n + 1)
        except NoData as exc:
            missing.append(str(exc))
            continue
        n += 1
        blocks += part
    if n == 0:
        raise NoData("；".join(missing))
    ledger_types = [t for k in kinds for t in LEDGERS_OF[k]]
    blocks += sections.reconciliation(w, end, n + 1, ledger_types)
    if missing:
        blocks.append(Para(["本期未纳入：" + "；".join(missing) + "。"]))
    scope = _scope(con)
    months = f"1-{end.month}月" if end.month > 1 else "1月"
    topic = KIND_ZH[kinds[0]] if len(kinds) == 1 else "水利重点工作"
    return Briefing(
        title=f"关于{scope}{end.year}年{months}{topic}情况的通报",
        subtitle=f"（数据截至{end.year}年{end.month}月{end.day}日，由已发布的数据仓库生成，附录列明每个数字的来源）",
        blocks=blocks,
        figures=book.figures,
        queries=book.queries,
    )


def write(briefing: Briefing, out: Path, formats: Sequence[str]) -> list[Path]:
    """Write the briefing as `out` with each format's suffix; returns the files written."""
    import importlib

    written = []
    for fmt in formats:
        path = out.with_suffix(f".{fmt}")
        path.parent.mkdir(parents=True, exist_ok=True)
        # imported when used: python-docx and fpdf2 take a second each to import
        importlib.import_module(f"waterwh.reporting.briefing.render_{fmt}").render(briefing, path)
        written.append(path)
    return written


def heading_texts(briefing: Briefing) -> list[str]:
    return [b.text for b in briefing.blocks if isinstance(b, Heading)]
