"""`waterwh backup` and `waterwh restore`: what a bureau cannot rebuild, in one archive.

Kept: the published warehouse versions (and which one is current), the ledgers as districts sent
them (landing/), the bureau's own specs and district users, Superset's and Dagster's metadata and
the secrets under $WATERWH_HOME, the 报送 portal's accounts, submissions and uploaded files, the run
reports and the alert log. Left out: what a run rebuilds
(staging/, dbt/ targets) and sample data. Taken under the run lock, so no publish happens halfway;
SQLite metadata is copied through SQLite's backup API, consistent even while Superset runs; metadata
in PostgreSQL (WATERWH_DAGSTER_POSTGRES_URL, WATERWH_BI_METADATA_URL) is dumped with pg_dump and
restored with pg_restore into the database the restoring home is configured with.

The archive holds a manifest of every file with its SHA-256; a restore checks each before anything
is moved into place, and refuses a home that already has a published warehouse unless told to
replace it.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path

from waterwh import publish as pub
from waterwh.config import Settings
from waterwh.ingest.readers import sha256_of

# under $WATERWH_HOME: what cannot be rebuilt
KEPT = ("warehouse/versions", "landing", "specs", "access", "superset", "dagster", "portal", "reports",
        "notifications.jsonl")
SKIPPED_PARTS = {"compute_logs", "__pycache__"}  # Dagster's step logs: large, and in the run reports anyway
MANIFEST = "manifest.json"
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
PRIVATE = ("superset/secrets", "access", "dagster", "portal", "postgresql")  # owner-only after a restore
# a SQLite database is copied through SQLite's backup API, which includes what its journal holds
SQLITE_JOURNALS = ("-wal", "-shm", "-journal")


class RestoreError(RuntimeError):
    pass


class BackupError(RuntimeError):
    pass


def _postgres(settings: Settings) -> dict[str, str]:
    """The metadata databases in PostgreSQL, by name, as libpq URLs (no SQLAlchemy driver part)."""
    urls = {"dagster": settings.dagster_postgres_url, "superset": settings.bi_metadata_url}
    return {name: url.replace("postgresql+psycopg2://", "postgresql://", 1) for name, url in urls.items() if url}


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"元数据在 PostgreSQL 中，需要 {name}（Debian：apt install postgresql-client）")
    return found


def _pg(argv: list[str], what: str, error: type[RuntimeError]) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise error(f"{what}失败：{proc.stderr.strip()[-500:]}")


def _files(home: Path) -> list[Path]:
    out = []
    for name in KEPT:
        top = home / name
        if top.is_file():
            out.append(top)
        elif top.is_dir():
            out += [p for p in sorted(top.rglob("*"))
                    if p.is_file() and not p.is_symlink() and not SKIPPED_PARTS.intersection(p.parts)
                    and not p.name.endswith(SQLITE_JOURNALS)]
    return out


def _copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if src.suffix in SQLITE_SUFFIXES:
        with sqlite3.connect(f"file:{src}?mode=ro", uri=True) as source, sqlite3.connect(dest) as target:
            source.backup(target)
        return
    shutil.copy2(src, dest)


def backup(settings: Settings, to: Path) -> Path:
    """Write `to`/waterwh-backup-<time>.tar.gz of this home; its path."""
    home = settings.home
    stamp = datetime.now(settings.timezone).strftime("%Y%m%dT%H%M%S")
    to.mkdir(parents=True, exist_ok=True)
    archive = to / f"waterwh-backup-{stamp}.tar.gz"
    with pub.run_lock(settings), tempfile.TemporaryDirectory(dir=to) as scratch:
        root = Path(scratch) / "waterwh-backup"
        files = {}
        for src in _files(home):
            rel = src.relative_to(home)
            _copy(src, root / rel)
            files[str(rel)] = sha256_of(root / rel)
        dumps = {}
        for name, url in _postgres(settings).items():
            rel = f"postgresql/{name}.dump"
            (root / "postgresql").mkdir(exist_ok=True)
            _pg([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(root / rel), "--dbname", url],
                f"备份 {name} 的 PostgreSQL 元数据", BackupError)
            files[rel], dumps[name] = sha256_of(root / rel), rel
        current = settings.published_path.resolve().name if settings.published_path.exists() else None
        manifest = {"created": stamp, "home": str(home), "current_version": current, "files": files,
                    "postgresql": dumps}
        (root / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        partial = archive.with_suffix(".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(root, arcname="waterwh-backup")
        partial.replace(archive)  # never a half-written archive under the final name
    return archive


def restore(settings: Settings, archive: Path, replace: bool = False) -> dict[str, object]:
    """Unpack `archive` into this home, every file checked against the manifest first; the manifest."""
    home = settings.home
    if settings.published_path.exists() and not replace:
        raise RestoreError(f"{home} 已有发布的数据仓库：确需用备份替换，请加 --replace")
    home.mkdir(parents=True, exist_ok=True)
    with pub.run_lock(settings), tempfile.TemporaryDirectory(dir=home) as scratch:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(scratch, filter="data")  # no absolute paths, no .., no devices
        root = Path(scratch) / "waterwh-backup"
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        bad = [rel for rel, digest in manifest["files"].items()
               if not (root / rel).is_file() or sha256_of(root / rel) != digest]
        if bad:
            raise RestoreError(f"备份文件已损坏，未恢复任何内容：{len(bad)} 个文件校验不符（如 {bad[0]}）")
        urls = _postgres(settings)
        for name, rel in manifest.get("postgresql", {}).items():
            if name in urls:  # into the database this home is configured with; else kept as a file below
                _pg([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--dbname", urls[name],
                     str(root / rel)], f"恢复 {name} 的 PostgreSQL 元数据", RestoreError)
        for rel in manifest["files"]:
            dest = home / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(root / rel, dest)
        for private in PRIVATE:
            if (home / private).exists():
                _owner_only(home / private)
        current = manifest.get("current_version")
        if current:  # readers see the old version or the restored one, never none
            pub.point_at(settings, settings.versions_dir / current)
    return manifest


def _owner_only(path: Path) -> None:
    for p in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.chmod(p, 0o700 if p.is_dir() else 0o600)
