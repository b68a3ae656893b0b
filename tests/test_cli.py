"""The command line as a clerk and an operator use it."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from tests.workbooks import investment_rows, write_xlsx
from waterwh.cli import app

runner = CliRunner()
TITLE = "青溪县2025年1-3月重点项目投资台账"
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


def test_check_marks_a_problem_inside_a_merged_cell(tmp_path: Path) -> None:
    """A problem in a merged range is marked on its top-left cell (openpyxl refuses a comment on the
    others: "'MergedCell' object attribute 'comment' is read-only")."""
    second = ["2", "", "青石镇", "新建", "县重点", 100, 50, 5, 10, 10, "在建", ""]
    f = write_xlsx(tmp_path / "合并.xlsx", {"台账": investment_rows(TITLE, [GOOD, second])})
    wb = load_workbook(f)
    wb["台账"].merge_cells("B3:B4")  # the second project's name cell swallowed by the first's
    wb.save(f)
    res = runner.invoke(app, ["check", str(f)])
    assert res.exit_code == 1, res.output
    assert "B4" in res.output and "发现问题" in res.output.splitlines()[-1]
    ws = load_workbook(tmp_path / "合并.检查标注.xlsx")["台账"]
    assert "必填" in ws["B3"].comment.text


def test_check_speaks_chinese_to_the_clerk(tmp_path: Path) -> None:
    nulled = ["2", "青石镇堤防", "青石镇", "新建", "县重点", "abc", 50, 5, 10, 10, "在建", ""]
    rejected = ["3", "", "青石镇", "新建", "县重点", 100, 50, 5, 10, 10, "在建", ""]
    f = write_xlsx(tmp_path / "报送.xlsx", {"台账": investment_rows(TITLE, [GOOD, nulled])})
    res = runner.invoke(app, ["check", str(f)])
    assert "该格按空值入库" in res.output and "cell_nulled" not in res.output
    assert "可以入库，但有 1 个单元格将按空值入库" in res.output
    f = write_xlsx(tmp_path / "报送.xlsx", {"台账": investment_rows(TITLE, [GOOD, rejected])})
    res = runner.invoke(app, ["check", str(f)])
    assert "整行未入库" in res.output and "row_rejected" not in res.output
    assert "项目投资台账" in res.output and "部分行有问题" in res.output
    assert res.output.strip().splitlines()[-1] == "发现问题：请按上表更正后重新报送。"


def test_a_sheet_with_one_known_header_says_so(tmp_path: Path) -> None:
    f = write_xlsx(tmp_path / "说明.xlsx", {"说明": [["填报说明"], ["项目名称", "请写全称"], ["1", "2"]]})
    res = runner.invoke(app, ["check", str(f)])
    assert "只认出一个表头「项目名称」" in res.output, res.output
    assert "没有找到任何已知的表头" not in res.output


def test_a_measure_split_in_two_columns_is_summed_saying_so(tmp_path: Path) -> None:
    header = ["序号", "项目名称", "所在乡镇", "总投资(万元)", "开工至上年底累计完成投资(万元)", "2025年计划投资(万元)",
              "2025年1-3月完成投资(万元)"]
    row = ["1", "城关镇堤防工程", "城关镇", 9000, 4000, 3000, 800]
    f = write_xlsx(tmp_path / "分列.xlsx", {"S": [[TITLE], header, row]})
    res = runner.invoke(app, ["check", str(f)])
    assert res.exit_code == 0, res.output
    assert "开工以来累计完成 = 「开工至上年底累计完成投资(万元)」 + 「2025年1-3月完成投资(万元)」" in res.output


def test_check_says_which_measures_the_sheet_leaves_out(tmp_path: Path) -> None:
    rows = [[TITLE], ["序号", "项目名称", "所在乡镇", "总投资", "年度累计完成"], ["1", "甲项目", "城关镇", 100, 10]]
    res = runner.invoke(app, ["check", str(write_xlsx(tmp_path / "缺列.xlsx", {"S": rows}))])
    assert res.exit_code == 0, res.output
    assert "本表没有这些列（入库为空值）：年度计划投资、本月完成、开工以来累计完成" in res.output
