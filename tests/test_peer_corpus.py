"""Other libraries' odd files (`../shared/peer-corpus`, see its README): corrupt, truncated,
password-protected and legacy workbooks, pivot tables, strict OOXML, .ods/.xlsb, CSVs in odd
encodings, with NUL bytes, quoted line breaks… Nobody on this project wrote them.

`waterwh check` must end every one with a message and a verdict — no traceback, hang or killed
process — in under 30 s; a nightly run over a landing folder holding all of them beside the
samples publishes the samples' figures unchanged. The corpus is found at $WATERWH_PEER_CORPUS or
beside the checkout (../shared/peer-corpus); without it these tests are skipped, saying so.
"""

from __future__ import annotations

import io
import os
import shutil
import time
from pathlib import Path

import pytest
from rich.console import Console

from tests.conftest import Published
from tests.test_e2e import q
from waterwh import pipeline
from waterwh.checkfile import check_file

PROJECT_ROOT = Path(__file__).resolve().parents[1]  # the checkout

CORPUS = Path(os.environ.get("WATERWH_PEER_CORPUS") or PROJECT_ROOT.parent / "shared" / "peer-corpus")
pytestmark = pytest.mark.skipif(not (CORPUS / "MANIFEST.tsv").exists(),
                                reason=f"the peer corpus is not at {CORPUS} (set WATERWH_PEER_CORPUS)")


def corpus_files() -> list[str]:
    if not (CORPUS / "MANIFEST.tsv").exists():
        return []
    lines = (CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [line.split("\t", 1)[0] for line in lines if line.strip()]


@pytest.fixture(scope="module")
def corpus_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy: `check` writes its annotated copies next to the file."""
    target = tmp_path_factory.mktemp("peer") / "corpus"
    shutil.copytree(CORPUS, target, ignore=shutil.ignore_patterns("LICENSES", "*.md", "*.tsv"))
    return target


def test_the_corpus_is_whole() -> None:
    assert len(corpus_files()) == 292


@pytest.mark.parametrize("name", corpus_files())
def test_check_ends_every_file_with_a_message(corpus_copy: Path, name: str) -> None:
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None)
    started = time.monotonic()
    verdict = check_file(corpus_copy / name, None, console)
    took = time.monotonic() - started
    text = out.getvalue()
    assert isinstance(verdict, bool)
    assert took < 30, f"{name}: {took:.0f} s"
    assert "Traceback" not in text
    assert text.strip().splitlines()[-1].startswith(("未发现问题", "发现问题")), text[-500:]


@pytest.mark.e2e
@pytest.mark.xdist_group("e2e")
def test_a_night_with_the_whole_corpus_publishes_the_samples_figures(published: Published, tmp_path: Path) -> None:
    settings = published.copy_home(tmp_path / "home")
    shutil.rmtree(settings.warehouse_dir)  # a first night: every ledger and every odd file at once
    skipped = shutil.ignore_patterns("LICENSES", "*.md", "*.tsv")
    shutil.copytree(CORPUS, settings.landing_dir / "外来文件", ignore=skipped)
    result = pipeline.run(settings)
    assert result.published, result.message
    figures = {  # what the samples report, without the load ids a second night gives
        "rpt_investment_summary": "*", "rpt_funding_summary": "*",
        "fct_indicator_value": "indicator_code, area_name, period_start, period_end, target_value, actual_value",
        "fct_patrol": "chief_level, river_name, patrol_date, issues_found, handling_status",
    }
    for mart, columns in figures.items():
        sql = f"SELECT {columns} FROM marts.{mart} ORDER BY ALL"
        assert q(published, sql) == q_settings(settings, sql), mart
    odd = [f for f in result.files if f.file_name.startswith("外来文件/")]
    assert len(odd) == len(corpus_files())
    assert all(f.status in ("failed", "loaded", "partial", "unchanged") for f in odd)
    assert all(f.error for f in odd if f.status == "failed")


def q_settings(settings, sql: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    from waterwh.warehouse import open_warehouse

    with open_warehouse(settings.published_path, settings, "read") as con:
        return con.execute(sql).fetchall()
