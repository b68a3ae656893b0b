"""`waterwh`: the bureau's command line (see shared contract: run, ingest, check, samples, status, sql)."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from waterwh.config import Settings, SettingsError

app = typer.Typer(
    help="waterwh: the water bureau's data warehouse. Ledgers (台账) in, audited marts out.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(highlight=False, soft_wrap=True)  # a log line is not cut mid-number when piped
err = Console(stderr=True, highlight=False, soft_wrap=True)

def _print_version(value: bool) -> None:
    if value:
        console.print(metadata.version("waterwh"))
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                                help="Print the installed version and exit.")] = False) -> None:
    pass


HomeOpt = Annotated[Path | None, typer.Option("--home", help="Warehouse home (default $WATERWH_HOME or ./var).")]


def _settings(home: Path | None) -> Settings:
    try:
        return Settings.from_env(home)
    except SettingsError as exc:  # a wrong environment variable: said at start, naming it
        err.print(f"[red]{exc}[/red]（见 docs/settings.md）")
        raise typer.Exit(2) from exc


def _period(value: str | None):
    if value is None:
        return None
    from waterwh.ingest.periods import period_override

    try:
        return period_override(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def _files_table(files) -> Table:
    t = Table(title="Files", show_lines=False)
    for col in ("file", "ledger", "period", "status", "read", "loaded", "quarantined", "skipped"):
        t.add_column(col, justify="right" if col in ("read", "loaded", "quarantined", "skipped") else "left")
    style = {"loaded": "green", "partial": "yellow", "failed": "red", "unchanged": "dim"}
    for f in files:
        t.add_row(
            f.file_name, f.ledger_type or "—", str(f.period_end or "—"),
            f"[{style.get(f.status, '')}]{f.status}[/]", str(f.total("rows_read")), str(f.total("rows_loaded")),
            str(f.total("rows_quarantined")), str(f.total("rows_skipped")),
        )
    return t


@app.command()
def run(
    landing: Annotated[Path | None, typer.Option(help="Landing folder (default $WATERWH_HOME/landing).")] = None,
    period: Annotated[str | None, typer.Option(help="Override every ledger's period: YYYY-MM.")] = None,
    home: HomeOpt = None,
) -> None:
    """The nightly job: ingest new ledgers, build (dbt), audit (dbt tests + GX), publish atomically."""
    from waterwh import pipeline
    from waterwh.publish import RunLocked
    from waterwh.reporting.summary import print_run

    settings = _settings(home)
    try:
        result = pipeline.run(
            settings, landing=landing, period=_period(period),
            on_stage=lambda s: err.print(f"[dim]· {s}[/]"),
        )
    except RunLocked as exc:
        err.print(f"[bold red]{exc}[/]")
        raise typer.Exit(3) from exc
    print_run(console, settings, result)
    raise typer.Exit(0 if result.published else 1)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Ledger files or folders (read recursively).")],
    period: Annotated[str | None, typer.Option(help="Override every ledger's period: YYYY-MM.")] = None,
    home: HomeOpt = None,
) -> None:
    """Load files into the raw layer of a working copy (not published; `waterwh run` publishes)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from waterwh import publish as pub
    from waterwh.ingest.files import discover, ingest_paths
    from waterwh.warehouse import open_warehouse

    settings = _settings(home)
    target = settings.staging_dir / "ingest.duckdb"
    settings.staging_dir.mkdir(parents=True, exist_ok=True)
    total = len(discover(paths))
    with pub.run_lock(settings):
        if not target.exists() and (current := pub.current_version(settings)) is not None:
            import shutil

            shutil.copyfile(current, target)
        con = open_warehouse(target, settings, "build")
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[rows]} rows"), console=err) as progress:
            task = progress.add_task("ingest", total=total, rows=0)
            rows = 0

            def tick(f) -> None:
                nonlocal rows
                rows += f.total("rows_read")
                progress.update(task, advance=1, rows=rows, description=f.file_name[-40:])

            specs, problems = settings.specs()
            for problem in problems:
                err.print(f"[yellow]{escape(problem)}[/]")
            files = ingest_paths(con, paths, limits=settings.read_limits, on_file=tick, specs=specs)
        con.close()
    console.print(_files_table(files))
    for f in files:
        if f.error:
            err.print(f"[red]{f.file_name}[/]: {f.error}")
        for note in f.supersedes:
            console.print(f"{f.file_name}: {note}", markup=False)
    console.print(f"Loaded into the working copy {target} (not published). `waterwh run` builds and publishes.")
    raise typer.Exit(1 if any(f.status == "failed" for f in files) else 0)


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="One ledger file, as a district clerk would send it.")],
    period: Annotated[str | None, typer.Option(help="Override the period: YYYY-MM.")] = None,
    out: Annotated[Path | None, typer.Option(help="Where to write the annotated copy.")] = None,
) -> None:
    """Validate one ledger without loading it: what was recognised and every problem.

    Writes an annotated copy (FILE.检查标注.xlsx) with the bad cells highlighted and commented."""
    from waterwh.checkfile import check_file

    settings = _settings(None)
    specs, problems = settings.specs()
    for problem in problems:
        err.print(f"[yellow]{escape(problem)}[/]")
    ok = check_file(file, _period(period), console, out, published=settings.published_path,
                    limits=settings.read_limits, specs=specs)
    raise typer.Exit(0 if ok else 1)


@app.command()
def samples(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the sample ledgers into.")],
    scale: Annotated[str, typer.Option(help="small | county | province")] = "small",
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 42,
) -> None:
    """Write realistic, messy sample ledgers of every type, plus answer_key.json."""
    from waterwh.samples import generate

    if scale not in ("small", "county", "province"):
        raise typer.BadParameter("scale must be small, county or province")
    key = generate(out, scale=scale, seed=seed)
    n = sum(1 for p in out.rglob("*") if p.is_file() and p != key)
    console.print(f"Wrote {n} ledger files to {out} and the answer key {key}.")


@app.command()
def specs(
    ledger_type: Annotated[str | None, typer.Argument(help="One ledger type (investment or 项目投资台账).")] = None,
    home: HomeOpt = None,
) -> None:
    """What ledger layouts are known: types, columns, header words, and which come from local specs.

    A bureau teaches waterwh its own header words in $WATERWH_HOME/specs/*.yaml (see docs)."""
    from waterwh.specs_view import print_specs

    settings = _settings(home)
    known, problems = settings.specs()
    raise typer.Exit(print_specs(console, known, problems, str(settings.local_specs_dir), ledger_type))


@app.command()
def status(home: HomeOpt = None) -> None:
    """What is published: when, which load, row counts, checks, quarantined rows."""
    from waterwh.reporting.summary import print_status

    settings = _settings(home)
    raise typer.Exit(print_status(console, settings))


@app.command()
def backup(
    to: Annotated[Path, typer.Option(help="folder to write waterwh-backup-<time>.tar.gz into")] = Path("."),
    home: HomeOpt = None,
) -> None:
    """Archive what cannot be rebuilt: published versions, ledgers, local specs, metadata, secrets."""
    from waterwh.backup import BackupError
    from waterwh.backup import backup as write_backup

    try:
        archive = write_backup(_settings(home), to)
    except BackupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"备份已写入 {archive}（{archive.stat().st_size / 2**20:.1f} MB）")


@app.command()
def restore(
    archive: Annotated[Path, typer.Argument(help="a waterwh-backup-….tar.gz")],
    replace: Annotated[bool, typer.Option(help="replace a home that already has a published warehouse")] = False,
    home: HomeOpt = None,
) -> None:
    """Restore a backup into this home, each file checked against the backup's manifest first."""
    from waterwh.backup import RestoreError
    from waterwh.backup import restore as read_backup

    settings = _settings(home)
    try:
        manifest = read_backup(settings, archive, replace=replace)
    except RestoreError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"已恢复 {len(manifest['files'])} 个文件到 {settings.home}（备份于 {manifest['created']}，"
                  f"当前版本 {manifest['current_version'] or '无'}）")
    configured = {"dagster": settings.dagster_postgres_url, "superset": settings.bi_metadata_url}
    for name, rel in manifest.get("postgresql", {}).items():
        if configured[name]:
            console.print(f"{name} 的元数据已恢复到其 PostgreSQL 数据库")
        else:
            console.print(f"[yellow]{name} 的元数据来自 PostgreSQL，本机未配置其地址：转储保留在 "
                          f"{settings.home / rel}（可用 pg_restore 导入）[/yellow]")


@app.command()
def doctor(home: HomeOpt = None) -> None:
    """Check this deployment (versions, paths, disk, ports, fonts, daemon, last publish, alerts)."""
    from waterwh.doctor import print_doctor

    raise typer.Exit(print_doctor(console, _settings(home)))


@app.command()
def sql(
    query: Annotated[str | None, typer.Option("-c", "--command", help="Run one query and exit.")] = None,
    home: HomeOpt = None,
) -> None:
    """An analyst's SQL shell on the published warehouse, read-only."""
    from waterwh.shell import shell

    raise typer.Exit(shell(_settings(home), query, console))


@app.command()
def rollback(home: HomeOpt = None) -> None:
    """Point readers back at the previously published warehouse."""
    from waterwh import publish as pub

    settings = _settings(home)
    with pub.run_lock(settings):
        target = pub.rollback(settings)
    console.print(f"Readers now see {target.name}.")


@app.command()
def report(
    period: Annotated[str, typer.Option(help="the month, YYYY-MM")],
    kind: Annotated[str, typer.Option(help="investment|funding|water|river|all")] = "all",
    fmt: Annotated[str, typer.Option("--format", help="md|docx|pdf, or several: md,docx,pdf")] = "md",
    out: Annotated[Path | None, typer.Option(help="file to write (default $WATERWH_HOME/reports/通报-<period>-<kind>)")]
    = None,
    home: HomeOpt = None,
) -> None:
    """The monthly 通报 written from the published warehouse; every figure's table and query in the appendix."""
    import re

    from waterwh.reporting import briefing
    from waterwh.warehouse import open_warehouse

    settings = _settings(home)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", period)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise typer.BadParameter(f"「{period}」 is not a month: write YYYY-MM, e.g. 2025-10", param_hint="--period")
    kinds = list(briefing.KINDS) if kind == "all" else [kind]
    formats = [f.strip() for f in fmt.split(",") if f.strip()]
    if any(k not in briefing.KINDS for k in kinds):
        raise typer.BadParameter(f"「{kind}」: choose investment, funding, water, river or all", param_hint="--kind")
    if not formats or any(f not in briefing.FORMATS for f in formats):
        raise typer.BadParameter(f"「{fmt}」: choose md, docx, pdf (or several, comma-separated)",
                                 param_hint="--format")
    if not settings.published_path.exists():
        err.print(f"[bold red]Nothing published yet under {settings.home}[/]: run `waterwh run` first.")
        raise typer.Exit(1)
    end = briefing.month_end(int(m.group(1)), int(m.group(2)))
    con = open_warehouse(settings.published_path, settings, "read")
    try:
        doc = briefing.compose(con, end, kinds)
    except briefing.NoData as exc:
        err.print(f"[bold red]No briefing for {period}[/]: {escape(str(exc))}")
        raise typer.Exit(1) from exc
    finally:
        con.close()
    target = out or settings.reports_dir / f"通报-{end:%Y-%m}-{kind}"
    try:
        written = briefing.write(doc, target, formats)
    except RuntimeError as exc:  # no Chinese font for the PDF
        err.print(f"[bold red]{escape(str(exc))}[/]")
        raise typer.Exit(1) from exc
    console.print(f"{doc.title}: {len(doc.figures)} figures from {len(doc.queries)} queries")
    for path in written:
        console.print(f"  wrote {path}")


bi_app = typer.Typer(help="Superset dashboards (BI).", no_args_is_help=True)
app.add_typer(bi_app, name="bi")


@bi_app.command("setup")
def bi_setup(home: HomeOpt = None) -> None:
    """Register the published warehouse in Superset (read-only) and import the dashboards of bi/assets.

    Idempotent; after editing bi/assets/*.yaml it updates the dashboards in place."""
    from waterwh import bi

    settings = _settings(home)
    if not settings.published_path.exists():
        err.print(f"[bold red]Nothing published yet under {settings.home}[/]: run `waterwh run` or `make demo` first.")
        raise typer.Exit(1)
    try:
        bi.setup(settings, say=console.print)
    except bi.BiNotInstalled as exc:
        err.print(f"[bold red]{exc}[/]")
        raise typer.Exit(2) from exc
    except RuntimeError as exc:
        err.print(f"[bold red]{escape(str(exc))}[/]")
        raise typer.Exit(1) from exc


portal_app = typer.Typer(help="台账报送 portal: accounts and the web server.", no_args_is_help=True)
app.add_typer(portal_app, name="portal")
users_app = typer.Typer(help="The 填报单位's accounts (and the bureau's administrators).", no_args_is_help=True)
portal_app.add_typer(users_app, name="users")


def _new_password(generate: bool) -> str:
    import secrets

    if generate:
        return secrets.token_urlsafe(12)  # shown once the account has it (_say_password)
    return typer.prompt("密码（至少 10 个字符）", hide_input=True, confirmation_prompt=True)


def _say_password(generate: bool, password: str) -> None:
    if generate:
        console.print(f"初始密码（只显示这一次，请经安全渠道交给该单位）：{password}")


@contextmanager
def _portal_records(home: Path | None) -> Iterator[sqlite3.Connection]:
    """The portal's records, committed when the block ends; an AccountError said in Chinese, exit 1."""
    from waterwh.portal.accounts import AccountError
    from waterwh.portal.app import portal_db
    from waterwh.portal.store import connect

    try:
        with connect(portal_db(_settings(home))) as con:
            yield con
    except AccountError as exc:
        err.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(1) from exc


@users_app.command("add")
def portal_users_add(
    username: Annotated[str, typer.Argument(help="账号名")],
    unit: Annotated[str, typer.Option("--unit", help="填报单位名称，如 青溪县水利局")],
    area: Annotated[str | None, typer.Option("--area", help="地区（其台账的 ledger_scope），如 青溪县")] = None,
    types: Annotated[str, typer.Option("--types", help="报送的台账类型，逗号分隔，如 investment,funding")] = "",
    admin: Annotated[bool, typer.Option("--admin", help="局管理员：看报送情况、管理账号")] = False,
    generate: Annotated[bool, typer.Option("--generate-password", help="生成随机密码并显示一次")] = False,
    home: HomeOpt = None,
) -> None:
    """Create an account (there is no default account or password)."""
    from waterwh.portal import accounts

    password = _new_password(generate)
    with _portal_records(home) as con:
        made = accounts.create_account(con, username, password, unit, area,
                                       [t.strip() for t in types.split(",") if t.strip()], is_admin=admin)
    console.print(f"已创建账号「{made.username}」：{made.unit_name}"
                  + ("（局管理员）" if made.is_admin else f"，地区 {made.area}，台账 {'、'.join(made.ledger_types)}"))
    _say_password(generate, password)


@users_app.command("list")
def portal_users_list(home: HomeOpt = None) -> None:
    from waterwh.portal import accounts

    with _portal_records(home) as con:
        rows = accounts.list_accounts(con)
    t = Table(title="报送账号")
    for c in ("账号", "单位", "地区", "台账", "状态"):
        t.add_column(c)
    for r in rows:
        t.add_row(r["username"], r["unit_name"], r["area"] or "（局管理员）", r["ledger_types"],
                  "启用" if r["active"] else "停用")
    console.print(t)


@users_app.command("passwd")
def portal_users_passwd(username: str, generate: Annotated[bool, typer.Option("--generate-password")] = False,
                        home: HomeOpt = None) -> None:
    """Set a new password (the account's sessions end)."""
    from waterwh.portal import accounts

    password = _new_password(generate)
    with _portal_records(home) as con:
        accounts.set_password(con, username, password)
    console.print(f"已为「{username}」设置新密码")
    _say_password(generate, password)


@users_app.command("disable")
def portal_users_disable(username: str, enable: Annotated[bool, typer.Option("--enable")] = False,
                         home: HomeOpt = None) -> None:
    """Stop (or with --enable, restore) an account's logins; its submissions stay on record."""
    from waterwh.portal import accounts

    with _portal_records(home) as con:
        accounts.set_active(con, username, enable)
    console.print(f"账号「{username}」已{'启用' if enable else '停用'}")


@portal_app.command("serve")
def portal_serve(port: Annotated[int | None, typer.Option("--port")] = None,
                 host: Annotated[str, typer.Option("--host")] = "127.0.0.1", home: HomeOpt = None) -> None:
    """Serve the portal (uvicorn) on localhost:$WATERWH_PORTAL_PORT (8090)."""
    import uvicorn

    from waterwh.config import environment
    from waterwh.portal.app import create_app

    settings = _settings(home)
    uvicorn.run(create_app(settings), host=host, port=port or environment().portal_port,
                proxy_headers=True, forwarded_allow_ips="127.0.0.1", log_level="info")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
