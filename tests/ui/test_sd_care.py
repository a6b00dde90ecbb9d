"""SD care: a visitor's taps write nothing to disk; counts go out in one batched write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .driver import KioskDriver, walk

pytestmark = pytest.mark.ui


def disk_state(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every file below `folder` with its inode, size and modification time."""
    found = {}
    for path in sorted(folder.rglob("*")):
        info = os.lstat(path)
        found[str(path.relative_to(folder))] = (info.st_ino, info.st_size, info.st_mtime_ns)
    return found


def test_a_hundred_taps_write_nothing_until_the_batched_flush(kiosk: KioskDriver) -> None:
    data_dir = kiosk.app.services.data_dir
    assert data_dir is not None
    kiosk.app.services.state.usage.flush()  # what start-up left pending
    before = disk_state(data_dir)

    topics = [t.id for t in kiosk.app.services.catalog.topics]
    for index in range(100):
        if kiosk.app.manager.current != "home":
            kiosk.tap(kiosk.screen.ids.top_bar.ids.home_button)
            continue
        tiles = [w for w in walk(kiosk.screen) if getattr(w, "topic_id", "") in topics]
        kiosk.tap(tiles[index % len(tiles)])

    assert disk_state(data_dir) == before
    pending = kiosk.app.services.state.usage.pending
    assert pending >= 100
    assert kiosk.app.services.state.usage.flush() == pending  # one write for all of them
    after = disk_state(data_dir)
    changed = [name for name in after if after[name] != before.get(name)]
    assert changed == ["state.json"]
