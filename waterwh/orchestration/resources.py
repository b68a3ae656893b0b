"""The one Dagster resource: an open `NightlyRun` shared by every step of a run.

Dagster's in-process executor initialises a resource once per run, so all assets of a run see
the same staging file, the same check results and the run lock, exactly like `waterwh run`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import dagster as dg
from pydantic import PrivateAttr

from waterwh.config import Settings
from waterwh.pipeline import NightlyRun, new_run_id


class NightlyRunResource(dg.ConfigurableResource):
    """Opens one nightly run for the Dagster run that uses it (lock, staging file, results)."""

    home: str

    _run: NightlyRun | None = PrivateAttr(default=None)

    @property
    def settings(self) -> Settings:
        return Settings.from_env(self.home)

    @property
    def run(self) -> NightlyRun:
        if self._run is None:
            raise dg.Failure("the nightly run is not open (the resource was not initialised for this run)")
        return self._run

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[NightlyRunResource]:
        settings = self.settings
        dagster_run_id = context.run.run_id if context.run else "adhoc"
        # sortable like the CLI's run ids, and findable from the Dagster run (reports, notifications)
        run_id = f"{new_run_id(datetime.now(settings.timezone))}-{dagster_run_id[:8]}"
        log = context.log
        with NightlyRun(
            settings, run_id=run_id, on_stage=lambda s: log.info(f"stage: {s}") if log else None, notify=False
        ) as nightly:
            self._run = nightly
            try:
                yield self
            finally:
                self._run = None
