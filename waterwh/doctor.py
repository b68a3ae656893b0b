"""`waterwh doctor`: check a deployment and say what to fix, in plain words.

Each check gives 正常, 注意 or 需处理 and, unless all is well, what to do. It reads and never
writes: no warehouse is opened for writing, no Dagster storage is created where there is none.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from rich.console import Console
from rich.table import Table

from waterwh.config import SUPERSET_VENV, Settings

OK, WARN, FAIL = "正常", "注意", "需处理"
DUCKDB_VERSION = "2.0.0"  # every environment that opens the warehouse (pyproject, the Superset lock)
# the nightly run starts at 02:00 (orchestration/sensors.py): a publish older than this is a missed night
PUBLISH_MAX_AGE = timedelta(hours=26)
HEARTBEAT_MAX_AGE_SECONDS = 300
PORTS = {"Dagster": 3000, "Superset": 8088}


@dataclass(frozen=True)
class Finding:
    check: str
    status: str
    said: str


def _versions(settings: Settings) -> list[Finding]:
    found = [metadata.version("duckdb")]
    said = [f"本环境 duckdb {found[0]}"]
    superset = SUPERSET_VENV / "bin" / "python"
    if superset.exists():
        out = subprocess.run([str(superset), "-c", "import duckdb; print(duckdb.__version__)"],
                             capture_output=True, text=True, timeout=60, check=False)
        version = out.stdout.strip() or "（无法读取）"
        found.append(version)
        said.append(f"Superset 环境 duckdb {version}")
    if any(v != DUCKDB_VERSION for v in found):
        return [Finding("DuckDB 版本", FAIL, "、".join(said) + f"：打开数据仓库的每个环境都须是 {DUCKDB_VERSION}"
                        "（重新执行安装，或 make setup bi）")]
    return [Finding("DuckDB 版本", OK, "、".join(said))]


def _paths(settings: Settings) -> list[Finding]:
    out = []
    for name, path, writable in (("数据目录 WATERWH_HOME", settings.home, True),
                                 ("报送目录 landing", settings.landing_dir, False),
                                 ("仓库目录 warehouse", settings.warehouse_dir, True)):
        if not path.is_dir():
            out.append(Finding(name, FAIL, f"{path} 不存在：请创建，或检查 WATERWH_HOME"))
        elif not _can(path, writable):
            need = "读写" if writable else "读取"
            out.append(Finding(name, FAIL, f"{path} 当前用户无法{need}：请调整属主或权限"))
        else:
            out.append(Finding(name, OK, str(path)))
    return out


def _can(path: Path, write: bool) -> bool:
    return os.access(path, os.R_OK | os.X_OK | (os.W_OK if write else 0))


def _disk(settings: Settings) -> list[Finding]:
    if not settings.home.is_dir():
        return []
    free = shutil.disk_usage(settings.home).free
    published = settings.published_path
    size = published.resolve().stat().st_size if published.exists() else 0
    # a night builds a new file beside the published one and keeps `keep_published` versions
    need = size * (settings.keep_published + 2)
    said = (f"可用 {free / 2**30:.1f} GB，仓库 {size / 2**30:.2f} GB"
            f"（保留 {settings.keep_published} 个版本并构建新版约需 {need / 2**30:.1f} GB）")
    if size and free < need:
        return [Finding("磁盘空间", FAIL, said + "：请清理或扩容，否则夜间运行将无处写入")]
    return [Finding("磁盘空间", OK, said)]


def _ports(settings: Settings) -> list[Finding]:
    out = []
    for name, port in PORTS.items():
        with socket.socket() as s:
            s.settimeout(0.5)
            listening = s.connect_ex(("127.0.0.1", port)) == 0
        idle = "没有服务在监听：如应在本机运行，请启动对应服务（systemctl 或 make serve）"
        out.append(Finding(f"{name} 端口 {port}", OK if listening else WARN, "有服务在监听" if listening else idle))
    return out


def _fonts(settings: Settings) -> list[Finding]:
    from waterwh.reporting.briefing.render_pdf import NoChineseFont, find_font

    try:
        file, _ = find_font()
    except NoChineseFont as exc:
        return [Finding("通报 PDF 字体", FAIL, str(exc))]
    return [Finding("通报 PDF 字体", OK, file)]


def _daemon(settings: Settings) -> list[Finding]:
    home = settings.dagster_home
    if not (home / "dagster.yaml").exists() and not (home / "storage").exists():
        return [Finding("Dagster 守护进程", WARN,
                        f"{home} 下没有 Dagster 实例：夜间定时和报送监测需要 dagster-daemon 在运行")]
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(home)) as instance:
        beats = instance.get_daemon_heartbeats()
    if not beats:
        return [Finding("Dagster 守护进程", FAIL,
                        "没有心跳：dagster-daemon 没有运行，夜间运行不会开始（请启动守护进程）")]
    age = time.time() - max(b.timestamp for b in beats.values())
    if age > HEARTBEAT_MAX_AGE_SECONDS:
        return [Finding("Dagster 守护进程", FAIL, f"最后一次心跳在 {age / 60:.0f} 分钟前：守护进程已停止，请重新启动")]
    return [Finding("Dagster 守护进程", OK, f"{len(beats)} 个守护进程，最后心跳 {age:.0f} 秒前")]


def _last_publish(settings: Settings) -> list[Finding]:
    from waterwh.warehouse import open_warehouse

    if not settings.published_path.exists():
        return [Finding("最近一次发布", FAIL, "尚未发布：请运行 waterwh run，或检查夜间运行为何没有发布")]
    con = open_warehouse(settings.published_path, settings, "read")
    try:
        [(finished,)] = con.execute("SELECT max(finished_at) FROM audit.runs WHERE published").fetchall()
    finally:
        con.close()
    if finished is None:
        return [Finding("最近一次发布", FAIL, "数据仓库中没有发布记录：请运行 waterwh run")]
    now = datetime.now(settings.timezone).replace(tzinfo=None)
    age = now - finished
    said = f"{finished:%Y-%m-%d %H:%M}（{age.total_seconds() / 3600:.0f} 小时前）"
    if age > PUBLISH_MAX_AGE:
        return [Finding("最近一次发布", FAIL, said + "：超过一天没有发布，请查看 waterwh status 和运行报告")]
    return [Finding("最近一次发布", OK, said)]


def _alerts(settings: Settings) -> list[Finding]:
    from waterwh.notify import failed_deliveries

    failed = failed_deliveries(settings)
    if not failed:
        configured = settings.notify.webhook_url or settings.notify.smtp_host
        unset = "未配置企业微信/钉钉/邮件告警（WATERWH_NOTIFY_*）：运行失败时无人知晓"
        return [Finding("告警送达", OK if configured else WARN, "最近的告警均已送达" if configured else unset)]
    last = failed[-1]
    return [Finding("告警送达", FAIL, f"最近 20 条通知中 {len(failed)} 条未送达（最近 {last['at']}：{last['sinks']}）："
                                      "请检查 WATERWH_NOTIFY_* 设置和网络")]


def _metadata(settings: Settings) -> list[Finding]:
    """Where Dagster and Superset keep their metadata, and whether a PostgreSQL one answers."""
    from waterwh.bi import workers

    out = []
    for check, url, variable, sqlite in (
            ("Dagster 元数据", settings.dagster_postgres_url, "WATERWH_DAGSTER_POSTGRES_URL",
             f"SQLite（{settings.dagster_home}，单机）"),
            ("Superset 元数据", settings.bi_metadata_url, "WATERWH_BI_METADATA_URL",
             f"SQLite（{settings.home / 'superset'}）：单进程，适合少量同时使用的用户；多人使用请设置 "
             "WATERWH_BI_METADATA_URL 为 PostgreSQL")):
        if not url:
            out.append(Finding(check, OK, sqlite))
            continue
        parts = urlsplit(url)
        where = f"PostgreSQL {parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"
        try:
            import psycopg2  # installed with dagster-postgres

            psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://"), connect_timeout=5).close()
        except Exception as exc:  # the driver's own errors differ by cause; each is said as it is
            out.append(Finding(check, FAIL, f"{where} 无法连接（{variable}）：{str(exc).strip()[:200]}"))
            continue
        extra = f"，Superset {workers(settings)} 个进程" if variable == "WATERWH_BI_METADATA_URL" else ""
        out.append(Finding(check, OK, f"{where} 可连接{extra}"))
    return out


CHECKS: tuple[Callable[[Settings], list[Finding]], ...] = (
    _versions, _paths, _disk, _ports, _fonts, _daemon, _metadata, _last_publish, _alerts)


def diagnose(settings: Settings) -> list[Finding]:
    findings: list[Finding] = []
    for check in CHECKS:
        try:
            findings += check(settings)
        except Exception as exc:  # one check that cannot run must not hide the others
            findings.append(Finding(check.__name__.strip("_"), FAIL, f"检查本身出错：{type(exc).__name__}: {exc}"))
    return findings


def print_doctor(console: Console, settings: Settings) -> int:
    """The findings as a table; 1 when anything needs fixing."""
    findings = diagnose(settings)
    table = Table(title=f"waterwh doctor：{settings.home}")
    for column in ("检查项", "状态", "说明"):
        table.add_column(column)
    colour = {OK: "green", WARN: "yellow", FAIL: "red"}
    for f in findings:
        table.add_row(f.check, f"[{colour[f.status]}]{f.status}[/{colour[f.status]}]", f.said)
    console.print(table)
    failing = [f for f in findings if f.status == FAIL]
    console.print(f"{len(failing)} 项需处理。" if failing else "全部正常（“注意”项请按需处理）。")
    return 1 if failing else 0
