"""Small helpers to write test workbooks the way clerks make them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import xlsxwriter

INVESTMENT_HEADER = ["序号", "项目名称", "所在乡镇", "建设性质", "级别", "总投资", "年度计划投资",
                     "本月完成", "年度累计完成", "开工以来累计完成", "建设状态", "滞后原因"]


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[object]]],
               merges: dict[str, list[tuple[int, int, int, int, str]]] | None = None) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is not None and v != "":
                    ws.write(r, c, v)
        for (r1, c1, r2, c2, text) in (merges or {}).get(name, []):
            ws.merge_range(r1, c1, r2, c2, text)
    wb.close()
    return path


def investment_rows(title: str, projects: Sequence[Sequence[object]], total: Sequence[object] | None = None,
                    header: Sequence[str] = INVESTMENT_HEADER) -> list[list[object]]:
    rows: list[list[object]] = [[title], list(header)]
    rows += [list(p) for p in projects]
    if total is not None:
        rows.append(list(total))
    return rows
