"""Dagster runs the same pipeline core: whole-graph materialisation, sensor, schedule, failure path."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.conftest import Published, let_in_a_row_ingest_now_refuses
from tests.webhook import robot
from tests.workbooks import investment_rows, write_xlsx
from waterwh.config import Settings

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def mart_contents(db: Path) -> dict[str, list[tuple]]:
    """Every mart's rows, minus what differs between two runs by design (load ids, timestamps)."""
    # load ids and hashes over them, and the SCD2 validity stamps (build time), differ by design
    volatile = {"load_id", "loaded_at", "source_row_hash", "valid_from", "valid_to"}
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY 1"
        ).fetchall():
            cols = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'marts' "
                "AND table_name = ? ORDER BY ordinal_position", [t]).fetchall()
                if c not in volatile and not c.endswith(("_key", "_loaded_at"))]
            rows = con.execute(f'SELECT {", ".join(chr(34) + c + chr(34) for c in cols)} FROM marts."{t}"').fetchall()
            out[t] = sorted(rows, key=repr)
        return out
    finally:
        con.close()


def fresh_home(published: Published, dest: Path) -> Settings:
    """A new, empty warehouse home with the same landing folder as the CLI run."""
    shutil.copytree(published.settings.landing_dir, dest / "landing")
    return Settings.from_env(dest)


def materialise(settings: Settings) -> dg.ExecuteInProcessResult:
    from waterwh.orchestration.definitions import build_definitions

    job = build_definitions(settings).resolve_job_def("nightly")
    with dg.instance_for_test() as instance:
        return job.execute_in_process(instance=instance, raise_on_error=False)


def test_dagster_materialisation_publishes_the_same_marts_as_waterwh_run(
    published: Published, tmp_path: Path
) -> None:
    settings = fresh_home(published, tmp_path / "home")
    result = materialise(settings)
    assert result.success
    assert settings.published_path.is_symlink()
    assert mart_contents(settings.published_path) == mart_contents(published.settings.published_path)
    checks = result.get_asset_check_evaluations()
    assert len(checks) > 100 and all(c.passed or c.severity == dg.AssetCheckSeverity.WARN for c in checks)
    assert {c.check_name for c in checks} >= {"gx_investment_snapshot", "gx_investment_summary"}
    [(n,)] = duckdb.connect(str(settings.published_path), read_only=True).execute(
        "SELECT count(*) FROM audit.runs WHERE published").fetchall()
    assert n == 1


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict]]:
    """A local webhook receiving notifications, as a 企业微信/钉钉 robot would."""
    with robot(monkeypatch) as received:
        yield received


def _notify_like_the_daemon(settings: Settings, result: dg.ExecuteInProcessResult) -> None:
    """Evaluate the run-failure sensor on the failed run, as dagster-daemon does."""
    from waterwh.orchestration.sensors import notify_dagster_failure

    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    notify_dagster_failure(settings, result.run_id, "nightly", failure.message or "")
    assert not result.success


def test_failing_dbt_check_stops_publish_and_notifies(
    published: Published, tmp_path: Path, webhook: list[dict]
) -> None:
    settings = published.copy_home(tmp_path / "home")
    let_in_a_row_ingest_now_refuses(settings)
    before = settings.published_path.resolve()
    digest = hashlib.sha256(before.read_bytes()).hexdigest()
    result = materialise(Settings.from_env(settings.home))
    assert not result.success
    skipped = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SKIPPED"}
    assert "published_warehouse" in skipped or not any(
        e.step_key == "published_warehouse" for e in result.all_events if e.event_type_value == "STEP_SUCCESS")
    assert settings.published_path.resolve() == before
    assert hashlib.sha256(before.read_bytes()).hexdigest() == digest
    assert not list(settings.staging_dir.glob("*.duckdb"))
    _notify_like_the_daemon(Settings.from_env(settings.home), result)
    assert len(webhook) == 1
    text = webhook[0]["markdown"]["content"]
    assert "未发布" in text and "ytd" in text.lower() and "运行报告" in text
    report = Path(text.rsplit("运行报告：", 1)[1].strip())
    assert report.exists() and "质量检查" in report.read_text(encoding="utf-8")


def test_failing_gx_check_blocks_publish(published: Published, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import great_expectations as gx

    import waterwh.quality.validate as validate_mod
    from waterwh.quality.suites import suites

    def with_a_failing_rule() -> list:
        out = suites()
        rule = gx.expectations.ExpectColumnValuesToBeBetween(column="ytd_completed_wan", max_value=0)
        rule.severity = "critical"  # GX's own severity: blocks publishing
        next(s for s in out if s.name == "investment_snapshot").expectations.append(rule)
        return out

    monkeypatch.setattr(validate_mod, "suites", with_a_failing_rule)
    settings = published.copy_home(tmp_path / "home")
    before = settings.published_path.resolve()
    result = materialise(settings)
    assert not result.success
    evaluations = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert not evaluations["gx_investment_snapshot"].passed
    assert evaluations["gx_investment_snapshot"].severity == dg.AssetCheckSeverity.ERROR
    assert not any(e.step_key == "published_warehouse" and e.event_type_value == "STEP_SUCCESS"
                   for e in result.all_events)
    assert settings.published_path.resolve() == before


def _sensor_tick(sensor: dg.SensorDefinition, cursor: str | None) -> dg.SensorResult:
    with dg.instance_for_test() as instance:
        ctx = dg.build_sensor_context(instance=instance, cursor=cursor)
        return sensor(ctx)


def test_landing_sensor_requests_one_run_per_new_content(published: Published, tmp_path: Path) -> None:
    from waterwh.orchestration.definitions import build_definitions

    settings = published.copy_home(tmp_path / "home")
    sensor = build_definitions(settings).get_sensor_def("landing_sensor")
    old = time.time() - 60
    for f in settings.landing_dir.rglob("*"):
        os.utime(f, (old, old))

    first = _sensor_tick(sensor, None)
    assert first.run_requests == [], "everything in landing is already in the published warehouse"

    new = write_xlsx(settings.landing_dir / "新报送.xlsx",
                     {"S": investment_rows("青溪县2026年1月重点项目投资台账", [["1", "新项目", "城关镇"]])})
    os.utime(new, (old, old))
    second = _sensor_tick(sensor, first.cursor)
    assert len(second.run_requests) == 1
    third = _sensor_tick(sensor, second.cursor)
    assert third.run_requests == [], "the same file again starts nothing"

    shutil.copyfile(new, settings.landing_dir / "新报送(副本).xlsx")
    os.utime(settings.landing_dir / "新报送(副本).xlsx", (old, old))
    assert _sensor_tick(sensor, third.cursor).run_requests == [], "same content under another name"


def test_nightly_schedule_is_two_am_shanghai(published: Published) -> None:
    from waterwh.orchestration.definitions import build_definitions

    schedule = build_definitions(published.settings).get_schedule_def("nightly_schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 2 * * *", "Asia/Shanghai")
    assert schedule.job_name == "nightly"

