"""Tell someone when the nightly run did not publish.

Always appended to `$WATERWH_HOME/notifications.jsonl`; also sent to a webhook (企业微信 or 钉钉
group robot, or any URL that takes JSON) and by e-mail when configured (`NotifySettings`). A sink
that fails is recorded in the log entry; it never fails the run.
"""

from __future__ import annotations

import json
import smtplib
import urllib.request
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from waterwh.config import NotifySettings, Settings

if TYPE_CHECKING:
    from waterwh.pipeline import RunResult


def _webhook_payload(kind: str, subject: str, body: str, report: Path | None) -> dict[str, object]:
    text = f"**{subject}**\n\n{body}" + (f"\n\n运行报告：{report}" if report else "")
    if kind == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": text}}
    if kind == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": subject, "text": text}}
    return {"subject": subject, "body": body, "report": str(report) if report else None}


def _send_webhook(cfg: NotifySettings, subject: str, body: str, report: Path | None) -> None:
    assert cfg.webhook_url
    data = json.dumps(_webhook_payload(cfg.webhook_kind, subject, body, report), ensure_ascii=False).encode()
    req = urllib.request.Request(
        cfg.webhook_url, data=data, headers={"Content-Type": "application/json; charset=utf-8"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        resp.read()


def _send_email(cfg: NotifySettings, subject: str, body: str, report: Path | None) -> None:
    assert cfg.smtp_host
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = subject, cfg.email_from, ", ".join(cfg.email_to)
    msg.set_content(body)
    if report is not None and report.exists():
        msg.add_attachment(report.read_bytes(), maintype="text", subtype="markdown", filename=report.name)
    with smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=10) as smtp:
        smtp.send_message(msg)


def notify(settings: Settings, run_id: str, subject: str, body: str, report: Path | None = None) -> dict[str, object]:
    """Send to every configured sink; return (and log) what happened."""
    cfg = settings.notify
    delivered: dict[str, str] = {}
    sinks = []
    if cfg.webhook_url:
        sinks.append(("webhook", _send_webhook))
    if cfg.smtp_host and cfg.email_to:
        sinks.append(("email", _send_email))
    for name, send in sinks:
        try:
            send(cfg, subject, body, report)
            delivered[name] = "sent"
        except Exception as exc:  # a broken sink must not hide the failure it reports
            delivered[name] = f"failed: {type(exc).__name__}: {exc}"
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
    from waterwh.run_report import OUTCOME_ZH

    subject = f"waterwh 夜间运行未发布：{OUTCOME_ZH.get(r.outcome, r.outcome)}（{r.run_id}）"
    body = (r.message or "").strip()[:3000] + f"\n\n已发布的数据仓库保持不变：{settings.published_path}"
    return notify(settings, r.run_id, subject, body, r.report_path)

