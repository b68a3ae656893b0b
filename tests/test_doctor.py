"""`waterwh doctor` on homes as IT staff meet them: a fresh one, one published last night, one whose
nightly runs stopped publishing, one whose alerts do not arrive, one whose Dagster daemon is down."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
from rich.console import Console

from tests.postgres import postgres_server
from waterwh.config import Settings
from waterwh.doctor import FAIL, OK, diagnose, print_doctor
from waterwh.ingest.schema import ensure_schema


def _home(tmp_path: Path, published_hours_ago: float | None) -> Settings:
    settings = Settings(home=tmp_path / "home")
    for d in (settings.landing_dir, settings.versions_dir):
        d.mkdir(parents=True)
    if published_hours_ago is not None:
        version = settings.versions_dir / "waterwh-r1.duckdb"
        finished = datetime.now(settings.timezone).replace(tzinfo=None) - timedelta(hours=published_hours_ago)
        with duckdb.connect(str(version)) as con:
            ensure_schema(con)
            con.execute("INSERT INTO audit.runs (run_id, started_at, finished_at, outcome, published) "
                        "VALUES ('r1', ?, ?, 'published', TRUE)", [finished - timedelta(minutes=3), finished])
        settings.published_path.symlink_to(version)
    return settings


def _status(settings: Settings) -> dict[str, tuple[str, str]]:
    return {f.check: (f.status, f.said) for f in diagnose(settings)}


def test_a_home_published_last_night_is_well(tmp_path: Path) -> None:
    found = _status(_home(tmp_path, published_hours_ago=5))
    assert found["最近一次发布"][0] == OK
    assert all(found[c][0] == OK for c in ("DuckDB 版本", "数据目录 WATERWH_HOME", "报送目录 landing", "磁盘空间"))


def test_a_fresh_home_and_a_missed_night_need_fixing(tmp_path: Path) -> None:
    fresh = Settings(home=tmp_path / "fresh")
    found = _status(fresh)
    assert found["数据目录 WATERWH_HOME"][0] == FAIL and found["最近一次发布"][0] == FAIL
    stale = _home(tmp_path, published_hours_ago=50)
    status, said = _status(stale)["最近一次发布"]
    assert status == FAIL and "超过一天没有发布" in said
    console = Console(record=True, width=200)
    assert print_doctor(console, stale) == 1 and "需处理" in console.export_text()


def test_alerts_that_did_not_arrive_and_a_stopped_daemon_are_reported(tmp_path: Path) -> None:
    settings = _home(tmp_path, published_hours_ago=5)
    entry = {"at": "2026-12-07T02:15:00+08:00", "run_id": "r9", "subject": "未发布", "body": "", "report": None,
             "sinks": {"webhook": "failed after 1 attempt(s): errcode 310000: sign not match"}}
    settings.notifications_log.write_text(json.dumps(entry, ensure_ascii=False) + "\n", encoding="utf-8")
    settings.dagster_home.mkdir()
    (settings.dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    found = _status(settings)
    assert found["告警送达"][0] == FAIL and "errcode 310000" in found["告警送达"][1]
    assert found["Dagster 守护进程"] == (FAIL, "没有心跳：dagster-daemon 没有运行，夜间运行不会开始（请启动守护进程）")


def test_metadata_in_postgresql_is_checked_and_an_unreachable_one_named(tmp_path: Path) -> None:
    settings = _home(tmp_path, published_hours_ago=5)
    found = _status(settings)
    assert found["Dagster 元数据"][0] == OK and "SQLite" in found["Dagster 元数据"][1]
    assert "单进程" in found["Superset 元数据"][1]
    with postgres_server("dagster", "superset") as urls:
        live = replace(settings, dagster_postgres_url=urls["dagster"], bi_metadata_url=urls["superset"], bi_workers=3)
        found = _status(live)
        assert found["Dagster 元数据"][0] == OK and "/dagster 可连接" in found["Dagster 元数据"][1]
        assert found["Superset 元数据"] == (OK, found["Superset 元数据"][1])
        assert "Superset 3 个进程" in found["Superset 元数据"][1]
    gone = _status(live)  # the server stopped: said, naming the setting, without the password
    assert gone["Dagster 元数据"][0] == FAIL and "WATERWH_DAGSTER_POSTGRES_URL" in gone["Dagster 元数据"][1]
    assert gone["Superset 元数据"][0] == FAIL and "无法连接" in gone["Superset 元数据"][1]
