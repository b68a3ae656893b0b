"""$WATERWH_HOME on disk: the service account's and its group's, nobody else's.

The warehouse holds every district's figures and the BI metadata its users' password hashes: no
local user outside the group may read them. Entry points that write under the home call `prepare`
first, which sets the process's umask so that everything written afterwards — DuckDB's files, the
reports, Superset's metadata started from here — is 0640 (folders 0750). Secrets are 0600 (bi.py).
"""

from __future__ import annotations

import os

from waterwh.config import Settings

UMASK = 0o027
HOME_MODE = 0o750
FILE_MODE = 0o640


def prepare(settings: Settings) -> None:
    """Create the home (0750) if it is missing, close one left open by an older release, and set
    this process's umask for what it writes there."""
    os.umask(UMASK)
    settings.home.mkdir(parents=True, exist_ok=True, mode=HOME_MODE)
    mode = settings.home.stat().st_mode & 0o777
    if mode & ~HOME_MODE:
        os.chmod(settings.home, mode & HOME_MODE)


def close(path: os.PathLike[str] | str) -> None:
    """A file made before `prepare` (an older release, another program): group-read at most."""
    mode = os.stat(path).st_mode & 0o777
    if mode & ~FILE_MODE:
        os.chmod(path, mode & FILE_MODE)
