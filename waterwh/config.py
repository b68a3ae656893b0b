"""All settings in one typed place: paths, timezone, units, limits.

Every other module receives a `Settings` instance; nothing reads the environment on its own.
The environment variables an operator may set are the fields of `Environment` (pydantic-settings:
each with its default and its check; a wrong value stops waterwh at start, naming the variable);
`docs/settings.md` is generated from it (`python -m waterwh.config > docs/settings.md`).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from waterwh.ingest.isolation import ReadLimits
    from waterwh.ingest.spec import LedgerSpec

# The dbt project, the ledger specs and the BI assets are package data, found beside this module in a
# checkout and in an installed wheel alike.
PACKAGE_DIR = Path(__file__).resolve().parent
# The environments sit side by side: the core's (this interpreter's), Superset's `.venv-superset` and
# Spark's `.venv-spark` — in a checkout (`make setup bi`) and in an offline install (`install.sh PREFIX`).
ENVIRONMENTS_DIR = Path(sys.prefix).parent
SUPERSET_VENV = ENVIRONMENTS_DIR / ".venv-superset"


class SettingsError(ValueError):
    """An environment variable with a value waterwh cannot use (message in Chinese, naming it)."""


class Environment(BaseSettings):
    """Every environment variable an operator may set (prefix WATERWH_), its default and its check."""

    model_config = SettingsConfigDict(env_prefix="WATERWH_", extra="ignore", frozen=True)

    home: Path | None = Field(None, description="数据目录：报送、仓库、报告、元数据都在其下（默认：安装目录的 var/）")
    notify_webhook: str | None = Field(None, description="告警机器人地址（企业微信/钉钉群机器人，或接收 JSON 的地址）")
    notify_webhook_kind: Literal["json", "wecom", "dingtalk"] = Field(
        "json", description="机器人类型：wecom（企业微信）、dingtalk（钉钉）或 json")
    notify_webhook_secret: str | None = Field(None, description="钉钉机器人「加签」的密钥（SEC 开头）")
    notify_attempts: int = Field(4, ge=1, le=20, description="每个告警渠道最多尝试次数（仅对暂时性失败重试）")
    notify_backoff_seconds: float = Field(2.0, ge=0, le=600, description="重试等待的起始秒数，每次加倍，最多 60 秒")
    notify_smtp: str | None = Field(None, description="发告警邮件的 SMTP 服务器，host 或 host:port")
    notify_email_from: str = Field("waterwh@localhost", description="告警邮件的发件人")
    notify_email_to: str = Field("", description="告警邮件的收件人，逗号分隔")
    dagster_port: int = Field(3000, ge=1, le=65535, description="Dagster 网页端口（make serve）")
    bi_port: int = Field(8088, ge=1, le=65535, description="Superset 端口（make serve）")
    docs_port: int = Field(8080, ge=1, le=65535, description="dbt 文档端口（make docs）")
    portal_port: int = Field(8090, ge=1, le=65535, description="台账报送页面端口（make serve）")
    bi_query_timeout: int = Field(60, ge=1, le=3600, description="Superset 单个查询的超时秒数")
    bi_metadata_url: str | None = Field(
        None, description="Superset 元数据库（用户、看板）的 PostgreSQL 地址 postgresql://用户:密码@主机/库；"
                          "不设则为 $WATERWH_HOME/superset 下的 SQLite（单进程，适合少量用户）")
    bi_workers: int = Field(4, ge=1, le=64,
                            description="Superset 的 gunicorn 进程数（仅用 PostgreSQL 元数据时；SQLite 时为 1）")
    dagster_postgres_url: str | None = Field(
        None, description="Dagster 实例（运行记录、定时、传感器）的 PostgreSQL 地址；"
                          "不设则为 $WATERWH_HOME/dagster 下的 SQLite（单机）")

    @field_validator("notify_webhook")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("应以 http:// 或 https:// 开头")
        return value or None

    @field_validator("bi_metadata_url", "dagster_postgres_url")
    @classmethod
    def _postgres(cls, value: str | None) -> str | None:
        if value and not value.startswith(("postgresql://", "postgresql+psycopg2://")):
            raise ValueError("应以 postgresql:// 开头（PostgreSQL 的连接地址）")
        return value or None

    @field_validator("notify_smtp")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        _, _, port = (value or "").partition(":")
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            raise ValueError("应为 host 或 host:port，端口 1-65535")
        return value or None


# Set by waterwh for the processes it starts, or by its tests: not settings, listed so that a reader
# of `env` on a server knows each one.
INTERNAL_VARIABLES = {
    "WATERWH_BUILD_DB": "the file dbt builds (set for dbt by waterwh and Dagster)",
    "WATERWH_DBT_MACROS_SHA": "the dbt macros' hash, for partial parsing (set for dbt)",
    "WATERWH_DUCKDB_MEMORY_LIMIT": "DuckDB's memory for the build (set for dbt from Settings)",
    "WATERWH_SUPERSET_HOME": "Superset's metadata and logs (set for Superset by waterwh)",
    "WATERWH_BI_DISTRICT_USERS": "district users, passed to Superset's provisioning (from access/districts.yaml)",
    "WATERWH_BI_<USER>_PASSWORD": "generated passwords, passed to Superset's provisioning (from superset/secrets/)",
    "WATERWH_RAW_PARQUET, WATERWH_SPARK_*": "the Spark parity check's inputs (set by it)",
    "WATERWH_PAUSE_AT": "tests only: pause a run at a named point (crash-safety tests)",
    "WATERWH_SCREENSHOT_DIR, WATERWH_PEER_CORPUS": "tests only: where screenshots go, where the peer corpus is",
}


def environment() -> Environment:
    """The environment, checked; SettingsError naming the first variable with a wrong value."""
    try:
        return Environment()
    except ValidationError as exc:
        e = exc.errors()[0]
        name, ctx = "WATERWH_" + str(e["loc"][0]).upper(), e.get("ctx") or {}
        expected = {"int_parsing": "应为整数", "float_parsing": "应为数字",
                    "greater_than_equal": f"应不小于 {ctx.get('ge')}", "less_than_equal": f"应不大于 {ctx.get('le')}",
                    "literal_error": f"应为 {ctx.get('expected')} 之一"}.get(e["type"])
        said = expected or str(e["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"环境变量 {name} 的值「{e.get('input')}」无效：{said}") from exc


def settings_table() -> str:
    """docs/settings.md: the variables an operator may set, and the ones waterwh sets itself."""
    lines = ["# Environment variables", "",
             "Generated from `waterwh.config.Environment` (`python -m waterwh.config > docs/settings.md`); "
             "a test keeps the two equal. A wrong value stops waterwh at start, naming the variable.", "",
             "| variable | default | allowed | meaning |", "|---|---|---|---|"]
    for name, f in Environment.model_fields.items():
        kind = getattr(f.annotation, "__args__", None)
        if kind and all(isinstance(k, str) for k in kind):  # a Literal: its words
            allowed = " \\| ".join(kind)
        else:
            bounds = [f"{sign} {getattr(m, attr)}" for m in f.metadata
                      for attr, sign in (("ge", "≥"), ("le", "≤")) if hasattr(m, attr)]
            allowed = " ".join([getattr(f.annotation, "__name__", "text").replace("str", "text"), *bounds])
        default = f"`{f.default}`" if f.default not in (None, "") else ""
        lines.append(f"| `WATERWH_{name.upper()}` | {default} | {allowed} | {f.description} |")
    lines += ["", "Set by waterwh for the processes it starts, or by its tests (not settings):", "",
              "| variable | what |", "|---|---|"]
    lines += [f"| `{k}` | {v} |" for k, v in INTERNAL_VARIABLES.items()]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Settings:
    home: Path
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    dbt_project_dir: Path = PACKAGE_DIR / "dbt_project"
    specs_dir: Path = PACKAGE_DIR / "ingest" / "specs"
    # dbt with dbt-spark + pyspark, in its own environment (`make spark`): the Spark parity check
    spark_dbt: Path = ENVIRONMENTS_DIR / ".venv-spark" / "bin" / "dbt"
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
    # Metadata of the servers: PostgreSQL when given, else SQLite files under home (one writer at a
    # time: Superset then runs one gunicorn worker, whatever bi_workers says).
    dagster_postgres_url: str | None = None
    bi_metadata_url: str | None = None
    bi_workers: int = 4

    @property
    def local_specs_dir(self) -> Path:
        """A bureau's own header and cell words, extending the shipped specs (`waterwh specs`)."""
        return self.home / "specs"

    def specs(self) -> tuple[tuple[LedgerSpec, ...], list[str]]:
        """The ledger specs in use, and why any local spec file was left out."""
        from waterwh.ingest.spec import load_specs, with_local_specs

        return with_local_specs(load_specs(self.specs_dir), self.local_specs_dir)

    @property
    def read_limits(self) -> ReadLimits:
        from waterwh.ingest.isolation import ReadLimits

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
        env = environment()
        raw = home or env.home or ENVIRONMENTS_DIR / "var"
        return cls(home=Path(raw).resolve(), notify=NotifySettings.from_env(env),
                   dagster_postgres_url=env.dagster_postgres_url, bi_metadata_url=env.bi_metadata_url,
                   bi_workers=env.bi_workers)


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
    def from_env(cls, env: Environment | None = None) -> NotifySettings:
        env = env or environment()
        host, _, port = (env.notify_smtp or "").partition(":")
        return cls(
            webhook_url=env.notify_webhook,
            webhook_kind=env.notify_webhook_kind,
            webhook_secret=env.notify_webhook_secret,
            attempts=env.notify_attempts,
            backoff_seconds=env.notify_backoff_seconds,
            smtp_host=host or None,
            smtp_port=int(port or 25),
            email_from=env.notify_email_from,
            email_to=tuple(a.strip() for a in env.notify_email_to.split(",") if a.strip()),
        )


def env_file() -> str:
    """deploy/waterwh.env: every setting, commented, at its default (WATERWH_HOME set for a server)."""
    lines = ["# waterwh's settings for its systemd units (EnvironmentFile=/etc/waterwh/waterwh.env).",
             "# Generated from waterwh.config.Environment (python -m waterwh.config --env-file); see docs/settings.md.",
             "# Uncomment and set what differs from the default. Owner-only: a webhook secret may be here.", ""]
    for name, f in Environment.model_fields.items():
        lines.append(f"# {f.description}")
        if name == "home":
            lines += ["WATERWH_HOME=/var/lib/waterwh", ""]
            continue
        lines += [f"#WATERWH_{name.upper()}={'' if f.default is None else f.default}", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(env_file() if sys.argv[1:] == ["--env-file"] else settings_table())
