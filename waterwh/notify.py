"""Tell someone when the nightly run did not publish.

Always appended to `$WATERWH_HOME/notifications.jsonl`; also sent to a webhook (企业微信 or 钉钉
group robot, or any URL that takes JSON) and by e-mail when configured (`NotifySettings`).

A delivery counts only when the service says so: 企业微信 and 钉钉 answer HTTP 200 with an
`errcode`, and anything but 0 is a failure. 钉钉's 加签 robots get the signed timestamp they demand;
a message is cut to the service's byte limit, saying so; a transient failure (no connection, a 5xx,
the service's "too many messages" or "busy" codes) is retried with exponential backoff (tenacity).
A sink that still fails is recorded in the log entry, shown by `waterwh status`; it never fails the
run.

Not apprise: its 企业微信 and 钉钉 plugins post to the services' public hosts only, so a bureau's
intranet relay (a server with no internet reaches the robots through one) cannot be configured,
and the delivery rules above could not be tested against a local fake service.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from waterwh.config import NotifySettings, Settings

if TYPE_CHECKING:
    from waterwh.run_result import RunResult

# What one message may hold, in UTF-8 bytes: 企业微信 markdown content 4096, 钉钉 markdown text 20000.
BYTE_LIMITS = {"wecom": 4096, "dingtalk": 20000}
# errcodes that mean "try again later": -1 system busy; 45009 / 130101 too many messages.
TRANSIENT_ERRCODES = {"wecom": {-1, 45009}, "dingtalk": {-1, 130101}}
CUT = "\n\n……（内容过长已截断，全文见运行报告）"


class DeliveryError(Exception):
    """A message the service did not take; `transient`: worth trying again."""

    def __init__(self, message: str, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def cut_to_bytes(text: str, limit: int | None) -> str:
    """`text`, or as much of it as fits in `limit` UTF-8 bytes with a note that it was cut."""
    data = text.encode()
    if limit is None or len(data) <= limit:
        return text
    room = limit - len(CUT.encode())
    return data[:room].decode(errors="ignore") + CUT


def signed_url(url: str, secret: str, now_ms: int) -> str:
    """A 钉钉 加签 robot's URL: the timestamp in ms and its HMAC-SHA256 under the secret, base64."""
    digest = hmac.new(secret.encode(), f"{now_ms}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    return f"{url}{'&' if '?' in url else '?'}timestamp={now_ms}&sign={sign}"


def _payload(kind: str, subject: str, body: str, report: Path | None) -> dict[str, object]:
    text = cut_to_bytes(f"**{subject}**\n\n{body}" + (f"\n\n运行报告：{report}" if report else ""),
                        BYTE_LIMITS.get(kind))
    if kind == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": text}}
    if kind == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": subject, "text": text}}
    return {"subject": subject, "body": body, "report": str(report) if report else None}


def _send_webhook(cfg: NotifySettings, subject: str, body: str, report: Path | None) -> None:
    assert cfg.webhook_url
    url = cfg.webhook_url
    if cfg.webhook_kind == "dingtalk" and cfg.webhook_secret:
        url = signed_url(url, cfg.webhook_secret, int(time.time() * 1000))
    data = json.dumps(_payload(cfg.webhook_kind, subject, body, report), ensure_ascii=False).encode()
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            reply = resp.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code}", transient=exc.code >= 500 or exc.code == 429) from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}", transient=True) from exc
    try:
        answer = json.loads(reply) if reply.strip() else {}
    except ValueError:
        answer = {}
    code = answer.get("errcode", 0) if isinstance(answer, dict) else 0
    if code != 0:
        raise DeliveryError(f"errcode {code}: {answer.get('errmsg', '')}",
                            transient=code in TRANSIENT_ERRCODES.get(cfg.webhook_kind, set()))


def _send_email(cfg: NotifySettings, subject: str, body: str, report: Path | None) -> None:
    assert cfg.smtp_host
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = subject, cfg.email_from, ", ".join(cfg.email_to)
    msg.set_content(body)
    if report is not None and report.exists():
        msg.add_attachment(report.read_bytes(), maintype="text", subtype="markdown", filename=report.name)
    try:
        with smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=10) as smtp:
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}", transient=True) from exc
    except smtplib.SMTPException as exc:  # refused recipients, authentication: trying again will not help
        raise DeliveryError(f"{type(exc).__name__}: {exc}", transient=False) from exc


Sender = Callable[[NotifySettings, str, str, Path | None], None]


def _deliver(cfg: NotifySettings, send: Sender, subject: str, body: str, report: Path | None) -> str:
    """Send through one sink, retrying transient failures; what happened, for the log."""
    attempts = 0
    try:
        for attempt in Retrying(stop=stop_after_attempt(cfg.attempts), reraise=True,
                                wait=wait_exponential(multiplier=cfg.backoff_seconds, max=60),
                                retry=retry_if_exception(lambda e: isinstance(e, DeliveryError) and e.transient)):
            with attempt:
                attempts += 1
                send(cfg, subject, body, report)
    except DeliveryError as exc:
        return f"failed after {attempts} attempt(s): {exc}"
    except Exception as exc:  # a broken sink must not hide the failure it reports
        return f"failed: {type(exc).__name__}: {exc}"
    return "sent" if attempts == 1 else f"sent after {attempts} attempts"


def notify(settings: Settings, run_id: str, subject: str, body: str, report: Path | None = None) -> dict[str, object]:
    """Send to every configured sink; return (and log) what happened."""
    cfg = settings.notify
    sinks: list[tuple[str, Sender]] = []
    if cfg.webhook_url:
        sinks.append(("webhook", _send_webhook))
    if cfg.smtp_host and cfg.email_to:
        sinks.append(("email", _send_email))
    delivered = {name: _deliver(cfg, send, subject, body, report) for name, send in sinks}
    entry = {
        "at": datetime.now(settings.timezone).isoformat(timespec="seconds"),
        "run_id": run_id,
        "subject": subject,
        "body": body,
        "report": str(report) if report else None,
        "sinks": delivered,
    }
    settings.home.mkdir(parents=True, exist_ok=True)
    with settings.notifications_log.open("a", encoding="utf-8") as f:
        f.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return entry


def notify_failed_run(settings: Settings, r: RunResult) -> dict[str, object]:
    from waterwh.reporting.run_report import OUTCOME_ZH

    subject = f"waterwh 夜间运行未发布：{OUTCOME_ZH.get(r.outcome, r.outcome)}（{r.run_id}）"
    body = (r.message or "").strip() + f"\n\n已发布的数据仓库保持不变：{settings.published_path}"
    return notify(settings, r.run_id, subject, body, r.report_path)


def failed_deliveries(settings: Settings, last: int = 20) -> list[dict[str, object]]:
    """The log entries, of the last `last`, with a sink that did not take the message."""
    if not settings.notifications_log.exists():
        return []
    lines = settings.notifications_log.read_text(encoding="utf-8").splitlines()[-last:]
    entries = [json.loads(line) for line in lines if line.strip()]
    return [e for e in entries if any(str(v).startswith("failed") for v in (e.get("sinks") or {}).values())]
