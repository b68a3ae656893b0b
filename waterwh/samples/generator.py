"""`generate()`: write every county's ledgers and the answer key.

Each county is generated from its own seeded random streams (seed × county code × purpose), so
counties can be written in parallel processes and the output is still byte-identical for a seed.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from waterwh.samples.answer_key import build_answer_key, write_answer_key
from waterwh.samples.approval import approval_files
from waterwh.samples.funding import funding_files
from waterwh.samples.geography import SCALES, County, build_geography
from waterwh.samples.indicators import indicator_files
from waterwh.samples.investment import investment_files
from waterwh.samples.names import rng_for
from waterwh.samples.patrol import patrol_files
from waterwh.samples.portfolio import build_portfolio, simulate_series
from waterwh.samples.river import river_files
from waterwh.samples.truth import CountyTruth
from waterwh.samples.writers import write_ledger

YEARS = {"small": [2025], "county": [2025], "province": [2023, 2024, 2025]}


@dataclass(frozen=True)
class CountyJob:
    out_dir: Path
    county: County
    scale: str
    seed: int
    years: tuple[int, ...]

    @property
    def prefix(self) -> str:
        """Folder of the county's ledgers: none at small scale, else 市/县/."""
        if self.scale == "small":
            return ""
        return f"{self.county.city_name}/{self.county.name}/"


def generate_county(job: CountyJob) -> CountyTruth:
    county, seed, years = job.county, job.seed, list(job.years)
    code = county.code
    truth = CountyTruth()
    projects = build_portfolio(county, rng_for(seed, code, "portfolio"))
    trajectories = [
        t
        for i, p in enumerate(projects)
        for t in simulate_series(p, years, rng_for(seed, code, "trajectory", i))
    ]
    keep = job.scale != "province"
    files = investment_files(
        county, trajectories, years, job.prefix, rng_for(seed, code, "investment"), truth, keep
    )
    files += funding_files(
        county, projects, years, job.prefix, rng_for(seed, code, "funding"), truth
    )
    files += indicator_files(county, years, job.prefix, rng_for(seed, code, "indicator"), truth)
    files += river_files(county, years, job.prefix, rng_for(seed, code, "river"), truth)
    files += approval_files(
        county, projects, years, job.prefix, rng_for(seed, code, "approval"), truth
    )
    for lf in files:
        record, quarantine, totals = write_ledger(job.out_dir, lf)
        truth.files.append(record)
        truth.quarantine += quarantine
        truth.totals += totals
    # Patrol logs are the bulk at province scale: write them month by month.
    for lf in patrol_files(
        county, years, job.scale, job.prefix, rng_for(seed, code, "patrol"), truth
    ):
        record, quarantine, totals = write_ledger(job.out_dir, lf)
        truth.files.append(record)
        truth.quarantine += quarantine
    return truth


def generate(
    out_dir: Path, scale: str = "small", seed: int = 42, workers: int | None = None
) -> Path:
    """Write sample ledgers of every type for `scale` into `out_dir`; return answer_key.json.

    Same seed, same bytes. `workers` > 1 writes counties in parallel processes (default: up to
    2 at province scale, none otherwise).
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    geo = build_geography(scale)
    years = YEARS[scale]
    jobs = [CountyJob(out_dir, c, scale, seed, tuple(years)) for c in geo.counties]
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if scale == "province" else 1
    truth = CountyTruth()
    if workers > 1:
        # forkserver, not fork: a fork of a process that runs threads (gRPC under Dagster, DuckDB's pool)
        # can crash the child; the workers need only this module
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
            for part in pool.map(generate_county, jobs, chunksize=2):
                truth.merge(part)
    else:
        for job in jobs:
            truth.merge(generate_county(job))
    key = build_answer_key(truth, geo, scale, seed, years, keep_lists=scale != "province")
    return write_answer_key(out_dir, key)
