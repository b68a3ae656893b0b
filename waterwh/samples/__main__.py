"""`python -m waterwh.samples --out DIR [--scale small|county|province] [--seed N]`."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from waterwh.samples.generator import generate
from waterwh.samples.geography import SCALES


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m waterwh.samples", description=__doc__)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--scale", choices=SCALES, default="small")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()
    started = time.perf_counter()
    key = generate(args.out, scale=args.scale, seed=args.seed, workers=args.workers)
    files = [p for p in args.out.rglob("*") if p.is_file() and p != key]
    size = sum(p.stat().st_size for p in files)
    print(
        f"{len(files)} ledger files ({size / 1e6:.1f} MB) and {key} "
        f"in {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
