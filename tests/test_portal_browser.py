"""The 台账报送 portal in a real browser (Debian's Chromium through Playwright), served by
`waterwh portal serve` as `make serve` starts it: a clerk fixes a bad ledger at its source, another
district sees none of it, the nightly run loads it, the bureau sees who is missing.

With WATERWH_SCREENSHOT_DIR set, the pages are kept as pictures (docs/portal.md uses them)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.workbooks import investment_rows, write_xlsx
from waterwh import pipeline
from waterwh.config import Settings
from waterwh.portal import accounts
from waterwh.portal.app import portal_db
from waterwh.portal.store import connect

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("portal")]  # one journey, in order

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(os.environ["WATERWH_SCREENSHOT_DIR"]) if os.environ.get("WATERWH_SCREENSHOT_DIR") else None
PASSWORD = "qingxi-2026-report"
GOOD = ["1", "城关镇污水处理厂提标改造", "城关镇", "提标改造", "县重点", 9800, 4200, 200, 1200, 8100, "在建", ""]
NO_NAME = ["2", "", "青石镇", "新建", "县重点", 100, 50, 5, 10, 10, "在建", ""]
SECOND = ["3", "龙潭水库除险加固", "龙潭乡", "续建", "县重点", 3000, 1500, 100, 300, 900, "在建", ""]
FIXED = ["2", "青石镇堤防加固", "青石镇", "新建", "县重点", 100, 50, 5, 10, 10, "在建", ""]


@dataclass
class Portal:
    settings: Settings
    url: str
    month: date  # the last month ended: the period the clerk reports


def _last_month_end(today: date) -> date:
    return date.fromordinal(today.replace(day=1).toordinal() - 1)


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    settings = Settings.from_env(tmp_path_factory.mktemp("portal") / "home")
    with connect(portal_db(settings)) as con:
        accounts.create_account(con, "qingxi", PASSWORD, "青溪县水利局", "青溪县", ["investment", "funding"])
        accounts.create_account(con, "shimen", PASSWORD, "石门县水利局", "石门县", ["investment"])
        accounts.create_account(con, "bureau", PASSWORD, "市水利局", None, [], is_admin=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (settings.home / "portal.log").open("wb")
    proc = subprocess.Popen([str(Path(sys.executable).with_name("waterwh")), "portal", "serve", "--port", str(port)],
                            env={**os.environ, "WATERWH_HOME": str(settings.home)}, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the portal did not start"
                time.sleep(0.3)
        yield Portal(settings, url, _last_month_end(datetime.now(settings.timezone).date()))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _shot(page, name: str) -> None:
    if SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _login(browser, portal: Portal, username: str, **context):
    page = browser.new_context(accept_downloads=True, locale="zh-CN", **context).new_page()
    page.goto(portal.url + "/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(portal.url + "/")
    return page


def _ledger(folder: Path, month: date, *rows: list[object]) -> Path:
    title = f"青溪县{month.year}年1-{month.month}月重点项目投资台账"
    folder.mkdir(parents=True, exist_ok=True)
    return write_xlsx(folder / f"青溪县{month.year}年{month.month}月投资台账.xlsx",
                      {"台账": investment_rows(title, list(rows))})


def test_a_clerk_fixes_a_bad_ledger_at_its_source(browser, portal: Portal, tmp_path: Path) -> None:
    page = _login(browser, portal, "qingxi")
    _shot(page, "portal-home")
    bad = _ledger(tmp_path, portal.month, GOOD, NO_NAME)
    page.set_input_files('input[type="file"]', str(bad))
    page.click('text=上传并检查')
    page.wait_for_url("**/submissions/*")
    body = page.inner_text("main")
    assert "退回" in body and "B4" in body and "必填" in body and "项目名称" in body
    _shot(page, "portal-problems")
    with page.expect_download() as download:
        page.click("text=下载标注副本")
    saved = tmp_path / "标注.xlsx"
    download.value.save_as(saved)
    assert "必填" in load_workbook(saved)["台账"]["B4"].comment.text
    assert not list(portal.settings.landing_dir.rglob("*.xlsx"))

    page.goto(portal.url + "/")
    fixed = _ledger(tmp_path / "fixed", portal.month, GOOD, FIXED, SECOND)
    page.set_input_files('input[type="file"]', str(fixed))
    page.click('text=上传并检查')
    page.wait_for_url("**/submissions/*")
    body = page.inner_text("main")
    assert "已报送" in body and "全部可以入库" in body and "已转入入库" in body
    _shot(page, "portal-accepted")
    [landed] = portal.settings.landing_dir.rglob("*.xlsx")
    assert landed.read_bytes() == fixed.read_bytes() and "青溪县" in landed.parts


def test_another_district_sees_none_of_it(browser, portal: Portal) -> None:
    page = _login(browser, portal, "shimen")
    assert "还没有报送" in page.inner_text("main")
    for path in ("/submissions/1", "/submissions/2/original"):
        response = page.goto(portal.url + path)
        assert response is not None and response.status == 404


def test_after_the_nightly_run_the_clerk_sees_the_ledger_loaded(browser, portal: Portal) -> None:
    result = pipeline.run(portal.settings)
    assert result.published, result.message
    page = _login(browser, portal, "qingxi")
    row = page.inner_text("table")
    assert "已入库" in row and "发布" in row
    page.click("text=BS000002")
    body = page.inner_text("main")
    assert "入库情况" in body and "有效 3 行" in body and "数据已于" in body
    # on a phone's screen the page is one column and needs no sideways scrolling
    phone = _login(browser, portal, "qingxi", viewport={"width": 390, "height": 844}, device_scale_factor=2,
                   is_mobile=True, has_touch=True)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(phone, "portal-phone")


def test_the_bureau_sees_who_is_missing(browser, portal: Portal) -> None:
    page = _login(browser, portal, "bureau")
    page.click("text=报送情况")
    table = page.inner_text("table.matrix")
    month = portal.month.strftime("%Y-%m")
    assert month in table and "未报送" in table
    lines = {line.split("\t")[1]: line for line in table.splitlines()[1:] if "\t" in line}
    assert lines["项目投资台账"].rstrip().endswith("已入库"), lines  # the period the clerk sent
    assert "未报送" in lines["资金台账"] and "已入库" not in lines["资金台账"]
    _shot(page, "portal-status")
