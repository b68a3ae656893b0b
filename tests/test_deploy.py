"""deploy/: the systemd units pass `systemd-analyze verify` (rendered for this machine), the
environment file is the settings' own, and the commands the Dagster units run — the production
webserver and the daemon, not `dagster dev` — publish a ledger dropped into the landing folder
with no manual step: the landing sensor, proven by the daemon."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster import DagsterInstance

from tests.postgres import postgres_server
from tests.workbooks import investment_rows, write_xlsx
from waterwh import doctor
from waterwh.config import Settings, env_file
from waterwh.orchestration.instance import write_instance

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = sorted(DEPLOY.glob("*.service"))


def _rendered(unit: Path, home: Path) -> str:
    """The unit as it would be installed here: this checkout for /opt/waterwh, this home and user."""
    user = os.environ.get("USER") or "root"
    return (unit.read_text(encoding="utf-8").replace("/opt/waterwh", str(ROOT))
            .replace("/etc/waterwh/waterwh.env", str(DEPLOY / "waterwh.env"))
            .replace("/var/lib/waterwh", str(home)).replace("User=waterwh", f"User={user}")
            .replace("Group=waterwh", f"Group={user}"))


def _commands(unit: Path, home: Path, key: str = "ExecStart") -> list[list[str]]:
    return [shlex.split(x.removeprefix(f"{key}=")) for x in _rendered(unit, home).splitlines()
            if x.startswith(f"{key}=")]


def test_the_environment_file_is_generated_from_the_settings() -> None:
    assert (DEPLOY / "waterwh.env").read_text(encoding="utf-8") == env_file(), \
        "run: python -m waterwh.config --env-file > deploy/waterwh.env"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    assert {u.name for u in UNITS} == {"waterwh-dagster-webserver.service", "waterwh-dagster-daemon.service",
                                       "waterwh-superset.service", "waterwh-portal.service"}
    rendered = []
    for unit in UNITS:
        (tmp_path / unit.name).write_text(_rendered(unit, tmp_path), encoding="utf-8")
        rendered.append(str(tmp_path / unit.name))
    proc = subprocess.run(["systemd-analyze", "verify", *rendered], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.e2e
@pytest.mark.xdist_group("daemon")
@pytest.mark.parametrize("storage", ["sqlite", "postgresql"])
def test_the_daemon_publishes_a_ledger_dropped_into_the_landing_folder(
        storage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with contextlib.ExitStack() as stack:
        if storage == "postgresql":  # the instance's runs, schedules and sensors in PostgreSQL
            url = stack.enter_context(postgres_server("dagster"))["dagster"]
            monkeypatch.setenv("WATERWH_DAGSTER_POSTGRES_URL", url)
        _the_daemon_publishes(tmp_path, monkeypatch)


def _the_daemon_publishes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("WATERWH_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    env = {**os.environ, "DAGSTER_DISABLE_TELEMETRY": "1"}
    daemon_unit = DEPLOY / "waterwh-dagster-daemon.service"
    webserver_unit = DEPLOY / "waterwh-dagster-webserver.service"
    for pre in _commands(daemon_unit, home, "ExecStartPre"):  # as systemd does: before the daemon and the webserver
        done = subprocess.run(pre, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{pre}: {done.stdout}{done.stderr}"[-3000:]
    [daemon], [webserver] = _commands(daemon_unit, home), _commands(webserver_unit, home)
    webserver[webserver.index("-p") + 1] = "3917"  # beside any webserver already on this machine
    logs = [(tmp_path / f"{name}.log").open("wb") for name in ("webserver", "daemon")]
    procs = [subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
             for argv, log in zip((daemon, webserver), logs, strict=True)]
    try:
        landing = home / "landing" / "青溪县"
        landing.mkdir(parents=True)
        project = ["1", "城关镇污水处理厂提标改造", "城关镇", "提标改造", "县重点", 9800, 4200, 200, 1200, 8100,
                   "在建", ""]
        write_xlsx(landing / "重点项目投资台账.xlsx",
                   {"S": investment_rows("青溪县2025年1-3月重点项目投资台账", [project])})
        published = home / "warehouse" / "waterwh.duckdb"
        deadline = time.monotonic() + 420
        while time.monotonic() < deadline and not published.exists():
            assert all(p.poll() is None for p in procs), (tmp_path / "daemon.log").read_text(errors="replace")[-3000:]
            time.sleep(5)
        assert published.exists(), (tmp_path / "daemon.log").read_text(errors="replace")[-3000:]
        with duckdb.connect(str(published), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM marts.fct_investment_snapshot").fetchone() == (1,)
        with urllib.request.urlopen("http://127.0.0.1:3917/dagster/server_info", timeout=10) as resp:
            assert resp.status == 200  # the webserver, under the proxy's path prefix
        settings = Settings.from_env()
        assert ("postgres" in (home / "dagster" / "dagster.yaml").read_text()) == bool(settings.dagster_postgres_url)
        with DagsterInstance.from_config(str(settings.dagster_home)) as instance:
            assert type(instance.run_storage).__name__.startswith(
                "Postgres" if settings.dagster_postgres_url else "Sqlite")
            finishing = time.monotonic() + 120  # the publish is the run's last step: its end is recorded next
            while (runs := instance.get_runs()) and not runs[0].is_finished and time.monotonic() < finishing:
                time.sleep(2)
        assert runs and runs[0].status.value == "SUCCESS", [r.status for r in runs]
        [daemon_finding] = doctor._daemon(settings)
        assert daemon_finding.status == doctor.OK, daemon_finding
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        for log in logs:
            log.close()


def test_the_dagster_instance_follows_the_settings(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    path = write_instance(settings)
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == {"telemetry": {"enabled": False}}  # SQLite
    pg = replace(settings, dagster_postgres_url="postgresql://waterwh:s3cret@db.local:5432/dagster")
    assert write_instance(pg) == path and path.stat().st_mode & 0o777 == 0o600  # it holds a password
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["storage"] == {
        "postgres": {"postgres_url": "postgresql+psycopg2://waterwh:s3cret@db.local:5432/dagster"}}
