"""The last update attempts (stick and network) with their results, for `kiosk status` and staff."""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kiosk.store.atomic_storage import write_file_atomically

KEEP_ATTEMPTS = 30


@dataclass(frozen=True)
class Attempt:
    source: str
    kind: str  # "usb" or "network"
    started: str  # ISO time by the kiosk clock (which may be wrong: no RTC)
    finished: str
    result: str  # "activated", "current" or "refused"
    version: int | None = None
    reason_code: str | None = None
    reason: str | None = None  # German, as shown on the kiosk
    reason_en: str | None = None
    bytes_transferred: int = 0

    @property
    def ok(self) -> bool:
        return self.result in ("activated", "current")


def read_attempts(path: Path) -> list[Attempt]:
    """Newest first; an unreadable history is an empty one (it is only a log)."""
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        raw: list[dict[str, Any]] = json.loads(path.read_bytes())["attempts"]
        return [Attempt(**entry) for entry in raw]
    return []


def record_attempt(path: Path, attempt: Attempt) -> None:
    attempts = [attempt, *read_attempts(path)][:KEEP_ATTEMPTS]
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"attempts": [asdict(a) for a in attempts]}
    write_file_atomically(path, json.dumps(data, ensure_ascii=False, indent=1).encode())
