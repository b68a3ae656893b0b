"""Measuring a command: wall time and the peak memory of its whole process tree (the job and dbt).

The nightly job runs dbt in a child process, so the peak RSS of the job alone would miss most of
the memory; /proc is sampled every 0.1 s and the RSS of the process and all its descendants summed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path


def _tree_rss_bytes(root: int) -> int:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{pid}/statm", encoding="utf-8") as f:
                rss[pid] = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float
    returncode: int
    output: dict


def run_measured(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Measured:
    """Run `argv`; its last stdout line may be JSON (returned as `output`)."""
    peak = 0
    samples: list[tuple[float, int]] = []  # (wall clock, tree RSS)
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            rss = _tree_rss_bytes(proc.pid)
            samples.append((time.time(), rss))
            peak = max(peak, rss)
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    done.set()
    sampler.join()
    last = out.strip().splitlines()[-1] if out.strip() else "{}"
    try:
        parsed = json.loads(last)
    except json.JSONDecodeError:
        parsed = {"stdout_tail": out[-2000:], "stderr_tail": err[-2000:]}
    if proc.returncode != 0:
        parsed.setdefault("stderr_tail", err[-2000:])
    starts = parsed.pop("stage_starts", None)
    if starts:  # the peak of each stage, from the samples taken while it ran
        names = sorted(starts, key=starts.get)
        parsed["stage_peak_rss_mb"] = {
            name: round(max((r for t, r in samples if starts[name] <= t < (starts[nxt] if nxt else 1e18)),
                            default=0) / 2**20, 1)
            for name, nxt in zip(names, [*names[1:], None], strict=True) if name not in ("start", "end")
        }
    return Measured(round(seconds, 2), round(peak / 2**20, 1), proc.returncode, parsed)


def nightly_once(home: Path) -> Measured:
    """One `waterwh run` on `home` (its landing folder), stage by stage, in a process of its own."""
    env = {**os.environ, "WATERWH_HOME": str(home)}
    return run_measured([sys.executable, "-m", "benchmarks.nightly_once"], env=env,
                        cwd=Path(__file__).resolve().parent.parent)
