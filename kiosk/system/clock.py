"""Clock sanity: whether the kiosk may believe its own clock. No Kivy.

A Raspberry Pi has no battery-backed clock. After a power cut without network it starts with the
time saved at the last shutdown (fake-hwclock, systemd-timesyncd's clock file) or systemd's
build date, until NTP sets it. While the clock is not trusted the kiosk shows opening hours
without "open now", keeps the screen on and tells staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

__all__ = [
    "KIOSK_SOFTWARE_DATE",
    "ClockCheck",
    "ClockState",
    "check_clock",
    "parse_published",
    "systemd_time_synced",
]

BERLIN = ZoneInfo("Europe/Berlin")

# The day this kiosk software was released: a clock before it is wrong. Update it with every
# release (an old value only makes the check weaker, never wrong).
KIOSK_SOFTWARE_DATE = date(2026, 11, 25)
# The office's clock and the kiosk's may disagree by a few minutes when content is signed and
# synced at once; that must not make a correct kiosk distrust itself.
BEHIND_TOLERANCE = timedelta(minutes=10)
# Content is signed for a year by default and the office publishes at least that often, so a
# correct clock is rarely more than about a year past the newer of the publish and software
# dates. Three years leaves two years for a forgotten kiosk, and still catches what a wrong
# clock shows in practice: a typo in the year (2062), an RTC module with garbage (2038, 2099).
FAR_AHEAD = timedelta(days=3 * 365)
# systemd-timesyncd creates it on first synchronisation (systemd-time-wait-sync.service(8));
# its folder is the service's RuntimeDirectory, so it exists only while timesyncd runs.
TIMESYNC_SYNCHRONIZED = Path("/run/systemd/timesync/synchronized")

ClockState = Literal["ok", "behind", "far_ahead"]


@dataclass(frozen=True)
class ClockCheck:
    """Whether the clock can be trusted, and what staff should be told (German and English)."""

    trusted: bool
    state: ClockState
    message_de: str
    message_en: str


def check_clock(
    now: datetime,
    content_published: datetime | None,
    software_date: date = KIOSK_SOFTWARE_DATE,
) -> ClockCheck:
    """Judge `now` against when the active content was published and the software's date.

    Naive datetimes are taken as Berlin wall time (`parse_published` gives UTC-aware ones).
    """
    now = _aware(now)
    software_start = datetime.combine(software_date, time(), BERLIN)
    shown = f"{now.astimezone(BERLIN):%d.%m.%Y %H:%M}"
    published = _aware(content_published) if content_published is not None else None
    fix_de = (
        "Bis die Uhr stimmt, zeigt der Kiosk kein „Jetzt geöffnet“ und der Bildschirm bleibt an. "
        "Bitte den Kiosk mit dem Netzwerk verbinden (dann stellt sich die Uhr selbst) "
        "oder Datum und Uhrzeit einstellen."
    )
    fix_en = (
        'Until the clock is right, the kiosk shows no "open now" and keeps the screen on. '
        "Connect the kiosk to the network (the clock then sets itself) or set date and time."
    )
    if published is not None and now < published - BEHIND_TOLERANCE:
        when = f"{published.astimezone(BERLIN):%d.%m.%Y %H:%M}"
        return ClockCheck(
            False,
            "behind",
            f"Die Uhr des Kiosks geht nach: Sie zeigt {shown}, aber die Inhalte wurden am "
            f"{when} veröffentlicht. {fix_de}",
            f"The kiosk's clock is behind: it shows {shown}, but the content was published "
            f"on {when}. {fix_en}",
        )
    if now < software_start:
        when = f"{software_date:%d.%m.%Y}"
        return ClockCheck(
            False,
            "behind",
            f"Die Uhr des Kiosks geht nach: Sie zeigt {shown}, aber die Kiosk-Software ist vom "
            f"{when}. {fix_de}",
            f"The kiosk's clock is behind: it shows {shown}, but the kiosk software dates from "
            f"{when}. {fix_en}",
        )
    reference = max(software_start, published) if published is not None else software_start
    if now > reference + FAR_AHEAD:
        when = f"{reference.astimezone(BERLIN):%d.%m.%Y}"
        return ClockCheck(
            False,
            "far_ahead",
            f"Die Uhr des Kiosks geht weit vor: Sie zeigt {shown}, mehr als drei Jahre nach "
            f"dem {when} (Veröffentlichung der Inhalte bzw. der Software). {fix_de}",
            f"The kiosk's clock is far ahead: it shows {shown}, more than three years after "
            f"{when} (when the content or the software was published). {fix_en}",
        )
    return ClockCheck(
        True, "ok", "Die Uhr des Kiosks ist plausibel.", "The kiosk's clock looks right."
    )


def parse_published(text: str | None) -> datetime | None:
    """The publish time of a release record (`Release.published`, UTC like
    "2026-11-02T09:30:00Z"), or None when absent or unreadable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def systemd_time_synced(marker: Path = TIMESYNC_SYNCHRONIZED) -> bool | None:
    """True once systemd-timesyncd has synchronised the clock this boot, False while it is
    running but has not, None without it (another NTP client, or not systemd at all)."""
    if marker.exists():
        return True
    if marker.parent.is_dir():
        return False
    return None


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=BERLIN)
    return moment
