"""`recertify serve --http` as an operator runs it: the real process, reached over HTTP with requests the
Slack simulator signs, answering /healthz, serving the App Home, and stopping cleanly on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import time
import urllib.request
from pathlib import Path

from simulators.slack import SlackSimulator, SlackWorkspace
from simulators.slack.outgoing import SlackRequests
from tests.bot.conftest import SECRET, TOKEN
from tests.helpers import recertify_process


def test_serve_http_answers_signed_requests_and_health(database_url: str, tmp_path: Path) -> None:
    ws = SlackWorkspace(team_id="T0001", team_name="Department")
    olu = ws.add_user("olu@dept.example.gov", "Olu")
    with SlackSimulator(ws, bot_token=TOKEN) as sim:
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "RECERTIFY_DATABASE_URL": database_url,
            "RECERTIFY_AWS_ENABLED": "false",
            "RECERTIFY_ENTRA_ENABLED": "false",
            "RECERTIFY_SLACK_API_URL": sim.api_url,
            "RECERTIFY_SLACK_TEAM_ID": "T0001",
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
        }
        process = recertify_process("serve", "--http", "0", env=env, cwd=tmp_path)
        try:
            line = process.stdout.readline() if process.stdout else ""
            found = re.search(r"(http://127\.0\.0\.1:\d+)/slack/events", line)
            assert found, line + (
                process.stderr.read() if process.poll() is not None and process.stderr else ""
            )
            base = found.group(1)
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as health:  # noqa: S310  (a local URL)
                assert health.status == 200
            slack = SlackRequests(f"{base}/slack/events", SECRET)
            assert slack.send(sim.payloads().app_home_opened(olu)).status == 200
            assert slack.send(sim.payloads().app_home_opened(olu), secret="forged").status == 401
            deadline = time.monotonic() + 10
            while ws.home(olu) is None and time.monotonic() < deadline:
                time.sleep(0.05)
            home = ws.home(olu)
            assert home is not None and home.blocks  # published by the running process
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert len(sim.calls_to("views.publish")) == 1  # the forged request published nothing


def test_serve_in_socket_mode_handles_envelopes(database_url: str, tmp_path: Path) -> None:
    ws = SlackWorkspace(team_id="T0001", team_name="Department")
    olu = ws.add_user("olu@dept.example.gov", "Olu")
    with SlackSimulator(ws, bot_token=TOKEN, app_token="xapp-test", socket_mode=True) as sim:  # noqa: S106
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "RECERTIFY_DATABASE_URL": database_url,
            "RECERTIFY_AWS_ENABLED": "false",
            "RECERTIFY_ENTRA_ENABLED": "false",
            "RECERTIFY_SLACK_API_URL": sim.api_url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_APP_TOKEN": "xapp-test",
        }
        process = recertify_process("serve", env=env, cwd=tmp_path)
        try:
            assert sim.socket is not None
            sim.socket.wait_for_connection(timeout=20)
            ack = sim.socket.deliver(sim.payloads().app_home_opened(olu))
            assert ack is not None
            deadline = time.monotonic() + 10
            while ws.home(olu) is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert ws.home(olu) is not None  # the event came over the socket and was served
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=30)
    assert "Socket Mode connected" in out, err
    assert process.returncode == 0, err
