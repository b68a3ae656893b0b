"""Ingest files and folders: discovery, deduplication by content, versions, per-file results."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

import duckdb

from ingest.layout import LayoutError, NotALedger, detect_layout, find_period, find_scope
from ingest.loader import FileResult, SheetLoader, SheetResult
from ingest.periods import Period
from ingest.readers import SUPPORTED_SUFFIXES, FileError, Sheet, read_sheets, sha256_of
from ingest.schema import ensure_schema
from ingest.spec import load_specs
from ingest.sql_parsers import install_macros

CORRECTION = re.compile(r"更正|修正|修订|更新|重报|第[二三四五]版|v[2-9]\b", re.IGNORECASE)

ANNOTATED_SUFFIX = ".检查标注.xlsx"  # written by `waterwh check` next to the clerk's file


def discover(paths: Iterable[Path]) -> list[Path]:
    """Files under the given paths, recursively, in load order.

    A correction (…(更正).xlsx) is loaded after its original so it supersedes it; otherwise files
    load in modification-time order, then by name.
    """
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found += [f for f in p.rglob("*") if f.is_file() and not _hidden(f, p)]
        elif p.exists():
            found.append(p)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return sorted(found, key=lambda f: (bool(CORRECTION.search(f.stem)), f.stat().st_mtime_ns, str(f)))


def _hidden(f: Path, root: Path) -> bool:
    rel = f.relative_to(root)
    # Excel's lock files (~$name.xlsx), dot-files and our own annotated copies are never ledgers.
    return any(part.startswith((".", "~$")) for part in rel.parts) or f.name.endswith(ANNOTATED_SUFFIX)


def display_name(path: Path, roots: Iterable[Path]) -> str:
    for root in roots:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            continue
    return path.name


def new_load_id(sha256: str, now: datetime) -> str:
    return f"L{now:%Y%m%dT%H%M%S}-{sha256[:10]}"


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    *,
    max_file_bytes: int,
    run_id: str | None = None,
    period: Period | None = None,
    roots: Iterable[Path] = (),
    on_file: Callable[[FileResult], None] | None = None,
    now: Callable[[], datetime] = datetime.now,
) -> list[FileResult]:
    ensure_schema(con)
    install_macros(con)
    files = discover(paths)
    roots = list(roots) or [p for p in paths if p.is_dir()]
    results = []
    for path in files:
        result = ingest_file(
            con, path, display_name(path, roots), max_file_bytes=max_file_bytes,
            run_id=run_id, period=period, now=now(),
        )
        results.append(result)
        if on_file:
            on_file(result)
    return results


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    file_name: str,
    *,
    max_file_bytes: int,
    run_id: str | None,
    period: Period | None,
    now: datetime,
) -> FileResult:
    sha = sha256_of(path)
    load_id = new_load_id(sha, now)
    result = FileResult(path, file_name, sha, load_id, "loaded")
    seen = con.execute(
        "SELECT count(*) FROM audit.file_loads WHERE sha256 = ? AND status <> 'unchanged'", [sha]
    ).fetchall()[0]
    if seen and seen[0]:
        result.status = "unchanged"
        _record(con, result, run_id, now)
        return result
    con.execute("BEGIN TRANSACTION")
    try:
        _load(con, path, result, max_file_bytes, period, now)
        _record(con, result, run_id, now)
        con.execute("COMMIT")
    except Exception as exc:  # an unexpected fault must not leave half a file behind
        con.execute("ROLLBACK")
        result.status = "failed"
        result.error = f"内部错误，文件未加载: {type(exc).__name__}: {exc}"
        result.sheets = []
        _record(con, result, run_id, now)
    return result


def _load(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    result: FileResult,
    max_file_bytes: int,
    period: Period | None,
    now: datetime,
) -> None:
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        result.status, result.error = "failed", f"不支持的文件类型「{path.suffix}」（支持 .xlsx .xls .csv）"
        return
    size = path.stat().st_size
    if size > max_file_bytes:
        result.status = "failed"
        result.error = f"文件过大（{size / 1e6:.1f} MB，上限 {max_file_bytes / 1e6:.0f} MB）"
        return
    try:
        sheets = read_sheets(path)
    except FileError as exc:
        result.status, result.error = "failed", str(exc)
        return
    specs = load_specs()
    errors = []
    for sheet in sheets:
        head = sheet.head(40)
        if not any(any(c.strip() for c in row) for row in head) and sheet.height <= 40:
            continue  # an empty sheet ("Sheet2") is not a ledger
        sr = SheetResult(sheet.name, None, None, None)
        try:
            layout = detect_layout(head, specs)
        except NotALedger as exc:
            sr.note = f"不是台账，已跳过（{exc}）"
            sr.error = str(exc)  # an error only if no sheet of the file is a ledger (below)
            result.sheets.append(sr)
            continue
        except LayoutError as exc:
            sr.error = str(exc)
            sr.rows_read = sr.rows_skipped = 0
            errors.append(f"工作表「{sheet.name}」: {exc}")
            result.sheets.append(sr)
            continue
        sr.ledger_type = layout.spec.ledger_type
        if not _has_rows_below(sheet, layout.header_last):
            # an empty template must not register as a version (it would supersede the real ledger)
            sr.error = "只有表头，没有数据行（空白模板？），请填写后重新报送"
            errors.append(f"工作表「{sheet.name}」: {sr.error}")
            result.sheets.append(sr)
            continue
        sr.recognised = [(m.spec.name, m.header, m.unit) for m in layout.columns]
        sr.unmapped = [h for _, h in layout.unmapped_headers]
        sr.period = period or find_period(layout.title, sheet.name, path.stem)
        if sr.period is None:
            sr.error = (
                "找不到报告期：标题行、工作表名和文件名中都没有报告期"
                "（如「截至2025年3月31日」「2025年1-3月」），请在标题中注明，或用 --period YYYY-MM 指定"
            )
            errors.append(f"工作表「{sheet.name}」: {sr.error}")
            result.sheets.append(sr)
            continue
        sr.ledger_scope = find_scope(layout.title, sheet.name, path.stem) or "未注明"
        sr.ledger_key = f"{sr.ledger_type}|{sr.ledger_scope}|{sr.period.end}"
        _new_version(con, sr, result, now)
        ctx = {
            "load_id": result.load_id,
            "file_name": result.file_name,
            "sha256": result.sha256,
            "loaded_at": now.isoformat(sep=" ", timespec="seconds"),
            "year": sr.period.end.year,
        }
        SheetLoader(con, layout, ctx).run(sheet, sr)
        result.sheets.append(sr)
    loaded = [s for s in result.sheets if s.error is None]
    if not result.sheets:
        result.status, result.error = "failed", "文件中没有任何数据（所有工作表均为空）"
    elif not loaded:
        not_ledgers = [f"工作表「{s.sheet}」: {s.error}" for s in result.sheets if s.note]
        result.status, result.error = "failed", "；".join(errors + not_ledgers)
    elif errors or any(s.rows_quarantined for s in loaded):
        result.status = "partial"
        result.error = "；".join(errors) or None


def _has_rows_below(sheet: Sheet, header_last: int) -> bool:
    """Whether any non-blank cell follows the header (looked at in slices: a sheet may be tall)."""
    start = header_last + 1
    while start < sheet.height:
        part = sheet.table.slice(start, 1000).to_pylist()
        if any(isinstance(v, str) and v.strip() for row in part for v in row.values()):
            return True
        start += 1000
    return False


def _new_version(con: duckdb.DuckDBPyConnection, sr: SheetResult, result: FileResult, now: datetime) -> None:
    """A corrected ledger for the same type, scope and period supersedes the current one."""
    assert sr.period is not None
    row = con.execute(
        "SELECT coalesce(max(version_no), 0) FROM audit.ledger_versions WHERE ledger_key = ?",
        [sr.ledger_key],
    ).fetchall()[0]
    version = (row[0] if row else 0) + 1
    con.execute("UPDATE audit.ledger_versions SET is_current = FALSE WHERE ledger_key = ?", [sr.ledger_key])
    con.execute(
        "INSERT INTO audit.ledger_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, TRUE)",
        [sr.ledger_key, sr.ledger_type, sr.ledger_scope, sr.period.end, result.load_id,
         result.file_name, result.sha256, now, version],
    )


def _record(con: duckdb.DuckDBPyConnection, r: FileResult, run_id: str | None, now: datetime) -> None:
    rows_read = r.total("rows_read")
    con.execute(
        "INSERT INTO audit.file_loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [r.load_id, r.file_name, r.sha256, r.ledger_type, r.scope, r.period_end, len(r.sheets),
         rows_read, r.total("rows_loaded"), r.total("rows_quarantined"), r.total("rows_skipped"),
         r.total("rows_subtotal"), r.total("cell_issues"), r.status, r.error, now, run_id],
    )
