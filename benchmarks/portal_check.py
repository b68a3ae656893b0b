"""The 报送 portal's answer time: a clerk uploads a ledger and waits for the page that says what was
recognised and every problem (the issue asks for "within seconds").

The app is served by uvicorn, as `waterwh portal serve` does, after the county warehouse is
published (so each check also says which loaded ledgers it would supersede); an HTTP client logs
in as each district's account and uploads. The time is POST /upload until the check page has
arrived: reading the upload, storing it, the same check as `waterwh check`, forwarding. The
annotated copy is written after the page is answered, and timed on its own.
"""

from __future__ import annotations

import math
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from waterwh.config import Settings

PASSWORD = "benchmark-password"


@contextmanager
def _served(settings: Settings) -> Iterator[str]:
    import uvicorn

    from waterwh.portal.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _logged_in(url: str, username: str):
    import httpx2

    client = httpx2.Client(base_url=url, follow_redirects=True, timeout=300)
    csrf = client.get("/login").text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    page = client.post("/login", data={"csrf": csrf, "username": username, "password": PASSWORD}).text
    return client, page.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def _upload(client, csrf: str, path: Path) -> tuple[float, str]:
    t0 = time.perf_counter()
    r = client.post("/upload", data={"csrf": csrf}, files=[("files", (path.name, path.read_bytes()))])
    seconds = time.perf_counter() - t0
    if r.status_code != 200:
        raise RuntimeError(f"upload of {path} answered {r.status_code}")
    return seconds, str(r.url)


def measure(source: Path, published_home: Settings, limit: int = 60) -> dict:
    from waterwh.ingest.layout import find_scope
    from waterwh.ingest.spec import load_specs
    from waterwh.portal import accounts
    from waterwh.portal.app import portal_db
    from waterwh.portal.store import connect

    def area_of(f: Path) -> str:  # the district folder a ledger sits in, as the nightly run reads it
        folders = f.relative_to(source).parts[:-1]
        return find_scope(folders=folders) or (folders[0] if folders else "未注明")

    files = sorted((p for p in source.rglob("*") if p.is_file() and p.suffix.lower() != ".json"),
                   key=lambda p: p.stat().st_size, reverse=True)[:limit]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        (home / "warehouse").mkdir(parents=True)
        (home / "warehouse" / "waterwh.duckdb").symlink_to(published_home.published_path.resolve())
        settings = Settings.from_env(home)
        areas = sorted({area_of(p) for p in files})
        with connect(portal_db(settings)) as con:
            types = [s.ledger_type for s in load_specs()]
            for i, area in enumerate(areas):
                accounts.create_account(con, f"u{i}", PASSWORD, f"{area}水利局", area, types)
            accounts.create_account(con, "large", PASSWORD, "青溪县水利局", "青溪县", ["investment"])
        seconds, sizes = [], []
        with _served(settings) as url:
            for i, area in enumerate(areas):
                client, csrf = _logged_in(url, f"u{i}")
                for f in [p for p in files if area_of(p) == area]:
                    seconds.append(_upload(client, csrf, f)[0])
                    sizes.append(f.stat().st_size)
            large = _large_ledger(settings, url, Path(tmp))
    ordered = sorted(seconds)
    return {"files": len(seconds), "largest_kb": round(max(sizes) / 1024),
            "median_s": round(statistics.median(ordered), 2),
            "p95_s": round(ordered[math.ceil(0.95 * len(ordered)) - 1], 2),  # nearest rank
            "max_s": round(ordered[-1], 2),
            "large": large}


def _large_ledger(settings: Settings, url: str, tmp: Path, rows: int = 100_000) -> dict:
    """The ingest benchmark's 100,000-row ledger (with the mess clerks type), by a 青溪县 account: as
    it is, and with one row in a hundred missing its project name (the page lists 1,000 problems)."""
    from benchmarks.ingest_speed import make_rows, write_xlsx
    from waterwh.portal import submissions
    from waterwh.portal.app import portal_db

    client, csrf = _logged_in(url, "large")
    out: dict = {"rows": rows}
    for case, every in (("clean", 0), ("with_problems", 100)):
        data = make_rows(rows)
        for i in range(0, rows, every) if every else ():
            data[i][1] = ""
        path = tmp / case / "青溪县2025年10月重点项目投资台账.xlsx"
        path.parent.mkdir()
        write_xlsx(path, data)
        out[f"{case}_seconds"], page = _upload(client, csrf, path)
        out[f"{case}_seconds"] = round(out[f"{case}_seconds"], 2)
        out["size_mb"] = round(path.stat().st_size / 2**20, 1)
    # the copy the server began after answering: timed again from scratch, on its own
    sid = int(page.rsplit("/", 1)[1])
    time.sleep(1)
    for _ in range(600):
        copy, _why = submissions.annotated_copy(portal_db(settings), settings, sid)
        if copy is not None:
            break
        time.sleep(0.5)
    assert copy is not None
    copy.unlink()
    t0 = time.perf_counter()
    submissions.annotated_copy(portal_db(settings), settings, sid)
    out["annotated_copy_seconds"] = round(time.perf_counter() - t0, 2)
    return out
