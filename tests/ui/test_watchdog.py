"""The running app tells systemd it is alive from its main loop; a frozen app stops telling."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk import PROJECT_DIR

pytestmark = pytest.mark.ui


def receive(sock: socket.socket, seconds: float) -> list[str]:
    """Every notification that arrives within `seconds`."""
    messages: list[str] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            messages.append(sock.recv(4096).decode())
        except TimeoutError:
            break
    return messages


def first_message(sock: socket.socket, seconds: float) -> str:
    sock.settimeout(seconds)
    return sock.recv(4096).decode()


def test_ready_then_watchdog_beats_stop_when_frozen_and_status_sees_the_app(
    tmp_path: Path,
) -> None:
    address = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(address))
    runtime, data = tmp_path / "run", tmp_path / "data"
    env = {
        **os.environ,
        "SDL_VIDEODRIVER": "offscreen",
        "NOTIFY_SOCKET": str(address),
        "WATCHDOG_USEC": "1000000",  # systemd's WatchdogSec=1: beats every 0.5 s
        "KIOSK_RUNTIME_DIR": str(runtime),
    }
    app = subprocess.Popen(
        [sys.executable, "main.py", "--windowed", "--size", "800x480", "--data-dir", str(data)],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert "READY=1" in first_message(sock, 60)
        beats = [m for m in receive(sock, 3) if "WATCHDOG=1" in m]
        assert len(beats) >= 3, beats

        status = subprocess.run(
            [sys.executable, "-m", "kiosk.cli", "status", "--data-dir", str(data), "--json"],
            env={**env, "LANG": "C"},
            capture_output=True,
            text=True,
            cwd=PROJECT_DIR,
        )
        report = json.loads(status.stdout)
        assert report["app"]["pid"] == app.pid
        assert report["app"]["age_seconds"] < 5
        assert "not_running" not in [p["code"] for p in report["problems"]]

        app.send_signal(signal.SIGSTOP)  # a frozen main loop
        receive(sock, 0.3)  # what was already on its way
        assert [m for m in receive(sock, 2.5) if "WATCHDOG=1" in m] == []
        app.send_signal(signal.SIGCONT)
        assert [m for m in receive(sock, 3) if "WATCHDOG=1" in m]

        app.send_signal(signal.SIGTERM)
        assert app.wait(timeout=20) == 0
        assert any("STOPPING=1" in m for m in receive(sock, 1))
    finally:
        if app.poll() is None:
            app.kill()
        _, errors = app.communicate(timeout=10)
        sock.close()
    assert b"Traceback" not in errors, errors.decode(errors="replace")[-2000:]
