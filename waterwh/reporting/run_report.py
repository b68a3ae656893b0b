"""The run report: after every nightly run, a Markdown page in Chinese for the person on duty.

What was read, what was rejected and why, which checks failed or warned, which expected ledgers
did not arrive, and how the headline figures moved. Written to `$WATERWH_HOME/reports/`.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from waterwh.config import Settings
from waterwh.ingest.schema import STATUS_ZH
from waterwh.metrics import metric
from waterwh.warehouse import open_warehouse

if TYPE_CHECKING:
    from waterwh.run_result import RunResult

OUTCOME_ZH = {
    "published": "已发布",
    "failed_checks": "未发布：质量检查未通过",
    "failed_build": "未发布：模型构建失败",
    "failed_ingest": "未发布：数据接收失败",
    "incomplete": "未发布：运行未完成",
    "error": "未发布：运行出错",
}


def headline_zh() -> list[tuple[str, str, str]]:
    """The headline figures the run report compares, (column, label, unit); rates labelled as defined."""
    return [
        ("project_count", "项目数", "个"),
        ("total_investment_wan", "总投资", "万元"),
        ("annual_plan_wan", "年度计划投资", "万元"),
        ("ytd_completed_wan", "年度累计完成", "万元"),
        ("ytd_completion_rate", metric("ytd_completion_rate").label_zh, "%"),
        ("start_rate", metric("start_rate").label_zh, "%"),
        ("on_schedule_count", "达到序时进度", "项"),
        ("behind_schedule_count", "较序时进度有差距", "项"),
    ]


MAX_LISTED = 100


def _cell(v: object) -> str:
    return "" if v is None else str(v).replace("|", "\\|").replace("\n", " ")


def _fmt(v: object, unit: str) -> str:
    if v is None:
        return "—"
    if unit == "%":
        return f"{Decimal(str(v)) * 100:.2f}%"
    if isinstance(v, int):
        return f"{v}"
    return f"{Decimal(str(v)):,.2f}"


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return out


def _query(settings: Settings, db: Path | None, sql: str, params: list[object]) -> list[tuple]:
    if db is None or not db.exists():
        return []
    try:
        con = open_warehouse(db, settings, "read")
    except duckdb.Error:
        return []
    try:
        return con.execute(sql, params).fetchall()
    except duckdb.Error:
        return []  # the table is not built (a run that stopped early)
    finally:
        con.close()


def render(settings: Settings, r: RunResult, db: Path | None) -> str:
    lines = [
        f"# 数据仓库夜间运行报告 {r.run_id}",
        "",
        f"- 结果：**{OUTCOME_ZH.get(r.outcome, r.outcome)}**",
        f"- 开始：{r.started_at:%Y-%m-%d %H:%M:%S}　结束：{r.finished_at:%Y-%m-%d %H:%M:%S}"
        if r.finished_at else f"- 开始：{r.started_at:%Y-%m-%d %H:%M:%S}",
        f"- 发布的数据仓库：`{settings.published_path}`"
        + (f" → `{r.published_path.name}`" if r.published_path else "（保持上一次发布，未改动）"),
    ]
    if r.message and not r.published:
        lines += ["", "## 未发布的原因", "", "```", r.message, "```"]

    lines += ["", f"## 文件（{len(r.files)} 个）", ""]
    lines += _table(
        ["文件", "台账类型", "报告期", "状态", "读取行", "入库行", "隔离行", "跳过行", "说明"],
        [[f.file_name, f.ledger_type or "—", f.period_end or "—", STATUS_ZH.get(f.status, f.status),
          f.total("rows_read"), f.total("rows_loaded"), f.total("rows_quarantined"), f.total("rows_skipped"),
          f.error or ""] for f in r.files],
    )

    lines += _unrecognised_headers(settings, r)

    load_ids = [f.load_id for f in r.files if f.status in ("loaded", "partial")]
    quarantined = _query(
        settings, db,
        "SELECT file_name, sheet, row_number, column_name, raw_value, reason FROM audit.quarantine "
        "WHERE list_contains(?, load_id) ORDER BY file_name, sheet, row_number LIMIT ?",
        [load_ids, MAX_LISTED],
    ) if load_ids else []
    n_quarantined = sum(f.total("rows_quarantined") for f in r.files)
    lines += ["", f"## 隔离的数据（{n_quarantined} 行被拒收）", ""]
    if quarantined:
        lines += _table(["文件", "工作表", "行", "列", "原值", "原因"], [list(q) for q in quarantined])
    else:
        lines.append("无。")

    replaced = [(f.file_name, note) for f in r.files for note in f.supersedes]
    lines += ["", f"## 更正与替代（{len(replaced)}）", ""]
    lines += _table(["文件", "替代了"], [list(x) for x in replaced]) if replaced else ["无。"]
    beside = _query(
        settings, db,
        "SELECT ledger_key, string_agg(file_name, '、' ORDER BY file_name) FROM audit.ledger_versions "
        "WHERE is_current GROUP BY ledger_key HAVING count(*) > 1 "
        "AND bool_or(list_contains(?, load_id)) ORDER BY ledger_key LIMIT ?",
        [load_ids, MAX_LISTED],
    ) if load_ids else []
    if beside:
        lines += ["", "同类、同地区、同期的几份台账并存（不是彼此的版本，都已入库）：", ""]
        lines += _table(["台账（类型｜地区｜报告期末）", "文件"], [list(b) for b in beside])

    conflicts = _query(
        settings, db,
        "SELECT ledger_type_zh, subject_name, area_name, period_end, measure_zh, value_used, source_file_used, "
        "value_other, source_file_other, source_sheet_other, source_row_other FROM marts.rpt_conflicting_reports "
        "ORDER BY period_end, ledger_type, subject_name, measure LIMIT ?",
        [MAX_LISTED],
    )
    lines += ["", f"## 数据冲突（{len(conflicts)}）", ""]
    if conflicts:
        lines += ["同一项目或指标、同一期间，两份现行台账的数字不同；汇总表采用较新导入的一份，请核实：", ""]
        lines += _table(
            ["台账", "项目/指标", "地区", "期间止", "数据项", "采用值", "采用文件", "另一值", "另一文件",
             "工作表", "行"],
            [list(c) for c in conflicts])
    else:
        lines.append("无。")

    if r.spec_problems:
        lines += ["", f"## 本地台账定义（{len(r.spec_problems)} 个文件未采用）", ""]
        lines += [f"- {p}" for p in r.spec_problems]

    if r.briefing or r.briefing_note:
        lines += ["", "## 本月通报", ""]
        lines += [f"- `{p}`" for p in r.briefing]
        if r.briefing_note:
            lines.append(f"- {r.briefing_note}")

    failed, warned = r.checks_failed, r.checks_warned
    passed = sum(1 for c in r.checks if c.passed)
    lines += ["", f"## 质量检查：{passed} 项通过，{len(failed)} 项未通过（阻止发布），{len(warned)} 项警告", ""]
    if r.data_docs is not None and r.data_docs.exists():
        lines.append(f"Great Expectations 数据文档：`{r.data_docs}`")
        lines.append("")
    if failed or warned:
        lines += _table(
            ["级别", "检查", "名称", "说明"],
            [["阻止发布" if c in failed else "警告", c.suite, c.name, c.message] for c in (failed + warned)],
        )

    missing = _query(
        settings, db,
        "SELECT ledger_type_zh, area_name, expected_period_end FROM marts.rpt_missing_ledgers "
        "ORDER BY expected_period_end, ledger_type_zh, area_name LIMIT ?",
        [MAX_LISTED],
    )
    lines += ["", f"## 未报送的台账（{len(missing)}）", ""]
    lines += _table(["台账", "地区", "报告期"], [list(m) for m in missing]) if missing else ["无。"]

    if r.headline or r.previous_headline:
        now, before = r.headline, r.previous_headline
        period = now.get("report_period_end") or before.get("report_period_end")
        lines += ["", f"## 主要指标（最新报告期 {period}）", ""]
        rows = []
        for key, label, unit in headline_zh():
            a, b = before.get(key), now.get(key)
            change = ""
            if a is not None and b is not None and a != b:
                delta = Decimal(str(b)) - Decimal(str(a))
                change = {"%": f"{delta * 100:+.2f}个百分点", "万元": f"{delta:+,.2f}"}.get(unit, f"{delta:+}")
            rows.append([f"{label}（{unit}）", _fmt(a, unit), _fmt(b, unit) if r.published else "未发布", change])
        lines += _table(["指标", "上次发布", "本次", "变化"], rows)
    return "\n".join(lines) + "\n"


def _unrecognised_headers(settings: Settings, r: RunResult) -> list[str]:
    """Headers of loaded sheets that were not read, with the closest column: what to teach."""
    from waterwh.ingest.teach import suggest

    specs = {s.ledger_type: s for s in settings.specs()[0]}
    rows = []
    for f in r.files:
        for s in f.sheets:
            spec = specs.get(s.ledger_type or "")
            if spec is None:
                continue
            read = {name for name, _, _ in s.recognised}
            for header in s.unmapped:
                g = suggest(spec, header, read)
                rows.append([f.file_name, s.sheet, header, g.column or "—", f"{g.similarity:.2f}" if g.column else ""])
    if not rows:
        return []
    return ["", f"## 未识别的表头（{len(rows)} 个，未读取）", "",
            "如某个表头确是所猜的列，把它写进 `$WATERWH_HOME/specs/` 下的 .yaml 文件（`waterwh check 文件` "
            "会给出要写的几行，`waterwh specs` 列出已知的写法），下次运行即可读取。", "",
            *_table(["文件", "工作表", "表头", "最像", "相似度"], rows[:MAX_LISTED])]


def write_run_report(settings: Settings, r: RunResult) -> Path:
    """Write reports/run-<run_id>.md and refresh reports/latest-run.md."""
    db = r.published_path if r.published else settings.staging_db
    text = render(settings, r, db)
    settings.reports_dir.mkdir(parents=True, exist_ok=True)
    path = settings.reports_dir / f"run-{r.run_id}.md"
    path.write_text(text, encoding="utf-8")
    latest = settings.reports_dir / "latest-run.md"
    tmp = latest.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(latest)
    return path
