"""`make bench`: every measurement in one run, written to docs/benchmarks.md (+ .json and a plot).

    python -m benchmarks.run [--scales small,county,province] [--skip ingest,incremental,dashboards]
                             [--update]

--update keeps the sections of the existing benchmarks.json that this run skips, so one section
can be re-measured (e.g. `--skip nightly,incremental,dashboards --update` for ingest alone). Every
section records the machine and day it was measured on, with a CPU reference time: these shared
machines vary by up to 2× from day to day, so only numbers measured in the same run compare.

- ingest: rows/s of waterwh's ingest against a naive pandas loader, a bare fastexcel read and
  DuckDB's read_csv, on the same 100,000-row ledger (benchmarks/ingest_speed.py);
- nightly: a full `waterwh run` on generated ledgers at each scale, wall time and peak memory of the
  whole process tree, stage by stage;
- incremental: at the largest scale, 35 months published, then the 36th month arrives: that run
  against a full rebuild of all 36 months;
- dashboards: p50/p95 of every chart's query through Superset on the largest scale's warehouse;
- portal: how long a clerk waits for the check page, for the largest ledgers of the county scale
  (benchmarks/portal_check.py).

Not run by CI: numbers depend on the machine, and the province scale takes a while.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from benchmarks import ingest_speed
from benchmarks.measure import nightly_once
from benchmarks.report import write_report
from waterwh.config import Settings
from waterwh.samples import generate

PROJECT_ROOT = Path(__file__).resolve().parents[1]  # the checkout

WORK = Path(os.environ.get("WATERWH_BENCH_DIR", PROJECT_ROOT / "var" / "bench"))


def cpu_reference_seconds() -> float:
    """Seconds for a fixed pure-Python loop (20 million additions): how fast this machine was today."""
    import time

    t0 = time.perf_counter()
    total = 0
    for i in range(20_000_000):
        total += i
    return round(time.perf_counter() - t0, 2)


def machine() -> dict:
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_gb": round(mem_kb / 2**20, 1),
            "python": platform.python_version(), "duckdb": duckdb.__version__, "os": platform.platform(),
            "date": datetime.now(UTC).strftime("%Y-%m-%d"), "cpu_reference_s": cpu_reference_seconds()}


def samples(scale: str) -> tuple[Path, dict]:
    """Generated ledgers of a scale (generated once, kept under the bench folder) and their answer key."""
    out = WORK / f"samples-{scale}"
    key = out / "answer_key.json"
    if not key.exists():
        shutil.rmtree(out, ignore_errors=True)
        generate(out, scale=scale, seed=42)
    return out, json.loads(key.read_text(encoding="utf-8"))


def fresh_home(name: str, source: Path, keep: callable = lambda _rel: True) -> Settings:  # type: ignore[valid-type]
    home = WORK / name
    shutil.rmtree(home, ignore_errors=True)
    landing = home / "landing"
    for f in source.rglob("*"):
        rel = f.relative_to(source)
        if f.is_file() and f.name != "answer_key.json" and keep(rel.as_posix()):
            (landing / rel).parent.mkdir(parents=True, exist_ok=True)
            if _same_fs(f, home):
                os.link(f, landing / rel)  # province samples are 300 MB: hard links, not copies
            else:
                shutil.copy2(f, landing / rel)
    return Settings.from_env(home)


def _same_fs(a: Path, b: Path) -> bool:
    b.mkdir(parents=True, exist_ok=True)
    return a.stat().st_dev == b.stat().st_dev


def nightly(scale: str) -> dict:
    source, _key = samples(scale)
    settings = fresh_home(f"home-{scale}", source)
    m = nightly_once(settings.home)
    if m.returncode != 0 or m.output.get("outcome") != "published":
        raise RuntimeError(f"the {scale} run did not publish: {m.output}")
    size = settings.published_path.resolve().stat().st_size
    return {"scale": scale, "seconds": m.seconds, "peak_rss_mb": m.peak_rss_mb,
            "warehouse_mb": round(size / 2**20, 1), **m.output}


def incremental(scale: str, full: dict) -> dict:
    """35 months published, then the last month's ledgers arrive."""
    source, key = samples(scale)
    last = max(s["report_period_end"] for f in key["files"] for s in f["sheets"] if s.get("report_period_end"))
    month = last[:7]
    new = {f["path"] for f in key["files"]
           if max((s.get("report_period_end") or "") for s in f["sheets"])[:7] == month}
    settings = fresh_home(f"home-{scale}-incremental", source, keep=lambda rel: rel not in new)
    history = nightly_once(settings.home)
    if history.output.get("outcome") != "published":
        raise RuntimeError(f"the history run did not publish: {history.output}")
    for rel in sorted(new):
        target = settings.landing_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / rel, target)
    step = nightly_once(settings.home)
    if step.output.get("outcome") != "published":
        raise RuntimeError(f"the incremental run did not publish: {step.output}")
    return {"scale": scale, "new_month": month, "new_files": len(new), "history_seconds": history.seconds,
            "incremental_seconds": step.seconds, "incremental_peak_rss_mb": step.peak_rss_mb,
            "incremental_stages": step.output.get("stages"), "full_seconds": full["seconds"],
            "ratio": round(step.seconds / full["seconds"], 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", default="small,county,province")
    ap.add_argument("--skip", default="", help="comma-separated: ingest, nightly, incremental, dashboards, portal")
    ap.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "benchmarks.md")
    ap.add_argument("--update", action="store_true", help="keep the existing results of skipped sections")
    args = ap.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    scales = [s.strip() for s in args.scales.split(",") if s.strip()] if "nightly" not in skip else []
    WORK.mkdir(parents=True, exist_ok=True)
    here = machine()
    results: dict = {"machine": here}

    def say(msg: str) -> None:
        print(f"[bench {datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)

    if "ingest" not in skip:
        say("ingest speed (100,000 rows × 12 columns)")
        results["ingest"] = {**ingest_speed.measure(100_000, 5), "machine": here}
    if scales:
        results["nightly"] = []
        for scale in scales:
            say(f"nightly run, {scale} scale")
            results["nightly"].append({**nightly(scale), "machine": here})
            say(f"  {results['nightly'][-1]['seconds']} s, peak {results['nightly'][-1]['peak_rss_mb']} MB")
        largest = results["nightly"][-1]
        if "incremental" not in skip and largest["scale"] != "small":
            say(f"incremental run, {largest['scale']} scale")
            results["incremental"] = {**incremental(largest["scale"], largest), "machine": here}
        if "dashboards" not in skip:
            from benchmarks import dashboard_latency

            say(f"dashboard latency on the {largest['scale']} warehouse")
            home = Settings.from_env(WORK / f"home-{largest['scale']}")
            results["dashboards"] = {"scale": largest["scale"], "charts": dashboard_latency.measure(home),
                                     "machine": here}
    if "portal" not in skip:
        from benchmarks import portal_check

        say("报送 portal: upload to check page, county-scale ledgers")
        source, _ = samples("county")
        published = WORK / "home-county"
        if not (published / "warehouse" / "waterwh.duckdb").exists():
            nightly("county")
        results["portal"] = {**portal_check.measure(source, Settings.from_env(published)), "machine": here}
    if args.update and args.out.with_suffix(".json").exists():
        before = json.loads(args.out.with_suffix(".json").read_text(encoding="utf-8"))

        def stamped(section: dict) -> dict:
            return {**section, "machine": section.get("machine", before["machine"])}

        if "nightly" in results and isinstance(before.get("nightly"), list):
            # scales not re-measured keep their earlier numbers, in scale order
            measured = {n["scale"] for n in results["nightly"]}
            kept = [stamped(n) for n in before["nightly"] if n["scale"] not in measured]
            order = ["small", "county", "province"]
            results["nightly"] = sorted(kept + results["nightly"],
                                        key=lambda n: order.index(n["scale"]) if n["scale"] in order else 99)
        for section, value in before.items():
            if section != "machine" and section not in results:
                results[section] = [stamped(v) for v in value] if isinstance(value, list) else stamped(value)
    write_report(results, args.out)
    say(f"wrote {args.out}")


if __name__ == "__main__":
    main()
