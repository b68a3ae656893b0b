"""Crash safety: SIGKILL the real nightly job at every stage; the published warehouse never changes.

Each kill leaves whatever the job had written (staging file, WAL, half-written version, lock);
the run after it starts from that mess without manual cleanup. The last run publishes.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import Published
from tests.workbooks import investment_rows, write_xlsx
from waterwh.config import Settings

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("crash")]

WATERWH = str(Path(sys.executable).with_name("waterwh"))


def _start(settings: Settings, pause_at: str | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "WATERWH_HOME": str(settings.home)}
    env.pop("WATERWH_PAUSE_AT", None)
    if pause_at:
        env["WATERWH_PAUSE_AT"] = pause_at
    (settings.home / "paused-at").unlink(missing_ok=True)
    return subprocess.Popen([WATERWH, "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _children(pid: int) -> list[tuple[int, str]]:
    out = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            stat = (p / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(stat[1]) == pid:
            out.append((int(p.name), cmd))
    return out


def _published_state(settings: Settings) -> tuple[str, str, list[tuple]]:
    target = settings.published_path.resolve()
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    con = duckdb.connect(str(settings.published_path), read_only=True)
    try:
        figures = con.execute(
            "SELECT report_period_end, grouping, grouping_value, ytd_completed_wan FROM marts.rpt_investment_summary "
            "ORDER BY 1, 2, 3").fetchall()
    finally:
        con.close()
    return target.name, digest, figures


def test_sigkill_at_every_stage_leaves_the_published_warehouse_intact(published: Published, tmp_path: Path) -> None:
    settings = published.copy_home(tmp_path / "home")
    # something new to load, so every stage has work to do
    new = ["98", "城关镇应急备用水源工程", "城关镇", "新建", "县重点", 2000, 800, 80, 80, 80, "在建", ""]
    rows = investment_rows("城关镇2025年1-12月重点项目投资台账", [new])
    write_xlsx(settings.landing_dir / "城关镇补报.xlsx", {"S": rows})
    before = _published_state(settings)
    killed = []
    left_behind: dict[str, list[str]] = {}

    for point in ["prepare", "ingest:file", "dbt", "validate", "record", "publish", "publish:renamed"]:
        proc = _start(settings, None if point == "dbt" else point)
        job = proc.pid
        if point == "dbt":  # kill the job while its dbt child writes the staging file
            _wait_for(lambda job=job: any("dbt" in c for _, c in _children(job)), 120, "dbt to start")
            time.sleep(5)
            dbt_pids = [pid for pid, c in _children(job) if "dbt" in c]
        else:
            _wait_for(lambda p=proc: (settings.home / "paused-at").exists() or p.poll() is not None, 300,
                      f"the job to reach {point}")
            assert proc.poll() is None, f"the job ended before {point} (exit {proc.returncode})"
        os.kill(job, signal.SIGKILL)
        proc.wait()
        killed.append(point)
        if point == "dbt":  # PR_SET_PDEATHSIG: dbt does not outlive the job
            _wait_for(lambda pids=dbt_pids: not any(Path(f"/proc/{p}").exists() for p in pids), 15,
                      "dbt to die with the job")
        assert _published_state(settings) == before, f"published warehouse changed after a kill at {point}"
        left_behind[point] = sorted(p.name for p in settings.staging_dir.glob("*.duckdb*"))

    # the run after each kill had to start from a half-built staging file
    assert all(left_behind[p] for p in ["ingest:file", "dbt", "validate", "record", "publish"]), left_behind
    orphans = [v for v in settings.versions_dir.iterdir() if v != settings.published_path.resolve()]
    assert any(v.stat().st_mtime > time.time() - 600 for v in orphans), "the publish:renamed kill left a version"

    proc = _start(settings)
    assert proc.wait(timeout=600) == 0, "the run after the kills did not publish"
    after = _published_state(settings)
    assert after[0] != before[0] and after[2] != before[2]
    assert not list(settings.staging_dir.glob("*.duckdb*"))
    con = duckdb.connect(str(settings.published_path), read_only=True)
    [(n,)] = con.execute(
        "SELECT count(*) FROM marts.fct_investment_snapshot WHERE project_name = '城关镇应急备用水源工程'").fetchall()
    con.close()
    assert n == 1, killed


def test_rollback_restores_the_previous_publish(published: Published, tmp_path: Path) -> None:
    settings = published.copy_home(tmp_path / "home")
    first = settings.published_path.resolve()
    env = {**os.environ, "WATERWH_HOME": str(settings.home)}
    assert subprocess.run([WATERWH, "run"], env=env, capture_output=True, check=False).returncode == 0
    second = settings.published_path.resolve()
    assert second != first
    res = subprocess.run([WATERWH, "rollback"], env=env, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert settings.published_path.resolve() == first
    duckdb.connect(str(settings.published_path), read_only=True).close()


def test_readers_see_one_version_or_the_other_during_two_publishes(published: Published, tmp_path: Path) -> None:
    """A reader process queries in a loop while two full runs publish: no error, and every total
    it reads is one of the published versions' totals."""
    settings = published.copy_home(tmp_path / "home")
    reader_code = (
        "import duckdb, sys, time\n"
        "path, stop = sys.argv[1], sys.argv[2]\n"
        "import os\n"
        "while not os.path.exists(stop):\n"
        "    try:\n"
        "        con = duckdb.connect(path, read_only=True)\n"
        "        n, s = con.execute('SELECT count(*), sum(ytd_completed_wan) FROM marts.fct_investment_snapshot')"
        ".fetchone()\n"
        "        con.close()\n"
        "        print(f'{n}|{s}', flush=True)\n"
        "    except Exception as e:\n"
        "        print(f'ERROR|{type(e).__name__}: {e}', flush=True)\n"
        "    time.sleep(0.05)\n"
    )
    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", reader_code, str(settings.published_path), str(stop)],
                              stdout=subprocess.PIPE, text=True)
    totals = {_totals(settings.published_path)}
    env = {**os.environ, "WATERWH_HOME": str(settings.home)}
    try:
        for i, town in enumerate(["白沙乡", "龙潭镇"]):
            row = [str(90 + i), f"{town}应急供水工程", town, "新建", "县重点", 1000, 500, 40, 40, 40, "在建", ""]
            write_xlsx(settings.landing_dir / f"{town}补报.xlsx",
                       {"S": investment_rows(f"{town}2025年1-12月重点项目投资台账", [row])})
            assert subprocess.run([WATERWH, "run"], env=env, capture_output=True, check=False).returncode == 0
            totals.add(_totals(settings.published_path))
    finally:
        stop.touch()
        out, _ = reader.communicate(timeout=60)
    lines = [line for line in out.splitlines() if line]
    errors = [line for line in lines if line.startswith("ERROR")]
    assert not errors, errors[:5]
    assert len(lines) > 50
    seen = {line for line in lines}
    assert seen <= totals, f"a reader saw totals of no published version: {seen - totals}"
    assert len(seen) == 3, "the reader saw all three versions"


def _totals(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        n, s = con.execute("SELECT count(*), sum(ytd_completed_wan) FROM marts.fct_investment_snapshot").fetchone()
    finally:
        con.close()
    return f"{n}|{s}"
