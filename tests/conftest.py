"""Shared fixtures: one real nightly run on generated sample ledgers, reused by the e2e tests."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from waterwh import pipeline
from waterwh.config import Settings

_GROUPS_LOST = pytest.StashKey[str]()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Notice a `--dist loadgroup` run whose tests lost their group: each group's module fixtures
    (a Superset, a Spark session, a dbt build) would then be built once per worker, silently doubling
    CI time. pytest-xdist names a grouped test `path::test@group` on the worker that collected it."""
    if not getattr(session.config.option, "loadgroup", False):
        return
    lost = [i.nodeid for i in session.items if i.get_closest_marker("xdist_group") and "@" not in i.nodeid]
    if lost:
        session.config.stash[_GROUPS_LOST] = (
            f"pytest-xdist did not group {len(lost)} tests marked xdist_group (e.g. {lost[0]}): "
            "this pytest and pytest-xdist do not work together; see the pin in pyproject.toml")


def pytest_runtest_setup(item: pytest.Item) -> None:
    # failing every test says why (an error raised during a worker's collection only crashes it)
    if item.config.stash.get(_GROUPS_LOST, None):
        pytest.fail(item.config.stash[_GROUPS_LOST], pytrace=False)


@dataclass
class Published:
    settings: Settings
    answer: dict[str, Any]
    result: pipeline.RunResult

    def copy_home(self, dest: Path) -> Settings:
        """A private copy of this warehouse home (symlinks kept) for tests that change it."""
        shutil.copytree(self.settings.home, dest, symlinks=True)
        return Settings.from_env(dest)


def let_in_a_row_ingest_now_refuses(settings: Settings) -> None:
    """A 年度累计 far above its 开工以来累计 in the published warehouse's raw layer, as an older
    release let it in (ingest now quarantines such a row): the next night's build still carries it
    to the marts, where dbt's and GX's checks must stop the publish."""
    import duckdb

    with duckdb.connect(str(settings.published_path.resolve())) as con:
        con.execute("""
            UPDATE raw.investment_ledger SET ytd_completed = since_start_completed + 5000
            WHERE (load_id, source_sheet, source_row) IN (
                SELECT (load_id, source_sheet, source_row) FROM raw.investment_ledger
                WHERE since_start_completed IS NOT NULL AND load_id IN (
                    SELECT load_id FROM audit.ledger_versions WHERE is_current)
                ORDER BY report_period_end DESC, load_id, source_row LIMIT 1)
        """)


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    from waterwh.samples import generate

    home = tmp_path_factory.mktemp("home")
    settings = Settings.from_env(home)
    samples = home / "samples"
    key = generate(samples, scale="small", seed=42)
    shutil.copytree(samples, settings.landing_dir, ignore=shutil.ignore_patterns("answer_key.json"))
    result = pipeline.run(settings)
    assert result.published, result.message
    return Published(settings, json.loads(key.read_text(encoding="utf-8")), result)
