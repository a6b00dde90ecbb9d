"""One update at a time, across processes."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator

from kiosk.updates.layout import DataDirLayout


class UpdateBusy(Exception):
    """Another update holds the lock and did not finish in time."""


@contextlib.contextmanager
def update_lock(
    layout: DataDirLayout, timeout: float | None = None, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """One update at a time across processes (the kiosk app, `kiosk import`, `kiosk sync`).

    flock is released by the kernel when a holder dies, even by `kill -9`.
    """
    layout.updates.mkdir(parents=True, exist_ok=True)
    fd = os.open(layout.lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited and on_wait is not None:
                    on_wait()
                waited = True
                if deadline is not None and time.monotonic() >= deadline:
                    raise UpdateBusy("another update is running") from None
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)
