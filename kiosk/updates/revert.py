"""Go back to the previous content release, when staff find a problem with the new one."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kiosk.store.atomic_storage import write_file_atomically
from kiosk.updates.history import Attempt, record_attempt
from kiosk.updates.layout import DataDirLayout
from kiosk.updates.lock import update_lock
from kiosk.updates.refusal import UpdateRefused
from kiosk.updates.releases import Release, ReleaseStore

REVERT_LOCK_SECONDS = 30.0


@dataclass(frozen=True)
class Reverted:
    withdrawn_version: int
    release: Release  # now active


def withdrawn_version(layout: DataDirLayout) -> int:
    """The newest version staff went back from (0: none). Sync and sticks skip it and older."""
    try:
        value = json.loads(layout.withdrawn.read_bytes())["version"]
    except (OSError, ValueError, KeyError, TypeError):
        return 0
    return value if isinstance(value, int) else 0


def revert_to_previous(data_dir: Path, now: Callable[[], datetime] = datetime.now) -> Reverted:
    """Activate the newest kept release older than the active one.

    The version left is remembered as withdrawn, so the next sync does not bring it straight
    back; a newer version from the office is taken as usual. Raises UpdateRefused("no_previous").
    """
    layout = DataDirLayout(data_dir)
    store = ReleaseStore(layout.releases)
    with update_lock(layout, timeout=REVERT_LOCK_SECONDS):
        active = store.active()
        older = [
            release
            for release in store.complete()
            if active is None or release.version < active.version
        ]
        if active is None or not older:
            raise UpdateRefused("no_previous")
        previous = older[0]
        withdrawn = max(active.version, withdrawn_version(layout))
        write_file_atomically(layout.withdrawn, json.dumps({"version": withdrawn}).encode())
        store.activate(previous)
        stamp = now().isoformat(timespec="seconds")
        record_attempt(
            layout.history,
            Attempt(
                source="staff",
                kind="revert",
                started=stamp,
                finished=stamp,
                result="activated",
                version=previous.version,
            ),
        )
    return Reverted(withdrawn_version=active.version, release=previous)
