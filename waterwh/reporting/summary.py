"""What the CLI prints after a run and for `waterwh status`."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from waterwh.config import Settings
from waterwh.run_result import RunResult
from waterwh.warehouse import open_warehouse


def yi(wan: object) -> str:
    """万元 → "24.02亿元" the way the bureau writes large sums."""
    if wan is None:
        return "—"
    v = Decimal(str(wan))
    return f"{v / 10000:,.2f}亿元" if abs(v) >= 10000 else f"{v:,.2f}万元"


def pct(x: object) -> str:
    return "—" if x is None else f"{float(x) * 100:.2f}%"  # type: ignore[arg-type]


def print_run(console: Console, settings: Settings, r: RunResult) -> None:
    files = r.files
    by = {s: sum(1 for f in files if f.status == s) for s in ("loaded", "partial", "failed", "unchanged")}
    console.print(f"[bold]Run {r.run_id}[/]  outcome: [bold]{r.outcome}[/]")
    console.print(
        f"Files: {len(files)} seen — {by['loaded']} loaded, {by['partial']} partial, "
        f"{by['failed']} failed, {by['unchanged']} unchanged"
    )
    console.print(
        "Rows: "
        f"{sum(f.total('rows_loaded') for f in files)} loaded, "
        f"{sum(f.total('rows_quarantined') for f in files)} quarantined, "
        f"{sum(f.total('rows_skipped') for f in files)} skipped "
        f"(of {sum(f.total('rows_read') for f in files)} read)"
    )
    for f in files:
        if f.status == "failed":
            console.print(f"  [red]✗ {escape(f.file_name)}[/]: {escape(f.error or '')}")
        for note in f.supersedes:
            console.print(f"  ↻ {escape(f.file_name)}: {escape(note)}")
    passed = sum(1 for c in r.checks if c.passed)
    console.print(
        f"Checks: {passed} passed, {len(r.checks_failed)} failed (blocking), {len(r.checks_warned)} warnings"
    )
    for c in r.checks_warned[:10]:
        console.print(f"  [yellow]! {escape(f'[{c.suite}] {c.name}')}[/]: {escape(c.message)}")
    if r.headline:
        h = r.headline
        console.print(
            f"Headline ({h['report_period_end']}): {h['project_count']}个项目，总投资{yi(h['total_investment_wan'])}，"
            f"年度计划{yi(h['annual_plan_wan'])}，累计完成{yi(h['ytd_completed_wan'])}，"
            f"占年度计划的{pct(h['ytd_completion_rate'])}；开工率{pct(h['start_rate'])}；"
            f"{h['on_schedule_count']}项达到序时进度，{h['behind_schedule_count']}项较序时进度有差距"
        )
    if r.published:
        console.print(f"[green]Published[/] {settings.published_path} → {r.published_path}")
        for path in r.briefing:
            console.print(f"Briefing (通报): {path}")
        if r.briefing_note:
            console.print(f"[yellow]{escape(r.briefing_note)}[/]")
    else:
        console.print(f"[bold red]Not published.[/] {escape(r.message)}")
        console.print(f"The previously published warehouse is unchanged: {settings.published_path}")


def _print_failed_deliveries(console: Console, settings: Settings) -> None:
    """Alerts a sink did not take (waterwh/notify.py): the people who should know may not."""
    from waterwh.notify import failed_deliveries

    failed = failed_deliveries(settings)
    if not failed:
        return
    last = failed[-1]
    sinks = (last.get("sinks") or {}).items()
    why = "；".join(f"{sink}：{how}" for sink, how in sinks if str(how).startswith("failed"))
    console.print(f"[red]告警未送达：最近 20 条通知中有 {len(failed)} 条未送达[/red]（最近一条 {last['at']}，"
                  f"运行 {last['run_id']}：{why}）。请检查 WATERWH_NOTIFY_* 设置；全文见 {settings.notifications_log}")


def print_status(console: Console, settings: Settings) -> int:
    path = settings.published_path
    _print_failed_deliveries(console, settings)
    if not path.exists():
        console.print(f"Nothing published yet under {settings.home}. Run `waterwh run` (or `make demo`).")
        return 1
    con = open_warehouse(path, settings, "read")
    try:
        run = con.execute(
            "SELECT run_id, finished_at, outcome, checks_passed, checks_failed, checks_warned, code_version "
            "FROM audit.runs WHERE published ORDER BY finished_at DESC LIMIT 1"
        ).fetchall()
        run = run[0] if run else None
        console.print(f"Published warehouse: {path} → {path.resolve().name}")
        if run:
            console.print(
                f"Last publish: run {run[0]} at {run[1]} ({run[2]}), code {run[6]}; "
                f"checks {run[3]} passed, {run[4]} failed, {run[5]} warnings"
            )
        t = Table(title="Marts")
        t.add_column("table")
        t.add_column("rows", justify="right")
        for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY 1"
        ).fetchall():
            n = con.execute(f'SELECT count(*) FROM marts."{name}"').fetchall()[0][0]
            t.add_row(name, str(n))
        console.print(t)
        q = con.execute(
            "SELECT count(*) FILTER (WHERE action = 'row_rejected'), count(*) FILTER (WHERE action = 'cell_nulled') "
            "FROM audit.quarantine"
        ).fetchall()[0]
        f = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE status = 'failed') FROM "
            "(SELECT DISTINCT ON (sha256) status FROM audit.file_loads ORDER BY sha256, loaded_at DESC)"
        ).fetchall()[0]
        console.print(f"Files: {f[0]} distinct, {f[1]} failed. Quarantine: {q[0]} rows rejected, {q[1]} cells nulled.")
    finally:
        con.close()
    return 0
