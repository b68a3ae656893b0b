"""Named points where the crash-safety tests stop the real job before killing it (SIGKILL).

With WATERWH_PAUSE_AT=<point> the job writes $WATERWH_HOME/paused-at and waits there to be
killed; unset, a point costs one dictionary lookup. Points: every stage name (prepare, ingest,
build, validate, record, publish, done), `ingest:file` (after the first file is loaded) and
`publish:renamed` (the new version is in versions/ but readers still see the old one).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

ENV = "WATERWH_PAUSE_AT"


def pause_point(home: Path, name: str) -> None:
    if os.environ.get(ENV) != name:
        return
    (home / "paused-at").write_text(name, encoding="utf-8")
    while True:  # until killed
        time.sleep(1)
