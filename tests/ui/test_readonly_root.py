"""SD care: the kiosk runs with a read-only root filesystem when only its data dir is writable.

Pi OS's overlay root (raspi-config) and the unit's ProtectSystem=strict both leave the app
nothing else to write to. This runs the real app in a mount namespace where / is remounted
read-only and only the data dir is bind-mounted writable.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import PROJECT_DIR

pytestmark = pytest.mark.ui


def can_make_namespaces() -> str | None:
    if shutil.which("unshare") is None:
        return "the unshare command (util-linux) is missing"
    probe = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "true"], capture_output=True
    )
    return None if probe.returncode == 0 else f"no mount namespaces here: {probe.stderr!r}"


def test_the_kiosk_runs_and_saves_its_counts_with_a_read_only_root(tmp_path: Path) -> None:
    reason = can_make_namespaces()
    if reason:
        pytest.skip(reason)
    data = tmp_path / "data"
    data.mkdir()
    address = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(address))
    env = {
        **os.environ,
        "SDL_VIDEODRIVER": "offscreen",
        "HOME": str(tmp_path / "no-home"),  # not there, and nothing may create it
        "NOTIFY_SOCKET": str(address),
    }
    env.pop("KIVY_NO_CONSOLELOG", None)
    for name in ("KIOSK_RUNTIME_DIR", "XDG_RUNTIME_DIR", "KIVY_HOME"):
        env.pop(name, None)
    script = (
        f'mount --bind "{data}" "{data}" && mount -o remount,ro,bind / && '
        f'exec "{sys.executable}" main.py --windowed --size 800x480 --data-dir "{data}"'
    )
    app = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        sock.settimeout(60)
        assert "READY=1" in sock.recv(4096).decode()
        app.send_signal(signal.SIGTERM)
        assert app.wait(timeout=20) == 0
    finally:
        if app.poll() is None:
            app.kill()
        _, errors = app.communicate(timeout=10)
        sock.close()
    log = errors.decode(errors="replace")
    assert "Start application main loop" in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    assert "[ERROR" not in log and "[CRITICAL" not in log, log[-3000:]
    assert (data / "state.json").is_file()  # the counts of the session were saved
    assert not (tmp_path / "no-home").exists()
