"""What one nightly run did: read by the pipeline that fills it, the run report, `waterwh status` and
the alerts (kept apart from the pipeline, so that what reports on a run does not import what runs it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from waterwh.ingest.batch import FileResult
from waterwh.quality.results import CheckResult


@dataclass
class RunResult:
    run_id: str
    started_at: datetime
    finished_at: datetime | None = None
    outcome: str = "running"  # published, failed_checks, failed_build, failed_ingest, error
    published: bool = False
    published_path: Path | None = None
    files: list[FileResult] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    message: str = ""
    headline: dict[str, object] = field(default_factory=dict)
    previous_headline: dict[str, object] = field(default_factory=dict)
    report_path: Path | None = None
    data_docs: Path | None = None  # Great Expectations Data Docs of this run
    briefing: list[Path] = field(default_factory=list)  # the month's 通报, written after a publish
    briefing_note: str = ""  # why there is none, or what was left out
    spec_problems: list[str] = field(default_factory=list)  # local spec files left out, and why

    @property
    def checks_failed(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed and c.severity == "error"]

    @property
    def checks_warned(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed and c.severity == "warn"]
