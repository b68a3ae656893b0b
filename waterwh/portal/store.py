"""The portal's own records, in SQLite under $WATERWH_HOME/portal: accounts, sessions, submissions
and the audit log. Separate from the warehouse, which the portal only reads (DuckDB allows one
writer; the nightly run is it)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    unit_name TEXT NOT NULL,            -- 填报单位
    area TEXT,                          -- the area its ledgers are of (NULL: the bureau's administrators)
    ledger_types TEXT NOT NULL DEFAULT '',  -- comma-separated ledger types it reports
    is_admin INTEGER NOT NULL DEFAULT 0,
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_sha256 TEXT PRIMARY KEY,      -- the cookie's value is never stored
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (
    username TEXT NOT NULL,
    client TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_at ON login_failures (at);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    original_name TEXT NOT NULL,        -- as the clerk's browser sent it (shown, never used as a path)
    file_name TEXT NOT NULL,            -- the name it is checked and landed under (made safe)
    stored_path TEXT NOT NULL,          -- under portal/uploads, a generated name
    sha256 TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    uploaded_at TEXT NOT NULL,
    status TEXT NOT NULL,               -- rejected | awaiting_confirmation | forwarded | superseded
    verdict TEXT NOT NULL,
    check_json TEXT NOT NULL,           -- what the check found (the page is drawn from it)
    annotated_path TEXT,
    ledger_keys TEXT NOT NULL DEFAULT '[]',  -- JSON [[type, area, period_end], ...]
    landing_path TEXT,
    forwarded_at TEXT,
    superseded_by INTEGER REFERENCES submissions(id)
);
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    account_id INTEGER,
    username TEXT,
    client TEXT,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
"""


def receipt_no(submission_id: int) -> str:
    """The submission number a clerk quotes (报送编号)."""
    return f"BS{submission_id:06d}"


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """One connection per request: committed when the block ends, rolled back on an error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA foreign_keys = ON")
    con.execute("PRAGMA journal_mode = WAL")  # pages read while an upload is being recorded
    try:
        con.executescript(SCHEMA)
        yield con
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.close()
