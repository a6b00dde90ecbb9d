"""The hidden gesture that asks for the staff PIN: five taps in a corner within three seconds."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

TAPS = 5
WINDOW_SECONDS = 3.0


@dataclass
class CornerTaps:
    """Counts taps inside a square corner of the screen; fires once per completed gesture.

    Positions are in window pixels with the origin at the bottom left (as Kivy gives them);
    the corner is the top left one, `size` pixels square. A tap elsewhere starts over.
    """

    size: float
    taps: int = TAPS
    window_seconds: float = WINDOW_SECONDS
    clock: Callable[[], float] = time.monotonic
    _times: deque[float] = field(init=False)

    def __post_init__(self) -> None:
        self._times = deque(maxlen=self.taps)

    def tap(self, x: float, y: float, window_height: float) -> bool:
        """Record a tap; True when it completes the gesture."""
        if not (0 <= x <= self.size and window_height - self.size <= y <= window_height):
            self._times.clear()
            return False
        now = self.clock()
        self._times.append(now)
        if len(self._times) == self.taps and now - self._times[0] <= self.window_seconds:
            self._times.clear()
            return True
        return False
