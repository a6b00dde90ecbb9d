"""A dependency-free sd_notify client: readiness, watchdog heartbeats and status for systemd.

systemd hands a `Type=notify` service the address of a datagram socket in `NOTIFY_SOCKET`
(a path, or `@name` for Linux's abstract namespace) and, with `WatchdogSec=`, the timeout in
`WATCHDOG_USEC`. The protocol is one datagram of `KEY=value` lines per message; see
https://www.freedesktop.org/software/systemd/man/latest/sd_notify.html.

Sends never block and never raise: a kiosk whose supervisor went away must keep showing its
screens. The first failure is logged, later ones only at debug level.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


class SystemdNotifier:
    """Sends sd_notify messages to the socket systemd named in `NOTIFY_SOCKET`."""

    def __init__(self, address: str) -> None:
        # "@name" is systemd's spelling of an abstract socket; Python wants a leading NUL.
        self.address = "\0" + address[1:] if address.startswith("@") else address
        self._socket: socket.socket | None = None
        self._failed = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> SystemdNotifier | None:
        """The notifier for this process, or None when not started by systemd as a notify
        service (no `NOTIFY_SOCKET`, or an address type other than AF_UNIX)."""
        address = environ.get("NOTIFY_SOCKET", "")
        if address.startswith(("/", "@")) and len(address) > 1:
            return cls(address)
        if address:
            log.warning("NOTIFY_SOCKET=%r is not an AF_UNIX address; not notifying", address)
        return None

    # ---- the messages the kiosk sends ---------------------------------------------------------
    def ready(self) -> bool:
        """Start-up is complete (the first frame is on screen)."""
        return self.notify("READY=1")

    def heartbeat(self) -> bool:
        """The main loop is alive; without these systemd restarts the service (`WatchdogSec=`)."""
        return self.notify("WATCHDOG=1")

    def status(self, text: str) -> bool:
        """A one-line status shown by `systemctl status`."""
        return self.notify("STATUS=" + " ".join(text.split()))

    def stopping(self) -> bool:
        """The service is shutting down on purpose."""
        return self.notify("STOPPING=1")

    # ---- the transport ------------------------------------------------------------------------
    def notify(self, *fields: str) -> bool:
        """Send one datagram of `KEY=value` lines; True when it was handed to the socket."""
        payload = "\n".join(fields).encode("utf-8")
        try:
            if self._socket is None:
                self._socket = socket.socket(
                    socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC
                )
            # MSG_DONTWAIT: a full receive queue must not freeze the UI thread that sends.
            self._socket.sendto(payload, socket.MSG_DONTWAIT, self.address)
        except OSError as exc:
            if self._failed:
                log.debug("sd_notify to %r failed again: %s", self.address, exc)
            else:
                self._failed = True
                log.warning(
                    "sd_notify to %r failed: %s (further failures not logged)", self.address, exc
                )
            return False
        return True

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def watchdog_interval(environ: Mapping[str, str] = os.environ) -> float | None:
    """Seconds between heartbeats: half of systemd's `WATCHDOG_USEC`, as sd_watchdog_enabled(3)
    advises. None when no watchdog is set up for this process (unset, invalid, or meant for
    another PID via `WATCHDOG_PID`)."""
    pid = environ.get("WATCHDOG_PID")
    if pid is not None and pid.strip() != str(os.getpid()):
        return None
    try:
        usec = int(environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    if usec <= 0:
        return None
    return usec / 2 / 1_000_000
