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


@dataclass
class Published:
    settings: Settings
    answer: dict[str, Any]
    result: pipeline.RunResult

    def copy_home(self, dest: Path) -> Settings:
        """A private copy of this warehouse home (symlinks kept) for tests that change it."""
        shutil.copytree(self.settings.home, dest, symlinks=True)
        return Settings.from_env(dest)


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
