"""Keep a public kiosk running: no key, close request or screen error ends it.

The only ways out are the admin screen (restart) and stopping the service (SIGTERM), which
ends the kiosk cleanly so the last usage counts are saved.
"""

from __future__ import annotations

import logging
import signal
import time
from collections import deque
from collections.abc import Callable
from types import FrameType

from kivy.base import ExceptionHandler, ExceptionManager

log = logging.getLogger("kiosk")

ESCAPE, F1, F4 = 27, 282, 285
KEY_Q, KEY_W = ord("q"), ord("w")
# A screen that fails on every frame would spin here forever: after this many errors in the
# window below the kiosk ends, and systemd starts it afresh (Restart=always).
MAX_ERRORS = 20
ERROR_WINDOW_SECONDS = 60.0


def is_blocked_key(key: int, modifiers: list[str] | None) -> bool:
    """Keys that quit, close or open something a visitor must not see."""
    modifiers = modifiers or []
    if key in (ESCAPE, F1):
        return True
    if key == F4 and "alt" in modifiers:
        return True
    return key in (KEY_Q, KEY_W) and ("ctrl" in modifiers or "meta" in modifiers)


class KeepRunning(ExceptionHandler):  # type: ignore[misc]
    """Kivy's main loop asks this handler what to do with an error raised in a frame.

    A broken screen or callback is logged and the visitor is taken Home; the loop goes on.
    Interrupts, and a burst of errors that going Home does not stop, end the kiosk.
    """

    def __init__(
        self, on_error: Callable[[], None], clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.on_error = on_error
        self.clock = clock
        self.recent: deque[float] = deque(maxlen=MAX_ERRORS)

    def handle_exception(self, inst: BaseException) -> int:
        if isinstance(inst, KeyboardInterrupt | SystemExit):
            return int(ExceptionManager.RAISE)
        now = self.clock()
        self.recent.append(now)
        log.error("error in a screen; the visitor is taken Home", exc_info=inst)
        if len(self.recent) == MAX_ERRORS and now - self.recent[0] < ERROR_WINDOW_SECONDS:
            log.critical(
                "%d errors in %.0f s: ending so systemd restarts the kiosk",
                MAX_ERRORS,
                now - self.recent[0],
            )
            return int(ExceptionManager.RAISE)
        try:
            self.on_error()
        except Exception:
            log.exception("cannot go Home after an error")
        return int(ExceptionManager.PASS)


def install_stop_signals(stop: Callable[[], None]) -> None:
    """SIGTERM (systemctl stop) and SIGINT end the kiosk through `stop`, on the main thread.

    Installed before the window opens, so SDL keeps its hands off these signals: SDL turns
    them into a close request otherwise, which the kiosk refuses.
    """

    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping the kiosk", signum)
        stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
