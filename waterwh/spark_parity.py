"""The same dbt project on Apache Spark, checked against the DuckDB marts.

    python -m waterwh.spark_parity [--home DIR] [--work DIR]     (make test-spark)

1. export: every source table of the dbt project (raw.*, audit.*) is copied from the published
   DuckDB warehouse to Parquet, one folder per table — the exchange format a cluster would read;
2. build: `dbt build --target spark` (dbt-spark, session mode, a local Spark) builds seeds and
   models from those files and runs the data tests, the same project files as the nightly run;
3. compare: every mart Spark wrote (Parquet under its warehouse dir) is compared, row for row,
   with the same mart in the published DuckDB file (EXCEPT ALL both ways, in DuckDB).

Columns that are engine-specific by design are left out of the comparison and listed
(`ENGINE_SPECIFIC`): a row fingerprint only compared within one engine, and the snapshot's
version key and validity timestamps (Spark on plain Parquet has no snapshots; docs/scale-out.md).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from waterwh.config import Settings
from waterwh.dbt import DbtNodeResult, DbtResult, run_dbt_command
from waterwh.ingest.db import connect

# mart → columns not compared, and why (docs/scale-out.md)
ENGINE_SPECIFIC: dict[str, dict[str, str]] = {
    "fct_investment_snapshot": {
        "source_row_hash": "row fingerprint for incremental change detection, compared within one engine only",
    },
    "dim_project": {
        "project_version_key": "snapshot version key: hash of the snapshot time",
        "valid_from": "snapshot time of the build",
        "valid_to": "snapshot time of the build",
    },
}
# Rates and other doubles agree to this many decimal places (summation order differs by engine).
DOUBLE_PLACES = 6


@dataclass
class MartParity:
    mart: str
    duckdb_rows: int
    spark_rows: int
    only_in_duckdb: int
    only_in_spark: int
    compared_columns: int
    skipped_columns: list[str] = field(default_factory=list)
    example_differences: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return self.only_in_duckdb == 0 and self.only_in_spark == 0 and self.duckdb_rows == self.spark_rows


@dataclass
class ParityReport:
    marts: list[MartParity]
    exported_rows: dict[str, int]
    dbt_returncode: int
    dbt_log_tail: str
    seconds: dict[str, float]

    @property
    def equal(self) -> bool:
        return self.dbt_returncode == 0 and bool(self.marts) and all(m.equal for m in self.marts)


def scalar(con: duckdb.DuckDBPyConnection, query: str) -> int:
    return con.sql(query).fetchall()[0][0]


def source_tables(con: duckdb.DuckDBPyConnection, manifest: dict) -> list[tuple[str, str]]:
    """(schema, table) of every dbt source, as the project declares them."""
    tables = sorted({(s["schema"], s["identifier"]) for s in manifest["sources"].values()})
    present = {tuple(r) for r in con.sql("select schema_name, table_name from duckdb_tables()").fetchall()}
    missing = [f"{s}.{t}" for s, t in tables if (s, t) not in present]
    if missing:
        raise RuntimeError(f"the warehouse lacks source tables the dbt project reads: {', '.join(missing)}")
    return tables


def export_sources(db_path: Path, manifest: dict, out_dir: Path) -> dict[str, int]:
    """Copy every source table to <out_dir>/<schema>/<table>/data.parquet; rows per table."""
    shutil.rmtree(out_dir, ignore_errors=True)
    counts: dict[str, int] = {}
    with connect(db_path, read_only=True) as con:
        for schema, table in source_tables(con, manifest):
            folder = out_dir / schema / table
            folder.mkdir(parents=True)
            # TIMESTAMPTZ → UTC instants; Spark's session time zone is UTC too
            con.execute(f"copy (select * from {schema}.{table}) to '{folder / 'data.parquet'}' (format parquet)")
            counts[f"{schema}.{table}"] = scalar(con, f"select count(*) from {schema}.{table}")
    return counts


def spark_env(parquet_dir: Path, spark_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["WATERWH_RAW_PARQUET"] = str(parquet_dir)
    env["WATERWH_SPARK_WAREHOUSE"] = str(spark_dir / "warehouse")
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # the build's DuckDB file is never opened on this target, but the profile file is parsed whole
    env.setdefault("WATERWH_BUILD_DB", str(spark_dir / "unused.duckdb"))
    return env


def dbt_on_spark(settings: Settings, parquet_dir: Path, spark_dir: Path, *args: str) -> DbtResult:
    if not settings.spark_dbt.exists():
        raise FileNotFoundError(f"{settings.spark_dbt} not found: `make spark` builds the Spark environment")
    return run_dbt_command(
        settings.spark_dbt, [*args, "--target", "spark"], project_dir=settings.dbt_project_dir,
        target=spark_dir / "target", log_dir=spark_dir / "logs", env=spark_env(parquet_dir, spark_dir), cwd=spark_dir,
    )


def compare_mart(con: duckdb.DuckDBPyConnection, mart: str, spark_path: Path) -> MartParity:
    skipped = ENGINE_SPECIFIC.get(mart, {})
    columns = con.sql(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = 'pub' and schema_name = 'marts' and table_name = ? order by column_index",
        params=[mart],
    ).fetchall()
    spark_columns = {r[0] for r in con.sql(f"describe select * from read_parquet('{spark_path}/*.parquet')").fetchall()}
    wanted = [(c, t) for c, t in columns if c not in skipped]
    absent = [c for c, _ in wanted if c not in spark_columns]
    if absent:
        raise RuntimeError(f"{mart}: Spark's table lacks columns {', '.join(absent)}")

    def normalised(c: str, t: str) -> str:
        # both sides in DuckDB's type; doubles rounded (engines sum in different orders)
        expr = f'cast("{c}" as {t})'
        return f"round({expr}, {DOUBLE_PLACES}) as \"{c}\"" if t in ("DOUBLE", "FLOAT") else f'{expr} as "{c}"'

    select_list = ", ".join(normalised(c, t) for c, t in wanted)
    con.execute(f"create or replace temp view d as select {select_list} from pub.marts.{mart}")
    con.execute(f"create or replace temp view s as select {select_list} from read_parquet('{spark_path}/*.parquet')")
    only_d = scalar(con, "select count(*) from (select * from d except all select * from s)")
    only_s = scalar(con, "select count(*) from (select * from s except all select * from d)")
    examples: list[str] = []
    if only_d or only_s:
        for side, q in (("duckdb", "select * from d except all select * from s"),
                        ("spark", "select * from s except all select * from d")):
            rel = con.sql(q + " limit 2")
            names = rel.columns
            examples += [f"{side}: " + json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False, default=str)
                         for row in rel.fetchall()]
    return MartParity(
        mart=mart,
        duckdb_rows=scalar(con, "select count(*) from d"),
        spark_rows=scalar(con, "select count(*) from s"),
        only_in_duckdb=only_d,
        only_in_spark=only_s,
        compared_columns=len(wanted),
        skipped_columns=sorted(skipped),
        example_differences=examples,
    )


def compare_marts(db_path: Path, spark_warehouse: Path) -> list[MartParity]:
    with connect() as con:
        con.execute(f"attach '{db_path}' as pub (read_only)")
        marts = [r[0] for r in con.sql(
            "select table_name from duckdb_tables() where database_name = 'pub' and schema_name = 'marts' "
            "order by table_name").fetchall()]
        results = []
        for mart in marts:
            path = spark_warehouse / "marts.db" / mart
            if not path.is_dir():
                results.append(MartParity(mart, scalar(con, f"select count(*) from pub.marts.{mart}"),
                                          0, -1, -1, 0, example_differences=["Spark did not build this mart"]))
                continue
            results.append(compare_mart(con, mart, path))
        return results


def run_parity(settings: Settings, work_dir: Path, *, data_tests: bool = True) -> ParityReport:
    """Export the published warehouse's sources, build on Spark (with the data tests unless told
    not to: they are half of Spark's time on small data), compare every mart."""
    db_path = settings.published_path.resolve()
    if not db_path.exists():
        raise FileNotFoundError(f"no published warehouse at {settings.published_path}: run `waterwh run` first")
    seconds: dict[str, float] = {}
    shutil.rmtree(work_dir, ignore_errors=True)
    spark_dir = work_dir / "spark"
    spark_dir.mkdir(parents=True)
    parquet_dir = work_dir / "parquet"

    t = time.perf_counter()
    parsed = dbt_on_spark(settings, parquet_dir, spark_dir, "parse")
    manifest_path = spark_dir / "target" / "manifest.json"
    if parsed.returncode != 0 or not manifest_path.exists():
        return ParityReport([], {}, parsed.returncode or 1, parsed.log_tail, seconds)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    exported = export_sources(db_path, manifest, parquet_dir)
    seconds["export"] = time.perf_counter() - t

    t = time.perf_counter()
    skip = ["--exclude-resource-type", "unit_test"] + ([] if data_tests else ["--exclude-resource-type", "test"])
    built = dbt_on_spark(settings, parquet_dir, spark_dir, "build", *skip)
    seconds["spark_build"] = time.perf_counter() - t
    failed = [n for n in built.nodes if n.status in ("error", "fail")]
    failures = "\n".join(_describe(n) for n in failed)
    models_failed = any(not (n.resource_type == "test" and n.status == "fail") for n in failed)
    if built.returncode != 0 and (models_failed or not failed):
        # models did not build: nothing to compare
        return ParityReport([], exported, built.returncode, failures or built.log_tail, seconds)

    # data tests that failed on Spark are reported, and the marts still compared
    t = time.perf_counter()
    marts = compare_marts(db_path, spark_dir / "warehouse")
    seconds["compare"] = time.perf_counter() - t
    return ParityReport(marts, exported, built.returncode, failures, seconds)


def _describe(node: DbtNodeResult) -> str:
    """A node that errored or failed on Spark, with the first line of its message that says why."""
    message = next((line for line in node.message.splitlines() if line.strip() and "Runtime Error" not in line), "")
    return f"{node.status}: {node.unique_id}: {message.strip()[:300]}"


def render(report: ParityReport) -> str:
    out = [f"{'mart':32} {'duckdb':>9} {'spark':>9} {'≠duckdb':>8} {'≠spark':>8}  cols  result"]
    for m in report.marts:
        out.append(f"{m.mart:32} {m.duckdb_rows:9,} {m.spark_rows:9,} {m.only_in_duckdb:8,} {m.only_in_spark:8,}"
                   f"  {m.compared_columns:4}  {'equal' if m.equal else 'DIFFERENT'}")
        out += [f"    {e}" for e in m.example_differences]
    if report.dbt_returncode != 0:
        out.append(f"dbt build on Spark failed (exit {report.dbt_returncode}):\n{report.dbt_log_tail}")
    out.append("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items()))
    out.append("Spark marts equal DuckDB marts" if report.equal else "Spark and DuckDB marts DIFFER")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, default=None, help="WATERWH_HOME with a published warehouse")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: <home>/spark)")
    parser.add_argument("--json", type=Path, default=None, help="also write the report as JSON here")
    parser.add_argument("--skip-data-tests", action="store_true", help="build the models only, no dbt tests on Spark")
    args = parser.parse_args(argv)
    settings = Settings.from_env(args.home)
    report = run_parity(settings, args.work or settings.home / "spark", data_tests=not args.skip_data_tests)
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(asdict(report) | {"equal": report.equal}, ensure_ascii=False, indent=2),
                             encoding="utf-8")
    return 0 if report.equal else 1


if __name__ == "__main__":
    sys.exit(main())
