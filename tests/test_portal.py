"""The 台账报送 portal through its HTTP interface (Starlette's TestClient): accounts, the upload
check and its forwarding, what each district may see, the bureau's matrix, and the security rules
(CSRF, session fixation, login rate limit, upload names, sizes and types). The same journey in a
real browser is tests/test_portal_browser.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from starlette.testclient import TestClient

from tests.webhook import robot
from tests.workbooks import investment_rows, write_xlsx
from waterwh.config import Settings
from waterwh.portal import accounts
from waterwh.portal.app import SESSION_COOKIE, create_app, portal_db
from waterwh.portal.store import connect

TITLE = "青溪县2025年1-3月重点项目投资台账"
GOOD = ["1", "城关镇污水处理厂提标改造", "城关镇", "提标改造", "县重点", 9800, 4200, 200, 1200, 8100, "在建", ""]
NO_NAME = ["2", "", "青石镇", "新建", "县重点", 100, 50, 5, 10, 10, "在建", ""]
FIXED = ["2", "青石镇堤防加固", "青石镇", "新建", "县重点", 100, 50, 5, 10, 10, "在建", ""]
PASSWORD = "correct horse battery"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings.from_env(tmp_path / "home")
    with connect(portal_db(s)) as con:
        accounts.create_account(con, "qingxi", PASSWORD, "青溪县水利局", "青溪县", ["investment", "funding"])
        accounts.create_account(con, "shimen", PASSWORD, "石门县水利局", "石门县", ["investment"])
        accounts.create_account(con, "bureau", PASSWORD, "市水利局", None, [], is_admin=True)
    return s


def client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), base_url="http://localhost")


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def logged_in(settings: Settings, username: str) -> tuple[TestClient, str]:
    c = client(settings)
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"csrf": token, "username": username, "password": PASSWORD})
    assert r.status_code == 200 and "退出" in r.text, r.text
    return c, csrf_of(r.text)


def upload(c: TestClient, csrf: str, *files: Path, name: str | None = None):
    return c.post("/upload", data={"csrf": csrf},
                  files=[("files", (name or f.name, f.read_bytes(), "application/octet-stream")) for f in files])


def ledger(folder: Path, name: str, *rows: list[object], title: str = TITLE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_xlsx(folder / name, {"台账": investment_rows(title, list(rows))})


def test_a_bad_file_is_refused_with_its_problems_and_the_fix_is_forwarded(settings: Settings, tmp_path: Path) -> None:
    c, csrf = logged_in(settings, "qingxi")
    r = upload(c, csrf, ledger(tmp_path, "青溪县2025年3月投资台账.xlsx", GOOD, NO_NAME))
    assert r.status_code == 200 and "/submissions/1" in str(r.url)
    assert "退回" in r.text and "B4" in r.text and "项目名称" in r.text  # the same message as `waterwh check`
    assert not list(settings.landing_dir.rglob("*.xlsx"))
    annotated = c.get("/submissions/1/annotated")
    assert annotated.status_code == 200
    (tmp_path / "a.xlsx").write_bytes(annotated.content)
    assert "必填" in load_workbook(tmp_path / "a.xlsx")["台账"]["B4"].comment.text

    r = upload(c, csrf, ledger(tmp_path, "青溪县2025年3月投资台账.xlsx", GOOD, FIXED))
    assert "/submissions/2" in str(r.url) and "已报送" in r.text and "全部可以入库" in r.text
    [landed] = settings.landing_dir.rglob("*.xlsx")
    assert landed.relative_to(settings.landing_dir).parts[0] == "青溪县"
    assert landed.name == "青溪县2025年3月投资台账.xlsx"
    home = c.get("/").text
    assert "BS000001" in home and "BS000002" in home and "等待夜间入库" in home

    # a resubmission of the same ledger and period replaces the landed file; both stay on record
    again = ledger(tmp_path, "青溪县2025年3月投资台账（修改）.xlsx", GOOD, [*FIXED[:5], 120, *FIXED[6:]])
    r = upload(c, csrf, again)
    assert "已报送" in r.text
    assert list(settings.landing_dir.rglob("*.xlsx")) == [landed]
    assert landed.read_bytes() == again.read_bytes()
    assert "已被新版本替代" in c.get("/").text and "BS000003" in c.get("/submissions/2").text


def test_warnings_wait_for_the_clerk_to_accept_them(settings: Settings, tmp_path: Path) -> None:
    nulled = ["2", "青石镇堤防", "青石镇", "新建", "县重点", "abc", 50, 5, 10, 10, "在建", ""]
    c, csrf = logged_in(settings, "qingxi")
    r = upload(c, csrf, ledger(tmp_path, "青溪县2025年3月投资台账.xlsx", GOOD, nulled))
    assert "待确认" in r.text and "该格按空值入库" in r.text
    assert not list(settings.landing_dir.rglob("*.xlsx"))
    r = c.post("/submissions/1/confirm", data={"csrf": csrf})
    assert "已报送" in r.text and len(list(settings.landing_dir.rglob("*.xlsx"))) == 1


def test_a_unit_cannot_send_another_areas_or_types_ledgers(settings: Settings, tmp_path: Path) -> None:
    c, csrf = logged_in(settings, "shimen")
    r = upload(c, csrf, ledger(tmp_path, "青溪县2025年3月投资台账.xlsx", GOOD))
    assert "退回" in r.text and "只能报送「石门县」的台账" in r.text
    assert not list(settings.landing_dir.rglob("*.xlsx"))


def test_one_district_never_sees_anothers_submissions_or_files(settings: Settings, tmp_path: Path) -> None:
    c, csrf = logged_in(settings, "qingxi")
    upload(c, csrf, ledger(tmp_path, "青溪县2025年3月投资台账.xlsx", GOOD, NO_NAME))
    other, _ = logged_in(settings, "shimen")
    assert "BS000001" not in other.get("/").text
    for path in ("/submissions/1", "/submissions/1/annotated", "/submissions/1/original"):
        assert other.get(path).status_code == 404, path
    assert other.get("/admin/status").status_code == 403
    bureau, _ = logged_in(settings, "bureau")
    assert "BS000001" in bureau.get("/").text and bureau.get("/submissions/1/original").status_code == 200


def test_the_bureau_sees_who_is_missing_and_reminds_them(settings: Settings, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    with robot(monkeypatch) as received:
        s = Settings.from_env(settings.home)  # with the webhook configured
        c, csrf = logged_in(s, "bureau")
        page = c.get("/admin/status").text
        assert "报送情况" in page and "未报送" in page and "青溪县水利局" in page
        r = c.post("/admin/remind", data={"csrf": csrf})
        assert r.status_code == 200 and "已发送提醒" in r.text
    [message] = received
    assert "台账报送提醒" in message["markdown"]["content"] and "青溪县" in message["markdown"]["content"]
    assert "remind" in c.get("/admin/log").text


def test_csrf_token_is_required_on_every_form(settings: Settings, tmp_path: Path) -> None:
    c, _ = logged_in(settings, "qingxi")
    f = ledger(tmp_path, "青溪县2025年3月投资台账.xlsx", GOOD)
    for data in ({}, {"csrf": "forged"}):
        r = c.post("/upload", data=data, files=[("files", (f.name, f.read_bytes()))])
        assert r.status_code == 403 and "CSRF" in r.text
    assert c.post("/logout", data={"csrf": "forged"}).status_code == 403
    fresh = client(settings)  # login itself: a form token must match the cookie set with the form
    fresh.get("/login")
    r = fresh.post("/login", data={"csrf": "forged", "username": "qingxi", "password": PASSWORD})
    assert r.status_code == 403
    assert not list(settings.landing_dir.rglob("*.xlsx"))


def test_a_session_planted_before_login_is_not_the_session_after(settings: Settings) -> None:
    c = client(settings)
    c.cookies.set(SESSION_COOKIE, "attacker-chosen-value", domain="localhost.local", path="/")
    token = csrf_of(c.get("/login").text)
    c.post("/login", data={"csrf": token, "username": "qingxi", "password": PASSWORD})
    [after] = [ck.value for ck in c.cookies.jar if ck.name == SESSION_COOKIE]  # the planted one replaced
    assert after and after != "attacker-chosen-value"
    attacker = client(settings)
    attacker.cookies.set(SESSION_COOKIE, "attacker-chosen-value")
    assert attacker.get("/", follow_redirects=False).headers["location"] == "/login"
    # and a session ends at logout: its cookie is worth nothing after
    stolen = after
    c.post("/logout", data={"csrf": csrf_of(c.get("/").text)})
    thief = client(settings)
    thief.cookies.set(SESSION_COOKIE, stolen)
    assert thief.get("/", follow_redirects=False).status_code == 303


def test_cookies_are_httponly_and_strict(settings: Settings) -> None:
    c = client(settings)
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"csrf": token, "username": "qingxi", "password": PASSWORD}, follow_redirects=False)
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert r.headers["x-frame-options"] == "DENY"


def test_logins_are_rate_limited(settings: Settings) -> None:
    c = client(settings)
    token = csrf_of(c.get("/login").text)
    codes = [c.post("/login", data={"csrf": token, "username": "qingxi", "password": "wrong password"}).status_code
             for _ in range(accounts.MAX_FAILURES_PER_NAME)]
    assert codes == [401] * accounts.MAX_FAILURES_PER_NAME
    r = c.post("/login", data={"csrf": token, "username": "qingxi", "password": PASSWORD})
    assert r.status_code == 429 and "过多" in r.text  # even the right password, until the window passes


def test_upload_names_cannot_reach_outside_the_portals_folders(settings: Settings, tmp_path: Path) -> None:
    c, csrf = logged_in(settings, "qingxi")
    f = ledger(tmp_path, "ok.xlsx", GOOD)
    for evil in ("../../../../etc/青溪县2025年3月投资台账.xlsx", "..\\..\\青溪县2025年3月投资台账.xlsx",
                 "/tmp/青溪县2025年3月投资台账.xlsx"):
        upload(c, csrf, f, name=evil)
    home = settings.home.resolve()
    written = [p for p in home.rglob("*") if p.is_file()]
    assert all(p.resolve().is_relative_to(home) for p in written)
    assert not (tmp_path / "etc").exists() and not Path("/tmp/青溪县2025年3月投资台账.xlsx").exists()
    stored = {p.name for p in (home / "portal" / "uploads").iterdir()}
    assert stored == {"BS000001.xlsx", "BS000002.xlsx", "BS000003.xlsx"}  # generated names
    [landed] = settings.landing_dir.rglob("*.xlsx")  # the three are one ledger: the last supersedes
    assert landed.name == "青溪县2025年3月投资台账.xlsx" and landed.is_relative_to(settings.landing_dir / "青溪县")


def test_oversized_and_disguised_uploads_are_refused_before_parsing(tmp_path: Path) -> None:
    small = Settings(home=(tmp_path / "home").resolve(), max_file_bytes=64 * 1024)
    with connect(portal_db(small)) as con:
        accounts.create_account(con, "qingxi", PASSWORD, "青溪县水利局", "青溪县", ["investment"])
    c, csrf = logged_in(small, "qingxi")
    big = tmp_path / "青溪县2025年3月投资台账.xlsx"
    big.write_bytes(b"PK\x03\x04" + b"\0" * (200 * 1024))
    r = upload(c, csrf, big)
    assert r.status_code == 400 and "超过 0.0625 MB 的上限" in r.text
    # the whole request beyond what any upload may be: refused by its declared length, unread
    r = c.post("/upload", content=b"x" * (small.max_file_bytes * 20 + 2 * 1024 * 1024),
               headers={"content-type": "multipart/form-data; boundary=x"})
    assert r.status_code == 413
    fake = tmp_path / "青溪县2025年3月投资台账.xls"
    fake.write_bytes(b"<html><body>not a workbook</body></html>")
    r = upload(c, csrf, fake)
    assert r.status_code == 400 and "扩展名与内容不符" in r.text
    exe = tmp_path / "台账.exe"
    exe.write_bytes(b"MZ")
    r = upload(c, csrf, exe)
    assert r.status_code == 400 and "不是台账文件" in r.text
    with connect(portal_db(small)) as con:
        assert con.execute("SELECT count(*) FROM submissions").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM audit_log WHERE action = 'upload_refused'").fetchone()[0] == 3


def test_there_is_no_default_account(tmp_path: Path) -> None:
    s = Settings.from_env(tmp_path / "home")
    c = client(s)
    for name, password in (("admin", "admin"), ("admin", "admin123456"), ("root", "password")):
        token = csrf_of(c.get("/login").text)
        assert c.post("/login", data={"csrf": token, "username": name, "password": password}).status_code == 401


def test_accounts_from_the_command_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from waterwh.cli import app

    runner = CliRunner()
    home = str(tmp_path / "home")
    r = runner.invoke(app, ["portal", "users", "add", "qingxi", "--unit", "青溪县水利局", "--area", "青溪县",
                            "--types", "investment,patrol", "--generate-password", "--home", home])
    assert r.exit_code == 0, r.output
    password = r.output.split("初始密码", 1)[1].split("：", 1)[1].split()[0]
    r = runner.invoke(app, ["portal", "users", "add", "xyz", "--unit", "某", "--area", "青溪县", "--types", "nope",
                            "--generate-password", "--home", home])
    assert r.exit_code == 1 and "未知的台账类型" in r.output and "初始密码" not in r.output
    s = Settings.from_env(home)
    c = client(s)
    token = csrf_of(c.get("/login").text)
    assert c.post("/login", data={"csrf": token, "username": "qingxi", "password": password}).status_code == 200
    assert runner.invoke(app, ["portal", "users", "disable", "qingxi", "--home", home]).exit_code == 0
    assert c.get("/", follow_redirects=False).status_code == 303  # its session ended
    assert "停用" in runner.invoke(app, ["portal", "users", "list", "--home", home]).output


def test_a_clerk_replaces_the_handed_over_password(settings: Settings) -> None:
    c, csrf = logged_in(settings, "qingxi")
    elsewhere, _ = logged_in(settings, "qingxi")  # the same account on another device
    wrong = c.post("/password", data={"csrf": csrf, "current": "not it at all", "new": "a" * 12, "again": "a" * 12})
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.text
    short = c.post("/password", data={"csrf": csrf, "current": PASSWORD, "new": "short", "again": "short"})
    assert short.status_code == 400 and "至少 10 个字符" in short.text
    new = "only-qingxi-knows-this"
    r = c.post("/password", data={"csrf": csrf, "current": PASSWORD, "new": new, "again": new})
    assert r.status_code == 200 and "密码已修改" in r.text  # and this device stays logged in
    assert elsewhere.get("/", follow_redirects=False).status_code == 303
    fresh = client(settings)
    token = csrf_of(fresh.get("/login").text)
    assert fresh.post("/login", data={"csrf": token, "username": "qingxi", "password": PASSWORD}).status_code == 401
    token = csrf_of(fresh.get("/login").text)
    assert fresh.post("/login", data={"csrf": token, "username": "qingxi", "password": new}).status_code == 200


def test_the_bureau_disables_an_account_from_its_page(settings: Settings) -> None:
    clerk, _ = logged_in(settings, "shimen")
    bureau, csrf = logged_in(settings, "bureau")
    r = bureau.post("/admin/accounts/shimen/active", data={"csrf": csrf, "active": "0"})
    assert r.status_code == 200 and "停用" in r.text
    assert clerk.get("/", follow_redirects=False).status_code == 303
    assert bureau.post("/admin/accounts/bureau/active", data={"csrf": csrf, "active": "0"}).status_code == 400
    assert "account_disabled" in bureau.get("/admin/log").text
    r = bureau.post("/admin/accounts", data={"csrf": csrf, "username": "longtan", "password": PASSWORD,
                                              "unit_name": "龙潭乡水利站", "area": "龙潭乡",
                                              "ledger_types": ["patrol"]})
    assert "已创建账号「longtan」" in r.text
    logged_in(settings, "longtan")  # asserts the new account can log in


def test_two_units_of_one_area_never_overwrite_each_others_ledger(settings: Settings, tmp_path: Path) -> None:
    with connect(portal_db(settings)) as con:  # a project office reporting the county's investment too
        accounts.create_account(con, "xiangmuban", PASSWORD, "青溪县重点项目办", "青溪县", ["investment"])
    first, csrf_1 = logged_in(settings, "qingxi")
    second, csrf_2 = logged_in(settings, "xiangmuban")
    a = ledger(tmp_path / "a", "青溪县2025年3月投资台账.xlsx", GOOD)
    b = ledger(tmp_path / "b", "青溪县2025年3月投资台账.xlsx", FIXED)
    assert "已报送" in upload(first, csrf_1, a).text and "已报送" in upload(second, csrf_2, b).text
    landed = sorted(settings.landing_dir.rglob("*.xlsx"))
    assert len(landed) == 2 and {p.read_bytes() for p in landed} == {a.read_bytes(), b.read_bytes()}
    assert "已被新版本替代" not in first.get("/").text


def test_account_names_are_plain(settings: Settings) -> None:
    with connect(portal_db(settings)) as con:
        for bad in ("../etc", "a/b", "x", ".hidden", "with space"):
            with pytest.raises(accounts.AccountError, match="不可用"):
                accounts.create_account(con, bad, PASSWORD, "某单位", "青溪县", ["investment"])
        assert accounts.create_account(con, "龙潭乡水利站", PASSWORD, "龙潭乡水利站", "龙潭乡", ["patrol"]).id


def test_the_matrix_says_refused_sent_and_not_yet_sent(settings: Settings, tmp_path: Path) -> None:
    from datetime import date, datetime

    from waterwh.portal import progress

    today = datetime.now(settings.timezone).date()
    months = [divmod(today.year * 12 + today.month - 1 - back, 12) for back in (3, 2, 1)]  # the last three
    ends = [date(year, month + 1, 1) for year, month in months]
    nulled = ["2", "青石镇堤防", "青石镇", "新建", "县重点", "abc", 50, 5, 10, 10, "在建", ""]
    c, csrf = logged_in(settings, "qingxi")
    for month, rows, folder in ((ends[0], [GOOD, NO_NAME], "refused"), (ends[1], [GOOD, nulled], "unconfirmed"),
                                (ends[2], [GOOD], "sent")):
        title = f"青溪县{month.year}年1-{month.month}月重点项目投资台账"
        name = f"青溪县{month.year}年{month.month}月投资台账.xlsx"
        upload(c, csrf, ledger(tmp_path / folder, name, *rows, title=title))
    with connect(portal_db(settings)) as con:
        cells = {c.period_end.strftime("%Y-%m"): c for c in progress.matrix(con, settings)
                 if c.ledger_type == "investment" and c.area == "青溪县"}
    states = [cells[m.strftime("%Y-%m")].label for m in ends]
    assert states == ["退回", "未报送", "已报送"]
    assert cells[ends[2].strftime("%Y-%m")].units == ["青溪县水利局"]
