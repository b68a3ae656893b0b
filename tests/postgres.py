"""A throwaway PostgreSQL server for tests (Debian's `postgresql` package), on loopback, trust auth."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def postgres_server(*databases: str) -> Iterator[dict[str, str]]:
    """Start a server, create `databases`, yield {name: postgresql:// URL}; stop and remove it after."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip("PostgreSQL is not installed (Debian: apt install postgresql)")
    bindir = Path(found[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="waterwh-pg-"))
    as_server: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as Debian's postgres user
        account = pwd.getpwnam("postgres")
        os.chown(root, account.pw_uid, account.pw_gid)
        as_server = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = root / "data"

    def server(*argv: str) -> None:
        proc = subprocess.run([*as_server, *argv], capture_output=True, text=True, check=False)
        assert proc.returncode == 0, f"{argv[0]}: {proc.stdout}{proc.stderr}"

    server(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "waterwh", "-E", "UTF8",
           "--locale", "C", "--no-sync")
    server(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w", "-o",
           f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        for name in databases:
            server(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "waterwh", name)
        yield {name: f"postgresql://waterwh@127.0.0.1:{port}/{name}" for name in databases}
    finally:
        subprocess.run([*as_server, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)
