"""One nightly run on $WATERWH_HOME with the time of each stage; prints a JSON line (for benchmarks)."""

from __future__ import annotations

import json
import time

from waterwh import pipeline
from waterwh.config import Settings


def main() -> None:
    settings = Settings.from_env()
    marks: list[tuple[str, float]] = [("start", time.time())]
    result = pipeline.run(settings, on_stage=lambda s: marks.append((s, time.time())))
    marks.append(("end", time.time()))
    stages = {name: round(marks[i + 1][1] - t, 2) for i, (name, t) in enumerate(marks[:-1]) if name != "start"}
    # wall-clock start of each stage, so the parent can tell which stage its memory peak fell in
    starts = {name: t for name, t in marks}
    rows = sum(f.total("rows_read") for f in result.files)
    print(json.dumps({
        "outcome": result.outcome, "message": result.message[:500], "files": len(result.files),
        "files_loaded": sum(1 for f in result.files if f.status in ("loaded", "partial")),
        "rows_read": rows, "rows_loaded": sum(f.total("rows_loaded") for f in result.files),
        "stages": stages, "stage_starts": starts, "checks": len(result.checks),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
