"""Alerts that arrive: against a local fake of the 企业微信 and 钉钉 group robots that answers as
they do — HTTP 200 with an errcode, 加签 checked, a byte limit on the message, "busy" for a while —
a failed run's alert is delivered, cut to fit, retried when the service is busy, and a delivery the
service refuses is recorded as failed (and shown by `waterwh status`), never as sent."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from rich.console import Console

from waterwh.config import NotifySettings, Settings
from waterwh.notify import BYTE_LIMITS, cut_to_bytes, notify
from waterwh.reporting.summary import print_status

SECRET = "SEC0123456789abcdef"


class _Robot(BaseHTTPRequestHandler):
    """/wecom and /dingtalk robots: errcode 0 for a message they take, their codes otherwise."""

    received: ClassVar[list[dict]] = []
    busy: ClassVar[int] = 0  # answer this many requests with the service's "too many messages" first
    down: ClassVar[int] = 0  # answer this many with HTTP 503 first

    def _answer(self, errcode: int, errmsg: str = "ok") -> None:
        data = json.dumps({"errcode": errcode, "errmsg": errmsg}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        url = urllib.parse.urlparse(self.path)
        message = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if type(self).down > 0:
            type(self).down -= 1
            self.send_response(503)
            self.end_headers()
            return
        if url.path == "/wecom":
            if type(self).busy > 0:
                type(self).busy -= 1
                return self._answer(45009, "api freq out of limit")
            if len(message["markdown"]["content"].encode()) > 4096:
                return self._answer(40058, "markdown.content exceed max length 4096")
        if url.path == "/dingtalk":
            query = urllib.parse.parse_qs(url.query)
            stamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
            want = base64.b64encode(hmac.new(SECRET.encode(), f"{stamp}\n{SECRET}".encode(),
                                             hashlib.sha256).digest()).decode()
            if not stamp or sign != want or abs(time.time() * 1000 - int(stamp)) > 3_600_000:
                return self._answer(310000, "sign not match")
        type(self).received.append(message)
        return self._answer(0)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def robot() -> Iterator[str]:
    _Robot.received, _Robot.busy, _Robot.down = [], 0, 0
    server = HTTPServer(("127.0.0.1", 0), _Robot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _settings(tmp_path: Path, **notify_settings: object) -> Settings:
    return Settings(home=tmp_path, notify=replace(NotifySettings(backoff_seconds=0.01), **notify_settings))


def test_a_long_alert_to_wecom_is_cut_to_its_byte_limit(robot: str, tmp_path: Path) -> None:
    settings = _settings(tmp_path, webhook_url=f"{robot}/wecom", webhook_kind="wecom")
    body = "质量检查未通过：" + "某县某项目年度累计完成投资超过开工以来累计。" * 300
    entry = notify(settings, "r1", "waterwh 夜间运行未发布", body)
    assert entry["sinks"] == {"webhook": "sent"}
    [message] = _Robot.received
    content = message["markdown"]["content"]
    assert len(content.encode()) <= BYTE_LIMITS["wecom"] and content.endswith("全文见运行报告）")


def test_a_signed_dingtalk_robot_takes_the_alert_and_refuses_a_wrong_secret(robot: str, tmp_path: Path) -> None:
    url = f"{robot}/dingtalk?access_token=abc"
    good = notify(_settings(tmp_path, webhook_url=url, webhook_kind="dingtalk", webhook_secret=SECRET),
                  "r1", "未发布", "原因")
    assert good["sinks"] == {"webhook": "sent"} and len(_Robot.received) == 1
    bad = notify(_settings(tmp_path, webhook_url=url, webhook_kind="dingtalk", webhook_secret="SECwrong"),
                 "r2", "未发布", "原因")
    # a 200 carrying errcode 310000 is no delivery, and trying again would not help
    assert bad["sinks"] == {"webhook": "failed after 1 attempt(s): errcode 310000: sign not match"}
    assert len(_Robot.received) == 1


def test_a_busy_or_unavailable_service_is_tried_again(robot: str, tmp_path: Path) -> None:
    _Robot.busy, _Robot.down = 1, 1
    entry = notify(_settings(tmp_path, webhook_url=f"{robot}/wecom", webhook_kind="wecom"), "r1", "未发布", "原因")
    assert entry["sinks"] == {"webhook": "sent after 3 attempts"} and len(_Robot.received) == 1
    _Robot.down = 10
    entry = notify(_settings(tmp_path, webhook_url=f"{robot}/wecom", webhook_kind="wecom", attempts=3),
                   "r2", "未发布", "原因")
    assert entry["sinks"] == {"webhook": "failed after 3 attempt(s): HTTP 503"}


def test_a_failed_delivery_is_logged_and_shown_by_status(robot: str, tmp_path: Path) -> None:
    settings = _settings(tmp_path, webhook_url=f"{robot}/dingtalk", webhook_kind="dingtalk")  # no secret set
    notify(settings, "run-7", "未发布", "原因")
    [logged] = [json.loads(line) for line in settings.notifications_log.read_text(encoding="utf-8").splitlines()]
    assert logged["sinks"]["webhook"].startswith("failed") and logged["run_id"] == "run-7"
    console = Console(record=True, width=200)
    print_status(console, settings)
    shown = console.export_text()
    assert "告警未送达" in shown and "run-7" in shown and "errcode 310000" in shown


def test_cutting_never_splits_a_character() -> None:
    text = "汉" * 2000  # 6000 bytes
    cut = cut_to_bytes(text, 4096)
    assert len(cut.encode()) <= 4096 and cut.encode().decode() == cut and cut.startswith("汉" * 1000)
    assert cut_to_bytes("短", 4096) == "短"
