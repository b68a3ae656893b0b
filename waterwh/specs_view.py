"""`waterwh specs`: the ledger layouts waterwh knows, and which words a bureau's local files taught it."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from waterwh.ingest.spec import LedgerSpec


def print_specs(console: Console, specs: tuple[LedgerSpec, ...], problems: list[str], local_dir: str,
                only: str | None = None) -> int:
    """One table per ledger type: column, type, whether required, header words (a word taught by a
    local file is followed by that file and line). Exit code 1 when a type asked for is unknown."""
    chosen = [s for s in specs if only in (None, s.ledger_type, s.name_zh)]
    if not chosen:
        known = "、".join(f"{s.ledger_type}（{s.name_zh}）" for s in specs)
        console.print(f"[red]没有「{escape(only or '')}」这种台账。已知：{escape(known)}[/]")
        return 1
    for spec in chosen:
        t = Table(title=f"{spec.name_zh}（{spec.ledger_type}，写入 raw.{spec.table}）", show_lines=False)
        for c in ("列", "类型", "必需", "表头写法", "单元格取值"):
            t.add_column(c, overflow="fold")
        for col in spec.columns:
            if col.derived:
                continue
            words = "、".join(a + (f"  ← {col.origins[a]}" if a in col.origins else "") for a in col.aliases)
            values = "、".join(f"{k}→{v}" + (f"  ← {col.origins[k]}" if k in col.origins else "")
                              for k, v in col.values.items())
            t.add_row(col.name, col.type, "是" if col.required else "", escape(words), escape(values))
        console.print(t)
    taught = sum(len(c.origins) for s in specs for c in s.columns)
    console.print(f"本地台账定义：{escape(local_dir)}/*.yaml（加入了 {taught} 个写法；标有 ← 的来自本地文件）")
    for problem in problems:
        console.print(f"[yellow]{escape(problem)}[/]")
    return 0
