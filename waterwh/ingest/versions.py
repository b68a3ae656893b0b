"""Which ledger a load is a version of: a correction supersedes only the ledger it corrects.

A ledger is identified by its type, area and period (`ledger_key`), but a district may send several
different ledgers of one type, area and period (another department's indicators, a separate
key-works list). A new load supersedes a current one of the same key only when it is the same
document — the same file name once correction marks are taken off ("台账（更正）.xlsx" corrects
"台账.xlsx") — or reports on mostly the same rows (the same projects, cases, indicators: a ledger
re-sent under another name). Otherwise both stay current, and figures they both report are
compared by dbt (`rpt_conflicting_reports`). Every supersession is written down: in
`audit.ledger_versions` (supersedes), `audit.file_loads` (supersedes / superseded_by) and the run
report.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePosixPath

import duckdb

from waterwh.ingest.spec import LedgerSpec, spec_for
from waterwh.ingest.text import compact

# Words that mark a re-issued ledger in its file name. Files bearing one load after the others of a
# night (files.discover), so a correction lands after what it corrects.
CORRECTION = re.compile(
    r"更正|修正|修订|修改|更新|重报|补报|最终版|终版|定稿|第[二三四五六七八九]版|(?<![a-z])v\d+(?!\d)", re.IGNORECASE)
_BRACKETED = re.compile(r"[(\[【{][^()\[\]【】{}]*[)\]】}]")
_COPY = re.compile(r"(?:[-_ ]?副本|[-_ ]?copy)+$|\(\d{1,2}\)$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s_\-—.·]+")

# Rows in common, as a share of each ledger's rows, for a differently named ledger to be a version
# of the other: a ledger re-sent whole shares ~all of them; another department's ledger of the same
# area shares a few (and those are compared, not replaced).
SAME_ROWS_SHARE = 0.5


def document_of(file_name: str) -> str:
    """The document a file is a version of: its folder and name, with correction marks, bracketed
    notes holding one ("（10.8修改）"), copy counters ("(1)", "副本") and separators taken off."""
    path = PurePosixPath(file_name)
    stem = compact(path.stem)
    stem = _BRACKETED.sub(lambda m: "" if CORRECTION.search(m.group(0)) else m.group(0), stem)
    stem = CORRECTION.sub("", stem)
    stem = _COPY.sub("", stem)
    stem = _SEPARATORS.sub("", stem.replace("()", "").replace("[]", ""))
    folder = path.parent.as_posix()
    return stem if folder == "." else f"{folder}/{stem}"


@dataclass
class Version:
    """One ledger (key) in one load: every sheet of a file that holds it."""

    ledger_key: str
    ledger_type: str
    ledger_scope: str
    report_period_end: date
    load_id: str
    file_name: str
    sha256: str
    loaded_at: datetime | None
    document: str = ""
    version_no: int = 1
    is_current: bool = True
    supersedes: list[Supersession] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.document = self.document or document_of(self.file_name)


@dataclass
class Supersession:
    old: Version
    reason: str  # same_document, same_rows
    shared: int = 0  # rows in common (same_rows)
    old_rows: int = 0

    def describe(self) -> str:
        """In Chinese, for the file record, the run report and `waterwh check`."""
        if self.reason == "same_document":
            why = "文件名相同或为其更正版，是同一台账的新版本"
        else:
            why = f"其{self.old_rows}行中有{self.shared}行与本台账相同，视为同一台账重新报送"
        return f"替代「{self.old.file_name}」：{why}"


Identities = Callable[[Version], set[tuple]]


def decide(new: list[Version], current: Iterable[Version], identities: Identities) -> None:
    """Settle versions: each new version (in load order) supersedes the current versions of its key
    that are the same document or share most rows with it, and becomes current. Sets version_no,
    is_current and supersedes on the new versions, is_current on the old ones."""
    by_key: dict[str, list[Version]] = {}
    for v in current:
        by_key.setdefault(v.ledger_key, []).append(v)
    for v in new:
        live = by_key.setdefault(v.ledger_key, [])
        for old in list(live):
            found = _same_ledger(v, old, identities)
            if found is not None:
                old.is_current = False
                live.remove(old)
                v.supersedes.append(found)
        v.version_no = max((s.old.version_no for s in v.supersedes), default=0) + 1
        live.append(v)


def _same_ledger(new: Version, old: Version, identities: Identities) -> Supersession | None:
    if new.document == old.document:
        return Supersession(old, "same_document")
    mine, theirs = identities(new), identities(old)
    shared = len(mine & theirs)
    if mine and theirs and shared >= SAME_ROWS_SHARE * max(len(mine), len(theirs)):
        return Supersession(old, "same_rows", shared, len(theirs))
    return None


def identity_sql(spec: LedgerSpec, have: set[str] | None = None) -> str:
    """The raw columns holding a row's identity, as one expression per column; NULL for one a
    warehouse made before the column existed does not have (`have`: its raw table's columns)."""
    out = []
    for name in spec.identity:
        column = spec.column(name)
        raw = f"{name}_label" if column.type == "period" else name
        if have is not None and raw not in have:
            out.append("NULL")
            continue
        out.append(f'lower(regexp_replace(CAST("{raw}" AS VARCHAR), \'\\s+\', \'\', \'g\'))')
    return ", ".join(out)


def identities_in(con: duckdb.DuckDBPyConnection, versions: Iterable[Version], table_prefix: str = "") -> Identities:
    """Row identities of these versions, read from the raw tables of `con` in one query a ledger
    type (`table_prefix`: an attached database's name and a dot); a version not among them has none."""
    found: dict[tuple[str, str], set[tuple]] = {}
    by_type: dict[str, set[str]] = {}
    for v in versions:
        by_type.setdefault(v.ledger_type, set()).add(v.load_id)
    for ledger_type, loads in by_type.items():
        spec = spec_for(ledger_type)
        have = {row[0] for row in con.execute(f"DESCRIBE {table_prefix}raw.{spec.table}").fetchall()}
        for load_id, key, *identity in con.execute(
                f"SELECT DISTINCT load_id, ledger_key, {identity_sql(spec, have)} FROM {table_prefix}raw.{spec.table} "
                "WHERE load_id IN (SELECT unnest(?::VARCHAR[]))", [sorted(loads)]).fetchall():
            if any(x is not None for x in identity):
                found.setdefault((load_id, key), set()).add(tuple(identity))
    return lambda v: found.get((v.load_id, v.ledger_key), set())


def sharing_a_key(*groups: Iterable[Version]) -> list[Version]:
    """The versions whose key another version has too: the only ones whose rows may be compared."""
    every = [v for group in groups for v in group]
    count = Counter(v.ledger_key for v in every)
    return [v for v in every if count[v.ledger_key] > 1]


CURRENT_SQL = (
    "SELECT ledger_key, ledger_type, ledger_scope, report_period_end, load_id, file_name, sha256, loaded_at, "
    "document, version_no FROM {prefix}audit.ledger_versions WHERE is_current AND ledger_key IN "
    "(SELECT unnest(?::VARCHAR[]))"
)


def current_versions(con: duckdb.DuckDBPyConnection, keys: Iterable[str], prefix: str = "") -> list[Version]:
    """The current versions of these keys in `con` (their document worked out for loads from before
    it was recorded)."""
    rows = con.execute(CURRENT_SQL.format(prefix=prefix), [sorted(set(keys))]).fetchall()
    return [Version(*r[:8], document=r[8] or "", version_no=r[9] or 1) for r in rows]


def record_versions(con: duckdb.DuckDBPyConnection, new: list[Version],
                    insert: Callable[[str, list[tuple]], None]) -> None:
    """Decide the new versions against the warehouse's current ones and write them down (in the
    caller's transaction): new rows in audit.ledger_versions, superseded ones no longer current,
    each superseded file's record naming what replaced it."""
    if not new:
        return
    current = current_versions(con, (v.ledger_key for v in new))
    decide(new, current, identities_in(con, sharing_a_key(new, current)))
    ended = [(s.old.load_id, s.old.ledger_key, v.file_name) for v in new for s in v.supersedes]
    for load_id, key, by in ended:
        con.execute("UPDATE audit.ledger_versions SET is_current = FALSE WHERE load_id = ? AND ledger_key = ?",
                    [load_id, key])
        con.execute("UPDATE audit.file_loads SET superseded_by = concat_ws('；', superseded_by, ?) "
                    "WHERE load_id = ?", [f"「{by}」", load_id])
    insert("ledger_versions", [
        (v.ledger_key, v.ledger_type, v.ledger_scope, v.report_period_end, v.load_id, v.file_name, v.sha256,
         v.loaded_at, v.version_no, v.is_current, v.document, ",".join(s.old.load_id for s in v.supersedes) or None)
        for v in new])


def preview(con: duckdb.DuckDBPyConnection, load_id: str, published: str) -> list[str]:
    """What loading `load_id` (ingested into `con`, a scratch database) would do to the ledgers of the
    published warehouse at `published`: which it would supersede, which it would stand beside.
    For `waterwh check`, in Chinese."""
    rows = con.execute(
        "SELECT ledger_key, ledger_type, ledger_scope, report_period_end, load_id, file_name, sha256, loaded_at "
        "FROM audit.ledger_versions WHERE load_id = ?", [load_id]).fetchall()
    if not rows:
        return []
    new = [Version(*r) for r in rows]
    con.execute("ATTACH ? AS published (READ_ONLY)", [published])
    try:
        current = current_versions(con, (v.ledger_key for v in new), prefix="published.")
        for c in current:  # the clerk's copy is not in the landing tree: compare names without folders
            c.document = c.document.rsplit("/", 1)[-1]
        mine, theirs = identities_in(con, new), identities_in(con, current, "published.")
        decide(new, current, lambda v: mine(v) if v.load_id == load_id else theirs(v))
    finally:
        con.execute("DETACH published")
    notes = []
    for v in new:
        notes += [f"入库后将{s.describe()}" for s in v.supersedes]
        beside = [c.file_name for c in current if c.ledger_key == v.ledger_key and c.is_current]
        notes += [f"将与已入库的「{f}」并存（同类、同地区、同期的另一份台账；"
                  "两者都报的项目或指标如数字不同，将列为数据冲突）" for f in beside]
    return notes
