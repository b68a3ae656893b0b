"""`waterwh check FILE`: tell a district clerk what was recognised and every problem, without loading."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
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


@dataclass
class SheetCheck:
    """What one sheet was recognised as, or why it was not read."""

    sheet: str
    ledger_type: str | None = None
    ledger_name: str = ""  # 中文
    scope: str = ""
    period_start: str = ""
    period_end: str = ""
    counts: str = ""  # 共 n 行：有效 …
    read_as: str = ""
    columns: list[tuple[str, str, str, str]] = field(default_factory=list)  # header, label, field, unit
    absent: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    error: str = ""
    note: str = ""


@dataclass
class Problem:
    sheet: str
    cell: str
    header: str
    value: str
    reason: str
    action: str  # 中文
    kind: str  # audit.quarantine.action: row_rejected, cell_nulled, …


@dataclass
class FileCheck:
    """Everything `waterwh check` says about one file; the CLI prints it, the portal renders it."""

    file_name: str
    sha256: str
    status: str  # the status the nightly run would record
    verdict: str  # 中文
    ok: bool  # nothing to fix: the file can be sent in
    error: str = ""
    supersedes: list[str] = field(default_factory=list)
    sheets: list[SheetCheck] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    annotated: Path | None = None
    annotated_note: str = ""  # why there is no annotated copy
    # what the annotated copy marks: (sheet, row, column letter, reason, action) and sheets' errors
    marks: list[tuple[str, int, str | None, str, str]] = field(default_factory=list)
    sheet_errors: dict[str, str] = field(default_factory=dict)
    ledger_keys: list[tuple[str, str, str]] = field(default_factory=list)  # (type, scope, period end)
    rows: int = 0

    @property
    def needs_annotation(self) -> bool:
        return bool(self.marks or self.sheet_errors)

    @property
    def blocking(self) -> bool:
        """The file, or some of its rows, could not be loaded: the clerk must fix it. Cells loaded
        empty or flagged are warnings the clerk may accept."""
        return self.status == "failed" or any(p.kind == "row_rejected" for p in self.problems)


def inspect_file(path: Path, period: Period | None = None, out: Path | None = None,
                 published: Path | None = None, limits: ReadLimits = DEFAULT_LIMITS,
                 specs: tuple[LedgerSpec, ...] | None = None, root: Path | None = None,
                 annotate: bool = True) -> FileCheck:
    """Read `path` as the nightly run would, into a throwaway database, and say what it found.
    `published`: the published warehouse, to say which loaded ledgers this one would supersede;
    `limits`: the nightly run's; `specs`: the ledger specs in use (shipped and local); `root`: the
    folder the file sits under as it will in the landing tree (its district folders name the area);
    `out`: where the annotated copy goes when there are problems; `annotate=False` leaves it to a
    later `write_annotated` (openpyxl is slow on a large workbook: docs/benchmarks.md)."""
    con = connect()
    try:
        check = _inspect(con, path, period, published, limits, specs or load_specs(), root or path.parent)
    finally:
        con.close()
    if annotate and check.needs_annotation:
        write_annotated(path, check, out or annotated_path(path), limits)
    return check


def _inspect(con: duckdb.DuckDBPyConnection, path: Path, period: Period | None, published: Path | None,
             limits: ReadLimits, specs: tuple[LedgerSpec, ...], root: Path) -> FileCheck:
    [result] = ingest_paths(con, [path], limits=limits, period=period, roots=[root], specs=specs)
    nulled = con.execute("SELECT count(*) FROM audit.quarantine WHERE action = 'cell_nulled'").fetchone()[0]
    verdict = VERDICT_ZH.get(result.status, result.status)
    if result.status == "loaded" and nulled:
        verdict = f"可以入库，但有 {nulled} 个单元格将按空值入库"
    failed = result.status == "failed"
    check = FileCheck(result.file_name, result.sha256, result.status, verdict, ok=False, error=result.error or "")
    if published is not None and published.exists() and not failed:
        from waterwh.ingest.versions import preview

        check.supersedes = list(preview(con, result.load_id, str(published)))
    names = {spec.ledger_type: spec.name_zh for spec in specs}
    by_type = {spec.ledger_type: spec for spec in specs}
    labels = {(spec.ledger_type, c.name): c.aliases[0] for spec in specs for c in spec.columns if c.aliases}
    for s in result.sheets:
        sheet = SheetCheck(s.sheet)
        check.sheets.append(sheet)
        if s.note and not failed:
            sheet.note = s.note
            continue
        if s.error:
            if s.error not in (result.error or ""):  # (a file's only sheet: said above already)
                sheet.error = s.error
            continue
        spec = by_type[s.ledger_type]
        sheet.ledger_type, sheet.ledger_name = s.ledger_type, names.get(s.ledger_type, s.ledger_type)
        sheet.scope = s.ledger_scope or "未识别"
        sheet.period_start = str(s.period.start) if s.period else "?"
        sheet.period_end = str(s.period.end) if s.period else "?"
        sheet.counts = (f"共 {s.rows_read} 行：有效 {s.rows_loaded}，隔离 {s.rows_quarantined}，跳过 {s.rows_skipped}"
                        f"（其中合计/小计 {s.rows_subtotal}）")
        sheet.read_as = s.read_as or ""
        sheet.columns = [(header, labels.get((s.ledger_type, name), ""), name, unit or "")
                         for name, header, unit in s.recognised]
        read = {name for name, _, _ in s.recognised}
        # a sheet may leave measures out: they load empty, and the clerk should know
        sheet.absent = [spec.column(c).aliases[0] for c in spec.evidence
                        if c not in read and spec.column(c).type == "amount"]
        sheet.unmapped = list(s.unmapped)
        check.rows += s.rows_loaded
        if s.period and (key := (s.ledger_type, s.ledger_scope or "", str(s.period.end))) not in check.ledger_keys:
            check.ledger_keys.append(key)
    problems = con.execute(
        "SELECT sheet, row_number, column_letter, header, raw_value, reason, action FROM audit.quarantine "
        "ORDER BY sheet, row_number, column_letter"
    ).fetchall()
    check.problems = [Problem(sheet, f"{letter or ''}{row}", header or "", raw or "", reason,
                              ACTION_ZH.get(action, action), action)
                      for sheet, row, letter, header, raw, reason, action in problems]
    check.marks = [(p[0], p[1], p[2], p[5], p[6]) for p in problems]
    check.sheet_errors = {s.sheet: s.error for s in result.sheets if s.error and (failed or not s.note)}
    # a cell whose control characters were removed is loaded as it reads: a warning, no error
    check.ok = result.status in ("loaded", "unchanged") and all(p[6] == "cell_cleaned" for p in problems)
    return check


def check_file(path: Path, period: Period | None, console: Console, out: Path | None = None,
               published: Path | None = None, limits: ReadLimits = DEFAULT_LIMITS,
               specs: tuple[LedgerSpec, ...] | None = None) -> bool:
    """`waterwh check FILE`: print what `inspect_file` found; True when there is nothing to fix."""
    if not path.is_file():
        console.print(f"[red]文件不存在：{escape(str(path))}[/]")
        return False
    specs = specs or load_specs()
    check = inspect_file(path, period, out, published, limits, specs)
    console.print(f"[bold]{escape(check.file_name)}[/]  sha256 {check.sha256[:12]}…  检查结果：{check.verdict}")
    if check.error:
        console.print(f"[red]✗ {escape(check.error)}[/]")
    for note in check.supersedes:
        console.print(f"[yellow]{escape(note)}[/]")
    by_type = {spec.ledger_type: spec for spec in specs}
    for s in check.sheets:
        if s.note:
            console.print(f"工作表「{escape(s.sheet)}」: [yellow]{escape(s.note)}[/]")
            continue
        if s.error:
            console.print(f"工作表「{escape(s.sheet)}」: [red]{escape(s.error)}[/]")
            continue
        if s.ledger_type is None:
            continue
        console.print(f"工作表「{escape(s.sheet)}」：{s.ledger_name} · 地区 {escape(s.scope)} · 报告期 "
                      f"{s.period_start} 至 {s.period_end} · {s.counts}")
        if s.read_as:
            console.print(f"  {escape(s.read_as)}")
        t = Table(title="识别的列")
        for c in ("表头（原文）", "识别为", "字段", "单位"):
            t.add_column(c)
        for header, label, name, unit in s.columns:
            t.add_row(escape(header), escape(label), name, unit)
        console.print(t)
        if s.absent:
            console.print(f"本表没有这些列（入库为空值）：{escape('、'.join(s.absent))}")
        if s.unmapped:
            _teach(console, by_type[s.ledger_type], s.unmapped, {c[2] for c in s.columns})
    if check.problems:
        t = Table(title=f"问题（{len(check.problems)} 处）")
        for c in ("工作表", "单元格", "列", "原值", "问题", "处理"):
            t.add_column(c, overflow="fold")
        for p in check.problems:
            t.add_row(*(escape(v) for v in (p.sheet, p.cell, p.header, p.value, p.reason, p.action)))
        console.print(t)
    if check.annotated:
        console.print(f"已生成标注副本（问题单元格已着色并加批注）：{escape(str(check.annotated))}")
    elif check.annotated_note:
        console.print(f"[yellow]{escape(check.annotated_note)}[/]")
    console.print("[green]未发现问题，可以报送。[/]" if check.ok else "[red]发现问题：请按上表更正后重新报送。[/]")
    return check.ok


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


def write_annotated(path: Path, check: FileCheck, target: Path, limits: ReadLimits = DEFAULT_LIMITS) -> FileCheck:
    """The clerk's file with every problem of `check` marked, written to `target` (whole or not at
    all); or, in `check.annotated_note`, why there is none."""
    from waterwh.ingest.annotate import NoCopy, annotate
    from waterwh.ingest.isolation import read_one
    from waterwh.ingest.readers import ZIP_EXCEL_SUFFIXES, FileError

    partial = target.with_name(f".{target.stem}.{uuid.uuid4().hex[:8]}.part{target.suffix}")  # one per writer
    try:
        sheets = None if path.suffix.lower() in ZIP_EXCEL_SUFFIXES else read_one(path, limits)
        annotate(path, [tuple(m) for m in check.marks], check.sheet_errors, partial, sheets)  # type: ignore[misc]
        partial.replace(target)
        check.annotated = target
    except (NoCopy, FileError) as exc:
        partial.unlink(missing_ok=True)
        check.annotated_note = str(exc)
    return check
