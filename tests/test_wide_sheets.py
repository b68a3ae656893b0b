"""Wide sheets (one row per area, one column per indicator) load as the long form, each value
reported at its own cell (ingest/wide.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
from typer.testing import CliRunner

from tests.workbooks import write_xlsx
from waterwh.cli import app
from waterwh.ingest.files import ingest_paths

HEADER = ["序号", "行政区划", "年份", "用水量(亿m³)", "十三五控制指标(亿m³)", "较省平均(%)", "万元GDP用水量(m³/万元)",
          "控制指标(m³/万元)", "节水型社会创建达标情况"]


def _sheet(tmp_path: Path, rows: list[list[object]]) -> Path:
    return write_xlsx(tmp_path / "节水指标.xlsx", {"S": [["青溪县2025年节水指标"], HEADER, *rows]})


def test_each_indicator_column_becomes_a_row_with_its_unit_and_target(tmp_path: Path) -> None:
    path = _sheet(tmp_path, [["1", "城关镇", "2025", 1.25, 1.4, -3.5, 28.4, 30, "达标"],
                             ["2", "青石镇", "2025", 0.85, 1.0, 2.1, 31.2, 30, "未达标"],
                             ["", "合计", "2025", 2.1, 2.4, "", "", "", ""]])
    con = duckdb.connect(":memory:")
    [result] = ingest_paths(con, [path])
    [sheet] = result.sheets
    assert result.status == "loaded" and sheet.read_as.startswith("宽表"), (result.error, sheet.read_as)
    assert sheet.unmapped == ["节水型社会创建达标情况"]  # a text column: listed unread, never a number
    rows = con.execute("SELECT source_row, admin_area, indicator_name, unit, actual_value, target_value, "
                       "stat_period_label FROM raw.indicator_ledger ORDER BY source_row, indicator_name").fetchall()
    assert rows == [
        (3, "城关镇", "万元GDP用水量", "m3/万元", 28.4, 30.0, "2025年"),
        (3, "城关镇", "用水量", "亿m3", 1.25, 1.4, "2025年"),
        (3, "城关镇", "用水量较省平均", "%", -3.5, None, "2025年"),
        (4, "青石镇", "万元GDP用水量", "m3/万元", 31.2, 30.0, "2025年"),
        (4, "青石镇", "用水量", "亿m3", 0.85, 1.0, "2025年"),
        (4, "青石镇", "用水量较省平均", "%", 2.1, None, "2025年"),
    ]
    # the 合计 row is a stated total, reconciled, never a fact
    totals = con.execute("SELECT source_row, measure, reported_value FROM raw.reported_totals ORDER BY 2").fetchall()
    assert [(r, m, float(v)) for r, m, v in totals] == [(5, "actual_value", 2.1), (5, "target_value", 2.4)]


def test_a_problem_is_reported_at_the_cell_the_clerk_typed(tmp_path: Path) -> None:
    path = _sheet(tmp_path, [["1", "城关镇", "2025", 1.25, 1.4, -3.5, 28.4, 30, "达标"],
                             ["2", "", "2025", 0.85, 1.0, 2.1, 31.2, 30, "未达标"]])
    con = duckdb.connect(":memory:")
    ingest_paths(con, [path])
    found = con.execute("SELECT DISTINCT row_number, column_letter, action FROM audit.quarantine").fetchall()
    assert found == [(4, "B", "row_rejected")]  # the empty area: 行政区划 of row 4, for each of its values
    res = CliRunner().invoke(app, ["check", str(path)])
    assert "宽表" in res.output and "B4" in res.output, res.output
