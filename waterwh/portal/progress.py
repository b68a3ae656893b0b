"""What became of each submission in the published warehouse, and the bureau's 报送情况 matrix:
填报单位 × ledger type × period, from the expected-ledgers seed the run report's missing list uses."""

from __future__ import annotations

import csv
import json
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from waterwh.config import PACKAGE_DIR, Settings
from waterwh.ingest.schema import STATUS_ZH
from waterwh.warehouse import open_warehouse

EXPECTED_LEDGERS = PACKAGE_DIR / "dbt_project" / "seeds" / "expected_ledgers.csv"
MONTHS_PER_PERIOD = {"month": 1, "quarter": 3, "half": 6, "year": 12}  # as rpt_missing_ledgers steps
CELL_ZH = {"loaded": "已入库", "forwarded": "已报送", "rejected": "退回", "missing": "未报送"}


@dataclass
class Loaded:
    status: str  # audit.file_loads.status, 中文
    rows_loaded: int
    rows_quarantined: int
    loaded_at: str
    published_at: str | None
    superseded_by: str | None
    load_id: str


def _published(settings: Settings) -> Path | None:
    path = settings.published_path
    return path if path.exists() else None


def loads_of(settings: Settings, sha256s: list[str]) -> dict[str, Loaded]:
    """The latest load of each file (by content) in the published warehouse, and when the run that
    loaded it published."""
    path = _published(settings)
    if path is None or not sha256s:
        return {}
    with open_warehouse(path, settings, "read") as con:
        rows = con.execute("""
            SELECT f.sha256, f.status, f.rows_loaded, f.rows_quarantined, f.loaded_at, r.finished_at,
                   f.superseded_by, f.load_id
            FROM audit.file_loads AS f LEFT JOIN audit.runs AS r ON r.run_id = f.run_id AND r.published
            WHERE f.sha256 IN (SELECT unnest(?)) AND f.status <> 'unchanged'
            QUALIFY row_number() OVER (PARTITION BY f.sha256 ORDER BY f.loaded_at DESC) = 1
        """, [sha256s]).fetchall()
    return {sha: Loaded(STATUS_ZH.get(status, status), loaded or 0, quarantined or 0, str(at)[:19],
                        str(pub)[:19] if pub else None, superseded, load_id)
            for sha, status, loaded, quarantined, at, pub, superseded, load_id in rows}


def quarantined_rows(settings: Settings, load_id: str, limit: int = 200) -> list[tuple]:
    path = _published(settings)
    if path is None:
        return []
    with open_warehouse(path, settings, "read") as con:
        return con.execute(
            "SELECT sheet, coalesce(column_letter, '') || row_number, header, raw_value, reason, action "
            "FROM audit.quarantine WHERE load_id = ? ORDER BY sheet, row_number LIMIT ?", [load_id, limit]
        ).fetchall()


@dataclass(frozen=True)
class Duty:
    ledger_type: str
    area: str
    frequency: str
    first_period_end: date
    last_period_end: date | None


def duties() -> list[Duty]:
    with EXPECTED_LEDGERS.open(encoding="utf-8") as f:
        return [Duty(r["ledger_type"], r["ledger_scope"], r["frequency"], date.fromisoformat(r["first_period_end"]),
                     date.fromisoformat(r["last_period_end"]) if r["last_period_end"] else None)
                for r in csv.DictReader(f)]


def _month_end(year: int, month: int) -> date:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def due_periods(duty: Duty, today: date, last: int) -> list[date]:
    """The `last` period ends of a duty that have passed by `today`, oldest first."""
    step = MONTHS_PER_PERIOD[duty.frequency]
    out, k = [], 0
    while True:
        months = duty.first_period_end.year * 12 + duty.first_period_end.month - 1 + k * step
        end = _month_end(months // 12, months % 12 + 1)
        if end >= today or (duty.last_period_end and end > duty.last_period_end):
            break
        out.append(end)
        k += 1
    return out[-last:]


@dataclass
class Cell:
    ledger_type: str
    area: str
    period_end: date
    state: str  # loaded | forwarded | rejected | missing
    units: list[str]

    @property
    def label(self) -> str:
        return CELL_ZH[self.state]


def matrix(con: sqlite3.Connection, settings: Settings, last: int = 6) -> list[Cell]:
    """Each expected ledger of the last `last` periods due, with its state: 已入库 when a current
    version is in the published warehouse (sent through the portal or not), else 已报送 when a
    submission was forwarded, 退回 when the latest was refused, else 未报送."""
    today = datetime.now(settings.timezone).date()
    current: set[tuple[str, str, str]] = set()
    path = _published(settings)
    if path is not None:
        try:
            with open_warehouse(path, settings, "read") as wh:
                current = {(t, a, str(e)) for t, a, e in wh.execute(
                    "SELECT DISTINCT ledger_type, ledger_scope, report_period_end FROM audit.ledger_versions "
                    "WHERE is_current").fetchall()}
        except duckdb.Error:
            current = set()
    sent: dict[tuple[str, str, str], str] = {}
    units: dict[str, list[str]] = {}
    for row in con.execute("SELECT s.status, s.ledger_keys, a.unit_name, a.area FROM submissions AS s "
                           "JOIN accounts AS a ON a.id = s.account_id ORDER BY s.id"):
        for t, _, end in json.loads(row["ledger_keys"]):
            key = (t, row["area"], end)
            if row["status"] in ("forwarded", "superseded"):
                sent[key] = "forwarded"
            elif row["status"] == "rejected" and sent.get(key) != "forwarded":
                sent[key] = "rejected"  # (awaiting the clerk's confirmation: not sent yet)
    for row in con.execute("SELECT unit_name, area, ledger_types FROM accounts WHERE NOT is_admin AND active"):
        for t in row["ledger_types"].split(","):
            units.setdefault(f"{t}|{row['area']}", []).append(row["unit_name"])
    cells = []
    for duty in duties():
        for end in due_periods(duty, today, last):
            key = (duty.ledger_type, duty.area, str(end))
            state = "loaded" if key in current else sent.get(key, "missing")
            cells.append(Cell(duty.ledger_type, duty.area, end, state,
                              units.get(f"{duty.ledger_type}|{duty.area}", [])))
    return cells
