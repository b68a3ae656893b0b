"""Ingest files and folders: discovery, deduplication by content, versions, per-file results."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from waterwh.ingest.batch import FileResult, Pending, SheetResult, signature
from waterwh.ingest.blocks import detect_blocks, unpivot_blocks
from waterwh.ingest.cells import has_text
from waterwh.ingest.isolation import FileRead, ReadAhead, ReadLimits
from waterwh.ingest.layout import (
    Layout,
    LayoutCache,
    LayoutError,
    NotALedger,
    detect_layout,
    find_scope,
    header_years,
    keep_year,
)
from waterwh.ingest.loader import BatchLoader
from waterwh.ingest.periods import Period, PeriodError, find_period
from waterwh.ingest.readers import Sheet, readable, sha256_of
from waterwh.ingest.schema import AUDIT_TABLES, ensure_schema
from waterwh.ingest.spec import LedgerSpec, load_specs
from waterwh.ingest.sql_parsers import install_macros
from waterwh.ingest.text import compact
from waterwh.ingest.versions import CORRECTION, Version, record_versions
from waterwh.ingest.wide import detect_wide, unpivot

ANNOTATED_SUFFIX = ".检查标注.xlsx"  # written by `waterwh check` next to the clerk's file


def discover(paths: Iterable[Path]) -> list[Path]:
    """The files to read under the given paths (see `walk`)."""
    return walk(paths)[0]


def walk(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """(files to read, recursively, in load order; files refused unread, with the reason).

    A correction (…(更正).xlsx) is loaded after its original so it supersedes it; otherwise files
    load in modification-time order, then by name. Lock, temporary and hidden files are skipped
    without a word; a symbolic link leading out of the folder it was found in is refused, never
    followed (a link to /etc/shadow was read, a ledger outside the landing folder loaded)."""
    found: list[Path] = []
    refused: list[tuple[Path, str]] = []
    for p in paths:
        if p.is_dir():
            real_root = p.resolve()
            for f in p.rglob("*"):
                if _skipped(f, p):
                    continue
                if f.is_symlink():
                    why = _leads_out(f, real_root)
                    if why:
                        refused.append((f, why))
                        continue
                if f.is_file():
                    found.append(f)
        elif p.exists():
            found.append(p)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return sorted(found, key=lambda f: (bool(CORRECTION.search(f.stem)), f.stat().st_mtime_ns, str(f))), refused


# Never ledgers: Office lock and temporary files (~$name.xlsx, ~WRL0001.tmp, .~lock.name.xlsx#),
# downloads in progress, what Windows and macOS leave in folders, and our own annotated copies.
_SKIPPED_PREFIXES = (".", "~")
_SKIPPED_SUFFIXES = (".tmp", ".part", ".crdownload", ".download", ANNOTATED_SUFFIX)
_SKIPPED_NAMES = {"thumbs.db", "desktop.ini", "__macosx"}


def _skipped(f: Path, root: Path) -> bool:
    parts = f.relative_to(root).parts
    return (any(part.startswith(_SKIPPED_PREFIXES) or part.lower() in _SKIPPED_NAMES for part in parts)
            or f.name.lower().endswith(_SKIPPED_SUFFIXES))


def _leads_out(link: Path, real_root: Path) -> str | None:
    """Why a symbolic link is not followed, or None when it stays inside the folder."""
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):
        return "符号链接无法解析（目标不存在或链接成环），未读取"
    if target.is_relative_to(real_root):
        return None
    return f"符号链接，指向落地目录之外（{target}），未读取：请把文件本身放入落地目录"


def display_name(path: Path, roots: Iterable[Path]) -> str:
    """The path below the landing root it was found under (as found: resolving every file's path
    cost 0.3 ms, 4 s of a province's night), readable whatever the bytes of its name."""
    for root in roots:
        for p, r in ((path, root), (path.resolve(), root.resolve())):
            try:
                return readable(p.relative_to(r).as_posix())
            except ValueError:
                continue
    return readable(path.name)


def new_load_id(sha256: str, now: datetime) -> str:
    return f"L{now:%Y%m%dT%H%M%S}-{sha256[:10]}"


DEFAULT_LIMITS = ReadLimits()

# A batch of same-layout sheets is loaded once it holds this many rows (bounds memory on big nights).
BATCH_ROWS = 200_000


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    *,
    limits: ReadLimits = DEFAULT_LIMITS,
    run_id: str | None = None,
    period: Period | None = None,
    roots: Iterable[Path] = (),
    on_file: Callable[[FileResult], None] | None = None,
    now: Callable[[], datetime] = datetime.now,
    specs: tuple[LedgerSpec, ...] | None = None,
) -> list[FileResult]:
    """Load every file under `paths`. Files are read and recognised one by one (`on_file` is called
    after each, with provisional row counts); sheets of the same layout are then loaded together,
    and the file records (`audit.file_loads`, versions) are written once their counts are final."""
    files, refused = walk(paths)
    roots = list(roots) or [p for p in paths if p.is_dir()]
    loaded_before = _loaded_before(con)
    with ReadAhead(files, limits, loaded_before) as reads:
        # The first files are read while the schema and macros are set up.
        ensure_schema(con)
        install_macros(con)
        batches = Batches(con)
        results: list[FileResult] = []
        for path, why in refused:
            stamp = now()
            name = display_name(path, roots)
            results.append(FileResult(path, name, "", new_load_id(hashlib.sha256(name.encode()).hexdigest(), stamp),
                                      "failed", error=why, loaded_at=stamp))
        specs = specs or load_specs()  # (`specs`: the shipped ones extended by a bureau's local files)
        layouts = LayoutCache()  # header recognition, shared by every sheet of this run
        for path in files:
            stamp = now()
            read = reads.next()
            sha = read.sha256 or _hash_if_possible(path)  # (a reader that died took its hash along)
            result = FileResult(path, display_name(path, roots), sha, new_load_id(sha, stamp), "loaded",
                                loaded_at=stamp)
            if read.sheets is None and read.error is None and read.fault is None:
                result.status = "unchanged"  # its content was loaded before (or earlier tonight)
            else:
                try:
                    for item in _read(path, read, result, period, stamp, specs, layouts):
                        batches.add(item)
                except Exception as exc:  # an unexpected fault in one file must not stop the others
                    _internal_error(result, exc)
            results.append(result)
            if on_file:
                on_file(result)
        batches.flush_all()
        _finish_files(con, results, run_id)
    return results


class Batches:
    """Pending sheets grouped by layout signature; a failing batch is retried sheet by sheet."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.pending: dict[tuple, list[Pending]] = {}
        self.rows: dict[tuple, int] = {}

    def add(self, item: Pending) -> None:
        key = signature(item.layout)
        self.pending.setdefault(key, []).append(item)
        self.rows[key] = self.rows.get(key, 0) + item.sheet.height
        if self.rows[key] >= BATCH_ROWS:
            self.flush(key)

    def flush_all(self) -> None:
        for key in list(self.pending):
            self.flush(key)

    def flush(self, key: tuple) -> None:
        items = self.pending.pop(key)
        self.rows.pop(key)
        if self._load(items):
            return
        for item in items:  # isolate the sheet that breaks the batch
            if item.file.status != "failed" and not self._load([item]):
                _internal_error(item.file, self._error)

    def _load(self, items: list[Pending]) -> bool:
        self.con.execute("BEGIN TRANSACTION")
        try:
            BatchLoader(self.con, items).run()
            self.con.execute("COMMIT")
            return True
        except Exception as exc:
            self.con.execute("ROLLBACK")
            self._error = exc
            return False


def _loaded_before(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The contents loaded before (none in a new warehouse): such files are hashed, not read."""
    try:
        return {r[0] for r in con.execute(
            "SELECT DISTINCT sha256 FROM audit.file_loads WHERE status <> 'unchanged' AND sha256 <> ''").fetchall()}
    except duckdb.CatalogException:
        return set()


def _hash_if_possible(path: Path) -> str:
    try:
        return sha256_of(path)
    except OSError:
        return ""


def _internal_error(result: FileResult, exc: BaseException) -> None:
    result.status, result.broken = "failed", True
    result.error = f"内部错误，文件未加载: {type(exc).__name__}: {exc}"


def _by_source(sheet: Sheet, head: list[list[str]], specs: tuple, layouts: LayoutCache,
               near: int | None) -> tuple[Sheet, Layout, str] | None:
    """A sheet of money by source in column blocks, as its long form, its layout and how it was read."""
    blocks = next((b for spec in specs if (b := detect_blocks(head, spec, near)) is not None), None)
    if blocks is None:
        return None
    long = unpivot_blocks(sheet, blocks)
    try:
        layout = detect_layout(long.head(40), specs, layouts)
    except LayoutError:
        return None
    if layout.spec is not blocks.spec:
        return None
    layout.unmapped_headers = [*layout.unmapped_headers, *((-1, h) for h in blocks.unread)]
    sources = blocks.sources
    named = "、".join(sources[:6]) + ("…" if len(sources) > 6 else "")
    return long, layout, f"资金按来源分列：每个来源一行读取（{named}；金额：{'、'.join(blocks.measures)}）"


def _read(
    path: Path,
    read: FileRead,
    result: FileResult,
    period: Period | None,
    now: datetime,
    specs: tuple,
    layouts: LayoutCache,
) -> list[Pending]:
    """Recognise the sheets of a file read; returns the sheets to load. Problems go on `result`."""
    if read.fault is not None:
        raise RuntimeError(read.fault)
    if read.error is not None:
        result.status, result.error = "failed", read.error
        return []
    if read.sheets is None:
        raise RuntimeError("a file read without sheets, error or fault")
    sheets = read.sheets
    pending: list[Pending] = []
    for sheet in sheets:
        head = sheet.head(40)
        if not any(any(c.strip() for c in row) for row in head) and sheet.height <= 40:
            continue  # an empty sheet ("Sheet2") is not a ledger
        sr = SheetResult(sheet.name, None, None, None)
        result.sheets.append(sr)
        try:
            layout: Layout | None = detect_layout(head, specs, layouts)
            failure: LayoutError | None = None
        except LayoutError as exc:
            layout, failure = None, exc
        if layout is None or len(layout.unmapped_headers) >= 2:  # money by source in column blocks?
            found = _by_source(sheet, head, specs, layouts, layout.header_first if layout else None)
            if found is not None:
                sheet, layout, sr.read_as = found
        if layout is None:
            wide = next((w for spec in specs if (w := detect_wide(head, spec)) is not None), None)
            if wide is None:
                if isinstance(failure, NotALedger):
                    sr.note = f"不是台账，已跳过（{failure}）"
                sr.error = str(failure)  # a note's error counts only if no sheet of the file is a ledger
                continue
            # one column per indicator: read as the long form, each value from its own cell
            sheet = unpivot(sheet, wide)
            layout = detect_layout(sheet.head(wide.header_row + 1), specs, layouts)
            layout.unmapped_headers = [(-1, h) for h in wide.unread]
            row_is = "监测点" if wide.key_name == "station" else "地区"
            sr.read_as = (f"宽表：每行一个{row_is}、每列一个指标，已按 {len(wide.indicators)} 个指标逐格读取"
                       f"（{'、'.join(i.name for i in wide.indicators[:6])}{'…' if len(wide.indicators) > 6 else ''}）")
        sr.ledger_type = layout.spec.ledger_type
        if sheet.hidden:  # a copy kept out of sight (last month's, a draft) would count twice
            sr.error = "隐藏的工作表，未入库（以可见的工作表为准；如需报送，请取消隐藏后重新报送）"
            continue
        if not _has_rows_below(sheet, layout.header_last):
            # an empty template must not register as a version (it would supersede the real ledger)
            sr.error = "只有表头，没有数据行（空白模板？），请填写后重新报送"
            continue
        years = header_years(layout)
        if len(years) >= 2 and period is None:  # years × measures: the ledger's own year's columns
            try:
                own = find_period(layout.title, sheet.name, path.stem)
            except PeriodError:
                own = None
            if own is not None and own.end.year in years:
                layout = keep_year(layout, own.end.year)
        sr.recognised = [(m.spec.name, m.header, m.unit) for m in layout.columns]
        for said in layout.said:
            sr.say(said)
        for column in layout.spec.columns:  # a column the sheet splits in parts: their sum, said so
            parts = [layout.mapped(p) for p in column.sum_of]
            if parts and all(parts) and not layout.mapped(column.name):
                sr.say(f"{column.aliases[0]} = " + " + ".join(f"「{m.header}」" for m in parts if m)
                       + "（台账未单列，相加得出）")
            total, amount = layout.mapped(column.name), layout.mapped(column.running_total_of or "")
            if total and amount:  # one line per event: the event counts, its running total checks it
                said = f"每行一笔：按「{amount.header}」计入，「{total.header}」用于核对逐笔累计"
                sr.say(said)
        sr.unmapped = [h for _, h in layout.unmapped_headers]
        try:
            sr.period = period or find_period(layout.title, sheet.name, path.stem, [m.header for m in layout.columns])
        except PeriodError as exc:
            sr.error = f"{exc}（或用 --period YYYY-MM 指定）"
            continue
        if sr.period is None:
            sr.error = (
                "找不到报告期：标题行、工作表名和文件名中都没有报告期"
                "（如「截至2025年3月31日」「2025年1-3月」），请在标题中注明，或用 --period YYYY-MM 指定"
            )
            continue
        folders = tuple(Path(result.file_name).parts[:-1])  # the district's folder in the landing tree
        sr.ledger_scope = find_scope(layout.title, sheet.name, path.stem, folders=folders) or "未注明"
        sr.ledger_key = f"{sr.ledger_type}|{sr.ledger_scope}|{sr.period.end}"
        sr.rows_read = sheet.height - layout.header_last - 1  # provisional, for progress; final after loading
        meta = {"load_id": result.load_id, "file_name": result.file_name, "sha256": result.sha256,
                "loaded_at": now.replace(microsecond=0), "year": sr.period.end.year,
                "from_title": from_title(layout, sheet.name, path.stem)}
        rule = layout.spec.from_title
        if rule and not layout.mapped(rule["column"]):
            word = layout.spec.column(rule["column"]).aliases[0]
            said = (f"{word}取自标题：「{meta['from_title']}」" if meta["from_title"] else
                    f"表中没有「{word}」列，标题中也没有写明，按未注明入库（如需按{word}统计，请补上该列或在标题中写明）")
            sr.say(said)
        own = layout.spec.own_area
        if own and not layout.mapped(own) and sr.ledger_scope != "未注明":
            said = f"表中没有「{layout.spec.column(own).aliases[0]}」列，按本台账的地区「{sr.ledger_scope}」入库"
            sr.say(said)
        # a percentage column's cells as Excel shows them ("110.5%" for a stored 1.105)
        shown = sheet.percent_as_shown(m.index for m in layout.columns if m.spec.type == "pct")
        pending.append(Pending(shown, layout, sr, result, meta))
    if not result.sheets:
        result.status, result.error = "failed", "文件中没有任何数据（所有工作表均为空）"
    return pending


def from_title(layout: Layout, *names: str) -> str | None:
    """The value a spec takes from the title when the sheet has no such column (the river of a
    per-river patrol log: "青溪河巡河记录" → 青溪河); None when the spec takes none or none is found."""
    rule = layout.spec.from_title
    if not rule:
        return None
    for text in (layout.title, *names):
        m = re.search(rule["pattern"], _DATES.sub("", compact(text)))  # a date is never part of a name
        if m:
            return m.group(1)
    return None


_DATES = re.compile(r"\d{4}年(度)?|\d{1,2}[-~至]\d{1,2}月(份)?|\d{1,2}月(份)?(\d{1,2}日)?")


def _finish_files(con: duckdb.DuckDBPyConnection, results: list[FileResult], run_id: str | None) -> None:
    """Statuses from the final counts, then versions and file records, in load order, in one transaction.

    A file that failed after some of its sheets were loaded leaves nothing behind. Versions and
    records are written set-wise: a statement per file cost ~5 ms, a minute for a province's night."""
    for r in results:
        if not r.broken and r.status not in ("failed", "unchanged"):
            _settle_status(r)
    con.execute("BEGIN TRANSACTION")
    try:
        new: dict[tuple[str, str], Version] = {}  # the sheets of one ledger in one file are one version
        for r in results:
            if r.broken:
                _remove_rows(con, r.load_id)
                r.sheets = []
            if r.status in ("loaded", "partial"):
                for sr in r.sheets:
                    if sr.error is None and sr.ledger_key and (sr.ledger_key, r.load_id) not in new:
                        assert sr.period is not None and sr.ledger_type and sr.ledger_scope
                        new[sr.ledger_key, r.load_id] = Version(
                            sr.ledger_key, sr.ledger_type, sr.ledger_scope, sr.period.end, r.load_id, r.file_name,
                            r.sha256, r.loaded_at)
        record_versions(con, list(new.values()), lambda table, rows: _insert_rows(con, table, rows))
        by_load = {r.load_id: r for r in results}
        for v in new.values():
            for s in v.supersedes:
                by_load[v.load_id].supersedes.append(s.describe())
                if s.old.load_id in by_load:  # replaced the same night
                    by_load[s.old.load_id].superseded_by.append(f"「{v.file_name}」")
        _insert_rows(con, "file_loads", [_record(r, run_id) for r in results])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """Append rows (tuples in the column order of `AUDIT_TABLES[table]`) to audit.<table> in one statement."""
    if not rows:
        return
    columns = AUDIT_TABLES[table]
    staged = pa.Table.from_pylist([{name: v for (name, _), v in zip(columns, row, strict=True)} for row in rows])
    con.register("rows_to_insert", staged)
    try:
        casts = ", ".join(f'CAST("{name}" AS {kind})' for name, kind in columns)
        con.execute(f"INSERT INTO audit.{table} SELECT {casts} FROM rows_to_insert")
    finally:
        con.unregister("rows_to_insert")


def _settle_status(result: FileResult) -> None:
    loaded = [s for s in result.sheets if s.error is None]
    errors = [f"工作表「{s.sheet}」: {s.error}" for s in result.sheets if s.error and not s.note]
    if not loaded:
        not_ledgers = [f"工作表「{s.sheet}」: {s.error}" for s in result.sheets if s.note]
        result.status, result.error = "failed", "；".join(errors + not_ledgers)
    elif errors or any(s.rows_quarantined for s in loaded):
        result.status = "partial"
        result.error = "；".join(errors) or None


def _remove_rows(con: duckdb.DuckDBPyConnection, load_id: str) -> None:
    tables = [f"raw.{spec.table}" for spec in load_specs()] + ["raw.reported_totals", "audit.quarantine"]
    for t in tables:
        con.execute(f"DELETE FROM {t} WHERE load_id = ?", [load_id])


def _has_rows_below(sheet: Sheet, header_last: int) -> bool:
    """Whether any non-blank cell follows the header (looked at in slices: a sheet may be tall)."""
    start = header_last + 1
    while start < sheet.height:
        part = sheet.table.slice(start, 1000)
        if any(has_text(column) for column in part.columns):
            return True
        start += 1000
    return False


def _record(r: FileResult, run_id: str | None) -> tuple:
    """The file's `audit.file_loads` row."""
    return (r.load_id, r.file_name, r.sha256, r.ledger_type, r.scope, r.period_end, len(r.sheets),
            r.total("rows_read"), r.total("rows_loaded"), r.total("rows_quarantined"), r.total("rows_skipped"),
            r.total("rows_subtotal"), r.total("cell_issues"), r.status, r.error, r.loaded_at, run_id,
            "；".join(r.supersedes) or None, "；".join(r.superseded_by) or None)
