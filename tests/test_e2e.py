"""End to end: generated ledgers → `waterwh run` → the published marts equal answer_key.json."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.conftest import Published, let_in_a_row_ingest_now_refuses
from waterwh import pipeline
from waterwh.config import Settings

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

GROUP_FIELDS = [
    "project_count",
    "started_count",
    "on_schedule_count",
    "behind_schedule_count",
    "total_investment_wan",
    "annual_plan_wan",
    "ytd_completed_wan",
    "ytd_completion_rate",
    "start_rate",
]


def q(p: Published, sql: str, params: list[object] | None = None) -> list[tuple]:
    con = duckdb.connect(str(p.settings.published_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def near(got: object, want: object, places: int) -> bool:
    if want is None or got is None:
        return got is None and want is None
    return abs(Decimal(str(got)) - Decimal(str(want))) <= Decimal(1).scaleb(-places) / 2 + Decimal("1e-9")


def test_published_file_is_a_symlink_to_a_version(published: Published) -> None:
    link = published.settings.published_path
    assert link.is_symlink() and link.resolve().parent == published.settings.versions_dir


def test_nothing_under_the_home_is_open_to_other_users(published: Published) -> None:
    """Least privilege: the home 0750, what the run wrote (the published warehouse, reports, the
    run log) group-readable at most; nothing readable, writable or enterable by other users."""
    import stat

    home = published.settings.home
    assert stat.S_IMODE(home.stat().st_mode) & ~0o750 == 0  # 0750 or stricter
    # (the landing folder holds what others put there; the home's 0750 keeps other users out of it)
    written = [p for p in home.rglob("*") if p.relative_to(home).parts[0] not in ("landing", "samples")]
    open_to_others = [str(p.relative_to(home)) for p in [home, *written]
                      if not p.is_symlink() and p.stat().st_mode & stat.S_IRWXO]
    assert not open_to_others
    assert stat.S_IMODE(published.settings.published_path.resolve().stat().st_mode) & ~0o640 == 0


def test_investment_summary_equals_answer_key(published: Published) -> None:
    rows = q(
        published,
        f"SELECT report_period_end, grouping, grouping_value, {', '.join(GROUP_FIELDS)} "
        "FROM marts.rpt_investment_summary",
    )
    got = {(str(r[0]), r[1], r[2]): dict(zip(GROUP_FIELDS, r[3:], strict=True)) for r in rows}
    by_period = published.answer["investment"]["by_period"]
    assert by_period, "answer key has no investment periods"
    checked = 0
    for period, groups in by_period.items():
        for grouping, content in groups.items():
            items = {"all": content}.items() if grouping == "all" else content.items()
            for value, want in items:
                have = got.get((period, grouping, value))
                assert have is not None, f"missing summary row {period} {grouping}={value}"
                for f in GROUP_FIELDS:
                    places = 6 if f.endswith("rate") else 2
                    assert near(have[f], want[f], places), f"{period} {grouping}={value} {f}: {have[f]} != {want[f]}"
                checked += 1
    assert checked >= 12 * 5


def test_investment_snapshot_rows_equal_answer_key(published: Published) -> None:
    projects = published.answer["investment"]["projects"]
    for period, want_rows in projects.items():
        rows = q(
            published,
            "SELECT project_name, ytd_completed_wan, annual_plan_wan, since_start_completed_wan, "
            "status, on_schedule FROM marts.fct_investment_snapshot WHERE report_period_end = ?",
            [period],
        )
        got = {r[0]: r for r in rows}
        assert len(got) == len(want_rows) == len(rows), f"{period}: {len(rows)} rows vs {len(want_rows)} projects"
        for w in want_rows:
            g = got[w["project_name"]]
            assert near(g[1], w["ytd_completed_wan"], 2) and near(g[2], w["annual_plan_wan"], 2), w["project_name"]
            assert near(g[3], w["since_start_completed_wan"], 2), w["project_name"]
            assert (g[4], g[5]) == (w["status"], w["on_schedule"]), w["project_name"]


def test_file_counts_reconcile_with_answer_key(published: Published) -> None:
    loads = {
        r[0]: r[1:]
        for r in q(
            published,
            "SELECT file_name, rows_read, rows_loaded, rows_quarantined, rows_skipped, status FROM audit.file_loads",
        )
    }
    for f in published.answer["files"]:
        got = loads.get(f["path"])
        assert got is not None, f"{f['path']} not in audit.file_loads"
        want = [
            sum(s[k] for s in f["sheets"]) for k in ("rows_read", "rows_loaded", "rows_quarantined", "rows_skipped")
        ]
        assert list(got[:4]) == want, f"{f['path']}: {got[:4]} != {want}"
        assert got[0] == got[1] + got[2] + got[3]


def test_quarantined_rows_are_the_bad_ones(published: Published) -> None:
    got = {
        (r[0], r[1], r[2])
        for r in q(published, "SELECT file_name, sheet, row_number FROM audit.quarantine WHERE action = 'row_rejected'")
    }
    want = {(x["path"], x["sheet"], x["row_number"]) for x in published.answer["quarantine"]}
    assert want, "the samples contain bad rows on purpose"
    assert got == want


def test_reported_total_mismatches_are_flagged(published: Published) -> None:
    mism = {
        (r[0], r[1])
        for r in q(published, "SELECT source_file, source_row FROM marts.fct_reported_total WHERE NOT matches")
    }
    for m in published.answer["reported_totals"]["mismatches"]:
        assert (m["path"], m["row_number"]) in mism


def test_headline_printed_from_marts(published: Published) -> None:
    h = published.result.headline
    last = max(published.answer["investment"]["by_period"])
    want = published.answer["investment"]["by_period"][last]["all"]
    assert str(h["report_period_end"]) == last
    assert near(h["ytd_completion_rate"], want["ytd_completion_rate"], 6)


def test_the_months_briefing_is_written_after_publishing(published: Published) -> None:
    from waterwh.reporting.briefing.numbers import pct, yi

    r = published.result
    assert [p.suffix for p in r.briefing] == [".md", ".docx"], r.briefing_note
    last = max(published.answer["investment"]["by_period"])
    want = published.answer["investment"]["by_period"][last]["all"]
    text = r.briefing[0].read_text(encoding="utf-8")
    assert f"累计完成投资{yi(want['ytd_completed_wan'])}，占年度目标任务的{pct(want['ytd_completion_rate'])}" in text
    assert str(r.briefing[0]) in r.report_path.read_text(encoding="utf-8")


def test_second_run_publishes_the_same_figures(published: Published, tmp_path: Path) -> None:
    settings = published.copy_home(tmp_path / "home")
    before = _figures(settings.published_path)
    first_target = settings.published_path.resolve()
    result = pipeline.run(settings)
    assert result.published, result.message
    assert all(f.status == "unchanged" for f in result.files)
    assert settings.published_path.resolve() != first_target
    assert _figures(settings.published_path) == before


# Columns that name the load or the moment of loading or of a run: two homes load the same files under
# other ids, and a history (dim_project's versions) has as many versions as there were nights.
LOAD_DEPENDENT = {"load_id", "loaded_at", "ledger_loaded_at", "version_loaded_at", "reported_total_key",
                  "funding_line_key", "funding_event_key", "indicator_value_key", "project_version_key",
                  "source_row_hash", "valid_from", "valid_to"}


def _marts(path: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables "
                                    "WHERE table_schema = 'marts' ORDER BY 1").fetchall():
            cols = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'marts' "
                "AND table_name = ? ORDER BY ordinal_position", [table]).fetchall() if c not in LOAD_DEPENDENT]
            current = " WHERE is_current" if "is_current" in cols else ""  # the history's present
            out[table] = (cols, con.execute(f"SELECT {', '.join(cols)} FROM marts.{table}{current} ORDER BY ALL")
                          .fetchall())
        return out
    finally:
        con.close()


def test_a_new_month_on_top_of_history_publishes_what_a_run_over_every_ledger_does(
    published: Published, tmp_path: Path
) -> None:
    """The incremental night (stated totals of new loads, touched patrols, changed snapshot periods,
    raw GX suites on new loads) publishes exactly the marts of one run over every ledger from empty."""
    samples = published.settings.home / "samples"
    files = published.answer["files"]
    month = max(s["report_period_end"] for f in files for s in f["sheets"] if s.get("report_period_end"))[:7]
    new = {f["path"] for f in files if max((s.get("report_period_end") or "") for s in f["sheets"])[:7] == month}
    assert 0 < len(new) < len(files)
    settings = Settings.from_env(tmp_path / "home")
    for rel in sorted(f["path"] for f in files if f["path"] not in new):
        (settings.landing_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(samples / rel, settings.landing_dir / rel)
    history = pipeline.run(settings)
    assert history.published, history.message
    for rel in sorted(new):
        (settings.landing_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(samples / rel, settings.landing_dir / rel)
    night = pipeline.run(settings)
    assert night.published, night.message
    assert sum(f.status != "unchanged" for f in night.files) == len(new)
    assert any("new loads checked" in c.message for c in night.checks)  # raw GX suites read the new loads

    incremental, from_empty = _marts(settings.published_path), _marts(published.settings.published_path)
    assert incremental.keys() == from_empty.keys()
    for table, (cols, rows) in from_empty.items():
        got = incremental[table][1]
        differing = [c for i, c in enumerate(cols) if sorted(map(repr, (r[i] for r in got))) != sorted(
            map(repr, (r[i] for r in rows)))]
        assert got == rows, f"{table}: {len(got)} rows vs {len(rows)}; columns that differ: {differing}"


def test_failing_check_keeps_published_file_byte_identical(published: Published, tmp_path: Path) -> None:
    settings = published.copy_home(tmp_path / "home")
    let_in_a_row_ingest_now_refuses(settings)
    target = settings.published_path.resolve()
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    env = {**os.environ, "WATERWH_HOME": str(settings.home)}
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("waterwh")), "run"], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode != 0, proc.stdout
    assert "Not published" in proc.stdout and "ytd" in (proc.stdout + proc.stderr).lower()
    assert settings.published_path.resolve() == target
    assert hashlib.sha256(target.read_bytes()).hexdigest() == digest
    duckdb.connect(str(settings.published_path), read_only=True).close()  # still opens cleanly
    assert not list(settings.staging_dir.glob("*.duckdb"))


def _figures(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return (
            con.execute(
                "SELECT report_period_end, grouping, grouping_value, project_count, ytd_completed_wan, "
                "annual_plan_wan, ytd_completion_rate FROM marts.rpt_investment_summary ORDER BY 1, 2, 3"
            ).fetchall()
            + con.execute("SELECT count(*), sum(ytd_completed_wan) FROM marts.fct_investment_snapshot").fetchall()
        )
    finally:
        con.close()
