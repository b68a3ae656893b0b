"""`waterwh check FILE`: tell a district clerk what was recognised and every problem, without loading."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from waterwh.ingest.db import connect
from waterwh.ingest.files import DEFAULT_LIMITS, ingest_paths
from waterwh.ingest.isolation import ReadLimits
from waterwh.ingest.periods import Period
from waterwh.ingest.schema import ACTION_ZH
from waterwh.ingest.spec import LedgerSpec, load_specs

# what the file would become if sent in (a preview: nothing is loaded)
VERDICT_ZH = {"loaded": "全部可以入库", "partial": "部分行有问题，其余可以入库", "failed": "无法入库",
              "unchanged": "与已入库的文件相同"}


def annotated_path(path: Path) -> Path:
    from waterwh.ingest.files import ANNOTATED_SUFFIX

    return path.with_name(path.stem + ANNOTATED_SUFFIX)


def check_file(path: Path, period: Period | None, console: Console, out: Path | None = None,
               published: Path | None = None, limits: ReadLimits = DEFAULT_LIMITS,
               specs: tuple[LedgerSpec, ...] | None = None) -> bool:
    """`published`: the published warehouse, to say which loaded ledgers this one would supersede;
    `limits`: the nightly run's (a file it would refuse is refused here, saying why); `specs`: the
    ledger specs in use (the shipped ones with the bureau's local files)."""
    if not path.is_file():
        console.print(f"[red]文件不存在：{escape(str(path))}[/]")
        return False
    con = connect()
    specs = specs or load_specs()
    [result] = ingest_paths(con, [path], limits=limits, period=period, roots=[path.parent], specs=specs)
    nulled = con.execute("SELECT count(*) FROM audit.quarantine WHERE action = 'cell_nulled'").fetchone()[0]
    verdict = VERDICT_ZH.get(result.status, result.status)
    if result.status == "loaded" and nulled:
        verdict = f"可以入库，但有 {nulled} 个单元格将按空值入库"
    console.print(f"[bold]{escape(result.file_name)}[/]  sha256 {result.sha256[:12]}…  检查结果：{verdict}")
    if result.error:
        console.print(f"[red]✗ {escape(result.error)}[/]")
    failed = result.status == "failed"
    if published is not None and published.exists() and not failed:
        from waterwh.ingest.versions import preview

        for note in preview(con, result.load_id, str(published)):
            console.print(f"[yellow]{escape(note)}[/]")
    names = {spec.ledger_type: spec.name_zh for spec in specs}
    by_type = {spec.ledger_type: spec for spec in specs}
    labels = {(spec.ledger_type, c.name): c.aliases[0] for spec in specs for c in spec.columns if c.aliases}
    for s in result.sheets:
        if s.note and not failed:
            console.print(f"工作表「{escape(s.sheet)}」: [yellow]{escape(s.note)}[/]")
            continue
        if s.error:
            if s.error not in (result.error or ""):  # (a file's only sheet: said above already)
                console.print(f"工作表「{escape(s.sheet)}」: [red]{escape(s.error)}[/]")
            continue
        console.print(
            f"工作表「{escape(s.sheet)}」：{names.get(s.ledger_type, s.ledger_type)} · 地区 "
            f"{escape(s.ledger_scope or '未识别')} · 报告期 "
            f"{s.period.start if s.period else '?'} 至 {s.period.end if s.period else '?'} · "
            f"共 {s.rows_read} 行：有效 {s.rows_loaded}，隔离 {s.rows_quarantined}，跳过 {s.rows_skipped}"
            f"（其中合计/小计 {s.rows_subtotal}）"
        )
        if s.read_as:
            console.print(f"  {escape(s.read_as)}")
        t = Table(title="识别的列")
        for c in ("表头（原文）", "识别为", "字段", "单位"):
            t.add_column(c)
        for name, header, unit in s.recognised:
            t.add_row(escape(header), escape(labels.get((s.ledger_type, name), "")), name, unit or "")
        console.print(t)
        spec = by_type[s.ledger_type]
        read = {name for name, _, _ in s.recognised}
        absent = [spec.column(c).aliases[0] for c in spec.evidence if c not in read and spec.column(c).type == "amount"]
        if absent:  # a sheet may leave measures out: they load empty, and the clerk should know
            console.print(f"本表没有这些列（入库为空值）：{escape('、'.join(absent))}")
        if s.unmapped:
            _teach(console, spec, s.unmapped, read)
    problems = con.execute(
        "SELECT sheet, row_number, column_letter, header, raw_value, reason, action FROM audit.quarantine "
        "ORDER BY sheet, row_number, column_letter"
    ).fetchall()
    if problems:
        t = Table(title=f"问题（{len(problems)} 处）")
        for c in ("工作表", "单元格", "列", "原值", "问题", "处理"):
            t.add_column(c, overflow="fold")
        for sheet, row, letter, header, raw, reason, action in problems:
            t.add_row(*(escape(v) for v in (sheet, f"{letter or ''}{row}", header or "", raw or "", reason,
                                            ACTION_ZH.get(action, action))))
        console.print(t)
    sheet_errors = {s.sheet: s.error for s in result.sheets if s.error and (failed or not s.note)}
    if problems or sheet_errors:
        _annotated_copy(path, problems, sheet_errors, out or annotated_path(path), limits, console)
    con.close()
    # a cell whose control characters were removed is loaded as it reads: a warning, no error
    ok = result.status in ("loaded", "unchanged") and all(p[6] == "cell_cleaned" for p in problems)
    console.print("[green]未发现问题，可以报送。[/]" if ok else "[red]发现问题：请按上表更正后重新报送。[/]")
    return ok


def _teach(console: Console, spec: LedgerSpec, unmapped: list[str], taken: set[str]) -> None:
    """Every header not read, with the closest column and the lines that would teach it."""
    from waterwh.ingest.teach import suggest

    console.print(f"未识别的表头（{len(unmapped)} 个，未读取）：")
    for header in unmapped:
        guess = suggest(spec, header, taken)
        if guess.column is None:
            console.print(f"  「{escape(header)}」：不像{spec.name_zh}的任何一列")
            continue
        console.print(f"  「{escape(header)}」：最像 {guess.column}（「{escape(guess.alias or '')}」，相似度 "
                      f"{guess.similarity:.2f}）。如确是此列，在 $WATERWH_HOME/specs/ 下的 .yaml 文件中写：")
        console.print(guess.yaml(spec), markup=False, highlight=False)


def _annotated_copy(path: Path, problems: list[tuple], sheet_errors: dict[str, str], target: Path,
                    limits: ReadLimits, console: Console) -> None:
    """The clerk's file with every problem marked, or a note saying why there is none."""
    from waterwh.ingest.annotate import NoCopy, annotate
    from waterwh.ingest.isolation import read_one
    from waterwh.ingest.readers import ZIP_EXCEL_SUFFIXES, FileError

    try:
        sheets = None if path.suffix.lower() in ZIP_EXCEL_SUFFIXES else read_one(path, limits)
        written = annotate(path, [(p[0], p[1], p[2], p[5], p[6]) for p in problems], sheet_errors, target, sheets)
    except (NoCopy, FileError) as exc:
        console.print(f"[yellow]{escape(str(exc))}[/]")
        return
    console.print(f"已生成标注副本（问题单元格已着色并加批注）：{escape(str(written))}")
