"""The hidden staff gesture: five taps in the top-left corner within three seconds."""

from __future__ import annotations

from kiosk.admin.gesture import CornerTaps


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_five_quick_corner_taps_fire_once() -> None:
    clock = Clock()
    gesture = CornerTaps(size=60, clock=clock)
    results = []
    for _ in range(5):
        results.append(gesture.tap(10, 470, window_height=480))
        clock.now += 0.4
    assert results == [False, False, False, False, True]
    assert gesture.tap(10, 470, window_height=480) is False  # starts counting afresh


def test_slow_taps_a_tap_elsewhere_or_the_wrong_corner_do_not_fire() -> None:
    clock = Clock()
    gesture = CornerTaps(size=60, clock=clock)
    for _ in range(5):
        assert not gesture.tap(10, 470, window_height=480)
        clock.now += 0.8  # 3.2 s for five taps
    gesture = CornerTaps(size=60, clock=clock)
    for index in range(5):
        x, y = (400, 240) if index == 2 else (10, 470)
        assert not gesture.tap(x, y, window_height=480)
    for _ in range(6):
        assert not gesture.tap(10, 10, window_height=480)  # bottom left
        assert not gesture.tap(790, 470, window_height=480)  # top right breaks the run
