"""All settings in one typed place: paths, timezone, units, limits.

Every other module receives a `Settings` instance; nothing reads the environment on its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# 1 亿元 = 10,000 万元; 1 万元 = 10,000 元. Amounts are stored in 万元.
UNIT_TO_WAN: dict[str, float] = {"元": 0.0001, "万元": 1.0, "亿元": 10000.0}


@dataclass(frozen=True)
class Settings:
    home: Path
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    dbt_project_dir: Path = PROJECT_ROOT / "dbt_project"
    specs_dir: Path = PROJECT_ROOT / "ingest" / "specs"
    max_file_bytes: int = 200 * 1024 * 1024
    keep_published: int = 5
    # A publish whose fact row count falls below this share of the previous one is stopped.
    min_row_share_vs_previous: float = 0.5

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
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def lock_path(self) -> Path:
        return self.home / "run.lock"

    @classmethod
    def from_env(cls, home: str | os.PathLike[str] | None = None) -> Settings:
        raw = home or os.environ.get("WATERWH_HOME") or PROJECT_ROOT / "var"
        return cls(home=Path(raw).resolve())
