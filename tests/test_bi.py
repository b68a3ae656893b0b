"""Superset as leadership and analysts meet it: `make serve`, a real Chromium, the published warehouse.

One `make serve` (Dagster + Superset) runs for the whole module on a copy of the published home.
The browser logs in as the leadership viewer, opens every dashboard, waits for every chart, and
compares the big numbers on screen with the same figures queried from the warehouse.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.conftest import Published
from tests.workbooks import investment_rows, write_xlsx
from waterwh import bi, pipeline
from waterwh.config import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]  # the checkout

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("bi"),
    pytest.mark.skipif(not bi.bin_path("superset").exists(), reason="Superset's environment is not built (make bi)"),
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
DASHBOARDS = ["investment", "funding", "water", "rivers", "sewage", "quality"]
SCREENSHOTS = Path(os.environ.get("WATERWH_SCREENSHOT_DIR", "")) if os.environ.get("WATERWH_SCREENSHOT_DIR") else None

LATEST_ALL = "FROM marts.rpt_investment_summary WHERE grouping = 'all' AND report_period_end = " \
             "(SELECT max(report_period_end) FROM marts.rpt_investment_summary)"
LATEST_FUNDING = "FROM marts.rpt_funding_summary WHERE report_period_end = " \
                 "(SELECT max(report_period_end) FROM marts.rpt_funding_summary)"
LATEST_SEWAGE = "FROM marts.fct_indicator_value WHERE indicator_code = 'RURAL_SEWAGE_TREATMENT_RATE' AND " \
                "period_end = (SELECT max(period_end) FROM marts.fct_indicator_value)"
# The headline figures, queried independently of the dashboards' own metric definitions.
HEADLINES: dict[str, dict[str, str]] = {
    "investment": {
        "总投资（亿元）": f"SELECT round(total_investment_wan / 10000, 2) {LATEST_ALL}",
        "年度计划投资（亿元）": f"SELECT round(annual_plan_wan / 10000, 2) {LATEST_ALL}",
        "年度累计完成（亿元）": f"SELECT round(ytd_completed_wan / 10000, 2) {LATEST_ALL}",
        "年度投资完成率": f"SELECT round(ytd_completion_rate * 100, 2) {LATEST_ALL}",
        "开工率": f"SELECT round(start_rate * 100, 2) {LATEST_ALL}",
        "达到序时进度（项）": f"SELECT on_schedule_count {LATEST_ALL}",
        "较序时进度有差距（项）": f"SELECT behind_schedule_count {LATEST_ALL}",
    },
    "funding": {
        "下达资金（万元）": f"SELECT round(sum(allocated_wan), 2) {LATEST_FUNDING}",
        "到位资金（万元）": f"SELECT round(sum(received_wan), 2) {LATEST_FUNDING}",
        "到位率": f"SELECT round(sum(received_wan) / sum(allocated_wan) * 100, 2) {LATEST_FUNDING}",
        "支出率": f"SELECT round(sum(spent_wan) / sum(received_wan) * 100, 2) {LATEST_FUNDING}",
    },
    "water": {
        "冬春蓄水完成率": "SELECT round(sum(actual_value) / sum(target_value) * 100, 2) FROM marts.fct_indicator_value "
                    "WHERE indicator_code = 'WINTER_SPRING_STORAGE'",
    },
    "sewage": {
        "治理率填报地区（个）": f"SELECT count(actual_value) {LATEST_SEWAGE}",
        "治理率达到目标的地区（个）": f"SELECT count(*) FILTER (WHERE actual_value >= target_value) {LATEST_SEWAGE}",
    },
    "rivers": {
        "巡河次数": "SELECT count(*) FROM marts.fct_patrol",
        "发现问题数": "SELECT sum(issues_found) FROM marts.fct_patrol",
        "四乱问题数（处）": "SELECT count(*) FROM marts.fct_river_issue",
        "处理违法行为（起）": "SELECT count(*) FROM marts.fct_enforcement_case",
        "罚没款（万元）": "SELECT round(sum(penalty_wan), 2) FROM marts.fct_enforcement_case",
    },
    "quality": {
        "拒收行数": "SELECT count(*) FROM audit.quarantine WHERE action = 'row_rejected'",
        "未报送台账（份）": "SELECT count(*) FROM marts.rpt_missing_ledgers",
    },
}


# District users (row-level security): a town of the samples' county, and the county itself.
DISTRICTS = {"longtan": "龙潭镇", "qingxi": "990123"}
TOWN = "龙潭镇"

QUERY_TIMEOUT = 15  # seconds (60 in service): a SQL Lab query longer than it is cut


@dataclass
class Served:
    settings: Settings
    bi_url: str
    dagster_url: str
    passwords: dict[str, str]
    portal_url: str = ""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=3) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None:
            raise AssertionError(f"make serve exited with {proc.returncode}")
        time.sleep(1)
    raise AssertionError(f"{url} did not answer within {seconds:.0f} s")


def _processes_of(home: Path) -> list[int]:
    needle = f"WATERWH_HOME={home}".encode()
    found = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if needle in (p / "environ").read_bytes().split(b"\0"):
                    found.append(int(p.name))
            except OSError:
                continue
    return found


@pytest.fixture(scope="module")
def served(published: Published, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    settings = published.copy_home(tmp_path_factory.mktemp("bi") / "home")
    districts = bi.district_users_path(settings)
    districts.parent.mkdir(parents=True, exist_ok=True)
    districts.write_text("districts:\n" + "".join(f"  - {{user: {u}, area: {a}}}\n" for u, a in DISTRICTS.items()),
                         encoding="utf-8")
    bi_port, dagster_port, portal_port = _free_port(), _free_port(), _free_port()
    env = {**os.environ, "WATERWH_HOME": str(settings.home), "WATERWH_BI_PORT": str(bi_port),
           "WATERWH_DAGSTER_PORT": str(dagster_port), "WATERWH_PORTAL_PORT": str(portal_port),
           "WATERWH_BI_QUERY_TIMEOUT": str(QUERY_TIMEOUT)}
    env.pop("WATERWH_BI_ADMIN_PASSWORD", None)
    log = (settings.home / "make-serve.log").open("wb")
    proc = subprocess.Popen(["make", "-s", "serve"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        _wait(f"http://127.0.0.1:{bi_port}/health", proc, 420)
        _wait(f"http://127.0.0.1:{dagster_port}/server_info", proc, 240)
        _wait(f"http://127.0.0.1:{portal_port}/healthz", proc, 60)
        passwords = {u: bi.password(settings, u)[0] for u in bi.USERS}
        passwords |= {u: bi.district_password(settings, u)[0] for u in DISTRICTS}
        yield Served(settings, f"http://127.0.0.1:{bi_port}", f"http://127.0.0.1:{dagster_port}", passwords,
                     f"http://127.0.0.1:{portal_port}")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=90)
        log.close()
        deadline = time.monotonic() + 30
        while _processes_of(settings.home) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not _processes_of(settings.home), "make serve left servers behind"


# -- REST helpers ----------------------------------------------------------------------------


def _api(served: Served, user: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    """A REST call as `user`, the way Superset's own front end makes it (JWT, session, CSRF token)."""
    import http.cookiejar

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def call(m: str, p: str, b: dict | None, headers: dict[str, str]) -> tuple[int, dict]:
        data = json.dumps(b).encode() if b is not None else None
        kind = {"Content-Type": "application/json"} if data is not None else {}  # (a bodiless JSON GET is a 400)
        req = urllib.request.Request(served.bi_url + p, method=m, data=data,
                                     headers={**kind, "Referer": served.bi_url, **headers})
        try:
            with opener.open(req, timeout=60) as resp:
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    status, login = call("POST", "/api/v1/security/login",
                         {"username": user, "password": served.passwords[user], "provider": "db"}, {})
    assert status == 200, login
    auth = {"Authorization": f"Bearer {login['access_token']}"}
    status, csrf = call("GET", "/api/v1/security/csrf_token/", None, auth)
    assert status == 200, csrf
    return call(method, path, body, {**auth, "X-CSRFToken": csrf["result"]})


def _sql(served: Served, user: str, sql: str) -> tuple[int, dict]:
    [(db_id,)] = _metadata(served, "SELECT id FROM dbs WHERE database_name = 'waterwh'")
    return _api(served, user, "POST", "/api/v1/sqllab/execute/",
                {"database_id": db_id, "sql": sql, "runAsync": False, "schema": "marts"})


def _metadata(served: Served, sql: str) -> list[tuple]:
    con = sqlite3.connect(bi.paths(served.settings).home / "superset.db")
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _objects(served: Served) -> dict[str, list[tuple]]:
    return {
        "dbs": _metadata(served, "SELECT uuid, database_name, sqlalchemy_uri FROM dbs ORDER BY 1"),
        "tables": _metadata(served, "SELECT uuid, schema, table_name FROM tables ORDER BY 1"),
        "slices": _metadata(served, "SELECT uuid, slice_name, viz_type, params FROM slices ORDER BY 1"),
        "dashboards": _metadata(served, "SELECT uuid, dashboard_title, position_json, json_metadata "
                                        "FROM dashboards ORDER BY 1"),
        "dashboard_slices": _metadata(served, "SELECT count(*) FROM dashboard_slices"),
        "users": _metadata(served, "SELECT username FROM ab_user ORDER BY 1"),
        "roles": _metadata(served, "SELECT name FROM ab_role ORDER BY 1"),
    }


def _bi_setup(served: Served) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WATERWH_HOME": str(served.settings.home)}
    return subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "waterwh"), "bi", "setup"], env=env,
                          capture_output=True, text=True, check=False, cwd=PROJECT_ROOT)


# -- browser ---------------------------------------------------------------------------------


def _browser():
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    return pw, pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def _login(page, served: Served, user: str) -> None:
    """Log in as a person would; on a loaded machine the form may take a while to come alive, so a
    submit that went nowhere is tried again (a wrong password would fail every time)."""
    for attempt in range(3):
        page.goto(served.bi_url + "/login/")
        page.wait_for_load_state("networkidle", timeout=60_000)
        page.fill('[data-test="username-input"]', user)
        page.fill('[data-test="password-input"]', served.passwords[user])
        page.click('[data-test="login-button"]')
        try:
            page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)
            return
        except Exception:
            if attempt == 2:
                shot = served.settings.home / f"login-failed-{user}.png"
                page.screenshot(path=str(shot))
                raise AssertionError(f"{user} could not log in (screenshot {shot})") from None


def _open_dashboard(page, served: Served, slug: str) -> dict[str, str]:
    """Open a dashboard, wait until every chart has drawn, fail on any chart error. {title: text}."""
    bad_responses: list[str] = []
    page.on("response", lambda r: bad_responses.append(f"{r.status} {r.url}")
            if "/api/v1/chart/data" in r.url and r.status != 200 else None)
    page.goto(f"{served.bi_url}/superset/dashboard/{slug}/")
    try:
        page.wait_for_selector('[data-test="chart-grid-component"]', timeout=120_000)
    except Exception as exc:
        shot = served.settings.home / f"failed-{slug}.png"
        page.screenshot(path=str(shot), full_page=True)
        raise AssertionError(f"{slug}: no chart appeared within 120 s (screenshot {shot}, url {page.url})") from exc
    deadline = time.monotonic() + 120
    while True:
        state = page.evaluate(
            """() => [...document.querySelectorAll('[data-test="chart-grid-component"]')].map(slot => {
                 const name = slot.getAttribute('data-test-chart-name');
                 const viz = slot.getAttribute('data-test-viz-type');
                 const error = slot.querySelector('.ant-alert, [role="alert"]');
                 const loading = slot.querySelector('[data-test="loading-indicator"]');
                 const body = slot.querySelector('[data-test="slice-container"]');
                 const big = slot.querySelector('.header-line');
                 const drawn = body && (viz === 'big_number_total'
                     ? !!(big && big.innerText.trim())
                     : !!(body.innerText.trim() || body.querySelector('canvas, svg')));
                 return {name, viz, error: error ? error.innerText : null, done: !loading && drawn,
                         text: big ? big.innerText.trim() : null};
               })"""
        )
        errors = [f"{s['name']}: {s['error']}" for s in state if s["error"]]
        assert not errors, f"{slug}: charts show errors: {errors}"
        if state and all(s["done"] for s in state):
            break
        assert time.monotonic() < deadline, f"{slug}: charts not drawn: {[s['name'] for s in state if not s['done']]}"
        time.sleep(0.5)
    assert not bad_responses, f"{slug}: chart data requests failed: {bad_responses}"
    return {s["name"]: s["text"] for s in state if s["viz"] == "big_number_total"}


def _assert_no_sql_lab(page, served: Served) -> None:
    """The logged-in user is sent away from SQL Lab, or gets no editor there."""
    page.goto(served.bi_url + "/sqllab/")
    page.wait_for_load_state("networkidle")
    assert "/sqllab" not in page.url or page.locator(".ace_editor").count() == 0


def _number(text: str) -> Decimal:
    cleaned = text.replace(",", "").replace("%", "").strip()
    assert re.fullmatch(r"-?\d+(\.\d+)?", cleaned), f"not a plain number on screen: {text!r}"
    return Decimal(cleaned)


def _warehouse_value(settings: Settings, sql: str) -> Decimal:
    con = duckdb.connect(str(settings.published_path), read_only=True)
    try:
        [(v,)] = con.execute(sql).fetchall()
    finally:
        con.close()
    return Decimal(str(v))


# -- tests -----------------------------------------------------------------------------------


def test_make_serve_starts_dagster_superset_and_the_portal(served: Served) -> None:
    with urllib.request.urlopen(served.dagster_url + "/server_info", timeout=5) as resp:
        assert "dagster_webserver_version" in resp.read().decode()
    with urllib.request.urlopen(served.portal_url + "/login", timeout=5) as resp:
        assert "台账报送" in resp.read().decode()
    with urllib.request.urlopen(served.bi_url + "/health", timeout=5) as resp:
        assert resp.read().decode().strip() == "OK"
    assert (served.settings.home / "dagster" / "dagster.yaml").exists()
    secrets_dir = bi.paths(served.settings).home / "secrets"
    assert oct(secrets_dir.stat().st_mode & 0o777) == "0o700"
    assert all(oct(f.stat().st_mode & 0o777) == "0o600" for f in secrets_dir.iterdir())


def test_provisioning_twice_yields_the_same_objects(served: Served) -> None:
    before = _objects(served)
    assert len(before["dashboards"]) == len(DASHBOARDS)
    assert {r[0] for r in before["users"]} >= {"admin", "viewer", "analyst"}
    res = _bi_setup(served)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "generated password" not in res.stdout, "a password is printed once, on the first run only"
    assert _objects(served) == before


def test_every_dashboard_renders_with_the_warehouse_numbers(served: Served) -> None:
    pw, browser = _browser()
    try:
        page = browser.new_page(viewport={"width": 1600, "height": 1400}, locale="zh-CN")
        _login(page, served, "viewer")
        for slug in DASHBOARDS:
            numbers = _open_dashboard(page, served, slug)
            assert numbers, f"{slug}: no big number on screen"
            for title, sql in HEADLINES.get(slug, {}).items():
                assert title in numbers, f"{slug}: no chart {title!r} (have {sorted(numbers)})"
                want = _warehouse_value(served.settings, sql)
                assert _number(numbers[title]) == want, f"{slug} {title}: screen {numbers[title]} vs warehouse {want}"
            title = page.locator('[data-test="editable-title"], .dashboard-header').first.inner_text()
            assert re.search(r"[\u4e00-\u9fff]", title), f"{slug}: dashboard title is not Chinese: {title!r}"
            if SCREENSHOTS:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"{slug}.png"), full_page=True)
    finally:
        browser.close()
        pw.stop()


def test_viewer_cannot_open_sql_lab(served: Served) -> None:
    pw, browser = _browser()
    try:
        page = browser.new_page()
        _login(page, served, "viewer")
        _assert_no_sql_lab(page, served)
    finally:
        browser.close()
        pw.stop()
    status, body = _sql(served, "viewer", "SELECT 1")
    assert status in (400, 401, 403) and body.get("status") != "success", (status, body)


def test_analyst_reads_but_cannot_write_or_read_files(served: Served) -> None:
    status, body = _sql(served, "analyst", "SELECT count(*) AS n FROM marts.fct_investment_snapshot")
    assert status == 200 and body["status"] == "success" and body["data"][0]["n"] > 0, body
    for sql in ("CREATE TABLE marts.x AS SELECT 1 AS a", "INSERT INTO audit.runs (run_id) VALUES ('x')",
                "SELECT * FROM read_csv('/etc/passwd')"):
        status, body = _sql(served, "analyst", sql)
        assert status != 200 or body.get("status") != "success", f"{sql!r} was allowed: {body}"
    con = duckdb.connect(str(served.settings.published_path), read_only=True)
    assert con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'x'").fetchall() == [(0,)]
    con.close()


def test_every_chart_answers_its_data_api(served: Served) -> None:
    """Each chart is saved with its query context: GET /api/v1/chart/<id>/data/ — what Superset's
    alerts and reports, CSV export and API clients use — answers with rows ("chart has no saved
    query context" for all 55 before)."""
    charts = _metadata(served, "SELECT id, slice_name FROM slices ORDER BY id")
    assert len(charts) >= 50
    for chart_id, name in charts:
        status, body = _api(served, "admin", "GET", f"/api/v1/chart/{chart_id}/data/")
        assert status == 200, (name, body)
        [result] = body["result"]
        assert result["status"] == "success" and result["rowcount"] >= 0, (name, result)


def test_a_runaway_sql_lab_query_is_cut_and_cannot_raise_its_limits(served: Served) -> None:
    """A count over range(1e12) ran 94 s (four stalled every dashboard); a query may not SET the
    memory limit or threads its connection was given."""
    started = time.monotonic()
    status, body = _sql(served, "analyst", "SELECT count(*) FROM range(1000000000000)")
    took = time.monotonic() - started
    assert status != 200 or body.get("status") != "success", body
    assert took < QUERY_TIMEOUT + 20, f"the query ran {took:.0f} s"
    assert "nterrupt" in json.dumps(body, ensure_ascii=False), body
    for sql in ("SET memory_limit = '100GB'", "SET threads = 64", "SET enable_external_access = true"):
        status, body = _sql(served, "analyst", sql)
        assert status != 200 or body.get("status") != "success", f"{sql!r} was allowed: {body}"
    status, body = _sql(served, "analyst", "SELECT current_setting('threads') AS t")
    assert status == 200 and str(body["data"][0]["t"]) == str(served.settings.reader_threads), body


def test_dashboards_keep_working_during_a_publish_and_show_the_new_data(served: Served) -> None:
    """A reader polls chart data while the nightly job publishes: no error, then the new figures."""
    settings = served.settings
    q = f"SELECT project_count {LATEST_ALL}"
    before = _warehouse_value(settings, q)
    [(dataset_id,)] = _metadata(served, "SELECT id FROM tables WHERE table_name = 'fct_investment_snapshot'")
    query = {"datasource": {"id": dataset_id, "type": "table"}, "result_format": "json", "result_type": "full",
             "queries": [{"metrics": ["ytd_completed_yi"], "columns": ["report_period_end"], "row_limit": 100}]}
    errors: list[str] = []
    answers = 0
    stop = threading.Event()

    def poll() -> None:
        nonlocal answers
        while not stop.is_set():
            status, body = _api(served, "viewer", "POST", "/api/v1/chart/data", query)
            if status != 200:
                errors.append(f"{status}: {str(body)[:300]}")
            else:
                answers += 1
            time.sleep(0.3)

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        new = ["99", "新增应急供水工程", "城关镇", "新建", "县重点", 1000, 500, 50, 50, 50, "在建", ""]
        write_xlsx(settings.landing_dir / "城关镇补报.xlsx",
                   {"S": investment_rows("城关镇2025年1-12月重点项目投资台账", [new])})
        result = pipeline.run(Settings.from_env(settings.home))
        assert result.published, result.message
    finally:
        stop.set()
        reader.join()
    assert not errors, errors[:5]
    assert answers > 10, "the reader kept asking while the job ran"
    assert _warehouse_value(settings, q) == before + 1
    pw, browser = _browser()
    try:
        page = browser.new_page(viewport={"width": 1600, "height": 1400})
        _login(page, served, "viewer")
        numbers = _open_dashboard(page, served, "investment")
        want = _warehouse_value(settings, f"SELECT round(ytd_completed_wan / 10000, 2) {LATEST_ALL}")
        assert _number(numbers["年度累计完成（亿元）"]) == want
    finally:
        browser.close()
        pw.stop()


def test_editing_an_asset_yaml_updates_the_dashboard(served: Served, tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    shutil.copytree(bi.BI_DIR / "assets", assets)
    path = assets / "dashboards" / "1_investment.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title: 重点项目投资进度", "title: 重点项目投资进度（试）"), encoding="utf-8")
    env = {**bi.superset_env(served.settings), **{f"WATERWH_BI_{u.upper()}_PASSWORD": p
                                                   for u, p in served.passwords.items()}}
    proc = subprocess.run(bi.provision_argv(served.settings, assets), env=env, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    titles = {t for (t,) in _metadata(served, "SELECT dashboard_title FROM dashboards")}
    assert "重点项目投资进度（试）" in titles and len(titles) == len(DASHBOARDS)
    assert _bi_setup(served).returncode == 0  # and back
    assert "重点项目投资进度" in {t for (t,) in _metadata(served, "SELECT dashboard_title FROM dashboards")}



# -- district users (row-level security) -------------------------------------------------------

# each dataset with the column telling whose rows they are, and the warehouse rows a user of `area`
# (a name) may see, written independently of the datasets' area_filter templates
AREA_OF = {"investment_snapshot": "area_name", "funding_summary": "area_name", "funding_flow": "area_name",
           "indicator_value": "area_name", "patrol": "area_name", "river_issue": "area_name",
           "enforcement_case": "area_name", "missing_ledgers": "area_name", "file_loads": "ledger_scope"}
UNDER = ("(SELECT area_name FROM marts.dim_admin_area WHERE area_name = '{a}' OR county_name = '{a}' "
         "OR prefecture_name = '{a}' OR province_name = '{a}')")


def _rows_seen(served: Served, user: str, dataset: str, column: str | None) -> dict[str, int]:
    """{value of column: rows} of a dataset, asked through the chart data API as `user`."""
    [(dataset_id,)] = _metadata(served, f"SELECT id FROM tables WHERE uuid = x'{uuid_hex(dataset)}'")
    query = {"datasource": {"id": dataset_id, "type": "table"}, "result_format": "json", "result_type": "full",
             "queries": [{"metrics": [{"expressionType": "SQL", "sqlExpression": "COUNT(*)", "label": "n"}],
                          "columns": [column] if column else [], "row_limit": 100000}]}
    status, body = _api(served, user, "POST", "/api/v1/chart/data", query)
    assert status == 200, (user, dataset, body)
    return {str(r.get(column)) if column else "*": r["n"] for r in body["result"][0]["data"]}


def uuid_hex(dataset: str) -> str:
    import uuid as uuid_module

    return uuid_module.UUID(_provision().uid("dataset", dataset)).hex


def _provision():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bi_provision", bi.BI_DIR / "provision.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _warehouse_rows(settings: Settings, dataset: str, column: str, area: str) -> dict[str, int]:
    datasets = _provision().load_assets(bi.BI_DIR / "assets", bi.superset_metrics())[0]
    table = datasets[dataset]["table"]
    con = duckdb.connect(str(settings.published_path), read_only=True)
    try:
        rows = con.execute(f"SELECT {column}, count(*) FROM {table} WHERE {column} IN {UNDER.format(a=area)} "
                           "GROUP BY 1").fetchall()
    finally:
        con.close()
    return {str(k): n for k, n in rows}


def test_a_district_user_sees_only_its_own_areas_rows(served: Served) -> None:
    """龙潭镇's user gets 龙潭镇's rows of every dataset and nothing of the other towns or of the
    county's own ledgers; the county's user (given by code) gets everything under 青溪县; the
    night's run records are the same for all."""
    for user, area in (("longtan", TOWN), ("qingxi", "青溪县")):
        for dataset, column in AREA_OF.items():
            want = _warehouse_rows(served.settings, dataset, column, area)
            assert _rows_seen(served, user, dataset, column) == want, (user, dataset)
        assert _rows_seen(served, user, "runs", None) == _rows_seen(served, "viewer", "runs", None)
    town = _rows_seen(served, "longtan", "patrol", "area_name")
    everyone = _rows_seen(served, "viewer", "patrol", "area_name")
    assert set(town) == {TOWN} and len(everyone) > 1, (town, everyone)
    # quarantined rows follow their file's area: the town sent no ledger of its own
    assert _rows_seen(served, "longtan", "quarantine", None) == {"*": 0}
    assert _rows_seen(served, "qingxi", "quarantine", None) == _rows_seen(served, "viewer", "quarantine", None)


def test_a_district_user_sees_its_own_figures_on_the_dashboards(served: Served) -> None:
    con = duckdb.connect(str(served.settings.published_path), read_only=True)
    try:
        [(patrols,)] = con.execute("SELECT count(*) FROM marts.fct_patrol WHERE area_name = ?", [TOWN]).fetchall()
        [(total,)] = con.execute(
            "SELECT round(sum(total_investment_wan) / 10000, 2) FROM marts.fct_investment_snapshot WHERE area_name = ? "
            "AND report_period_end = (SELECT max(report_period_end) FROM marts.fct_investment_snapshot)", [TOWN]
        ).fetchall()
    finally:
        con.close()
    pw, browser = _browser()
    try:
        page = browser.new_page(viewport={"width": 1600, "height": 1400}, locale="zh-CN")
        _login(page, served, "longtan")
        rivers = _open_dashboard(page, served, "rivers")
        assert _number(rivers["巡河次数"]) == patrols
        investment = _open_dashboard(page, served, "investment")
        assert _number(investment["总投资（亿元）"]) == Decimal(str(total))
        areas = page.locator('[data-test="chart-grid-component"]').all_inner_texts()
        others = {"城关镇", "青石镇", "白沙乡", "桃源镇", "柳林乡", "石门乡", "清河镇"}
        assert not [a for a in others if any(a in text for text in areas)], "another town's rows are on screen"
        _assert_no_sql_lab(page, served)
    finally:
        browser.close()
        pw.stop()


def test_district_users_follow_the_file(served: Served) -> None:
    """A user taken off the list can no longer log in and its role is gone; an unknown area is
    refused by name; put back, the user logs in again."""
    path = bi.district_users_path(served.settings)
    listed = path.read_text(encoding="utf-8")
    try:
        path.write_text("districts:\n  - {user: qingxi, area: '990123'}\n  - {user: mars, area: 火星县}\n",
                        encoding="utf-8")
        res = _bi_setup(served)
        assert res.returncode != 0 and "火星县" in res.stdout + res.stderr, res.stdout + res.stderr
        path.write_text("districts:\n  - {user: qingxi, area: '990123'}\n", encoding="utf-8")
        res = _bi_setup(served)
        assert res.returncode == 0, res.stdout + res.stderr
        with pytest.raises(AssertionError):
            _api(served, "longtan", "GET", "/api/v1/me/")
        roles = {r for (r,) in _metadata(served, "SELECT name FROM ab_role")}
        assert "waterwh_district_990123" in roles and "waterwh_district_990123003" not in roles
    finally:
        path.write_text(listed, encoding="utf-8")
        assert _bi_setup(served).returncode == 0
    status, _ = _api(served, "longtan", "GET", "/api/v1/me/")
    assert status == 200


def test_superset_on_postgresql_metadata_serves_with_several_workers(
        published: Published, tmp_path: Path) -> None:
    """The unit's own command, with WATERWH_BI_METADATA_URL: metadata in PostgreSQL, not SQLite, and as
    many gunicorn workers as WATERWH_BI_WORKERS says; every worker answers a signed-in user."""
    import psycopg2

    from tests.postgres import postgres_server

    settings = published.copy_home(tmp_path / "home")
    with postgres_server("superset") as urls:
        port = _free_port()
        env = {**os.environ, "WATERWH_HOME": str(settings.home), "WATERWH_BI_METADATA_URL": urls["superset"],
               "WATERWH_BI_WORKERS": "3"}
        setup = subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "waterwh"), "bi", "setup"], env=env,
                               capture_output=True, text=True, check=False)
        assert setup.returncode == 0, (setup.stdout + setup.stderr)[-3000:]
        log = (tmp_path / "superset.log").open("wb")
        proc = subprocess.Popen([str(PROJECT_ROOT / ".venv" / "bin" / "python"), "-m", "waterwh.serve", "--exec",
                                 "superset", "--bi-port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            _wait(f"http://127.0.0.1:{port}/health", proc, 240)
            workers = [p for p in Path("/proc").iterdir() if p.name.isdigit()
                       and (p / "stat").exists() and (p / "stat").read_text().split()[3] == str(proc.pid)]
            assert len(workers) == 3, f"gunicorn workers: {len(workers)}"
            passwords = {"admin": bi.password(Settings.from_env(settings.home), "admin")[0]}
            served = Served(settings, f"http://127.0.0.1:{port}", "", passwords)
            for _ in range(6):  # new connections: gunicorn hands them to its workers in turn
                status, found = _api(served, "admin", "GET", "/api/v1/dashboard/?q=(page_size:100)")
                assert status == 200 and found["count"] == len(DASHBOARDS), found
            with psycopg2.connect(urls["superset"]) as con, con.cursor() as cur:
                cur.execute("SELECT count(*) FROM dashboards")
                assert cur.fetchone() == (len(DASHBOARDS),)
            assert not (bi.paths(settings).home / "superset.db").exists(), "metadata went to SQLite"
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)
            log.close()
