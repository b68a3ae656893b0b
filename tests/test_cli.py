"""The command line as a clerk and an operator use it."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from tests.workbooks import investment_rows, write_xlsx
from waterwh.cli import app

runner = CliRunner()
GOOD = ["1", "城关镇污水处理厂提标改造", "城关镇", "提标改造", "县重点", 9800, 4200, 200, 1200, 8100, "在建", ""]


def test_check_reports_problems_and_writes_annotated_copy(tmp_path: Path) -> None:
    bad = ["2", "", "青石镇", "新建", "县重点", 100, 50, 5, 10, 10, "在建", ""]
    f = write_xlsx(tmp_path / "报送.xlsx", {"台账": investment_rows("青溪县2025年1-3月重点项目投资台账", [GOOD, bad])})
    res = runner.invoke(app, ["check", str(f)])
    assert res.exit_code == 1
    assert "项目名称" in res.output and "B4" in res.output
    annotated = tmp_path / "报送.检查标注.xlsx"
    ws = load_workbook(annotated)["台账"]
    assert "必填" in ws["B4"].comment.text
    assert ws["B3"].comment is None


def test_check_clean_file_exits_zero(tmp_path: Path) -> None:
    f = write_xlsx(tmp_path / "ok.xlsx", {"S": investment_rows("青溪县2025年1-3月重点项目投资台账", [GOOD])})
    res = runner.invoke(app, ["check", str(f)])
    assert res.exit_code == 0, res.output
    assert "total_investment" in res.output
    assert not (tmp_path / "ok.检查标注.xlsx").exists()


def test_bi_setup_before_any_publish_says_what_to_do(tmp_path: Path) -> None:
    res = runner.invoke(app, ["bi", "setup", "--home", str(tmp_path)])
    assert res.exit_code == 1 and "waterwh run" in res.output


def test_status_before_any_publish(tmp_path: Path) -> None:
    res = runner.invoke(app, ["status", "--home", str(tmp_path)])
    assert res.exit_code == 1 and "Nothing published yet" in res.output
