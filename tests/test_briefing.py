"""The monthly 通报 from the warehouse: the 2021 key-projects notice (seed 004) written again from a ledger.

The ledger holds the notice's 41 projects in 亿元 as the county reported them (省市重点在建3项,
县重点在建33项, 前期5项); the pipeline loads and publishes it, and the briefing must print the
notice's own headline figures, trace every figure to a query, and say where a 小计 is wrong.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from docx import Document

from tests.workbooks import write_xlsx
from waterwh import pipeline
from waterwh.config import Settings
from waterwh.reporting import briefing
from waterwh.reporting.briefing.numbers import pct, wan, yi

HEADER = ["序号", "项目名称", "建设地点", "建设性质", "级别", "总投资(亿元)", "年度计划投资(亿元)",
          "年度累计完成(亿元)", "开工以来累计完成(亿元)", "建设状态", "滞后原因"]


def seed_004_rows() -> list[list[object]]:
    """41 projects whose sums are the notice's: 136.8 / 30.83 / 24.02亿, 8.9→7.47, 21.1→16.22, 0.83→0.33."""
    def p(no: int, name: str, level: str, nature: str, plan: float, ytd: float, status: str = "在建",
          reason: str = "", total: float = 3.0) -> list[object]:
        return [str(no), name, "青溪县", nature, level, total, plan, ytd, ytd, status, reason]

    rows: list[list[object]] = [["一", "省市重点在建工程"]]
    rows += [p(1, "王莽岭景区基础设施改造提升工程", "省重点", "续建", 4.0, 2.7, reason="设计变更及资本金到位迟缓"),
             p(2, "国道207线升级改造工程", "市重点", "续建", 3.0, 2.9, total=6.02),
             p(3, "晋城东500千伏输变电工程", "市重点", "续建", 1.9, 1.87)]
    rows.append(["", "小计", "", "", "", "", 8.9, 7.47, "", "", ""])
    rows.append(["二", "县重点在建工程"])
    county = [p(4 + i, f"县重点在建项目{i + 1:02d}", "县重点", "续建", 0.6, 0.49) for i in range(27)]
    county += [p(31, "城北社区棚户区改造及基础设施配套项目", "县重点", "续建", 0.9, 0.5, reason="土地权属及拆迁"),
               p(32, "城南生态公园建设项目", "县重点", "新建", 0.9, 0.5, reason="国投公司融资难、资金落实难"),
               p(33, "清阳路建设工程", "县重点", "新建", 0.9, 0.5, reason="国投公司融资难、资金落实难"),
               p(34, "礼杨工业集聚区标准化厂房建设项目", "县重点", "新建", 1.6, 1.49, total=2.8),
               p(35, "自供能垃圾完全热裂解处理项目", "县重点", "新建", 0.3, 0, "未开工", "申请中央预算内资金未到位"),
               p(36, "崇西路提升改造工程", "县重点", "新建", 0.3, 0, "未开工", "设计方案不优，不达预期效果")]
    rows += county
    # the clerk typed 16.2 for 16.22: the briefing must say so, not print either number silently
    rows.append(["", "小计", "", "", "", "", 21.1, 16.2, "", "", ""])
    rows.append(["三", "重大前期工程"])
    rows += [p(37, "东双脑调水工程", "市重点", "前期", 0.2, 0.08, "前期", "融资模式改变，前期推进不快")]
    rows += [p(38 + i, f"县重点前期项目{i + 1}", "县重点", "前期", 0.1575, 0.0625, "前期") for i in range(4)]
    rows.append(["", "合计", "", "", "", 136.8, 30.83, 24.02, "", "", ""])
    return rows


def fix_total_investment(rows: list[list[object]]) -> list[list[object]]:
    """Spread the notice's 136.8亿 over the projects (after the three with known totals)."""
    projects = [r for r in rows if len(r) > 5 and r[0] not in ("", "一", "二", "三") and r[1] != "合计"]
    known = Decimal("6.02") + Decimal("2.8")
    rest = [r for r in projects if r[5] == 3.0]
    share = (Decimal("136.8") - known) / len(rest)
    spread = share.quantize(Decimal("0.0001"))
    for r in rest:
        r[5] = float(spread)
    rest[-1][5] = float(Decimal("136.8") - known - spread * (len(rest) - 1))
    return rows


@pytest.fixture(scope="module")
def notice(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings.from_env(tmp_path_factory.mktemp("notice"))
    title = ["青溪县2021年1-9月省市县三级重点工程投资完成情况表"]
    settings.landing_dir.mkdir(parents=True)
    write_xlsx(settings.landing_dir / "青溪县重点工程台账2021年9月.xlsx",
               {"9月": [title, HEADER, *fix_total_investment(seed_004_rows())]})
    result = pipeline.run(settings)
    assert result.published, result.message
    return settings


@pytest.fixture(scope="module")
def written(notice: Settings, tmp_path_factory: pytest.TempPathFactory) -> tuple[briefing.Briefing, list[Path]]:
    con = duckdb.connect(str(notice.published_path), read_only=True)
    try:
        doc = briefing.compose(con, briefing.month_end(2021, 9), ["investment"])
    finally:
        con.close()
    return doc, briefing.write(doc, tmp_path_factory.mktemp("out") / "通报-2021-09", ["md", "docx", "pdf"])


pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("briefing")]


def test_the_notice_headline_figures(written: tuple[briefing.Briefing, list[Path]]) -> None:
    doc, _ = written
    text = doc.text()
    for figure in ("136.8亿元", "30.83亿元", "24.02亿元", "77.91%", "83.93%", "76.87%"):
        assert figure in text, figure
    assert "累计完成投资24.02亿元，占年度目标任务的77.91%" in text
    assert "省市重点在建工程3项，累计完成投资7.47亿元，占年度目标任务（8.9亿元）的83.93%" in text
    assert "县重点在建工程33项，累计完成投资16.22亿元，占年度目标任务（21.1亿元）的76.87%" in text
    assert "前期工程5项，累计完成投资0.33亿元" in text
    assert "36项在建项目中34项已开工，2项未开工，开工率为94.44%" in text
    assert "省重点1项，市重点3项，县重点37项" in text
    assert "王莽岭景区基础设施改造提升工程，年度投资完成率67.50%（序时进度75.00%），因设计变更及资本金到位迟缓" in text


def test_every_figure_is_traceable_to_a_query_that_returns_it(
    written: tuple[briefing.Briefing, list[Path]], notice: Settings
) -> None:
    doc, _ = written
    assert len(doc.figures) > 40
    con = duckdb.connect(str(notice.published_path), read_only=True)
    try:
        for q in {f.query.no: f.query for f in doc.figures}.values():
            rerun = con.execute(q.sql)
            names = [d[0] for d in rerun.description]
            assert [dict(zip(names, r, strict=True)) for r in rerun.fetchall()] == q.rows, q.sql
    finally:
        con.close()
    # no amount, rate or count in the text that is not a citation
    uncited = "".join(s for b in doc.blocks if isinstance(b, briefing.document.Para)
                      for s in b.segments if isinstance(s, str))
    assert re.findall(r"\d+(?:\.\d+)?(?:亿元|万元|%|项)", uncited) == []


def test_a_wrong_subtotal_is_reported_not_printed(written: tuple[briefing.Briefing, list[Path]]) -> None:
    doc, _ = written
    text = doc.text()
    assert "「小计」所列年度累计完成为162000，按明细计算为162200，相差-200" in text
    assert "本通报采用按明细计算的数值" in text
    assert "16.2亿元" not in text


def test_markdown_docx_and_pdf(written: tuple[briefing.Briefing, list[Path]], tmp_path: Path) -> None:
    doc, paths = written
    md, docx_path, pdf = paths
    assert "# 关于青溪县2021年1-9月重点项目投资情况的通报" in md.read_text(encoding="utf-8")
    assert "## 附录：数据来源" in md.read_text(encoding="utf-8")

    word = Document(str(docx_path))
    paragraphs = "\n".join(p.text for p in word.paragraphs)
    assert doc.title in paragraphs and "24.02亿元" in paragraphs
    comments = [c.text for c in word.comments]
    assert len(comments) >= len([f for b in doc.blocks if isinstance(b, briefing.document.Para)
                                 for f in b.segments if not isinstance(f, str)])
    assert any("marts.rpt_investment_summary" in c and "ytd_completed_wan" in c for c in comments)

    assert pdf.read_bytes().startswith(b"%PDF")
    if not shutil.which("pdftoppm"):
        pytest.fail("pdftoppm (poppler-utils) is needed to check the PDF; .ci/run installs it")
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 10_000
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "累计完成投资24.02亿元" in text.replace("\n", "") and "附录：数据来源" in text


def test_cli_writes_the_briefing_and_refuses_a_month_without_data(notice: Settings, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from waterwh.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["report", "--period", "2021-09", "--kind", "investment", "--format", "md,docx",
                              "--out", str(tmp_path / "b"), "--home", str(notice.home)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "b.md").exists() and (tmp_path / "b.docx").exists()
    res = runner.invoke(app, ["report", "--period", "2021-10", "--home", str(notice.home)])
    assert res.exit_code == 1 and "没有2021年10月的项目投资数据" in res.output
    res = runner.invoke(app, ["report", "--period", "2021-13", "--home", str(notice.home)])
    assert res.exit_code == 2


def test_numbers_are_printed_as_the_bureau_writes_them() -> None:
    assert (yi(240200), yi(1368000), yi(3300), yi(89000)) == ("24.02亿元", "136.8亿元", "0.33亿元", "8.9亿元")
    assert (wan(3209), wan(Decimal("1554.20")), wan(263.0671)) == ("3209万元", "1554.2万元", "263.07万元")
    assert (pct(Decimal("0.779111")), pct(0.839326), pct(1)) == ("77.91%", "83.93%", "100.00%")


def test_the_title_names_the_smallest_area_holding_every_project() -> None:
    """A county's warehouse is that county's 通报; a province's names the province, not its largest county."""
    areas = [  # code, name, county, city, province
        ("990101", "城关镇", "青溪县", "云溪市", "江南省"), ("990102", "白沙乡", "青溪县", "云溪市", "江南省"),
        ("990201", "龙潭镇", "东台县", "云溪市", "江南省"), ("980101", "新桥镇", "新集县", "兰沙市", "江南省"),
    ]
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.dim_admin_area (area_code VARCHAR, county_name VARCHAR, "
                    "prefecture_name VARCHAR, province_name VARCHAR, is_known BOOLEAN)")
        con.executemany("INSERT INTO marts.dim_admin_area VALUES (?, ?, ?, ?, true)",
                        [[a[0], *a[2:]] for a in areas])
        con.execute("CREATE TABLE marts.fct_investment_snapshot (area_code VARCHAR, ledger_scope VARCHAR)")
        scopes = []
        for codes in (["990101", "990102"], ["990101", "990201"], ["990101", "990201", "980101"]):
            con.execute("DELETE FROM marts.fct_investment_snapshot")
            con.executemany("INSERT INTO marts.fct_investment_snapshot VALUES (?, '某县')", [[c] for c in codes])
            scopes.append(briefing._scope(con))
        con.execute("UPDATE marts.fct_investment_snapshot SET area_code = 'unknown'")
        scopes.append(briefing._scope(con))  # no known area: the scope the ledgers state
    assert scopes == ["青溪县", "云溪市", "江南省", "某县"]


def test_a_metric_changed_in_its_home_is_what_every_consumer_shows(
        notice: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One edit of waterwh/metrics.yaml: the 通报, Superset's datasets, the marts' macro and the run
    report's labels all follow it."""
    from waterwh import bi, metrics
    from waterwh.reporting import run_report

    changed = tmp_path / "metrics.yaml"
    changed.write_text(metrics.METRICS_FILE.read_text(encoding="utf-8")
                       .replace("label_zh: 年度投资完成率", "label_zh: 开工以来投资完成比")
                       .replace("numerator: {name: ytd_completed_wan, sql: ytd_completed_wan}",
                                "numerator: {name: since_start_completed_wan, sql: since_start_completed_wan}"),
                       encoding="utf-8")
    monkeypatch.setattr(metrics, "METRICS_FILE", changed)
    con = duckdb.connect(str(notice.published_path), read_only=True)
    try:
        doc = briefing.compose(con, briefing.month_end(2021, 9), ["investment"])
        [(rate,)] = con.execute("""
            SELECT sum(since_start_completed_wan) / sum(annual_plan_wan) FROM marts.fct_investment_snapshot
            WHERE NOT is_preparatory AND priority_level IN ('provincial', 'city')""").fetchall()
    finally:
        con.close()
    assert f"省市重点在建工程3项，累计完成投资7.47亿元，占年度目标任务（8.9亿元）的{pct(rate)}" in doc.text()
    assert bi.superset_metrics()["ytd_completion_rate"] == {
        "label": "开工以来投资完成比", "sql": "SUM(since_start_completed_wan) / NULLIF(SUM(annual_plan_wan), 0)",
        "format": ".2%"}
    assert "'ytd_completion_rate': ('since_start_completed_wan', 'annual_plan_wan')" in metrics.dbt_macros()
    assert ("ytd_completion_rate", "开工以来投资完成比", "%") in run_report.headline_zh()
