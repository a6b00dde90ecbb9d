"""A real state file on a wall clock the test sets: each module picks its `clock` time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from kiosk.store.state import KioskState, open_state


class WallClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def state(tmp_path: Path, clock: WallClock) -> Iterator[KioskState]:
    with open_state(tmp_path / "data", clock=clock) as opened:
        yield opened
