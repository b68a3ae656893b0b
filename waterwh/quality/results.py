"""What one check (a dbt test or a GX expectation) found. Kept apart from the suites: importing
Great Expectations takes ~3 s, and the nightly job needs this type long before it validates."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CheckResult:
    suite: str
    name: str
    severity: str  # error | warn
    passed: bool
    failures: int
    message: str
