"""Ingest rows/s against the baselines a user would otherwise have, in one run.

- naive: pandas.read_excel(engine="openpyxl") + to DuckDB (what users write)
- bare fastexcel: the workbook into Arrow, no cleaning (the practical limit for xlsx here)
- DuckDB read_csv on the same rows saved as CSV (the limit for CSV)
- the floor of any CSV ingest into waterwh's raw table: the CSV read as text and inserted into
  raw.investment_ledger with lineage and a cast per number, no cleaning, no checks, no quarantine
- waterwh ingest of the xlsx and of the CSV: layout detection, cleaning, parsing, lineage, loading

Each measurement is the best of `--repeat` rounds in which the readers take turns.

Usage: python -m benchmarks.ingest_speed [--rows 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import xlsxwriter

from waterwh.ingest.db import connect
from waterwh.ingest.files import ingest_paths
from waterwh.ingest.isolation import ReadLimits

HEADER = ["序号", "项目名称", "所在乡镇", "建设性质", "级别", "总投资", "年度计划投资", "本月完成",
          "年度累计完成", "开工以来累计完成", "建设状态", "滞后原因"]
TOWNS = ["城关镇", "青石镇", "龙潭镇", "白沙乡", "清河镇", "柳林乡", "桃源镇", "石门乡"]


FULL_WIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")


def make_rows(n: int, seed: int = 7) -> list[list[object]]:
    """Ledger rows with a share of the mess clerks type (about one row in nine has a messy cell):
    thousands separators and '—' in an amount, full-width digits, full-width brackets in a name,
    a stray space after a status, '约' before an amount."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        total = round(rng.uniform(100, 90000), 2)
        plan = round(total * rng.uniform(0.1, 0.6), 2)
        ytd = round(plan * rng.uniform(0.2, 1.2), 2)
        since = round(ytd + rng.uniform(0, total - ytd if total > ytd else 0), 2)
        row: list[object] = [
            str(i + 1), f"第{i + 1}号水利工程", rng.choice(TOWNS), rng.choice(["新建", "续建", "扩建"]),
            rng.choice(["县重点", "市重点", "省重点"]), total, plan, round(ytd / 9, 2), ytd, since,
            rng.choice(["在建", "未开工", "基本完工"]), rng.choice(["", "", "", "资金未到位", "设计变更"]),
        ]
        r = rng.random()
        if r < 0.02:
            row[8] = f"{ytd:,.2f}"
        elif r < 0.03:
            row[8] = "—"
        elif r < 0.08:
            row[1] = f"{row[1]}（一期）"
        elif r < 0.09:
            row[5] = str(total).translate(FULL_WIDTH)
        elif r < 0.10:
            row[10] = f"{row[10]} "
        elif r < 0.11:
            row[7] = f"约{row[7]}"
        rows.append(row)
    return rows


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    """The ledger as a clerk's workbook: title row, header row, then `rows` (sheet 台账)."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("台账")
    ws.write_row(0, 0, ["青溪县2025年1-10月重点项目投资台账"])
    ws.write_row(1, 0, HEADER)
    for i, row in enumerate(rows):
        ws.write_row(i + 2, 0, row)
    wb.close()
    return path


def write_files(folder: Path, n: int) -> tuple[Path, Path]:
    rows = make_rows(n)
    xlsx = write_xlsx(folder / "bench.xlsx", rows)
    csv = folder / "bench.csv"
    with csv.open("w", encoding="utf-8") as f:
        f.write("青溪县2025年1-10月重点项目投资台账\n" + ",".join(HEADER) + "\n")
        for row in rows:
            f.write(",".join(f'"{c}"' if isinstance(c, str) and "," in c else str(c) for c in row) + "\n")
    return xlsx, csv


FLOOR = "floor: read_csv + typed INSERT into the raw table, no cleaning (csv)"


def best_of(repeat: int, fn) -> float:
    return min(best_of_each(repeat, {"": fn})[""])


def best_of_each(repeat: int, fns: dict[str, Callable[[], None]]) -> dict[str, list[float]]:
    """Each function's times over `repeat` rounds, the functions taking turns within a round:
    a ratio of two of them is not skewed by the machine slowing down between them."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def naive_pandas(xlsx: Path) -> None:
    import pandas as pd

    df = pd.read_excel(xlsx, engine="openpyxl", header=1)
    con = connect()
    con.register("df", df)
    con.execute("CREATE TABLE t AS SELECT * FROM df")
    con.close()


def bare_fastexcel(xlsx: Path) -> None:
    import fastexcel

    fastexcel.read_excel(str(xlsx)).load_sheet(0, header_row=1).to_arrow()


def duckdb_read_csv(csv: Path) -> None:
    con = connect()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv}', skip=1, header=true)")
    con.close()


def raw_table_floor(csv: Path) -> None:
    """read_csv, then the raw table's typed INSERT with lineage: what any ingest must at least do."""
    from waterwh.ingest.schema import ensure_schema

    con = connect()
    ensure_schema(con)
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(HEADER))) + "}"
    amount = "try_cast({} AS DECIMAL(18,4))"
    con.execute(f"""
        INSERT INTO raw.investment_ledger (load_id, ledger_key, source_file, source_sheet, source_row,
            file_sha256, loaded_at, ledger_scope, seq_no, project_name, admin_area, construction_nature,
            priority_level, total_investment, annual_plan, period_completed, ytd_completed,
            since_start_completed, status, delay_reason)
        SELECT 'L1', 'investment|青溪县|2025-10-31', '{csv.name}', 'bench', 1, repeat('0', 64), now(), '青溪县',
            c0, c1, c2, c3, c4, {", ".join(amount.format(f"c{i}") for i in range(5, 10))}, c10, c11
        FROM read_csv('{csv}', header=false, auto_detect=false, skip=2, columns={columns})
    """)
    con.close()


def waterwh_ingest(path: Path) -> None:
    con = connect()
    [r] = ingest_paths(con, [path], limits=ReadLimits(max_file_bytes=1 << 40))
    assert r.status in ("loaded", "partial"), r.error
    con.close()


def measure(n: int = 100_000, repeat: int = 5, skip_naive: bool = False) -> dict:
    with tempfile.TemporaryDirectory() as d:
        xlsx, csv = write_files(Path(d), n)
        times = best_of_each(repeat, {
            "bare fastexcel → Arrow (xlsx)": lambda: bare_fastexcel(xlsx),
            "waterwh ingest (xlsx)": lambda: waterwh_ingest(xlsx),
            "DuckDB read_csv (csv)": lambda: duckdb_read_csv(csv),
            FLOOR: lambda: raw_table_floor(csv),
            "waterwh ingest (csv)": lambda: waterwh_ingest(csv),
        })
        res = {name: min(t) for name, t in times.items()}
        if not skip_naive:
            # Last: its 20 s of openpyxl objects leave the process ~15% slower for whatever runs next.
            res["naive pandas+openpyxl (xlsx)"] = best_of(1, lambda: naive_pandas(xlsx))
    order = ["naive pandas+openpyxl (xlsx)", "bare fastexcel → Arrow (xlsx)", "waterwh ingest (xlsx)",
             "DuckDB read_csv (csv)", FLOOR, "waterwh ingest (csv)"]
    out = {k: {"seconds": round(res[k], 3), "rows_per_s": round(n / res[k])} for k in order if k in res}
    ratios = {
        "xlsx: waterwh vs naive (×, higher is better)": round(res.get("naive pandas+openpyxl (xlsx)", 0)
                                                               / res["waterwh ingest (xlsx)"], 2),
        "xlsx: waterwh time / bare fastexcel time": round(res["waterwh ingest (xlsx)"]
                                                          / res["bare fastexcel → Arrow (xlsx)"], 2),
        "csv: waterwh time / read_csv time": round(res["waterwh ingest (csv)"] / res["DuckDB read_csv (csv)"], 2),
        "csv: floor time / read_csv time": round(res[FLOOR] / res["DuckDB read_csv (csv)"], 2),
    }
    return {"rows": n, "columns": len(HEADER), "results": out, "ratios": ratios}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    report = measure(args.rows, args.repeat, args.skip_naive)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
