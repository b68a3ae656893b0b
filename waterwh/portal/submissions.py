"""A clerk's upload: checked with `waterwh check`'s code, forwarded into the landing folder under its
district when nothing blocks it, superseding the unit's earlier version of the same ledger; and
what became of it in the warehouse after the nightly run."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import sqlite3
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from waterwh.checkfile import FileCheck, inspect_file, write_annotated
from waterwh.config import Settings
from waterwh.ingest.readers import SUPPORTED_SUFFIXES, ZIP_EXCEL_SUFFIXES, sha256_of
from waterwh.portal.accounts import Account
from waterwh.portal.store import connect, receipt_no

# The first bytes each kind of file starts with: a file whose bytes do not match its name is refused
# before any parser sees it.
ZIP = b"PK\x03\x04"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (BIFF in an OLE compound file)
MAGIC = {".xlsx": (ZIP,), ".xlsm": (ZIP,), ".xlsb": (ZIP,), ".ods": (ZIP,), ".xls": (OLE,)}

STATUS_ZH = {"checking": "检查中", "rejected": "退回（未转入）", "awaiting_confirmation": "待确认",
             "forwarded": "已报送", "superseded": "已被新版本替代"}


class UploadRefused(ValueError):
    """A file refused before it is parsed (name, type, size), in Chinese."""


def safe_name(original: str) -> str:
    """The uploaded name reduced to a plain file name: no folders (either slash), no leading dots, no
    control characters; what is left keeps the words a period or area is read from."""
    name = unicodedata.normalize("NFC", original).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = re.sub(r'[<>:"|?*]', "_", name).strip().lstrip(".").strip()
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem:
        raise UploadRefused(f"文件名「{original}」没有可识别的扩展名（应为 {'、'.join(sorted(SUPPORTED_SUFFIXES))}）")
    return stem[:120] + "." + suffix.lower()


def refuse_before_parsing(name: str, head: bytes, size: int, settings: Settings) -> None:
    """The nightly run's size limit and the file's type, from its name and its first bytes."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UploadRefused(f"「{name}」不是台账文件：只收 {'、'.join(sorted(SUPPORTED_SUFFIXES))} 文件")
    if size > settings.max_file_bytes:
        limit = settings.max_file_bytes / 1048576
        raise UploadRefused(f"「{name}」有 {size / 1048576:.1f} MB，超过 {limit:g} MB 的上限（与夜间入库相同）")
    if size == 0:
        raise UploadRefused(f"「{name}」是空文件")
    wanted = MAGIC.get(suffix)
    if wanted and not head.startswith(wanted):
        kind = "Excel 2007 及以后（xlsx）" if suffix in ZIP_EXCEL_SUFFIXES else suffix
        raise UploadRefused(f"「{name}」的内容不是 {kind} 文件（扩展名与内容不符），请从 Excel/WPS 重新另存后上传")
    if suffix == ".csv" and b"\x00" in head:
        raise UploadRefused(f"「{name}」的内容不是文本（CSV），请从 Excel/WPS 重新另存后上传")


def _now(settings: Settings) -> str:
    return datetime.now(settings.timezone).isoformat(timespec="seconds")


def portal_dir(settings: Settings) -> Path:
    return settings.home / "portal"


@dataclass
class Receipt:
    id: int
    no: str
    status: str
    check: FileCheck
    portal_problems: list[str]


def receive(db: Path, settings: Settings, account: Account, original_name: str, data_path: Path,
            confirm_warnings: bool = False) -> Receipt:
    """Store the upload (generated name, outside anything served), check it as the nightly run would
    read it from the district's folder, and forward it when nothing blocks it. The check (seconds)
    runs between two short transactions, so one clerk's large file never holds up another's."""
    name = safe_name(original_name)
    with data_path.open("rb") as f:
        head = f.read(8)
    size = data_path.stat().st_size
    refuse_before_parsing(name, head, size, settings)
    sha = sha256_of(data_path)
    with connect(db) as con:
        sid = int(con.execute(
            "INSERT INTO submissions (account_id, original_name, file_name, stored_path, sha256, size_bytes, "
            "uploaded_at, status, verdict, check_json) VALUES (?, ?, ?, '', ?, ?, ?, 'checking', '', '{}')",
            [account.id, original_name, name, sha, size, _now(settings)]).lastrowid or 0)
    base = portal_dir(settings)
    stored = base / "uploads" / f"{receipt_no(sid)}{Path(name).suffix}"
    stored.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(data_path, stored)
    # checked where the nightly run will read it: <area>/<name>, so the district folder names the area
    check_root = base / "checks" / receipt_no(sid)
    checked = check_root / (account.area or "") / name
    checked.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(stored, checked)
    specs, _ = settings.specs()
    try:
        # the annotated copy is written after the page is answered (annotated_copy): the clerk reads the
        # problems at once, and a large workbook's copy follows
        check = inspect_file(checked, published=settings.published_path, limits=settings.read_limits,
                             specs=specs, root=check_root, annotate=False)
    except Exception as exc:  # a fault of ours, not the clerk's: on record, and said, never a lost upload
        check = FileCheck(name, sha, "failed", "检查时出错，请将报送编号告知局管理员", ok=False,
                          error=f"{type(exc).__name__}: {str(exc)[:300]}")
    finally:
        shutil.rmtree(check_root, ignore_errors=True)
    problems = _outside_duty(account, check)
    if problems or check.blocking:
        status = "rejected"
    elif check.ok or confirm_warnings:
        status = "forwarded"
    else:
        status = "awaiting_confirmation"
    with connect(db) as con:
        con.execute("UPDATE submissions SET stored_path = ?, status = ?, verdict = ?, check_json = ?, "
                    "ledger_keys = ? WHERE id = ?",
                    [str(stored), status, check.verdict, json.dumps(_as_json(check, problems), ensure_ascii=False),
                     json.dumps(check.ledger_keys), sid])
        if status == "forwarded":
            forward(con, settings, sid)
    return Receipt(sid, receipt_no(sid), status, check, problems)


def annotated_copy(db: Path, settings: Settings, submission_id: int) -> tuple[Path | None, str]:
    """The submission's file with its problems marked, written once (after the check page is
    answered, or when first asked for); else None and why there is none."""
    with connect(db) as con:
        row = con.execute("SELECT stored_path, annotated_path, check_json FROM submissions WHERE id = ?",
                          [submission_id]).fetchone()
    if row is None:
        return None, "没有这份报送"
    if row["annotated_path"] and Path(row["annotated_path"]).exists():
        return Path(row["annotated_path"]), ""
    data = json.loads(row["check_json"])
    if not (data.get("marks") or data.get("sheet_errors")):
        return None, "此文件没有问题，无需标注副本"
    check = FileCheck(data["file_name"], data["sha256"], data["status"], data["verdict"], data["ok"],
                      marks=data.get("marks") or [], sheet_errors=data.get("sheet_errors") or {})
    target = portal_dir(settings) / "annotated" / f"{receipt_no(submission_id)}.xlsx"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_annotated(Path(row["stored_path"]), check, target, settings.read_limits)
    with connect(db) as con:
        con.execute("UPDATE submissions SET annotated_path = ? WHERE id = ?",
                    [str(check.annotated) if check.annotated else None, submission_id])
    return check.annotated, check.annotated_note


def _outside_duty(account: Account, check: FileCheck) -> list[str]:
    """Ledgers this unit does not report: of another area, or of a type it is not bound to."""
    out = []
    names = {s.ledger_type: s.ledger_name for s in check.sheets}
    for ledger_type, area, end in check.ledger_keys:
        if ledger_type not in account.ledger_types:
            out.append(f"本单位（{account.unit_name}）不报送{names.get(ledger_type, ledger_type)}（报告期止 {end}）")
        if area and area not in ("未注明", "未识别") and area != account.area:
            out.append(f"表中地区为「{area}」，本单位只能报送「{account.area}」的台账")
    return out


def _as_json(check: FileCheck, portal_problems: list[str]) -> dict[str, object]:
    data = dataclasses.asdict(check)
    data["annotated"] = str(check.annotated) if check.annotated else None
    data["portal_problems"] = portal_problems
    return data


def confirm(con: sqlite3.Connection, settings: Settings, account: Account, submission_id: int) -> bool:
    """The clerk accepts the warnings of a file awaiting confirmation: it is forwarded."""
    row = con.execute("SELECT status FROM submissions WHERE id = ? AND account_id = ?",
                      [submission_id, account.id]).fetchone()
    if row is None or row["status"] != "awaiting_confirmation":
        return False
    con.execute("UPDATE submissions SET status = 'forwarded' WHERE id = ?", [submission_id])
    forward(con, settings, submission_id)
    return True


def forward(con: sqlite3.Connection, settings: Settings, submission_id: int) -> Path:
    """Into the landing folder under the district: landing/<area>/<type>/<YYYY-MM>/unit<id>/<name> (a
    folder per account: two units of one area never overwrite each other's file), or in place of the
    unit's earlier version of the same ledger (same folder and name: the nightly run sees a new version
    of the same document). The earlier submission stays on record, marked superseded."""
    row = con.execute("SELECT s.*, a.area FROM submissions AS s JOIN accounts AS a ON a.id = s.account_id "
                      "WHERE s.id = ?", [submission_id]).fetchone()
    keys = {tuple(k) for k in json.loads(row["ledger_keys"])}
    earlier = [r for r in con.execute(
        "SELECT id, landing_path, ledger_keys FROM submissions WHERE account_id = ? AND status = 'forwarded' "
        "AND id <> ? ORDER BY id DESC", [row["account_id"], submission_id]).fetchall()
        if keys & {tuple(k) for k in json.loads(r["ledger_keys"])}]
    if earlier and earlier[0]["landing_path"]:
        target = Path(earlier[0]["landing_path"])
    else:
        ledger_type, _, end = sorted(keys)[0] if keys else ("other", "", "undated")
        unit = f"unit{row['account_id']}"  # ASCII: never read as an area's folder (layout.find_scope)
        target = settings.landing_dir / row["area"] / ledger_type / end[:7] / unit / row["file_name"]
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{submission_id}.part")  # skipped by the run (a dot file)
    shutil.copyfile(row["stored_path"], partial)
    os.replace(partial, target)
    for r in earlier:
        con.execute("UPDATE submissions SET status = 'superseded', superseded_by = ? WHERE id = ?",
                    [submission_id, r["id"]])
        old = Path(r["landing_path"]) if r["landing_path"] else None
        if old is not None and old != target and old.exists():
            old.unlink()  # not yet loaded, or loaded already: the new version replaces it either way
    con.execute("UPDATE submissions SET landing_path = ?, forwarded_at = ? WHERE id = ?",
                [str(target), _now(settings), submission_id])
    return target
