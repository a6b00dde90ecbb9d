"""sd_notify against real AF_UNIX datagram sockets, and a real child process that freezes."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.system.notify import SystemdNotifier, watchdog_interval

# How long a test waits for a datagram that must come. Generous: it bounds a hang, it is not
# an assertion about speed.
ARRIVAL_TIMEOUT = 20.0


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    """What systemd does: a datagram socket bound to a path, and its NOTIFY_SOCKET value."""
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(ARRIVAL_TIMEOUT)
    yield sock, str(path)
    sock.close()


def receive(sock: socket.socket) -> str:
    return sock.recv(4096).decode("utf-8")


def test_messages_arrive_as_systemd_expects(listener: tuple[socket.socket, str]) -> None:
    sock, address = listener
    notifier = SystemdNotifier.from_environ({"NOTIFY_SOCKET": address})
    assert notifier is not None

    assert notifier.ready()
    assert notifier.heartbeat()
    assert notifier.status("Inhalt Version 12\naktiv")
    assert notifier.stopping()
    notifier.close()

    assert receive(sock) == "READY=1"
    assert receive(sock) == "WATCHDOG=1"
    assert receive(sock) == "STATUS=Inhalt Version 12 aktiv"  # one line, as systemd shows it
    assert receive(sock) == "STOPPING=1"


def test_abstract_socket() -> None:
    name = f"kiosk-notify-test-{secrets.token_hex(8)}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(ARRIVAL_TIMEOUT)
    try:
        notifier = SystemdNotifier.from_environ({"NOTIFY_SOCKET": "@" + name})
        assert notifier is not None
        assert notifier.ready()
        assert receive(sock) == "READY=1"
        notifier.close()
    finally:
        sock.close()


@pytest.mark.parametrize("value", [None, "", "vsock:2:1234", "@"])
def test_no_notifier_without_a_unix_socket(value: str | None) -> None:
    environ = {} if value is None else {"NOTIFY_SOCKET": value}
    assert SystemdNotifier.from_environ(environ) is None


def test_a_dead_socket_never_raises_and_logs_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A socket file nobody listens on any more (systemd gone): ECONNREFUSED.
    path = tmp_path / "dead"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dead.bind(str(path))
    dead.close()
    assert path.exists()

    notifier = SystemdNotifier(str(path))
    with caplog.at_level(logging.DEBUG, logger="kiosk.system.notify"):
        assert notifier.ready() is False
        assert notifier.heartbeat() is False
        assert notifier.heartbeat() is False
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1

    # A path that does not exist at all: ENOENT, still no exception.
    assert SystemdNotifier(str(tmp_path / "missing")).heartbeat() is False


def test_watchdog_interval_is_half_the_timeout() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    own = {"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": str(os.getpid())}
    assert watchdog_interval(own) == 1.0


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"WATCHDOG_USEC": "0"},
        {"WATCHDOG_USEC": "soon"},
        {"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"},  # meant for another process
    ],
)
def test_no_watchdog(environ: dict[str, str]) -> None:
    assert watchdog_interval(environ) is None


# The kiosk's wiring in miniature: READY after start-up, heartbeats from the main loop at the
# interval systemd asked for, and then the loop blocks (a frozen UI) while the process lives.
FREEZING_CHILD = textwrap.dedent(
    """
    import time
    from kiosk.system.notify import SystemdNotifier, watchdog_interval

    notifier = SystemdNotifier.from_environ()
    interval = watchdog_interval()
    assert notifier is not None and interval is not None
    notifier.ready()
    beats = 0
    while True:  # the main loop
        notifier.heartbeat()
        beats += 1
        if beats == 3:
            notifier.status("frozen")
            time.sleep(3600)  # a handler that never returns: the loop stops turning
        time.sleep(interval)
    """
)


def test_a_frozen_main_loop_stops_the_heartbeats(
    listener: tuple[socket.socket, str],
) -> None:
    sock, address = listener
    watchdog_usec = 400_000  # heartbeats every 0.2 s
    environ = {**os.environ, "NOTIFY_SOCKET": address, "WATCHDOG_USEC": str(watchdog_usec)}
    environ.pop("WATCHDOG_PID", None)
    child = subprocess.Popen([sys.executable, "-c", FREEZING_CHILD], env=environ)
    try:
        assert receive(sock) == "READY=1"
        for _ in range(3):
            assert receive(sock) == "WATCHDOG=1"
        assert receive(sock) == "STATUS=frozen"

        # Play systemd: wait one full watchdog period for a heartbeat. Datagrams keep their
        # order, so anything that arrives now was sent after the freeze. None may come.
        sock.settimeout(watchdog_usec / 1_000_000)
        with pytest.raises(TimeoutError):
            sock.recv(4096)
        assert child.poll() is None, "the child hangs; it did not crash"
    finally:
        child.kill()  # what systemd does when the watchdog fires (SIGABRT, then SIGKILL)
        child.wait()
