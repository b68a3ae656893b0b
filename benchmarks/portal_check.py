"""The 报送 portal's answer time: a clerk uploads a ledger and waits for the page that says what was
recognised and every problem (the issue asks for "within seconds").

Each generated ledger of a scale is uploaded once through the real app (Starlette, in process) by an
account of its district, after the scale's warehouse is published (so the check also says which
loaded ledgers it would supersede). The time is the whole POST /upload to the redirect: reading the
upload, storing it, the same check as `waterwh check`, the annotated copy, forwarding.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from waterwh.config import Settings


def measure(source: Path, published_home: Settings, limit: int = 60) -> dict:
    from starlette.testclient import TestClient

    from waterwh.ingest.layout import find_scope
    from waterwh.ingest.spec import load_specs
    from waterwh.portal import accounts
    from waterwh.portal.app import create_app, portal_db
    from waterwh.portal.store import connect

    files = sorted((p for p in source.rglob("*") if p.is_file() and p.suffix.lower() != ".json"),
                   key=lambda p: p.stat().st_size, reverse=True)[:limit]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        (home / "warehouse").mkdir(parents=True)
        (home / "warehouse" / "waterwh.duckdb").symlink_to(published_home.published_path.resolve())
        settings = Settings.from_env(home)
        types = [s.ledger_type for s in load_specs()]
        def area_of(f: Path) -> str:  # the district folder a ledger sits in, as the nightly run reads it
            folders = f.relative_to(source).parts[:-1]
            return find_scope(folders=folders) or (folders[0] if folders else "未注明")

        areas = sorted({area_of(p) for p in files})
        password = "benchmark-password"
        with connect(portal_db(settings)) as con:
            for i, area in enumerate(areas):
                accounts.create_account(con, f"u{i}", password, f"{area}水利局", area, types)
        seconds, sizes = [], []
        for i, area in enumerate(areas):
            client = TestClient(create_app(settings), base_url="http://localhost")
            page = client.get("/login").text
            csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            page = client.post("/login", data={"csrf": csrf, "username": f"u{i}", "password": password}).text
            csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            for f in [p for p in files if area_of(p) == area]:
                t0 = time.perf_counter()
                r = client.post("/upload", data={"csrf": csrf}, files=[("files", (f.name, f.read_bytes()))])
                seconds.append(time.perf_counter() - t0)
                sizes.append(f.stat().st_size)
                if r.status_code != 200:
                    raise RuntimeError(f"upload of {f} answered {r.status_code}")
    ordered = sorted(seconds)
    return {"files": len(seconds), "largest_kb": round(max(sizes) / 1024),
            "median_s": round(statistics.median(ordered), 2),
            "p95_s": round(ordered[int(0.95 * (len(ordered) - 1))], 2), "max_s": round(ordered[-1], 2)}
