"""Write–audit–publish: versioned warehouse files behind one atomically swapped symlink.

Readers open `warehouse/waterwh.duckdb`, a symlink to `warehouse/versions/waterwh-<run>.duckdb`.
A build happens in `staging/`, never in a file anyone reads; publishing is two renames on one
filesystem (staging → versions/, then a fresh symlink over the old one), so a reader sees the old
warehouse or the new one, never a mix, and a crash at any point leaves a valid published file.
A long-lived reader process (Superset) sees the new file at once, because the symlink's target
path changes (see shared/notes/superset.md on same-path replacement).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from waterwh import home
from waterwh.config import Settings
from waterwh.faults import pause_point


class RunLocked(Exception):
    pass


@contextlib.contextmanager
def run_lock(settings: Settings) -> Iterator[None]:
    """One nightly job at a time. The kernel drops the lock if the job is killed (SIGKILL)."""
    home.prepare(settings)
    fd = os.open(settings.lock_path, os.O_RDWR | os.O_CREAT, home.FILE_MODE)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            holder = os.read(fd, 64).decode(errors="replace").strip()
            raise RunLocked(f"another waterwh run is in progress (pid {holder or '?'})") from exc
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)


def current_version(settings: Settings) -> Path | None:
    """The file readers see now, or None before the first publish."""
    p = settings.published_path
    if not p.exists():
        return None
    return p.resolve()


def publish(settings: Settings, staging_file: Path, run_id: str) -> Path:
    settings.versions_dir.mkdir(parents=True, exist_ok=True)
    target = settings.versions_dir / f"waterwh-{run_id}.duckdb"
    os.replace(staging_file, target)
    home.close(target)
    _fsync_dir(settings.versions_dir)
    pause_point(settings.home, "publish:renamed")
    point_at(settings, target)
    prune(settings)
    return target


def point_at(settings: Settings, target: Path) -> None:
    link = settings.published_path
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    os.symlink(os.path.relpath(target, link.parent), tmp)
    os.replace(tmp, link)  # atomic: readers resolve either the old or the new target
    _fsync_dir(link.parent)


def versions(settings: Settings) -> list[Path]:
    """Published versions, oldest first (run ids sort by time)."""
    if not settings.versions_dir.exists():
        return []
    return sorted(settings.versions_dir.glob("waterwh-*.duckdb"))


def prune(settings: Settings) -> None:
    """Keep the newest `keep_published` versions (the current one is always kept)."""
    current = current_version(settings)
    old = [v for v in versions(settings) if v != current]
    for v in old[: max(0, len(old) - (settings.keep_published - 1))]:
        v.unlink(missing_ok=True)


def rollback(settings: Settings) -> Path:
    """Point readers at the version published before the current one."""
    current = current_version(settings)
    older = [v for v in versions(settings) if current is None or v.name < current.name]
    if not older:
        raise RuntimeError("nothing to roll back to: no earlier published version is kept")
    point_at(settings, older[-1])
    return older[-1]


def clean_staging(settings: Settings) -> list[Path]:
    """Remove what a killed run left in staging/ (called with the run lock held)."""
    removed = []
    if settings.staging_dir.exists():
        for f in settings.staging_dir.iterdir():
            if f.is_file():
                f.unlink()
                removed.append(f)
    return removed


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
