"""Readers cannot write or wander: `waterwh sql` on the published warehouse refuses every way out
(it once overwrote the published file with COPY … TO), and prints values exactly."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from waterwh.config import Settings
from waterwh.warehouse import open_warehouse


@pytest.fixture
def home(tmp_path: Path) -> Settings:
    """A published warehouse as `waterwh run` leaves it: warehouse/waterwh.duckdb → versions/…"""
    settings = Settings.from_env(tmp_path / "home")
    settings.versions_dir.mkdir(parents=True)
    version = settings.versions_dir / "waterwh-R1.duckdb"
    with duckdb.connect(str(version)) as con:
        con.execute("CREATE SCHEMA marts; CREATE TABLE marts.t AS SELECT 1 AS x, '[bold]红[/]' AS s")
    settings.published_path.symlink_to(version.relative_to(settings.warehouse_dir))
    secrets = settings.home / "superset" / "secrets"
    secrets.mkdir(parents=True)
    (secrets / "secret_key").write_text("do-not-read\n")
    return settings


def sql(settings: Settings, query: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "waterwh.cli", "sql", "--home", str(settings.home), "-c", query],
                          capture_output=True, text=True, check=False, timeout=60)


def digest(path: Path) -> str:
    return hashlib.sha256(path.resolve().read_bytes()).hexdigest()


def escapes(s: Settings) -> list[str]:
    published, version = s.published_path, s.published_path.resolve()
    return [
        f"COPY (SELECT 42 AS x) TO '{published}'",  # overwrote the published warehouse
        f"COPY (SELECT 42 AS x) TO '{version}' (FORMAT parquet)",
        f"COPY marts.t TO '{s.home / 'leak.csv'}'",
        f"EXPORT DATABASE '{s.home / 'export'}'",
        f"ATTACH '{s.home / 'other.duckdb'}' AS other (READ_WRITE)",
        f"ATTACH '{version}' AS again (READ_WRITE)",
        "SELECT * FROM read_text('/etc/shadow')",
        "SELECT * FROM read_text('/proc/self/environ')",
        f"SELECT * FROM read_text('{s.home / 'superset' / 'secrets' / 'secret_key'}')",
        f"SELECT * FROM read_csv('{s.home / 'superset' / 'secrets' / 'secret_key'}')",
        "SELECT * FROM glob('/etc/*')",
        "SET enable_external_access = true",
        "SET memory_limit = '100GB'",
        "SET threads = 64",
        "SET lock_configuration = false",
        "INSTALL httpfs",
        "LOAD httpfs",
        "CREATE TABLE marts.u AS SELECT 1",
        "UPDATE marts.t SET x = 2",
        "DROP TABLE marts.t",
        f"SET profiling_output = '{s.home / 'profile.json'}'",
        f"SET log_query_path = '{s.home / 'queries.log'}'",
        f"CALL enable_logging(storage = 'file', storage_path = '{s.home / 'logs'}')",
        f"SET temp_directory = '{s.home / 'tmp'}'",
    ]


@pytest.mark.parametrize("i", range(24))
def test_each_escape_is_refused_and_the_published_file_is_unchanged(home: Settings, i: int) -> None:
    before = digest(home.published_path)
    query = escapes(home)[i]
    proc = sql(home, query)
    assert proc.returncode == 1, (query, proc.stdout, proc.stderr)
    assert "do-not-read" not in proc.stdout + proc.stderr
    assert digest(home.published_path) == before
    assert sorted(p.name for p in home.home.iterdir()) == ["superset", "warehouse"]  # nothing written beside
    assert sorted(p.name for p in home.versions_dir.iterdir()) == ["waterwh-R1.duckdb"]


def test_every_escape_listed_is_tested() -> None:
    assert len(escapes(Settings.from_env("/nowhere"))) == 24


def test_values_are_printed_exactly(home: Settings) -> None:
    proc = sql(home, "SELECT s, '[/]' AS closing, ':smile:' AS word FROM marts.t")
    assert proc.returncode == 0, proc.stderr
    assert "[bold]红[/]" in proc.stdout and "[/]" in proc.stdout and ":smile:" in proc.stdout


def test_a_reader_connection_keeps_its_limits(home: Settings) -> None:
    with open_warehouse(home.published_path, home, "read") as con:
        settings = dict(con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN "
            "('enable_external_access', 'lock_configuration', 'threads', 'memory_limit')").fetchall())
    assert settings["enable_external_access"] == "false" and settings["lock_configuration"] == "true"
    assert settings["threads"] == str(home.reader_threads)
    with duckdb.connect(config={"memory_limit": home.reader_memory_limit}) as plain:
        [(limit,)] = plain.execute("SELECT current_setting('memory_limit')").fetchall()
    assert settings["memory_limit"] == limit
