"""Superset for leadership dashboards: its own environment, secrets under $WATERWH_HOME, provisioning.

Superset pins old pandas/SQLAlchemy, so it lives in `.venv-superset` (built by `make bi` from
bi/requirements-superset.lock, with DuckDB 2.0.0 like every reader of the warehouse). This module
runs its commands there; nothing of Superset is imported into waterwh's own environment.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from waterwh import home
from waterwh.config import SUPERSET_VENV as BI_VENV
from waterwh.config import Settings
from waterwh.warehouse import reader_config

BI_DIR = Path(__file__).resolve().parent  # assets/, provision.py and superset_config.py: package data
SUPERSET_VERSION = "6.1.0"  # bi/requirements-superset.in
USERS = ("admin", "viewer", "analyst")


class BiNotInstalled(RuntimeError):
    pass


class DistrictUsersError(RuntimeError):
    """The district users' file cannot be used as written (message in Chinese, naming the entry)."""


@dataclass(frozen=True)
class DistrictUser:
    """A district's (or town's) login to the dashboards: it sees its own area's rows only."""

    user: str
    area: str  # a code or name of marts.dim_admin_area
    name: str | None = None


def district_users_path(settings: Settings) -> Path:
    return settings.home / "access" / "districts.yaml"


def district_users(settings: Settings) -> list[DistrictUser]:
    """The district users listed in $WATERWH_HOME/access/districts.yaml (none when it is absent)."""
    path = district_users_path(settings)
    if not path.exists():
        return []
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise DistrictUsersError(f"{path}：不是有效的 YAML（{exc}）") from exc
    entries = doc.get("districts") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise DistrictUsersError(
            f"{path}：应有一个 districts: 列表，每项写 user（登录名）和 area（地区名称或区划代码）")
    out: list[DistrictUser] = []
    for n, entry in enumerate(entries, start=1):
        where = f"{path} 第{n}项"
        if not isinstance(entry, dict) or not entry.get("user") or entry.get("area") in (None, ""):
            raise DistrictUsersError(f"{where}：应写 user（登录名）和 area（地区名称或区划代码），实为 {entry!r}")
        user, area = str(entry["user"]), str(entry["area"])
        if not re.fullmatch(r"[a-z][a-z0-9_.-]{1,63}", user):
            raise DistrictUsersError(f"{where}：登录名「{user}」应以小写字母开头，只含小写字母、数字和 _ . -")
        if user in USERS or user in {d.user for d in out}:
            raise DistrictUsersError(f"{where}：登录名「{user}」已被使用")
        out.append(DistrictUser(user, area, str(entry["name"]) if entry.get("name") else None))
    return out


@dataclass(frozen=True)
class BiPaths:
    home: Path  # $WATERWH_HOME/superset
    metadata_url: str | None = None  # PostgreSQL; None: SQLite under home

    @property
    def marker(self) -> Path:
        """Set once Superset's metadata database is created, per version and per database."""
        where = hashlib.sha256((self.metadata_url or "sqlite").encode()).hexdigest()[:8]
        return self.home / f".initialised-{SUPERSET_VERSION}-{where}"

    def secret_file(self, name: str) -> Path:
        return self.home / "secrets" / name


def paths(settings: Settings) -> BiPaths:
    return BiPaths(settings.home / "superset", settings.bi_metadata_url)


def _owner_only_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def secret(settings: Settings, name: str, env_var: str | None = None) -> tuple[str, bool]:
    """(value, newly generated). From the environment when set; else kept in an owner-only file."""
    if env_var and os.environ.get(env_var):
        return os.environ[env_var], False
    path = paths(settings).secret_file(name)
    if path.exists():
        return path.read_text(encoding="utf-8").strip(), False
    value = secrets.token_urlsafe(24)
    _owner_only_file(path, value + "\n")
    return value, True


def password(settings: Settings, user: str) -> tuple[str, bool]:
    return secret(settings, f"{user}_password", f"WATERWH_BI_{user.upper()}_PASSWORD")


def district_password(settings: Settings, user: str) -> tuple[str, bool]:
    return secret(settings, f"district_{user}_password")


def superset_env(settings: Settings) -> dict[str, str]:
    home = paths(settings).home
    key, _ = secret(settings, "secret_key", "SUPERSET_SECRET_KEY")
    return {
        **os.environ,
        "SUPERSET_CONFIG_PATH": str(BI_DIR / "superset_config.py"),
        "WATERWH_SUPERSET_HOME": str(home),
        "WATERWH_BI_METADATA_URL": settings.bi_metadata_url or "",  # superset_config.py: SQLite when empty
        "SUPERSET_SECRET_KEY": key,
        "FLASK_APP": "superset",
        "SUPERSET_LOAD_EXAMPLES": "no",
    }


def bin_path(name: str) -> Path:
    return BI_VENV / "bin" / name


def require_installed() -> None:
    if not bin_path("superset").exists():
        raise BiNotInstalled(
            f"Superset's environment is not built ({BI_VENV}). Run `make bi` (or `make serve`, which builds it)."
        )


def _run(argv: list[str], env: dict[str, str], what: str) -> str:
    proc = subprocess.run(argv, env=env, cwd=env["WATERWH_SUPERSET_HOME"], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {proc.returncode}):\n{(proc.stdout + proc.stderr)[-3000:]}")
    return proc.stdout


def setup(settings: Settings, say: callable = print,  # type: ignore[valid-type]
          show_secrets: bool | None = None) -> dict[str, str]:
    """Initialise Superset once per version, then import bi/assets and refresh roles and users.

    Idempotent: a second run changes nothing; after editing bi/assets it updates the objects.
    Generated passwords are printed when standard output is a terminal (`show_secrets`)."""
    if show_secrets is None:
        show_secrets = sys.stdout.isatty()
    require_installed()
    home.prepare(settings)  # Superset's files below are written under this process's umask
    p = paths(settings)
    p.home.mkdir(parents=True, exist_ok=True)
    env = superset_env(settings)
    if not p.marker.exists():
        say("Superset: creating its metadata database (first run, ≈1 min) …")
        _run([str(bin_path("superset")), "db", "upgrade"], env, "superset db upgrade")
        _run([str(bin_path("superset")), "init"], env, "superset init")
        p.marker.write_text("ok\n", encoding="utf-8")
    for made in p.home.glob("*.db"):  # its metadata (password hashes), from an older release too
        home.close(made)
    creds = {}
    for user in USERS:
        value, new = password(settings, user)
        creds[user] = value
        env[f"WATERWH_BI_{user.upper()}_PASSWORD"] = value
        if new:
            where = p.secret_file(f"{user}_password")
            # shown once to a person at a terminal; a service's output goes to logs, which keep it
            shown = value if show_secrets else "(not shown: this output is not a terminal)"
            say(f"Superset user {user!r}: generated password {shown}  (kept owner-only in {where})")
    districts = []
    for d in district_users(settings):
        value, new = district_password(settings, d.user)
        creds[d.user] = value
        districts.append({"user": d.user, "area": d.area, "name": d.name, "password": value})
        if new:
            shown = value if show_secrets else "(not shown: this output is not a terminal)"
            say(f"Superset district user {d.user!r} ({d.area}): generated password {shown}  "
                f"(kept owner-only in {p.secret_file(f'district_{d.user}_password')})")
    env["WATERWH_BI_DISTRICT_USERS"] = json.dumps(districts, ensure_ascii=False)  # the environment, not argv
    out = _run(provision_argv(settings), env, "provisioning Superset from bi/assets")
    say(f"Superset provisioned: {out.strip().splitlines()[-1] if out.strip() else 'ok'}")
    return creds


def provision_argv(settings: Settings, assets: Path = BI_DIR / "assets") -> list[str]:
    """bi/provision.py in Superset's environment, on the published warehouse, with the readers' settings."""
    return [str(bin_path("python")), str(BI_DIR / "provision.py"), "--assets", str(assets),
            "--warehouse", str(settings.published_path), "--reader-config", json.dumps(reader_config(settings)),
            "--metrics", json.dumps(superset_metrics(), ensure_ascii=False)]


D3_FORMATS = {"percent": ".2%"}  # a metric's format in Superset's (d3's) notation


def superset_metrics(path: Path | None = None) -> dict[str, dict[str, str]]:
    """The headline metrics as Superset's datasets take them: label, SQL over the dataset's rows, format."""
    from waterwh.metrics import load_metrics

    return {m.name: {"label": m.label_zh, "sql": m.over_rows, "format": D3_FORMATS.get(m.format, m.format)}
            for m in load_metrics(path).values()}


def workers(settings: Settings) -> int:
    """Several gunicorn workers on PostgreSQL metadata; one on SQLite, which takes one writer at a time."""
    return settings.bi_workers if settings.bi_metadata_url else 1


def gunicorn_argv(settings: Settings, port: int) -> list[str]:
    return [str(bin_path("gunicorn")), "--workers", str(workers(settings)), "--worker-class", "gthread",
            "--threads", "4",
            "--bind", f"127.0.0.1:{port}", "--timeout", "120", "--limit-request-line", "0",
            "--limit-request-field_size", "0", "superset.app:create_app()"]
