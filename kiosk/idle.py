"""The idle reset as a plain state machine with an injected clock. Imports no Kivy."""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field


class IdlePhase(enum.Enum):
    ACTIVE = "active"
    WARNING = "warning"  # "Are you still there?" with a countdown
    RESET = "reset"  # the countdown ran out: start fresh


@dataclass
class IdleTimer:
    """Tells, from the time of the last touch, whether to warn or to reset.

    After `timeout` seconds without a touch the visitor is asked whether they are still
    there; after `countdown` more seconds the kiosk resets. A touch at any time before
    that keeps the session. `poll()` is called by a UI timer; tests call it with a fake clock.
    """

    timeout: float = 90.0
    countdown: float = 15.0
    clock: Callable[[], float] = time.monotonic
    _last_touch: float = field(init=False)
    _reset_done: bool = field(init=False, default=True)

    def __post_init__(self) -> None:
        self._last_touch = self.clock()

    def touch(self) -> None:
        """A visitor did something."""
        self._last_touch = self.clock()
        self._reset_done = False

    def end_session(self) -> None:
        """The session ended some other way (staff closed the admin screen): no reset due."""
        self._reset_done = True

    @property
    def in_session(self) -> bool:
        """True from a visitor's first touch until the reset: not a moment to change content."""
        return not self._reset_done

    def poll(self) -> IdlePhase:
        """ACTIVE, WARNING during the countdown, then RESET once (ACTIVE again afterwards)."""
        idle = self.clock() - self._last_touch
        if self._reset_done or idle < self.timeout:
            return IdlePhase.ACTIVE
        if idle < self.timeout + self.countdown:
            return IdlePhase.WARNING
        self._reset_done = True
        return IdlePhase.RESET

    def seconds_left(self) -> int:
        """Whole seconds until the reset, for the countdown display."""
        left = self.timeout + self.countdown - (self.clock() - self._last_touch)
        return max(0, int(left + 0.999))
