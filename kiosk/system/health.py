"""Is this kiosk healthy? One verdict for people and for monitoring (`kiosk status`)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.system.clock import ClockCheck, check_clock, parse_published
from kiosk.system.heartbeat import STALE_SECONDS, read_heartbeat

LOW_DISK_BYTES = 200 << 20  # less than a release and its margin: updates will fail


@dataclass(frozen=True)
class Finding:
    code: str
    de: str
    en: str

    def text(self, language: str) -> str:
        return self.de if language == "de" else self.en


@dataclass(frozen=True)
class Health:
    """Problems make the kiosk unhealthy (monitoring should alert); notes are for staff."""

    problems: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    heartbeat: dict[str, Any] | None = None
    clock: ClockCheck | None = None

    @property
    def healthy(self) -> bool:
        return not self.problems

    def as_json(self, language: str = "en") -> dict[str, Any]:
        return {
            "healthy": self.healthy,
            "problems": [{"code": f.code, "message": f.text(language)} for f in self.problems],
            "notes": [{"code": f.code, "message": f.text(language)} for f in self.notes],
            "app": self.heartbeat,
            "clock": None
            if self.clock is None
            else {"trusted": self.clock.trusted, "state": self.clock.state},
        }

    def describe(self, language: str = "de") -> list[str]:
        de = language == "de"
        if self.healthy:
            lines = ["Zustand: in Ordnung" if de else "Health: OK"]
        else:
            lines = ["Zustand: PROBLEME" if de else "Health: PROBLEMS"]
        lines += [f"  ! {finding.text(language)}" for finding in self.problems]
        lines += [f"  - {finding.text(language)}" for finding in self.notes]
        return lines


def check_health(
    data_dir: Path,
    status: dict[str, Any],
    *,
    now: datetime,
    runtime: Path | None,
) -> Health:
    """Judge the update status (kiosk.updates.status), the app's heartbeat, clock and disk."""
    problems: list[Finding] = []
    notes: list[Finding] = []
    heartbeat = read_heartbeat(runtime)
    if heartbeat is None:
        problems.append(
            Finding(
                "not_running",
                "Die Kiosk-App läuft nicht (kein Lebenszeichen).",
                "The kiosk app is not running (no sign of life).",
            )
        )
    elif heartbeat["age_seconds"] > STALE_SECONDS:
        age = int(heartbeat["age_seconds"])
        problems.append(
            Finding(
                "no_heartbeat",
                f"Die Kiosk-App hat sich seit {age} s nicht gemeldet (hängt sie?).",
                f"The kiosk app has not reported for {age} s (is it frozen?).",
            )
        )
    clock = check_clock(now, parse_published(status.get("content_published")))
    if not clock.trusted:
        problems.append(Finding(f"clock_{clock.state}", clock.message_de, clock.message_en))
    try:
        free = shutil.disk_usage(data_dir if data_dir.exists() else data_dir.parent).free
    except OSError:
        free = None
    if free is not None and free < LOW_DISK_BYTES:
        mb = free >> 20
        problems.append(
            Finding(
                "low_disk",
                f"Nur noch {mb} MB frei: neue Inhalte passen nicht mehr.",
                f"Only {mb} MB free: new content will not fit.",
            )
        )
    if not status.get("trusted_keys"):
        notes.append(
            Finding(
                "no_key",
                "Kein Büro-Schlüssel vertraut: Aktualisierungen werden abgelehnt („kiosk trust“).",
                "No office key trusted: updates are refused (`kiosk trust`).",
            )
        )
    if status.get("content_version") is None:
        notes.append(
            Finding(
                "embedded",
                "Der Kiosk zeigt die eingebauten Beispielinhalte.",
                "The kiosk shows the embedded sample content.",
            )
        )
    attempt = status.get("last_attempt")
    if isinstance(attempt, dict) and attempt.get("result") == "refused":
        notes.append(
            Finding(
                "last_update_refused",
                f"Letzte Aktualisierung abgelehnt: {attempt.get('reason')}",
                f"Last update refused: {attempt.get('reason_en')}",
            )
        )
    return Health(problems, notes, heartbeat, clock)
