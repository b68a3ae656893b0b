"""A corpus of bad and odd ledger files, as districts really send them, each with what it must produce.

Every file is ingested next to a good ledger in the same landing folder: the good one must still
load, whatever the odd one does. For each case: the file's status, a phrase its message must
contain (the clerk reads it), and rows read / loaded / quarantined / skipped, which must add up.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import xlwt
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.workbooks import INVESTMENT_HEADER, investment_rows, write_xlsx
from waterwh.ingest.batch import FileResult
from waterwh.ingest.files import ingest_paths
from waterwh.ingest.isolation import ReadLimits
from waterwh.ingest.readers import readable

TITLE = "青溪县2025年1-3月重点项目投资台账"
P1 = ["1", "城关镇污水处理厂提标改造", "城关镇", "提标改造", "县重点", 9800, 4200, 200, 1200, 8100, "在建", ""]
P2 = ["2", "青石镇供水工程", "青石镇", "新建", "市重点", 5200, 1800, 100, 900, 900, "在建", "设计变更"]
CSV_HEADER = "序号,项目名称,所在乡镇,总投资,年度计划投资,年度累计完成"
FUNDING = [["青溪县2025年1-3月水利资金台账"], ["资金来源", "资金名称", "项目名称", "下达金额", "到位金额", "已支出"],
           ["中央", "中央水利发展资金", "城关镇污水处理厂提标改造", 1554.2, 1554.2, 980]]

EVENT_HEADER = ["资金大类", "资金来源", "项目名称", "到位次数", "本次到位金额", "累计到位金额", "到位日期"]


@dataclass
class Case:
    name: str
    make: Callable[[Path], Path]  # writes the file into the folder, returns its path
    status: str
    message: str | None = None  # a phrase of the file's message (None: no message at all)
    rows: tuple[int, int, int, int] = (0, 0, 0, 0)  # read, loaded, quarantined, skipped
    sql: list[tuple[str, list[tuple]]] = field(default_factory=list)  # (query, expected rows) afterwards
    max_file_bytes: int = 50_000_000


def xlsx(name: str, sheets: dict, merges: dict | None = None) -> Callable[[Path], Path]:
    return lambda d: write_xlsx(d / name, sheets, merges)


def raw_bytes(name: str, content: bytes) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        (d / name).write_bytes(content)
        return d / name

    return make


def csv(name: str, text: str, encoding: str) -> Callable[[Path], Path]:
    return raw_bytes(name, text.encode(encoding))


def truncated(d: Path) -> Path:
    whole = write_xlsx(d / "tmp.xlsx", {"S": investment_rows(TITLE, [P1, P2])}).read_bytes()
    (d / "tmp.xlsx").unlink()
    (d / "传输中断.xlsx").write_bytes(whole[: len(whole) // 2])
    return d / "传输中断.xlsx"


def damaged_inside(d: Path) -> Path:
    """Whole, but one byte of the sheet's compressed data changed (a bad disk, a bad copy)."""
    f = write_xlsx(d / "磁盘损坏.xlsx", {"S": investment_rows(TITLE, [P1, P2])})
    data = bytearray(f.read_bytes())
    with zipfile.ZipFile(f) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF
    f.write_bytes(bytes(data))
    return f


def legacy_xls(d: Path) -> Path:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("投资台账")
    for r, row in enumerate(investment_rows(TITLE, [P1, P2])):
        for c, v in enumerate(row):
            if v != "":
                ws.write(r, c, v)
    wb.save(str(d / "老版本Excel.xls"))
    return d / "老版本Excel.xls"


def ods_ledger(d: Path) -> Path:
    """The good ledger saved by LibreOffice as .ods (converted here with pandas' odf writer)."""
    import pandas as pd

    rows = investment_rows(TITLE, [P1, P2])
    rows = [[*r, *[None] * (len(P1) - len(r))] for r in rows]  # the title row padded to the sheet's width
    path = d / "台账.ods"
    pd.DataFrame(rows).to_excel(path, engine="odf", header=False, index=False, sheet_name="S")
    return path


def lock_file(d: Path) -> Path:
    write_xlsx(d / "~$正在编辑.xlsx", {"S": investment_rows(TITLE, [P1])})
    return d / "~$正在编辑.xlsx"


def same_content_twice(d: Path) -> Path:
    shutil.copyfile(d / "good.xlsx", d / "good(1).xlsx")
    return d / "good(1).xlsx"


def percent_formatted(d: Path) -> Path:
    """完成率 and 形象进度 as Excel percentages: the cells hold 1.105 and 0.6, the clerk sees 110.5%
    and 60%; a 总投资 cell formatted as a percentage by mistake keeps the amount it holds."""
    import xlsxwriter

    path = d / "百分比格式.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    pct, pct0 = wb.add_format({"num_format": "0.00%"}), wb.add_format({"num_format": 9})
    for r, row in enumerate(investment_rows(TITLE, [P1, P2], header=[*INVESTMENT_HEADER, "完成率(%)", "形象进度"])):
        ws.write_row(r, 0, row)
    for r, (rate, progress) in enumerate([(1.105, 0.6), ("95%", 0.25)], start=2):
        ws.write(r, 12, rate, pct)
        ws.write_number(r, 13, progress, pct0)
    ws.write_number(2, 5, 9800, pct)
    wb.close()
    return path


def formula_errors(d: Path) -> Path:
    """A broken sum (#REF!) in 年度累计完成 and 0/0 (#DIV/0!) in 完成率: calamine gives such cells
    empty; the clerk sees the error and must be told."""
    import xlsxwriter

    path = d / "公式错误.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    for r, row in enumerate(investment_rows(TITLE, [P1, P2], header=[*INVESTMENT_HEADER, "完成率"])):
        ws.write_row(r, 0, row)
    ws.write_formula(2, 8, "=#REF!+H3", None, "#REF!")
    ws.write_formula(3, 12, "=I4/0", None, "#DIV/0!")
    wb.close()
    return path


def hidden_copy(d: Path) -> Path:
    """Last month's sheet copied, hidden and forgotten: its rows would count next to the visible ones."""
    import xlsxwriter

    path = d / "带隐藏副本.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    for name, rows in (("3月", [P1, P2]), ("3月 (2)", [P1]), ("下拉选项", None)):
        ws = wb.add_worksheet(name)
        for r, row in enumerate(investment_rows(TITLE, rows) if rows else [["县重点"], ["市重点"]]):
            ws.write_row(r, 0, row)
        if name != "3月":
            ws.hide()
    wb.close()
    return path


def link_out(target: Callable[[Path], Path], name: str) -> Callable[[Path], Path]:
    """A symbolic link in the landing folder to what `target` makes outside it."""
    def make(d: Path) -> Path:
        (d / name).symlink_to(target(d))
        return d / name

    return make


def outside_ledger(d: Path) -> Path:
    (d.parent / "外面").mkdir(exist_ok=True)
    return write_xlsx(d.parent / "外面" / "别处的台账.xlsx", {"S": investment_rows(TITLE, [P2])})


def gbk_name(d: Path) -> Path:
    """A name in GBK bytes, as unzipping a Windows archive leaves it: the run used to fail whole."""
    f = write_xlsx(d / "tmp.xlsx", {"S": investment_rows(TITLE, [P1])})
    target = os.fsencode(d) + b"/" + "青溪县投资台账.xlsx".encode("gbk")
    os.rename(f, target)
    return Path(os.fsdecode(target))


def temporary_files(d: Path) -> Path:
    for name in ("~WRL0001.tmp", ".~lock.good.xlsx#", "Thumbs.db", "下载中.xlsx.crdownload", "desktop.ini"):
        (d / name).write_bytes(b"\0" * 64)
    (d / "__MACOSX").mkdir()
    (d / "__MACOSX" / "._good.xlsx").write_bytes(b"\0" * 64)
    return d / "~WRL0001.tmp"


def correction(d: Path) -> Path:
    fixed = [*P1[:8], 1300, *P1[9:]]
    return write_xlsx(d / "good(更正).xlsx", {"S": investment_rows(TITLE, [fixed])})


AMOUNTS = "SELECT project_name, annual_plan, ytd_completed, since_start_completed FROM raw.investment_ledger " \
          "WHERE source_file <> 'good.xlsx' ORDER BY source_row"
OTHERS = "source_file <> 'good.xlsx'"
PERIOD = "SELECT DISTINCT report_period_end FROM audit.file_loads WHERE file_name <> 'good.xlsx' AND status = 'loaded'"

CASES = [
    Case("empty file", raw_bytes("空文件.xlsx", b""), "failed", "文件为空"),
    Case("truncated in transfer", truncated, "failed", "损坏"),
    Case("damaged inside (checksum)", damaged_inside, "failed", "已损坏"),
    Case("not a spreadsheet", raw_bytes("说明.txt", "请查收".encode()), "failed", "不支持的文件类型「.txt」"),
    Case("text renamed to .xlsx", raw_bytes("改了扩展名.xlsx", b"this is not a workbook"), "failed",
         "不是有效的Excel文件"),
    Case("password protected", raw_bytes("加密.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600), "failed",
         "密码"),
    Case("over the size limit", xlsx("超大.xlsx", {"S": investment_rows(TITLE, [[str(i), *P1[1:]]
                                                                             for i in range(3000)])}),
         "failed", "文件过大", max_file_bytes=40_000),
    Case("only empty sheets", xlsx("空白.xlsx", {"Sheet1": [], "Sheet2": []}), "failed", "所有工作表均为空"),
    Case("empty template (header only)", xlsx("模板.xlsx", {"S": investment_rows(TITLE, [])}), "failed",
         "只有表头，没有数据行", sql=[("SELECT count(*) FROM audit.ledger_versions WHERE file_name = '模板.xlsx'",
                                       [(0,)])]),
    Case("instructions only", xlsx("填表说明.xlsx", {"说明": [["填表说明"], ["1. 金额单位为万元"], ["2. 5日前报送"]]}),
         "failed", "没有找到任何已知的表头"),
    Case("ledger with an instructions sheet", xlsx("带说明.xlsx", {
        "台账": investment_rows(TITLE, [P1, P2]), "填表说明": [["填表说明"], ["金额单位为万元"]]}),
         "loaded", None, (2, 2, 0, 0)),
    # what a sheet must have is what a row reports on and one thing it reports; the rest may be absent
    Case("an optional measure missing", xlsx("缺列.xlsx", {"S": [
        [TITLE], ["序号", "项目名称", "所在乡镇", "总投资", "年度累计完成"], ["1", "甲项目", "城关镇", 100, 10]]}),
         "loaded", None, (1, 1, 0, 0)),
    Case("no measure at all", xlsx("无数.xlsx", {"S": [
        [TITLE], ["序号", "项目名称", "所在乡镇", "建设性质"], ["1", "甲项目", "城关镇", "新建"]]}),
         "failed", "缺少必需的列：「总投资」(total_investment)"),
    Case("no reporting period anywhere", xlsx("重点项目台账.xlsx", {"S": investment_rows("青溪县重点项目台账", [P1])}),
         "failed", "找不到报告期"),
    Case("period in the sheet name", xlsx("台账.xlsx", {"2025年3月": investment_rows("青溪县重点项目台账", [P1])}),
         "loaded", None, (1, 1, 0, 0),
         [(PERIOD,
           [(date(2025, 3, 31),)])]),
    Case("period in the file name", xlsx("青溪县重点项目台账2025年04月.xlsx", {
        "S": investment_rows("重点项目台账", [P1])}), "loaded", None, (1, 1, 0, 0),
         [(PERIOD,
           [(date(2025, 4, 30),)])]),
    Case("GBK CSV", csv("台账.csv", f"{TITLE}\n{CSV_HEADER}\n1,甲项目,城关镇,100,50,\"1,234\"\n", "gbk"),
         "loaded", None, (1, 1, 0, 0), [("SELECT project_name, ytd_completed FROM raw.investment_ledger "
                                         f"WHERE {OTHERS}", [("甲项目", 1234)])]),
    Case("UTF-8 CSV with BOM", csv("台账.csv", f"\ufeff{TITLE}\n{CSV_HEADER}\n1,乙项目,青石镇,200,80,30\n", "utf-8"),
         "loaded", None, (1, 1, 0, 0), [(f"SELECT project_name FROM raw.investment_ledger WHERE {OTHERS}",
                                         [("乙项目",)])]),
    Case("GB18030 CSV with rare characters", csv("台账.csv", f"{TITLE}\n{CSV_HEADER}\n1,䶮镇𠀀渠道工程,城关镇,9,5,2\n",
                                                 "gb18030"),
         "loaded", None, (1, 1, 0, 0), [(f"SELECT project_name FROM raw.investment_ledger WHERE {OTHERS}",
                                         [("䶮镇𠀀渠道工程",)])]),
    Case("CSV cut off mid-row", csv("截断.csv", f"{TITLE}\n{CSV_HEADER}\n1,甲项目,城关镇,100,50,20\n2,乙项目,城关",
                                    "utf-8"), "failed", "文件不完整：最后一行（第4行）只有3列，上一行有6列"),
    # U+2028 and \x0b end a line for str.splitlines, not for a CSV: the unended last line is whole
    # (it was refused as cut off, its text after U+2028 taken for a line of one field)
    Case("CSV whose unended last line holds a line separator", csv(
        "备注换行.csv", f"{TITLE}\n{CSV_HEADER},备注\n1,甲项目,城关镇,100,50,20,\n"
        "2,乙项目,城关镇,9,5,2,见附件\u2028第二页", "utf-8"), "loaded", None, (2, 2, 0, 0)),
    Case("legacy .xls", legacy_xls, "loaded", None, (2, 2, 0, 0)),
    Case("a web page saved as .xls", raw_bytes("系统导出.xls", (
        "<html><head><meta charset='utf-8'></head><body><table><tr><td>序号</td><td>项目名称</td></tr>"
        "</table></body></html>").encode()), "failed", "这是网页文件（HTML）"),
    Case("an Excel 2003 XML spreadsheet saved as .xls", raw_bytes("导出.xls", (
        b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="S"/></Workbook>'
    )), "failed", "这是 Excel 2003 XML 电子表格"),
    Case("an OpenDocument spreadsheet (LibreOffice, 国产 desktops)", ods_ledger, "loaded", None, (2, 2, 0, 0)),
    # CSV dialects as programs write them (were refused: "CSV Error on Line 3", "no known header")
    Case("CSV with a line break inside a quoted cell", csv(
        "换行.csv", f'{TITLE}\n{CSV_HEADER},备注\n1,甲项目,城关镇,100,50,20,"第一行\n第二行"\n2,乙项目,城关镇,9,5,2,\n'
        '3,丙项目,城关镇,8,4,1,"末行\n也换行"', "utf-8"), "loaded", None, (3, 3, 0, 0),
         [(f"SELECT source_row, project_name, remarks FROM raw.investment_ledger WHERE {OTHERS} ORDER BY 1",
           [(3, "甲项目", "第一行 第二行"), (4, "乙项目", None), (5, "丙项目", "末行 也换行")])]),
    Case("semicolon-separated CSV", csv(
        "分号.csv", f"{TITLE}\n{CSV_HEADER.replace(',', ';')}\n1;甲项目;城关镇;100;50;\"1,234\"\n", "gbk"),
         "loaded", None, (1, 1, 0, 0),
         [(f"SELECT project_name, ytd_completed FROM raw.investment_ledger WHERE {OTHERS}", [("甲项目", 1234)])]),
    Case("tab-separated CSV with thousands separators", csv(
        "制表符.csv", f"{TITLE}\n{CSV_HEADER.replace(',', chr(9))}\n1\t甲项目\t城关镇\t1,100\t50\t20\n"
        "2\t乙项目\t城关镇\t2,200\t60\t30\n", "utf-8"), "loaded", None, (2, 2, 0, 0),
         [(f"SELECT project_name, total_investment FROM raw.investment_ledger WHERE {OTHERS} ORDER BY source_row",
           [("甲项目", 1100), ("乙项目", 2200)])]),
    Case("NUL and control characters in cells", csv(
        "控制字符.csv", f"{TITLE}\n{CSV_HEADER}\n1,甲\x00项目,城关镇,100,50,20\n2,乙项目\x07,城关镇,9,5,2\n", "utf-8"),
         "loaded", None, (2, 2, 0, 0),
         [(f"SELECT project_name FROM raw.investment_ledger WHERE {OTHERS} ORDER BY source_row",
           [("甲项目",), ("乙项目",)]),
          ("SELECT row_number, column_letter, raw_value, action FROM audit.quarantine ORDER BY 1",
           [(3, "B", "甲\\x00项目", "cell_cleaned"), (4, "B", "乙项目\\x07", "cell_cleaned")])]),
    Case("two ledgers in one workbook", xlsx("合并报送.xlsx", {"投资": investment_rows(TITLE, [P1]), "资金": FUNDING}),
         "loaded", None, (2, 2, 0, 0), [("SELECT count(*) FROM raw.funding_ledger", [(1,)])]),
    Case("page header repeated mid-sheet", xlsx("分页.xlsx", {
        "S": [*investment_rows(TITLE, [P1]), INVESTMENT_HEADER, P2]}), "loaded", None, (3, 2, 0, 1)),
    Case("blank rows, footnotes and signatures", xlsx("脚注.xlsx", {"S": [
        *investment_rows(TITLE, [P1, [], P2]), [], ["注：金额单位为万元"], ["填报人：张三", "", "审核人：李四"]]}),
         "loaded", None, (6, 2, 0, 4)),
    # one line per 到位 event with a running 累计 (cisdi-pms FundReachExportModel): the events count,
    # the running total checks them; summing the running totals would count each arrival again
    Case("one line per arrival, with its running total", xlsx("到位.xlsx", {"S": [
        ["青溪县2025年1-3月资金到位台账"], EVENT_HEADER,
        ["中央水利发展资金", "中央", "甲项目", "1", 300, 300, "2025-01-10"],
        ["中央水利发展资金", "中央", "甲项目", "2", 200, 500, "2025-02-10"],
        ["县级配套", "县级", "甲项目", "1", 50, 120, "2025-02-11"],
        ["中央水利发展资金", "中央", "甲项目", "3", 100, 600, "2025-03-10"]]}), "loaded", None, (4, 4, 0, 0),
         [("SELECT sum(received_amount), count(*) FROM raw.funding_ledger", [(650.0, 4)]),
          ("SELECT count(*) FROM audit.quarantine", [(0,)])]),
    Case("a running total that disagrees with its arrivals", xlsx("到位不符.xlsx", {"S": [
        ["青溪县2025年1-3月资金到位台账"], EVENT_HEADER,
        ["中央水利发展资金", "中央", "甲项目", "1", 300, 300, "2025-01-10"],
        ["中央水利发展资金", "中央", "甲项目", "2", 200, 550, "2025-02-10"],
        ["县级配套", "县级", "甲项目", "1", 50, 20, "2025-02-11"]]}), "loaded", None, (3, 3, 0, 0),
         [("SELECT sum(received_amount) FROM raw.funding_ledger", [(550.0,)]),
          ("SELECT row_number, column_letter, raw_value, action, reason FROM audit.quarantine ORDER BY 1",
           [(4, "F", "550", "cell_flagged", "「累计到位金额」 550 万元不等于上一笔（第3行）累计 300 加本行"
             "「本次到位金额」 200（应为 500）；已按本行金额入库，请核对累计数"),
            (5, "F", "20", "cell_flagged", "「累计到位金额」 20 万元小于本行「本次到位金额」 50；"
             "已按本行金额入库，请核对累计数")])]),
    # the 拼盘 layout (catkins10/cms 项目资金拼盘及到位汇总表.xls): a project's 合计 line, then one line
    # per 资金来源 with the project left blank; the 合计 totals the lines under it, not the sheet
    Case("a project's 合计 line, then one line per source", xlsx("拼盘.xlsx", {"S": [
        ["青溪县2025年1-3月资金到位汇总表"], ["单位：万元"],
        ["序号", "项目名称", "项目总投资", "资金来源", "来源说明", "年度资金到位"],
        ["1", "甲项目", 9000, "合 计", "", 1500], ["", "", 9000, "中央", "中央水利发展资金", 1000],
        ["", "", 9000, "县级", "", 500], ["2", "乙项目", 5000, "合计", "", 800],
        ["", "", 5000, "省级", "省级专项", 800],
        ["总计", "", 14000, "", "", 2300]]}), "loaded", None, (6, 3, 0, 3),
         [("SELECT source_row, fund_level, fund_program, project_name, received_amount FROM raw.funding_ledger "
           "ORDER BY 1", [(5, "central", "中央水利发展资金", "甲项目", 1000.0), (6, "county", None, "甲项目", 500.0),
                          (8, "provincial", "省级专项", "乙项目", 800.0)]),
          ("SELECT source_row, row_kind, reported_value, covers_from_row, covers_to_row FROM raw.reported_totals "
           "ORDER BY 1", [(4, "group", 1500.0, 5, 6), (7, "group", 800.0, 8, 8), (9, "total", 2300.0, 5, 8)])]),
    # money by source in column blocks: one line per row × source (ingest/blocks.py), either way up
    Case("sources over their measures in column blocks", xlsx("来源分列.xlsx", {"S": [
        ["青溪县2025年1-3月水利资金情况表"], ["序号", "项目名称", "中央", "", "", "省级", "", "", "合计"],
        ["", "", "下达", "到位", "支出", "下达", "到位", "支出", "下达"],
        ["1", "甲项目", 1000, 800, 500, 300, 300, 100, 1300], ["2", "乙项目", 500, 500, 200, "", "", "", 500]]}),
         "loaded", None, (3, 3, 0, 0),
         [("SELECT source_row, fund_level, fund_program, project_name, allocated_amount, received_amount, spent_amount "
           "FROM raw.funding_ledger ORDER BY 1, 2", [(4, "central", "中央", "甲项目", 1000.0, 800.0, 500.0),
                                                    (4, "provincial", "省级", "甲项目", 300.0, 300.0, 100.0),
                                                    (5, "central", "中央", "乙项目", 500.0, 500.0, 200.0)])]),
    Case("measures over numbered sources, one source no level", xlsx("养护.xlsx", {"S": [
        ["2025年3月养护大中修工程项目进展情况表"],
        ["序号", "项目名称", "计划下达资金（万元）", "", "", "累计拨付资金（万元）", "", ""],
        ["", "", "1、车购税", "2、省债", "3、其他", "1、车购税", "2、省债", "3、其他"],
        ["1", "甲路大修", 300, 200, "", 200, 100, ""], ["2", "乙路中修", "", 80, 10, "", 40, 5]]}),
         "partial", None, (4, 3, 1, 0),
         [("SELECT source_row, fund_level, fund_program, allocated_amount, spent_amount FROM raw.funding_ledger "
           "ORDER BY 1, 2", [(4, "provincial", "省债", 200.0, 100.0), (5, "other", "其他", 10.0, 5.0),
                             (5, "provincial", "省债", 80.0, 40.0)]),
          ("SELECT row_number, column_letter, raw_value, action FROM audit.quarantine",
           [(4, "C", "车购税", "row_rejected")])]),
    Case("合计 and 小计 rows", xlsx("合计.xlsx", {"S": investment_rows(TITLE, [
        P1, ["", "小计", "", "", "", 9800, 4200, 200, 1200, 8100, "", ""], P2],
        ["", "合计", "", "", "", 15000, 6000, 300, 2100, 9000, "", ""])}), "loaded", None, (4, 2, 0, 2),
         [("SELECT row_kind, reported_value FROM raw.reported_totals WHERE measure = 'ytd_completed' "
           "ORDER BY source_row", [("subtotal", 1200), ("total", 2100)])]),
    Case("group rows (大项 without 序号)", xlsx("大项.xlsx", {"S": investment_rows(TITLE, [
        ["一", "污水处理项目"], P1, ["二", "供水项目"], P2])}), "loaded", None, (4, 2, 0, 2),
         [(f"SELECT project_name, parent_project FROM raw.investment_ledger WHERE {OTHERS} ORDER BY source_row",
           [(P1[1], "污水处理项目"), (P2[1], "供水项目")])]),
    Case("a row without a project name", xlsx("缺名称.xlsx", {"S": investment_rows(TITLE, [
        P1, ["2", "", "龙潭镇", "新建", "县重点", 100, 50, 5, 10, 10, "在建", ""]])}), "partial", None, (2, 1, 1, 0),
         [("SELECT row_number, column_name, action FROM audit.quarantine", [(4, "project_name", "row_rejected")])]),
    Case("text, dashes and slashes in number cells", xlsx("文字.xlsx", {"S": investment_rows(TITLE, [
        ["1", "甲项目", "城关镇", "新建", "县重点", 100, "基本完工", 5, 10, "—", "在建", ""],
        ["2", "乙项目", "城关镇", "新建", "县重点", 100, 50, "/", 20, "80余", "在建", ""]])}),
         "loaded", None, (2, 2, 0, 0),
         [(AMOUNTS, [("甲项目", None, 10, None), ("乙项目", 50, 20, 80)]),
          ("SELECT raw_value, column_name, action FROM audit.quarantine", [("基本完工", "annual_plan", "cell_nulled")]),
          (f"SELECT since_start_completed_qualifier FROM raw.investment_ledger WHERE {OTHERS} ORDER BY source_row",
           [(None,), ("gt",)])]),  # 80余: more than 80
    Case("full-width digits, Chinese commas, noise tokens", xlsx("全角.xlsx", {"S": investment_rows(TITLE, [
        ["1", "丙项目", "城关镇", "新建", "县重点", "１２０００", "３，２００．５", "10", "1,200",
         "76652.0##paidbegin##1", "在建", ""]])}), "loaded", None, (1, 1, 0, 0),
         [(AMOUNTS, [("丙项目", 3200.5, 1200, 76652.01)])]),
    Case("amounts in 亿元", xlsx("亿元.xlsx", {"S": investment_rows(TITLE, [
        ["1", "丁项目", "城关镇", "新建", "县重点", 1.2, 0.42, 0.02, 0.12, 0.81, "在建", ""]],
        header=[f"{h}(亿元)" if h in ("总投资", "年度计划投资", "本月完成", "年度累计完成", "开工以来累计完成") else h
                for h in INVESTMENT_HEADER])}), "loaded", None, (1, 1, 0, 0),
         [(AMOUNTS, [("丁项目", 4200, 1200, 8100)])]),
    Case("percentages formatted in Excel", percent_formatted, "loaded", None, (2, 2, 0, 0),
         [(f"SELECT total_investment, ytd_completion_rate, physical_progress FROM raw.investment_ledger "
           f"WHERE {OTHERS} ORDER BY source_row", [(9800, 1.105, 0.6), (5200, 0.95, 0.25)])]),
    # calamine's cells start at the first column holding a value: without column A the clerk was
    # sent to G3 for the 年度计划投资 cell in H3
    Case("a table that starts in column B", xlsx("从B列开始.xlsx", {"S": [
        [None, TITLE], [None, *INVESTMENT_HEADER], [None, *P1[:6], "基本完工", *P1[7:]]]}), "loaded", None,
         (1, 1, 0, 0), [("SELECT row_number, header, raw_value, column_letter FROM audit.quarantine",
                         [(3, "年度计划投资", "基本完工", "H")])]),
    Case("formula errors in cells", formula_errors, "loaded", None, (2, 2, 0, 0),
         [("SELECT row_number, column_name, raw_value, action, column_letter FROM audit.quarantine ORDER BY row_number",
           [(3, "ytd_completed", "#REF!", "cell_nulled", "I"),
            (4, "ytd_completion_rate", "#DIV/0!", "cell_nulled", "M")])]),
    Case("a hidden copy of the ledger", hidden_copy, "partial", "工作表「3月 (2)」: 隐藏的工作表，未入库", (2, 2, 0, 0),
         [(f"SELECT source_sheet, count(*) FROM raw.investment_ledger WHERE {OTHERS} GROUP BY 1", [("3月", 2)])]),
    Case("Excel's lock file", lock_file, "absent"),
    Case("temporary and system files", temporary_files, "absent"),
    Case("a link to a ledger outside the landing folder", link_out(outside_ledger, "链接.xlsx"), "failed",
         "符号链接，指向落地目录之外",
         sql=[(f"SELECT count(*) FROM raw.investment_ledger WHERE {OTHERS}", [(0,)])]),
    Case("a link to /etc/passwd", link_out(lambda d: Path("/etc/passwd"), "passwd.csv"), "failed",
         "指向落地目录之外（/etc/passwd），未读取"),
    Case("a link to a folder outside", link_out(lambda d: outside_ledger(d).parent, "外部目录"), "failed",
         "符号链接，指向落地目录之外"),
    Case("a dangling link", link_out(lambda d: d / "不存在.xlsx", "断链.xlsx"), "failed", "符号链接无法解析"),
    Case("a file name in GBK bytes", gbk_name, "loaded", None, (1, 1, 0, 0),
         [(f"SELECT DISTINCT source_file FROM raw.investment_ledger WHERE {OTHERS}", [("青溪县投资台账.xlsx",)])]),
    Case("the same content under another name", same_content_twice, "unchanged", None, (0, 0, 0, 0),
         [("SELECT count(*) FROM raw.investment_ledger", [(2,)])]),
    # periods (issue: a title's Chinese month, or a blank one, was read as the whole year)
    Case("a month in Chinese numerals",
         xlsx("台账.xlsx", {"S": investment_rows("青溪县二〇二五年三月重点项目投资台账", [P1])}),
         "loaded", None, (1, 1, 0, 0), [(PERIOD, [(date(2025, 3, 31),)])]),
    Case("a month never filled in",
         xlsx("台账.xlsx", {"S": investment_rows("青溪县2025年＿＿月重点项目投资台账", [P1])}),
         "failed", "「2025年月」无法识别为报告期"),
    Case("title and sheet name disagree", xlsx("台账.xlsx", {"2月": investment_rows(TITLE, [P1])}), "failed",
         "报告期不一致：标题「青溪县2025年1-3月重点项目投资台账」为2025年1-3月，工作表名「2月」为2025年2月"),
    Case("the months in a header, the year in the title", xlsx("台账.xlsx", {"S": investment_rows(
        "青溪县2025年重点项目投资台账", [P1],
        header=[h if h != "年度累计完成" else "1-3月累计完成" for h in INVESTMENT_HEADER])}),
         "loaded", None, (1, 1, 0, 0), [(PERIOD, [(date(2025, 3, 31),)])]),
    Case("a header of other months than the title", xlsx("台账.xlsx", {"S": investment_rows(
        TITLE, [P1], header=[h if h != "年度累计完成" else "1-2月累计完成" for h in INVESTMENT_HEADER])}),
         "failed", "表头「1-2月累计完成」为2025年1-2月"),
    Case("a 统计期 cell not understood", xlsx("指标.xlsx", {"S": [
        ["青溪县2025年水资源指标台账"], ["指标名称", "单位", "目标值", "完成值", "统计期", "地区"],
        ["用水总量", "亿m3", 3.1, 2.9, "2025年上半年", "青溪县"],
        ["用水总量", "亿m3", 3.1, 2.95, "2025年13月", "青溪县"]]}),
         "loaded", None, (2, 2, 0, 0),
         [("SELECT row_number, column_name, raw_value, reason FROM audit.quarantine",
           [(4, "stat_period", "2025年13月", "统计期「2025年13月」中的「13月」无法识别为报告期")]),
          ("SELECT stat_period_end FROM raw.indicator_ledger ORDER BY source_row", [(date(2025, 6, 30),), (None,)])]),
    # dates as bureaus write planned completions (were quarantined as "not a date")
    Case("planned completions as bureaus write them", xlsx("计划完工.xlsx", {"S": investment_rows(
        TITLE, [[*P1, "2026年上半年"], [*P2, "九月底"], ["3", "龙潭水库", *P1[2:], "5月10日"]],
        header=[*INVESTMENT_HEADER, "计划完工时间"])}), "loaded", None, (3, 3, 0, 0),
         [(f"SELECT planned_finish FROM raw.investment_ledger WHERE {OTHERS} ORDER BY source_row",
           [(date(2026, 6, 30),), (date(2025, 9, 30),), (date(2025, 5, 10),)])]),
    Case("a correction supersedes", correction, "loaded", None, (1, 1, 0, 0),
         [("SELECT file_name, version_no, is_current FROM audit.ledger_versions ORDER BY version_no",
           [("good.xlsx", 1, False), ("good(更正).xlsx", 2, True)])]),
]


def _loaded(folder: Path, name: str, rows: list[list[object]]) -> tuple[duckdb.DuckDBPyConnection, FileResult]:
    """One sheet of `rows` written as `name` and ingested into a new in-memory warehouse; it loaded."""
    con = duckdb.connect(":memory:")
    [result] = ingest_paths(con, [xlsx(name, {"S": rows})(folder)])
    assert result.status == "loaded", result.error
    return con, result

def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 25
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_odd_file(case: Case, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    write_xlsx(landing / "good.xlsx", {"S": investment_rows(TITLE, [P1, P2])})
    odd = case.make(landing)
    con = duckdb.connect(":memory:")
    limits = ReadLimits(max_file_bytes=case.max_file_bytes)
    results = {r.file_name: r for r in ingest_paths(con, [landing], limits=limits)}

    assert results["good.xlsx"].status == "loaded", results["good.xlsx"].error
    if case.status == "absent":
        assert set(results) == {"good.xlsx"}
        return
    r = results[readable(odd.name)]
    assert r.status == case.status, r.error
    if case.message is None:
        assert r.error is None
    else:
        assert case.message in (r.error or "")
    counts = (r.total("rows_read"), r.total("rows_loaded"), r.total("rows_quarantined"), r.total("rows_skipped"))
    assert counts == case.rows
    assert counts[0] == sum(counts[1:])
    [(status, error, read, loaded, quarantined, skipped)] = con.execute(
        "SELECT status, error, rows_read, rows_loaded, rows_quarantined, rows_skipped FROM audit.file_loads "
        "WHERE file_name = ? AND load_id = ?", [r.file_name, r.load_id]).fetchall()
    assert (status, error, (read, loaded, quarantined, skipped)) == (r.status, r.error, case.rows)
    for query, expected in case.sql:
        got = [tuple(float(v) if isinstance(v, Decimal) else v for v in row) for row in con.execute(query).fetchall()]
        assert got == expected, query


# A small CSV without quotes is split in Python (readers._split_csv); any other is read by DuckDB.
# The two readings must give the same table, blank lines, short and long lines, CRLF included.
# (A CR inside a line goes to DuckDB, whose line ends then differ from the lines counted.)
_FIELD = st.text(alphabet=st.sampled_from(" \t\x0b,a1.5-中文第号（）—"), max_size=4)
_LINE = st.lists(_FIELD, max_size=5).map(",".join)


@settings(max_examples=150, deadline=None)
@given(st.lists(_LINE, min_size=1, max_size=8), st.sampled_from(["\n", "\r\n"]), st.booleans(), st.booleans())
def test_a_small_csv_split_in_python_reads_as_duckdb_reads_it(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str], end: str, last_end: bool, gbk: bool
) -> None:
    from waterwh.ingest import readers

    text = end.join(lines) + (end if last_end else "")
    if not text.strip():
        return
    f = tmp_path_factory.mktemp("csv") / "x.csv"
    f.write_bytes(text.encode("gb18030" if gbk else "utf-8"))

    def read(small: int) -> list[dict] | str:
        original = readers.SMALL_CSV
        readers.SMALL_CSV = small
        try:
            [sheet] = readers.read_sheets(f)
            rows = sheet.table.to_pylist()
            while rows and not any(rows[-1].values()):  # empty rows at the end are no rows of the sheet
                rows.pop()
            return rows
        except readers.FileError as exc:
            return str(exc)
        finally:
            readers.SMALL_CSV = original

    assert read(1 << 20) == read(0)


def test_a_crlf_csv_with_a_blank_line_read_by_duckdb_keeps_its_rows(tmp_path: Path) -> None:
    """Marking the blank line ate its CR, and DuckDB read the mixed line ends with an extra row
    (found by the property test above: GB18030, CRLF, a blank first line)."""
    from waterwh.ingest import readers

    f = tmp_path / "x.csv"
    f.write_bytes("\r\n1\r\n—".encode("gb18030"))
    original, readers.SMALL_CSV = readers.SMALL_CSV, 0
    try:
        [sheet] = readers.read_sheets(f)
    finally:
        readers.SMALL_CSV = original
    assert sheet.table.column("c0").to_pylist() == [None, "1", "—"]


def test_rows_as_real_templates_lay_them_out(tmp_path: Path) -> None:
    """A column-number row under the header, 序号 on the group rows only (一、二) and none on the
    projects under them, a 合计 row right under the header counting projects as text, and a
    填表说明 block after the data: the projects load, nothing else does, nothing is quarantined."""
    from tests.workbooks import INVESTMENT_HEADER

    rows = [[TITLE], INVESTMENT_HEADER, [str(i) for i in range(1, len(INVESTMENT_HEADER) + 1)],
            ["合计", "3个", "", "", "", 3000, 1200, 60, 300, 900, "", ""],
            ["一", "城关镇", "", "", "", 2000, 800, 40, 200, 600, "", ""],
            ["", "城关镇堤防工程", "城关镇", "新建", "县重点", 1000, 400, 20, 100, 300, "在建", ""],
            ["", "城关镇泵站工程", "城关镇", "新建", "县重点", 1000, 400, 20, 100, 300, "在建", ""],
            ["二", "青石镇", "", "", "", 1000, 400, 20, 100, 300, "", ""],
            ["", "青石镇水库工程", "青石镇", "续建", "县重点", 1000, 400, 20, 100, 300, "在建", ""],
            ["填表说明：1.金额单位万元；2.本表每月5日前报送。"], ["填表人：张三    审核人：李四"]]
    con, _ = _loaded(tmp_path, "模板.xlsx", rows)
    got = con.execute("SELECT source_row, project_name, parent_project, admin_area FROM raw.investment_ledger "
                      "ORDER BY source_row").fetchall()
    # (the groups are towns: their projects' area, not a 大项)
    assert got == [(6, "城关镇堤防工程", None, "城关镇"), (7, "城关镇泵站工程", None, "城关镇"),
                   (9, "青石镇水库工程", None, "青石镇")]
    assert con.execute("SELECT count(*) FROM audit.quarantine").fetchone() == (0,)


def test_the_area_comes_from_the_district_folder_when_nothing_else_names_it(tmp_path: Path) -> None:
    """A ledger whose title, sheet and file name name no area takes its district's folder."""
    landing = tmp_path / "landing"
    (landing / "青石镇" / "投资").mkdir(parents=True)
    rows = investment_rows("2025年1-3月重点项目投资台账", [P1])
    write_xlsx(landing / "青石镇" / "投资" / "重点项目台账.xlsx", {"S": rows})
    con = duckdb.connect(":memory:")
    [result] = ingest_paths(con, [landing])
    assert result.status == "loaded", result.error
    assert result.sheets[0].ledger_scope == "青石镇"


def test_group_rows_named_after_areas_give_the_area_not_a_parent_project(tmp_path: Path) -> None:
    """A city's ledger grouping projects by county (一、青溪县 … 三、市本级) without an area column:
    the county is each project's area; a 大项 inside a county stays its parent, until the next county."""
    header = ["序号", "项目名称", "总投资", "年度计划投资", "年度累计完成"]
    rows = [["云溪市2025年1-3月重点项目投资台账"], header,
            ["一", "青溪县", 3000, 1200, 300], ["（一）", "防洪工程", 2000, 800, 200],
            ["1", "城关镇堤防工程", 1000, 400, 100], ["2", "城关镇泵站工程", 1000, 400, 100],
            ["二", "云谷县", 1000, 400, 100], ["1", "云谷水库除险加固", 1000, 400, 100],
            ["三", "市本级", 500, 200, 50], ["1", "市区排涝工程", 500, 200, 50]]
    con, _ = _loaded(tmp_path, "分县.xlsx", rows)
    got = con.execute("SELECT project_name, parent_project, admin_area FROM raw.investment_ledger "
                      "ORDER BY source_row").fetchall()
    assert got == [("城关镇堤防工程", "防洪工程", "青溪县"), ("城关镇泵站工程", "防洪工程", "青溪县"),
                   ("云谷水库除险加固", None, "云谷县"), ("市区排涝工程", None, "市本级")]


@pytest.mark.parametrize(("title", "river"), [("青溪县青溪河2025年3月河长巡河记录", "青溪河"),
                                               ("2025年3月白沙溪巡河日志", "白沙溪"),
                                               ("城关镇东风水库2025年3月巡查记录", "东风水库"),
                                               ("青溪县2025年3月河长巡河记录", None)])
def test_a_per_river_log_takes_its_river_from_the_title(tmp_path: Path, title: str, river: str | None) -> None:
    """A patrol log of one river names it in the title, not in a column; without it anywhere (a
    per-chief list) the rows load with no river (未注明), said so, never a guessed one."""
    rows = [[title], ["序号", "河长姓名", "级别", "巡河日期", "发现问题数"], ["1", "张三", "乡镇级", "2025-03-02", "1"]]
    con, result = _loaded(tmp_path, "巡河.xlsx", rows)
    assert con.execute("SELECT river_name FROM raw.patrol_log").fetchall() == [(river,)]
    said = f"河湖名称取自标题：「{river}」" if river else "表中没有「河湖名称」列，标题中也没有写明，按未注明入库"
    assert said in result.sheets[0].read_as


def test_a_quantity_headed_in_another_unit_is_converted(tmp_path: Path) -> None:
    """"里程（m）" is metres and "历时（小时）" hours: stored as km and minutes, as the columns keep them."""
    rows = [["青溪县青溪河2025年3月巡河记录"], ["序号", "河长姓名", "巡河日期", "历时（小时）", "里程（m）"],
            ["1", "张三", "2025-03-02", "1.5", "3500"], ["2", "李四", "2025-03-03", "2", "约800"]]
    con, result = _loaded(tmp_path, "巡河.xlsx", rows)
    got = con.execute("SELECT duration_min, distance_km FROM raw.patrol_log ORDER BY source_row").fetchall()
    assert got == [(90, 3.5), (120, 0.8)]
    assert ("distance_km", "里程(m)", "m") in result.sheets[0].recognised  # (headers as NFKC reads them)


@pytest.mark.parametrize(("title", "read"), [("青溪县村落保护项目进度（截至2025年3月）", True),
                                             ("青溪县2025年3月村落保护项目进度", False)])
def test_a_measure_without_a_period_takes_the_titles_as_of_date(tmp_path: Path, title: str, read: bool) -> None:
    """"完成投资" over its parts by source (总投资 | 其中政府投资 | …) gives no period: under a title
    "截至…" it is the total since the start, said so; under any other title it is left unread."""
    rows = [[title], ["序号", "项目名称", "计划投资", "", "完成投资", ""],
            ["", "", "总投资（万元）", "政府投资（万元）", "总投资（万元）", "其中政府投资（万元）"],
            ["1", "甲村保护利用", 900, 600, 500, 300]]
    con, result = _loaded(tmp_path, "村落.xlsx", rows)
    got = con.execute("SELECT total_investment, since_start_completed FROM raw.investment_ledger").fetchall()
    assert got == [(900, 500 if read else None)]
    said = "「完成投资总投资(万元)」未注明期间，按标题所写的截至日期读作开工以来累计"  # (headers as NFKC reads them)
    assert (said in (result.sheets[0].read_as or "")) is read
    assert ("完成投资_总投资(万元)" in result.sheets[0].unmapped) is not read


def test_years_by_measures_read_the_ledgers_own_year(tmp_path: Path) -> None:
    """2023年 [计划 | 完成] | 2024年 […] | 2025年 […] in a ledger of 2025: the 2025 columns are the
    year's plan and completion so far; the other years' are listed unread, never taken as this
    year's (nor refused as a period that disagrees with the title)."""
    rows = [["青溪县重点水利项目投资计划执行情况（2025年1-9月）"],
            ["序号", "项目名称", "总投资", "至2024年底累计完成", "2023年", "", "2024年", "", "2025年", ""],
            ["", "", "", "", "计划", "完成", "计划", "完成", "计划", "完成"],
            ["1", "甲水库", 9000, 3000, 1000, 900, 2000, 2100, 3000, 1500]]
    con, result = _loaded(tmp_path, "分年度.xlsx", rows)
    got = con.execute("SELECT total_investment, before_year_completed, annual_plan, ytd_completed "
                      "FROM raw.investment_ledger").fetchall()
    assert got == [(9000, 3000, 3000, 1500)]
    sheet = result.sheets[0]
    assert "读取2025年的列，其他年度的列未读取" in sheet.read_as
    assert sheet.unmapped == ["2023年_计划", "2023年_完成", "2024年_计划", "2024年_完成"]


def test_sequence_marks_after_the_number_are_items(tmp_path: Path) -> None:
    """"1●", "2●" (a mark after the number, as some templates print it) number projects, not groups."""
    rows = [[TITLE], INVESTMENT_HEADER, ["1●", *P1[1:]], ["2●", *P2[1:]]]
    con, _ = _loaded(tmp_path, "标记.xlsx", rows)
    assert con.execute("SELECT seq_no, project_name FROM raw.investment_ledger ORDER BY source_row").fetchall() == [
        ("1●", P1[1]), ("2●", P2[1])]
