"""All settings in one typed place: paths, timezone, units, limits.

Every other module receives a `Settings` instance; nothing reads the environment on its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from ingest.isolation import ReadLimits
    from ingest.spec import LedgerSpec

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# 1 亿元 = 10,000 万元; 1 万元 = 10,000 元. Amounts are stored in 万元.
UNIT_TO_WAN: dict[str, float] = {"元": 0.0001, "万元": 1.0, "亿元": 10000.0}


@dataclass(frozen=True)
class Settings:
    home: Path
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    dbt_project_dir: Path = PROJECT_ROOT / "dbt_project"
    specs_dir: Path = PROJECT_ROOT / "ingest" / "specs"
    # dbt with dbt-spark + pyspark, in its own environment (`make spark`): the Spark parity check
    spark_dbt: Path = PROJECT_ROOT / ".venv-spark" / "bin" / "dbt"
    # What one file may ask of the reader (ingest/isolation.py); a file beyond any limit is refused,
    # saying which.
    max_file_bytes: int = 200 * 1024 * 1024
    max_uncompressed_bytes: int = 1024 * 1024 * 1024  # an xlsx's parts, unzipped, as declared
    max_compression_ratio: float = 200.0
    max_sheets: int = 500
    max_rows: int = 1_048_576  # per sheet
    max_columns: int = 2_000  # per sheet
    max_read_memory_bytes: int = 4 * 1024 * 1024 * 1024  # the reading process's address space
    max_read_seconds: float = 300.0  # per file
    keep_published: int = 5
    # DuckDB's memory for the build (ingest, dbt, checks); beyond it, it spills to staging/.
    # Its default, 80 % of RAM, let a province build peak at 7 GB on a 2-core, 4 GB-target machine.
    duckdb_memory_limit: str = "2GB"
    # Each reader's connection (waterwh sql, status, 通报, Superset): memory and threads it may use.
    reader_memory_limit: str = "1GB"
    reader_threads: int = 2
    # A publish whose fact row count falls below this share of the previous one is stopped.
    min_row_share_vs_previous: float = 0.5
    # The month's 通报 written after each publish into reports/ (empty: none). The PDF (3 s of font
    # subsetting) is written on demand: `waterwh report --format pdf`.
    briefing_formats: tuple[str, ...] = ("md", "docx")
    # Where a failed run is reported besides the log file (notifications.jsonl, always written).
    notify: NotifySettings = field(default_factory=lambda: NotifySettings())

    @property
    def local_specs_dir(self) -> Path:
        """A bureau's own header and cell words, extending the shipped specs (`waterwh specs`)."""
        return self.home / "specs"

    def specs(self) -> tuple[tuple[LedgerSpec, ...], list[str]]:
        """The ledger specs in use, and why any local spec file was left out."""
        from ingest.spec import load_specs, with_local_specs

        return with_local_specs(load_specs(self.specs_dir), self.local_specs_dir)

    @property
    def read_limits(self) -> ReadLimits:
        from ingest.isolation import ReadLimits

        return ReadLimits(self.max_file_bytes, self.max_uncompressed_bytes, self.max_compression_ratio,
                          self.max_sheets, self.max_rows, self.max_columns,
                          max_memory_bytes=self.max_read_memory_bytes, max_seconds=self.max_read_seconds)

    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def warehouse_dir(self) -> Path:
        return self.home / "warehouse"

    @property
    def published_path(self) -> Path:
        """What readers open: a symlink to the current versioned file."""
        return self.warehouse_dir / "waterwh.duckdb"

    @property
    def versions_dir(self) -> Path:
        return self.warehouse_dir / "versions"

    @property
    def staging_dir(self) -> Path:
        return self.home / "staging"

    @property
    def staging_db(self) -> Path:
        """The file a run builds. One fixed name (runs are serialised by the run lock), so dbt's
        profile does not change between runs and dbt can parse partially."""
        return self.staging_dir / "warehouse.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def notifications_log(self) -> Path:
        return self.home / "notifications.jsonl"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def lock_path(self) -> Path:
        return self.home / "run.lock"

    @classmethod
    def from_env(cls, home: str | os.PathLike[str] | None = None) -> Settings:
        raw = home or os.environ.get("WATERWH_HOME") or PROJECT_ROOT / "var"
        return cls(home=Path(raw).resolve(), notify=NotifySettings.from_env())


@dataclass(frozen=True)
class NotifySettings:
    """Failure notifications. A webhook (企业微信/钉钉 robot, or any URL taking JSON) and SMTP are
    optional; the log file under $WATERWH_HOME is always written."""

    webhook_url: str | None = None
    webhook_kind: str = "json"  # json | wecom | dingtalk
    webhook_secret: str | None = None  # a 钉钉 robot's 加签 secret (SEC…)
    attempts: int = 4  # per sink, the first included; transient failures only
    backoff_seconds: float = 2.0  # waits 2, 4, 8 … seconds (at most 60) between attempts
    smtp_host: str | None = None
    smtp_port: int = 25
    email_from: str = "waterwh@localhost"
    email_to: tuple[str, ...] = ()

    @classmethod
    def from_env(cls) -> NotifySettings:
        env = os.environ.get
        smtp = env("WATERWH_NOTIFY_SMTP")  # host[:port]
        host, _, port = (smtp or "").partition(":")
        return cls(
            webhook_url=env("WATERWH_NOTIFY_WEBHOOK") or None,
            webhook_kind=env("WATERWH_NOTIFY_WEBHOOK_KIND", "json"),
            webhook_secret=env("WATERWH_NOTIFY_WEBHOOK_SECRET") or None,
            attempts=int(env("WATERWH_NOTIFY_ATTEMPTS", "4")),
            backoff_seconds=float(env("WATERWH_NOTIFY_BACKOFF_SECONDS", "2")),
            smtp_host=host or None,
            smtp_port=int(port or 25),
            email_from=env("WATERWH_NOTIFY_EMAIL_FROM", "waterwh@localhost"),
            email_to=tuple(a.strip() for a in env("WATERWH_NOTIFY_EMAIL_TO", "").split(",") if a.strip()),
        )
