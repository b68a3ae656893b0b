"""The 台账报送 web pages (Starlette, server-rendered Jinja2 templates, no scripts).

Security: sessions are random tokens kept (hashed) in the portal's SQLite and renewed at each login;
every form carries a CSRF token (the session's, or before login a cookie's twin); cookies are
HttpOnly and SameSite=Strict (Secure behind HTTPS); failed logins are rate-limited per name and per
address; an upload is refused by size and type before it is parsed; files are stored under
generated names and served only to their unit; every action goes to the audit log.
"""

from __future__ import annotations

import hmac
import json
import secrets
import sqlite3
import tempfile
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.background import BackgroundTasks
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from waterwh.config import Settings
from waterwh.ingest.spec import load_specs
from waterwh.portal import accounts, progress, submissions
from waterwh.portal.accounts import Account, AccountError
from waterwh.portal.store import connect, receipt_no

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "waterwh_portal"
LOGIN_CSRF_COOKIE = "waterwh_login_csrf"
MAX_FILES = 20  # per upload
FORM_OVERHEAD = 1024 * 1024  # the form's fields and part headers, beside the files


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def portal_db(settings: Settings) -> Path:
    return settings.home / "portal" / "portal.sqlite3"


class Portal:
    """The app's state: its settings and where its records are (no globals)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = portal_db(settings)
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.ledger_names = {s.ledger_type: s.name_zh for s in load_specs()}

    def log(self, con: sqlite3.Connection, request: Request, account: Account | None, action: str,
            detail: str = "") -> None:
        con.execute("INSERT INTO audit_log (at, account_id, username, client, action, detail) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [datetime.now(self.settings.timezone).isoformat(timespec="seconds"),
                     account.id if account else None, account.username if account else None,
                     _client(request), action, detail])

    def render(self, request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
        context.setdefault("account", getattr(request.state, "account", None))
        context.setdefault("csrf", getattr(request.state, "csrf", ""))
        context["ledger_names"] = self.ledger_names
        return self.templates.TemplateResponse(request, name, context, status_code=status_code)

    def set_cookie(self, request: Request, response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict", path="/",
                            secure=request.url.scheme == "https")


Handler = Callable[[Request], Awaitable[Response]]


def login_required(admin: bool = False) -> Callable[[Handler], Handler]:
    """The session's account on request.state; a POST must carry the session's CSRF token."""

    def wrap(handler: Handler) -> Handler:
        async def inner(request: Request) -> Response:
            portal: Portal = request.app.state.portal
            with connect(portal.db) as con:
                found = accounts.session_of(con, request.cookies.get(SESSION_COOKIE))
            if found is None:
                return RedirectResponse("/login", status_code=303)
            request.state.account, request.state.csrf = found
            if admin and not found[0].is_admin:
                raise HTTPException(403, "仅局管理员可用")
            if request.method == "POST":
                form = await request.form(max_files=MAX_FILES, max_fields=50)
                if not hmac.compare_digest(str(form.get("csrf", "")), found[1]):
                    raise HTTPException(403, "表单已失效（CSRF 校验未通过），请刷新页面后重试")
            return await handler(request)

        return inner

    return wrap


async def login_page(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    token = secrets.token_urlsafe(24)
    response = portal.render(request, "login.html", csrf=token)
    portal.set_cookie(request, response, LOGIN_CSRF_COOKIE, token, 3600)
    return response


async def login(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    form = await request.form(max_files=0, max_fields=10)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(str(form.get("csrf", "")), cookie):
        raise HTTPException(403, "表单已失效（CSRF 校验未通过），请刷新页面后重试")
    username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    with connect(portal.db) as con:
        if accounts.login_refused(con, username, _client(request)):
            portal.log(con, request, None, "login_refused", username)
            return portal.render(request, "login.html", status_code=429, csrf=cookie,
                                 error="登录失败次数过多，请 15 分钟后再试")
        account = accounts.authenticate(con, username, password, _client(request))
        if account is None:
            portal.log(con, request, None, "login_failed", username)
            return portal.render(request, "login.html", status_code=401, csrf=cookie, error="账号或密码不正确")
        accounts.end_session(con, request.cookies.get(SESSION_COOKIE))  # whatever came before is dropped
        token = accounts.start_session(con, account)
        portal.log(con, request, account, "login")
    response = RedirectResponse("/", status_code=303)
    portal.set_cookie(request, response, SESSION_COOKIE, token, accounts.SESSION_HOURS * 3600)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@login_required()
async def logout(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    with connect(portal.db) as con:
        accounts.end_session(con, request.cookies.get(SESSION_COOKIE))
        portal.log(con, request, request.state.account, "logout")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _rows_for(con: sqlite3.Connection, account: Account) -> list[sqlite3.Row]:
    if account.is_admin:
        return con.execute("SELECT s.*, a.unit_name FROM submissions AS s JOIN accounts AS a ON a.id = s.account_id "
                           "ORDER BY s.id DESC LIMIT 200").fetchall()
    return con.execute("SELECT s.*, a.unit_name FROM submissions AS s JOIN accounts AS a ON a.id = s.account_id "
                       "WHERE s.account_id = ? ORDER BY s.id DESC", [account.id]).fetchall()


@login_required()
async def home(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    account: Account = request.state.account
    with connect(portal.db) as con:
        rows = _rows_for(con, account)
    loads = progress.loads_of(portal.settings, [r["sha256"] for r in rows])
    return portal.render(request, "home.html", rows=rows, loads=loads, no=receipt_no,
                         status_zh=submissions.STATUS_ZH, max_mb=portal.settings.max_file_bytes / 1048576)


@login_required()
async def upload(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    account: Account = request.state.account
    if account.is_admin:
        raise HTTPException(403, "局管理员账号不报送台账")
    form = await request.form(max_files=MAX_FILES, max_fields=50)
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    if not files:
        return RedirectResponse("/?nofile=1", status_code=303)
    ids, refused = [], []
    with tempfile.TemporaryDirectory(dir=portal.db.parent) as tmp:
        for i, f in enumerate(files):
            data = Path(tmp) / f"upload-{i}"
            with data.open("wb") as out:
                while chunk := await f.read(1 << 20):
                    out.write(chunk)
            try:  # the check reads the workbook for seconds: off the event loop, other pages keep answering
                receipt = await run_in_threadpool(submissions.receive, portal.db, portal.settings, account,
                                                  f.filename or "", data)
            except submissions.UploadRefused as exc:
                refused.append(str(exc))
                with connect(portal.db) as con:
                    portal.log(con, request, account, "upload_refused", str(exc))
                continue
            ids.append(receipt.id)
            with connect(portal.db) as con:
                portal.log(con, request, account, "upload",
                           f"{receipt.no} {f.filename} → {submissions.STATUS_ZH[receipt.status]}")
    # the annotated copies are written once the page is answered (a download before then writes its own)
    annotate = BackgroundTasks()
    for sid in ids:
        annotate.add_task(submissions.annotated_copy, portal.db, portal.settings, sid)
    if refused and not ids:
        return portal.render(request, "refused.html", status_code=400, refused=refused)
    if len(ids) == 1 and not refused:
        return RedirectResponse(f"/submissions/{ids[0]}", status_code=303, background=annotate)
    response = portal.render(request, "refused.html", refused=refused, ids=ids, no=receipt_no)
    response.background = annotate
    return response


def _own(con: sqlite3.Connection, account: Account, submission_id: int) -> sqlite3.Row:
    """The submission, if this account may see it (its unit's, or any for the bureau): else 404, so
    that another district's numbers do not even tell whether they exist."""
    row = con.execute("SELECT s.*, a.unit_name, a.area, a.username FROM submissions AS s JOIN accounts AS a "
                      "ON a.id = s.account_id WHERE s.id = ?", [submission_id]).fetchone()
    if row is None or not (account.is_admin or row["account_id"] == account.id):
        raise HTTPException(404, "没有这份报送")
    return row


@login_required()
async def submission(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    sid = int(request.path_params["sid"])
    with connect(portal.db) as con:
        row = _own(con, request.state.account, sid)
        superseded_by = row["superseded_by"]
    loaded = progress.loads_of(portal.settings, [row["sha256"]]).get(row["sha256"])
    quarantined = progress.quarantined_rows(portal.settings, loaded.load_id) if loaded else []
    return portal.render(request, "submission.html", row=row, check=json.loads(row["check_json"]), no=receipt_no,
                         status_zh=submissions.STATUS_ZH, loaded=loaded, quarantined=quarantined,
                         superseded_by=superseded_by)


@login_required()
async def confirm(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    sid = int(request.path_params["sid"])
    with connect(portal.db) as con:
        _own(con, request.state.account, sid)
        if submissions.confirm(con, portal.settings, request.state.account, sid):
            portal.log(con, request, request.state.account, "confirm", receipt_no(sid))
    return RedirectResponse(f"/submissions/{sid}", status_code=303)


@login_required()
async def download(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    sid, kind = int(request.path_params["sid"]), request.path_params["kind"]
    with connect(portal.db) as con:
        row = _own(con, request.state.account, sid)
        portal.log(con, request, request.state.account, f"download_{kind}", receipt_no(sid))
    stem = Path(row["file_name"]).stem
    if kind == "annotated":
        copy, why = await run_in_threadpool(submissions.annotated_copy, portal.db, portal.settings, sid)
        if copy is None:
            raise HTTPException(404, why)
        return FileResponse(copy, filename=f"{stem}.检查标注.xlsx")
    if kind == "original":
        return FileResponse(row["stored_path"], filename=row["file_name"])
    raise HTTPException(404, "没有这个文件")


@login_required(admin=True)
async def status_matrix(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    with connect(portal.db) as con:
        cells = progress.matrix(con, portal.settings)
    periods = sorted({c.period_end for c in cells})
    rows: dict[tuple[str, str], dict] = {}
    for c in cells:
        rows.setdefault((c.area, c.ledger_type), {"units": c.units})[c.period_end] = c
    late = [c for c in cells if c.state in ("missing", "rejected")]
    return portal.render(request, "status.html", periods=periods, rows=rows, late=late,
                         sent=request.query_params.get("sent"))


@login_required(admin=True)
async def remind(request: Request) -> Response:
    from waterwh.notify import notify

    portal: Portal = request.app.state.portal
    with connect(portal.db) as con:
        late = [c for c in progress.matrix(con, portal.settings) if c.state in ("missing", "rejected")]
        lines = [f"- {c.area} {portal.ledger_names.get(c.ledger_type, c.ledger_type)} "
                 f"{c.period_end:%Y年%m月}：{c.label}（{'、'.join(c.units) or '未设账号'}）" for c in late]
        intro = "以下台账尚未报送或被退回，请尽快通过台账报送页面报送：\n\n"
        body = intro + "\n".join(lines) if late else "全部已报送。"
        entry = notify(portal.settings, "portal-reminder", f"台账报送提醒（{len(late)} 项）", body)
        portal.log(con, request, request.state.account, "remind", json.dumps(entry["sinks"], ensure_ascii=False))
    return RedirectResponse(f"/admin/status?sent={len(late)}", status_code=303)


@login_required(admin=True)
async def accounts_page(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    error = created = None
    with connect(portal.db) as con:
        if request.method == "POST":
            form = await request.form(max_files=0, max_fields=50)
            try:
                made = accounts.create_account(
                    con, str(form.get("username", "")), str(form.get("password", "")),
                    str(form.get("unit_name", "")).strip(), str(form.get("area", "")).strip() or None,
                    [str(t) for t in form.getlist("ledger_types")], is_admin=form.get("is_admin") == "1")
                created = made.username
                portal.log(con, request, request.state.account, "account_created", made.username)
            except AccountError as exc:
                error = str(exc)
        rows = accounts.list_accounts(con)
    return portal.render(request, "accounts.html", rows=rows, error=error, created=created)


@login_required()
async def password_page(request: Request) -> Response:
    """A clerk replaces the password the bureau handed over; every other session of the account ends."""
    portal: Portal = request.app.state.portal
    account: Account = request.state.account
    if request.method == "GET":
        return portal.render(request, "password.html")
    form = await request.form(max_files=0, max_fields=10)
    new, again = str(form.get("new", "")), str(form.get("again", ""))
    with connect(portal.db) as con:
        if accounts.login_refused(con, account.username, _client(request)):
            return portal.render(request, "password.html", status_code=429, error="密码错误次数过多，请 15 分钟后再试")
        if accounts.authenticate(con, account.username, str(form.get("current", "")), _client(request)) is None:
            portal.log(con, request, account, "password_failed")
            return portal.render(request, "password.html", status_code=400, error="当前密码不正确")
        if new != again:
            return portal.render(request, "password.html", status_code=400, error="两次输入的新密码不一致")
        try:
            accounts.set_password(con, account.username, new)
        except AccountError as exc:
            return portal.render(request, "password.html", status_code=400, error=str(exc))
        token = accounts.start_session(con, account)
        portal.log(con, request, account, "password_changed")
    response = RedirectResponse("/?password=changed", status_code=303)
    portal.set_cookie(request, response, SESSION_COOKIE, token, accounts.SESSION_HOURS * 3600)
    return response


@login_required(admin=True)
async def account_active(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    username = request.path_params["username"]
    form = await request.form(max_files=0, max_fields=10)
    active = form.get("active") == "1"
    if username == request.state.account.username:
        raise HTTPException(400, "不能停用自己的账号")
    with connect(portal.db) as con:
        try:
            accounts.set_active(con, username, active)
        except AccountError as exc:
            raise HTTPException(404, str(exc)) from exc
        portal.log(con, request, request.state.account, "account_enabled" if active else "account_disabled", username)
    return RedirectResponse("/admin/accounts", status_code=303)


@login_required(admin=True)
async def audit_page(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    with connect(portal.db) as con:
        rows = con.execute("SELECT * FROM audit_log ORDER BY id DESC LIMIT 500").fetchall()
    return portal.render(request, "audit.html", rows=rows)


async def health(request: Request) -> Response:
    return PlainTextResponse("ok")


class Guard(BaseHTTPMiddleware):
    """Refuse an upload by its declared size before any of it is read, and set the headers every
    page carries."""

    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        portal: Portal = request.app.state.portal
        if request.method == "POST":
            length = request.headers.get("content-length")
            if length is None or not length.isdigit():
                return PlainTextResponse("请求须注明大小（Content-Length）", status_code=411)
            allowed = portal.settings.max_file_bytes * MAX_FILES + FORM_OVERHEAD
            if int(length) > allowed:
                return PlainTextResponse(
                    f"上传过大：最多 {MAX_FILES} 个文件，每个不超过 {portal.settings.max_file_bytes / 1048576:g} MB",
                    status_code=413)
        response = await call_next(request)
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Content-Security-Policy"] = "default-src 'self'; form-action 'self'; frame-ancestors 'none'"
        response.headers.setdefault("Cache-Control", "no-store")
        return response


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    portal: Portal = request.app.state.portal
    return portal.render(request, "error.html", status_code=exc.status_code, message=exc.detail)


def create_app(settings: Settings) -> Starlette:
    routes = [
        Route("/healthz", health),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/", home),
        Route("/upload", upload, methods=["POST"]),
        Route("/submissions/{sid:int}", submission),
        Route("/submissions/{sid:int}/confirm", confirm, methods=["POST"]),
        Route("/submissions/{sid:int}/{kind:str}", download),
        Route("/admin/status", status_matrix),
        Route("/admin/remind", remind, methods=["POST"]),
        Route("/password", password_page, methods=["GET", "POST"]),
        Route("/admin/accounts", accounts_page, methods=["GET", "POST"]),
        Route("/admin/accounts/{username:str}/active", account_active, methods=["POST"]),
        Route("/admin/log", audit_page),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(Guard)], exception_handlers={HTTPException: http_error})
    app.state.portal = Portal(settings)
    return app
