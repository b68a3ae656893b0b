"""`waterwh backup` and `waterwh restore`: a home backed up, lost, restored on another server reads
the same published warehouse, keeps its ledgers, specs, metadata and secrets (owner-only), and a
damaged archive restores nothing."""

from __future__ import annotations

import hashlib
import io
import sqlite3
import tarfile
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from waterwh import publish as pub
from waterwh.backup import RestoreError, backup, restore
from waterwh.cli import app
from waterwh.config import Settings
from waterwh.ingest.schema import ensure_schema


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _home(root: Path) -> Settings:
    """A home as a bureau's server has it after some nights."""
    settings = Settings(home=root / "home")
    settings.versions_dir.mkdir(parents=True)
    for run in ("r1", "r2"):
        with duckdb.connect(str(settings.versions_dir / f"waterwh-{run}.duckdb")) as con:
            ensure_schema(con)
            con.execute("INSERT INTO audit.runs (run_id, published) VALUES (?, TRUE)", [run])
    pub.point_at(settings, settings.versions_dir / "waterwh-r1.duckdb")  # r1 current (r2 rolled back)
    (settings.landing_dir / "青溪县").mkdir(parents=True)
    (settings.landing_dir / "青溪县" / "投资台账.xlsx").write_bytes(b"PK\x03\x04 a ledger as sent")
    settings.local_specs_dir.mkdir()
    (settings.local_specs_dir / "本局表头.yaml").write_text("ledger_type: investment\n", encoding="utf-8")
    secrets = settings.home / "superset" / "secrets"
    secrets.mkdir(parents=True)
    (secrets / "admin_password").write_text("s3cret", encoding="utf-8")
    with sqlite3.connect(settings.home / "superset" / "superset.db") as db:
        db.execute("CREATE TABLE dashboards (title TEXT)")
        db.execute("INSERT INTO dashboards VALUES ('投资进展')")
    (settings.home / "staging").mkdir()
    (settings.home / "staging" / "warehouse.duckdb").write_bytes(b"rebuilt every night")
    return settings


def test_a_home_restored_on_another_server_is_the_same(tmp_path: Path) -> None:
    old = _home(tmp_path / "a")
    from waterwh.portal import accounts
    from waterwh.portal.app import portal_db
    from waterwh.portal.store import connect

    with connect(portal_db(old)) as con:  # the portal's accounts (open: WAL mode, as while it serves)
        accounts.create_account(con, "qingxi", "qingxi-2026-report", "青溪县水利局", "青溪县", ["investment"])
        con.commit()  # in the write-ahead log, not yet in the database file
        archive = backup(old, tmp_path / "backups")
    assert archive.name.startswith("waterwh-backup-") and not list(archive.parent.glob("*.partial"))
    new = Settings(home=tmp_path / "b" / "home")
    manifest = restore(new, archive)
    assert new.published_path.resolve().name == "waterwh-r1.duckdb" == manifest["current_version"]
    for rel in ("warehouse/versions/waterwh-r1.duckdb", "warehouse/versions/waterwh-r2.duckdb",
                "landing/青溪县/投资台账.xlsx", "specs/本局表头.yaml", "superset/secrets/admin_password"):
        assert _digest(new.home / rel) == _digest(old.home / rel), rel
    with sqlite3.connect(new.home / "superset" / "superset.db") as db:
        assert db.execute("SELECT title FROM dashboards").fetchall() == [("投资进展",)]
    with connect(portal_db(new)) as con:
        assert accounts.authenticate(con, "qingxi", "qingxi-2026-report", "test") is not None
    assert (new.home / "portal").stat().st_mode & 0o077 == 0
    assert (new.home / "superset" / "secrets" / "admin_password").stat().st_mode & 0o077 == 0
    assert not (new.home / "staging").exists()  # rebuilt by the next run, not kept
    with duckdb.connect(str(new.published_path), read_only=True) as con:
        assert con.execute("SELECT run_id FROM audit.runs").fetchall() == [("r1",)]


def test_a_restore_never_replaces_a_published_home_unasked_nor_restores_a_damaged_archive(tmp_path: Path) -> None:
    old = _home(tmp_path / "a")
    archive = backup(old, tmp_path / "backups")
    with pytest.raises(RestoreError, match="--replace"):
        restore(old, archive)
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member) if member.isfile() else None
            if member.name.endswith("本局表头.yaml"):
                content = b"ledger_type: funding\n"
                member.size = len(content)
                data = io.BytesIO(content)
            dst.addfile(member, data)
    new = Settings(home=tmp_path / "c" / "home")
    with pytest.raises(RestoreError, match="校验不符"):
        restore(new, damaged)
    assert not new.published_path.exists() and not (new.home / "specs").exists()


def test_the_commands(tmp_path: Path) -> None:
    old = _home(tmp_path / "a")
    runner = CliRunner()
    made = runner.invoke(app, ["backup", "--to", str(tmp_path / "out"), "--home", str(old.home)])
    assert made.exit_code == 0 and "备份已写入" in made.output, made.output
    [archive] = (tmp_path / "out").glob("waterwh-backup-*.tar.gz")
    again = runner.invoke(app, ["restore", str(archive), "--home", str(old.home)])
    assert again.exit_code == 1 and "--replace" in again.output
    done = runner.invoke(app, ["restore", str(archive), "--replace", "--home", str(old.home)])
    assert done.exit_code == 0 and "已恢复" in done.output, done.output


def test_metadata_in_postgresql_is_dumped_and_restored_into_the_configured_database(tmp_path: Path) -> None:
    import psycopg2

    from tests.postgres import postgres_server

    with postgres_server("dagster", "superset") as urls:
        settings = replace(_home(tmp_path / "old"), dagster_postgres_url=urls["dagster"],
                           bi_metadata_url=urls["superset"])
        for url, row in ((urls["dagster"], "run-1"), (urls["superset"], "投资进展")):
            with psycopg2.connect(url) as con, con.cursor() as cur:
                cur.execute("CREATE TABLE kept (name TEXT)")
                cur.execute("INSERT INTO kept VALUES (%s)", [row])
        archive = backup(settings, tmp_path / "backups")
        for url in urls.values():  # the database server lost its data
            with psycopg2.connect(url) as con, con.cursor() as cur:
                cur.execute("DROP TABLE kept")
        new = replace(Settings(home=tmp_path / "new" / "home"), dagster_postgres_url=urls["dagster"],
                      bi_metadata_url=urls["superset"])
        manifest = restore(new, archive)
        assert manifest["postgresql"] == {"dagster": "postgresql/dagster.dump", "superset": "postgresql/superset.dump"}
        for url, row in ((urls["dagster"], "run-1"), (urls["superset"], "投资进展")):
            with psycopg2.connect(url) as con, con.cursor() as cur:
                cur.execute("SELECT name FROM kept")
                assert cur.fetchall() == [(row,)]
    assert (new.home / "postgresql" / "dagster.dump").stat().st_mode & 0o777 == 0o600
