"""Dashboard chart latency as Superset serves it, against a published warehouse.

Superset runs from its own environment on the home's published file; a headless Chromium logs in
as the leadership viewer and opens every dashboard once, which records the chart-data requests the
front end makes; each is then replayed `repeat` times in the same browser session, one at a time,
so each time is one chart's query through Superset and DuckDB, not a queue of them.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import statistics
import time

from waterwh import bi, serve
from waterwh.config import Settings

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
DASHBOARDS = ["investment", "funding", "water", "rivers", "sewage", "quality"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(settings: Settings, repeat: int = 20) -> dict:
    from playwright.sync_api import sync_playwright

    creds = bi.setup(settings, say=lambda *_a: None)
    superset = serve.superset_service(settings, _free_port())
    url = superset.health_url.rsplit("/", 1)[0]
    serve.start([superset], settings.home / "logs")
    charts: dict[int, str] = {}
    con = sqlite3.connect(bi.paths(settings).home / "superset.db")
    try:
        charts = dict(con.execute("SELECT id, slice_name FROM slices").fetchall())
    finally:
        con.close()
    out: dict[str, dict] = {}
    try:
        deadline = time.monotonic() + 180
        while not serve.is_up(superset.health_url):
            if time.monotonic() > deadline or (superset.proc and superset.proc.poll() is not None):
                raise RuntimeError(f"Superset did not come up; see {settings.home / 'logs' / 'superset.log'}")
            time.sleep(1)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1400})
            page.goto(url + "/login/")
            page.wait_for_load_state("networkidle")
            page.fill('[data-test="username-input"]', "viewer")
            page.fill('[data-test="password-input"]', creds["viewer"])
            page.click('[data-test="login-button"]')
            page.wait_for_url(lambda u: "/login" not in u, timeout=120_000)
            for slug in DASHBOARDS:
                captured: list[tuple[str, dict[str, str]]] = []

                def keep(req, captured=captured) -> None:
                    if req.method == "POST" and "/api/v1/chart/data" in req.url and req.post_data:
                        captured.append((req.post_data, req.headers))

                page.on("request", keep)
                page.goto(f"{url}/superset/dashboard/{slug}/")
                page.wait_for_selector('[data-test="chart-grid-component"]', timeout=180_000)
                page.wait_for_load_state("networkidle", timeout=180_000)
                page.remove_listener("request", keep)
                if not captured:
                    raise RuntimeError(f"dashboard {slug}: no chart asked for data")
                for body, headers in captured:
                    payload = json.loads(body)
                    form = payload.get("form_data") or {}
                    if form.get("slice_id") in charts:
                        name = charts[form["slice_id"]]
                    else:  # a native filter asking for its choices
                        columns = [c if isinstance(c, str) else c.get("label", "?")
                                   for q in payload.get("queries", []) for c in q.get("columns", [])]
                        name = f"筛选器取值（{'、'.join(columns) or '?'}）"
                    times = []
                    for _ in range(repeat):
                        t0 = time.perf_counter()
                        resp = page.request.post(url + "/api/v1/chart/data", data=body, headers={
                            "Content-Type": "application/json", "X-CSRFToken": headers.get("x-csrftoken", "")})
                        times.append((time.perf_counter() - t0) * 1000)
                        if not resp.ok:
                            raise RuntimeError(f"{slug}/{name}: HTTP {resp.status}: {resp.text()[:300]}")
                    out[f"{slug} · {name}"] = {"p50_ms": round(statistics.median(times), 1),
                                               "p95_ms": round(_percentile(times, 0.95), 1), "n": repeat}
            browser.close()
    finally:
        serve.stop([superset])
    return out
