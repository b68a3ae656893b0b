"""The appendix every format prints: per figure, its value, the table and the query that gave it."""

from __future__ import annotations

from waterwh.reporting.briefing.document import Briefing

TITLE = "附录：数据来源"
NOTE = ("本通报中的每个数字均由下列查询从已发布的数据仓库（只读）得出。"
        "金额单位为万元，比率为小数（如0.7791即77.91%）；查询可在 `waterwh sql` 中原样运行。")
FIGURE_HEADER = ["序号", "指标", "数值", "来源表", "查询", "字段"]


def figure_rows(b: Briefing) -> list[list[str]]:
    return [[str(f.no), f.label, f.text, f.query.table, f"查询{f.query.no}", f.column] for f in b.figures]


def cited_queries(b: Briefing) -> list[tuple[str, str]]:
    """(heading, SQL) of every query at least one figure cites."""
    used = {f.query.no for f in b.figures}
    return [(f"查询{q.no}（{q.table}）", q.sql) for q in b.queries if q.no in used]
