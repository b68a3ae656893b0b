"""Dashboard chart latency as Superset serves it, against a published warehouse.

Superset runs from its own environment on the home's published file; a headless Chromium logs in
as the leadership viewer and opens every dashboard once, which records the chart-data requests the
front end makes; each is then replayed `repeat` times in the same browser session, one at a time,
so each time is one chart's query through Superset and DuckDB, not a queue of them.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import time
import urllib.request

from waterwh import bi
from waterwh.config import PROJECT_ROOT, Settings

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
DASHBOARDS = ["investment", "funding", "water", "rivers", "sewage", "quality"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"{url} did not come up in {seconds:.0f} s")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(settings: Settings, repeat: int = 20) -> dict:
    from playwright.sync_api import sync_playwright

    creds = bi.setup(settings, say=lambda *_a: None)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (settings.home / "bench-superset.log").open("wb")
    server = subprocess.Popen(bi.gunicorn_argv(port), env=bi.superset_env(settings), cwd=PROJECT_ROOT,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    charts: dict[int, str] = {}
    con = sqlite3.connect(bi.paths(settings).home / "superset.db")
    try:
        charts = dict(con.execute("SELECT id, slice_name FROM slices").fetchall())
    finally:
        con.close()
    out: dict[str, dict] = {}
    try:
        _wait_up(url + "/health", 180)
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
                page.wait_for_load_state("networkidle", timeout=180_000)
                page.remove_listener("request", keep)
                for body, headers in captured:
                    form = json.loads(body).get("form_data") or {}
                    name = charts.get(form.get("slice_id"), f"chart {form.get('slice_id')}")
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
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        log.close()
    return out
