"""Settings in one typed place: every environment variable the code reads is declared in
waterwh/config.py (an operator's setting in `Environment`, or one waterwh sets for its own processes),
docs/settings.md is generated from it, and a wrong value stops waterwh at start, naming it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from waterwh.cli import app
from waterwh.config import INTERNAL_VARIABLES, Environment, settings_table

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["waterwh", "Makefile", "deploy"]


def _declared() -> list[re.Pattern[str]]:
    names = [f"WATERWH_{n.upper()}" for n in Environment.model_fields]
    names += [n.strip() for key in INTERNAL_VARIABLES for n in key.split(",")]
    return [re.compile(re.escape(n).replace(r"\*", "[A-Z_]+").replace("<USER>", "[A-Z]+") + "$") for n in names]


def test_the_settings_table_is_generated_from_the_settings() -> None:
    assert (ROOT / "docs" / "settings.md").read_text(encoding="utf-8") == settings_table(), \
        "run: python -m waterwh.config > docs/settings.md"


def test_every_environment_variable_the_code_reads_is_declared() -> None:
    declared = _declared()
    found = set()
    for source in SOURCES:
        path = ROOT / source
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file() and p.suffix in
                                                (".py", ".sql", ".yml", ".yaml", ".sh", ".service", ".env", "")]
        for file in files:
            found |= set(re.findall(r"WATERWH_[A-Z][A-Z_]*[A-Z]", file.read_text(encoding="utf-8", errors="ignore")))
    found -= {"WATERWH_BI", "WATERWH_NOTIFY", "WATERWH_SPARK"}  # prefixes ("WATERWH_NOTIFY_*", f"WATERWH_BI_{…}")
    undeclared = sorted(v for v in found if not any(p.match(v) for p in declared))
    assert not undeclared, f"declare these in waterwh/config.py: {undeclared}"


@pytest.mark.parametrize(("variable", "value", "said"), [
    ("WATERWH_NOTIFY_ATTEMPTS", "abc", "应为整数"),
    ("WATERWH_NOTIFY_BACKOFF_SECONDS", "-1", "应不小于 0"),
    ("WATERWH_NOTIFY_WEBHOOK_KIND", "slack", "之一"),
    ("WATERWH_NOTIFY_WEBHOOK", "ftp://robot", "http://"),
    ("WATERWH_NOTIFY_SMTP", "mail:abc", "host:port"),
])
def test_a_wrong_value_stops_waterwh_at_start_naming_the_variable(
        variable: str, value: str, said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(variable, value)
    result = CliRunner().invoke(app, ["status", "--home", str(tmp_path)])
    assert result.exit_code == 2
    assert f"环境变量 {variable} 的值「{value}」无效" in result.output and said in result.output
