"""Accounts of the 填报单位, their passwords (Argon2id), sessions and the login rate limit."""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from waterwh.ingest.spec import load_specs

MIN_PASSWORD_LENGTH = 10
SESSION_HOURS = 8  # a working day; then log in again
# Failed logins within WINDOW before the next attempt is refused: per account name, and per client
# address (one address trying many names).
WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_CLIENT = 20

_hasher = PasswordHasher()  # argon2-cffi's defaults: Argon2id, RFC 9106's low-memory profile


class AccountError(ValueError):
    """A request about accounts that cannot be done, in Chinese for the person who made it."""


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    unit_name: str
    area: str | None
    ledger_types: tuple[str, ...]
    is_admin: bool

    @classmethod
    def of(cls, row: sqlite3.Row) -> Account:
        return cls(row["id"], row["username"], row["unit_name"], row["area"],
                   tuple(t for t in row["ledger_types"].split(",") if t), bool(row["is_admin"]))


def _now() -> datetime:
    return datetime.now(UTC)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"密码至少 {MIN_PASSWORD_LENGTH} 个字符")


def create_account(con: sqlite3.Connection, username: str, password: str, unit_name: str, area: str | None,
                   ledger_types: list[str], is_admin: bool = False) -> Account:
    """A 填报单位's account bound to its area and ledger types, or an administrator (no area)."""
    username = username.strip()
    if not re.fullmatch(r"\w[\w.-]{1,39}", username):
        raise AccountError(f"账号名「{username}」不可用：2 至 40 个字母、汉字、数字或 _ . -，不以 . 或 - 开头")
    _check_password(password)
    known = {s.ledger_type for s in load_specs()}
    unknown = [t for t in ledger_types if t not in known]
    if unknown:
        raise AccountError(f"未知的台账类型：{'、'.join(unknown)}（可选：{'、'.join(sorted(known))}）")
    if not is_admin and (not area or not ledger_types):
        raise AccountError("填报单位的账号须指定地区和报送的台账类型")
    if con.execute("SELECT 1 FROM accounts WHERE username = ?", [username]).fetchone():
        raise AccountError(f"账号「{username}」已存在")
    cur = con.execute(
        "INSERT INTO accounts (username, unit_name, area, ledger_types, is_admin, password_hash, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [username, unit_name, None if is_admin else area, ",".join(ledger_types), int(is_admin),
         _hasher.hash(password), _now().isoformat()])
    return get_account(con, int(cur.lastrowid or 0))


def set_password(con: sqlite3.Connection, username: str, password: str) -> None:
    _check_password(password)
    if not con.execute("UPDATE accounts SET password_hash = ? WHERE username = ?",
                       [_hasher.hash(password), username]).rowcount:
        raise AccountError(f"没有账号「{username}」")
    con.execute("DELETE FROM sessions WHERE account_id = (SELECT id FROM accounts WHERE username = ?)", [username])


def set_active(con: sqlite3.Connection, username: str, active: bool) -> None:
    if not con.execute("UPDATE accounts SET active = ? WHERE username = ?", [int(active), username]).rowcount:
        raise AccountError(f"没有账号「{username}」")
    if not active:
        con.execute("DELETE FROM sessions WHERE account_id = (SELECT id FROM accounts WHERE username = ?)",
                    [username])


def get_account(con: sqlite3.Connection, account_id: int) -> Account:
    return Account.of(con.execute("SELECT * FROM accounts WHERE id = ?", [account_id]).fetchone())


def list_accounts(con: sqlite3.Connection) -> list[sqlite3.Row]:
    return con.execute("SELECT * FROM accounts ORDER BY is_admin DESC, area, username").fetchall()


def login_refused(con: sqlite3.Connection, username: str, client: str) -> bool:
    """Too many recent failures for this name or from this client."""
    since = (_now() - WINDOW).isoformat()
    con.execute("DELETE FROM login_failures WHERE at < ?", [since])
    [(by_name, by_client)] = con.execute(
        "SELECT count(*) FILTER (WHERE username = ?), count(*) FILTER (WHERE client = ?) FROM login_failures",
        [username, client]).fetchall()
    return by_name >= MAX_FAILURES_PER_NAME or by_client >= MAX_FAILURES_PER_CLIENT


def authenticate(con: sqlite3.Connection, username: str, password: str, client: str) -> Account | None:
    """The active account with this name and password; a failure is counted for the rate limit."""
    row = con.execute("SELECT * FROM accounts WHERE username = ? AND active = 1", [username]).fetchone()
    ok = False
    if row is not None:
        try:
            ok = _hasher.verify(row["password_hash"], password)
        except (VerificationError, InvalidHashError):
            ok = False
    else:
        _hasher.hash(password)  # as slow as a wrong password: the answer's time does not tell names apart
    if not ok:
        con.execute("INSERT INTO login_failures VALUES (?, ?, ?)", [username, client, _now().isoformat()])
        return None
    con.execute("DELETE FROM login_failures WHERE username = ?", [username])
    if _hasher.check_needs_rehash(row["password_hash"]):
        con.execute("UPDATE accounts SET password_hash = ? WHERE id = ?", [_hasher.hash(password), row["id"]])
    return Account.of(row)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(con: sqlite3.Connection, account: Account) -> str:
    """A new session (a fresh token at every login: a token planted before login is worthless)."""
    token = secrets.token_urlsafe(32)
    now = _now()
    con.execute("DELETE FROM sessions WHERE expires_at < ?", [now.isoformat()])
    con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                [_digest(token), account.id, secrets.token_urlsafe(32), now.isoformat(),
                 (now + timedelta(hours=SESSION_HOURS)).isoformat()])
    return token


def session_of(con: sqlite3.Connection, token: str | None) -> tuple[Account, str] | None:
    """The account and CSRF token of a live session."""
    if not token:
        return None
    row = con.execute(
        "SELECT a.*, s.csrf_token FROM sessions AS s JOIN accounts AS a ON a.id = s.account_id "
        "WHERE s.token_sha256 = ? AND s.expires_at > ? AND a.active = 1", [_digest(token), _now().isoformat()]
    ).fetchone()
    return (Account.of(row), row["csrf_token"]) if row else None


def end_session(con: sqlite3.Connection, token: str | None) -> None:
    if token:
        con.execute("DELETE FROM sessions WHERE token_sha256 = ?", [_digest(token)])
