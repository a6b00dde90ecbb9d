"""The optional daily usage report: small JSON of daily counts, POSTed to the office's server.

Each complete day is sent once: the last day sent is kept in the settings, and a report starts
the day after it. The kiosk is named by a random id made once on this kiosk, not by its host
name or address. A failed upload changes nothing, so the next try sends the same days again;
the server should therefore store days per (kiosk_id, date), replacing what it had.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, ClassVar

import urllib3

from kiosk.admin import StaffError
from kiosk.admin.statistics import counts_per_day
from kiosk.store.state import KioskState
from kiosk.store.usage import ALLOWED_KINDS, RETENTION_DAYS, UsageCounter

__all__ = [
    "FIRST_REPORT_DAYS",
    "KIOSK_ID_SETTING",
    "REPORT_FORMAT",
    "REPORT_LAST_DAY_SETTING",
    "ReportError",
    "build_report",
    "ensure_kiosk_id",
    "mark_reported",
    "report_body",
    "report_due",
    "report_since",
    "send_report_if_due",
    "upload_report",
]

REPORT_FORMAT = 1
KIOSK_ID_SETTING = "kiosk_id"
REPORT_LAST_DAY_SETTING = "report_last_day"
FIRST_REPORT_DAYS = 30  # the first report ever covers this many complete days
UPLOAD_TIMEOUT_SECONDS = 20.0
USER_AGENT = "familienbuero-kiosk-report/1"

_KIOSK_ID = re.compile(r"[0-9a-f]{32}")

_log = logging.getLogger(__name__)


class ReportError(StaffError):
    """The report was not accepted by the server; nothing was marked as sent."""

    MESSAGES: ClassVar[Mapping[str, Mapping[str, str]]] = {
        "bad_url": {
            "de": "Die Adresse für Nutzungsberichte ist ungültig: {url}",
            "en": "The address for usage reports is not valid: {url}",
        },
        "http_error": {
            "de": "Der Server {server} hat den Nutzungsbericht abgelehnt (Fehler {status}).",
            "en": "The server {server} refused the usage report (error {status}).",
        },
        "refused": {
            "de": "Der Server {server} nimmt keine Verbindung an.",
            "en": "The server {server} refuses connections.",
        },
        "unknown_host": {
            "de": "Den Server {server} gibt es nicht (kein Netz oder Adresse falsch?).",
            "en": "The server {server} cannot be found (no network, or a wrong address?).",
        },
        "timeout": {
            "de": "Der Server {server} hat nicht innerhalb von {seconds} Sekunden geantwortet.",
            "en": "The server {server} did not answer within {seconds} seconds.",
        },
        "tls": {
            "de": "Die sichere Verbindung zu {server} ist gescheitert: {detail}",
            "en": "The secure connection to {server} failed: {detail}",
        },
        "network": {
            "de": "Der Server {server} ist nicht erreichbar: {detail}",
            "en": "The server {server} cannot be reached: {detail}",
        },
    }


# ---- settings ----------------------------------------------------------------------------------
def ensure_kiosk_id(state: KioskState) -> str:
    """This kiosk's random report id (32 hex digits), made and stored on first use."""
    value = state.get_setting(KIOSK_ID_SETTING)
    if isinstance(value, str) and _KIOSK_ID.fullmatch(value):
        return value
    if value is not None:
        _log.warning("setting %s is not a kiosk id; a new one is made", KIOSK_ID_SETTING)
    new_id = secrets.token_hex(16)
    state.set_setting(KIOSK_ID_SETTING, new_id)
    return new_id


def report_since(state: KioskState, today: date) -> date | None:
    """The last day already reported, or None when none was (or the record is implausible)."""
    value = state.get_setting(REPORT_LAST_DAY_SETTING)
    if value is None:
        return None
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        _log.warning(
            "setting %s=%r is not a date; reporting afresh", REPORT_LAST_DAY_SETTING, value
        )
        return None
    if day >= today:
        # Only complete days are sent, so this came from a clock that ran ahead (a Pi without
        # network time). Waiting for the clock to get there would mean months without reports.
        _log.warning("last report day %s is not before today %s; reporting afresh", day, today)
        return None
    return day


def report_due(state: KioskState, today: date) -> bool:
    """Whether yesterday (or an earlier complete day) still has to be sent."""
    since = report_since(state, today)
    return since is None or since < today - timedelta(days=1)


def mark_reported(state: KioskState, day: date) -> None:
    """Record that every day up to and including ``day`` was accepted by the server."""
    state.set_setting(REPORT_LAST_DAY_SETTING, day.isoformat())


# ---- the report --------------------------------------------------------------------------------
def build_report(
    usage: UsageCounter,
    *,
    kiosk_id: str,
    content_version: int | None,
    since_day: date | None,
    today: date,
) -> dict[str, Any]:
    """Daily counts per kind and key for the complete days after ``since_day`` up to yesterday.

    Without ``since_day`` the last FIRST_REPORT_DAYS complete days. Every day of the range is
    listed (empty when the kiosk counted nothing), so the server can tell "no visitors" from
    "not reported". Shape::

        {"format": 1, "kiosk_id": "…", "content_version": 3,
         "first_day": "2026-03-01", "last_day": "2026-03-09",
         "days": {"2026-03-01": {"qr": {"kita-anmeldung": 4}, "topic": {...}}, ...}}

    first_day/last_day are null when no complete day is due.
    """
    last = today - timedelta(days=1)
    first = (
        since_day + timedelta(days=1) if since_day else today - timedelta(days=FIRST_REPORT_DAYS)
    )
    first = max(first, today - timedelta(days=RETENTION_DAYS))
    days: dict[str, dict[str, dict[str, int]]] = {
        (first + timedelta(days=offset)).isoformat(): {}
        for offset in range(max(0, (last - first).days + 1))
    }
    if days:
        for kind in sorted(ALLOWED_KINDS):
            for day, per_key in counts_per_day(usage, kind, first, last).items():
                counts = {key: n for key, n in sorted(per_key.items()) if n > 0}
                if counts:
                    days[day.isoformat()][kind] = counts
    return {
        "format": REPORT_FORMAT,
        "kiosk_id": kiosk_id,
        "content_version": content_version,
        "first_day": first.isoformat() if days else None,
        "last_day": last.isoformat() if days else None,
        "days": days,
    }


def report_body(report: Mapping[str, Any]) -> bytes:
    """The bytes that are sent: compact UTF-8 JSON."""
    return json.dumps(report, ensure_ascii=False, separators=(",", ":")).encode()


def upload_report(
    url: str, report: Mapping[str, Any], timeout: float = UPLOAD_TIMEOUT_SECONDS
) -> None:
    """POST ``report`` as application/json; ReportError unless the server answers 2xx.

    No retries and no redirects: the next scheduled try is the retry, and a POST should not
    wander to another address.
    """
    try:
        parsed = urllib3.util.parse_url(url)
    except urllib3.exceptions.LocationParseError:
        raise ReportError("bad_url", url=url) from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ReportError("bad_url", url=url)
    server = parsed.host if parsed.port is None else f"{parsed.host}:{parsed.port}"
    pool = urllib3.PoolManager(timeout=urllib3.Timeout(total=timeout), retries=False)
    try:
        response = pool.request(
            "POST",
            url,
            body=report_body(report),
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
            redirect=False,
            preload_content=False,
        )
        status = response.status
        response.release_conn()
    except urllib3.exceptions.HTTPError as exc:
        raise _network_error(exc, server, timeout) from exc
    finally:
        pool.clear()
    if not 200 <= status < 300:
        raise ReportError("http_error", server=server, status=status)


def send_report_if_due(
    state: KioskState,
    url: str,
    *,
    content_version: int | None,
    today: date,
    timeout: float = UPLOAD_TIMEOUT_SECONDS,
) -> date | None:
    """Build, send and mark the due days; return the last day sent, None when nothing was due.

    For a worker thread: it blocks for up to ``timeout`` seconds. ReportError leaves the
    settings as they were.
    """
    if not report_due(state, today):
        return None
    report = build_report(
        state.usage,
        kiosk_id=ensure_kiosk_id(state),
        content_version=content_version,
        since_day=report_since(state, today),
        today=today,
    )
    upload_report(url, report, timeout=timeout)
    last = today - timedelta(days=1)
    mark_reported(state, last)
    return last


def _network_error(exc: urllib3.exceptions.HTTPError, server: str, timeout: float) -> ReportError:
    # urllib3 2 makes NewConnectionError (and NameResolutionError) kinds of ConnectTimeoutError,
    # so the specific cases come first.
    if isinstance(exc, urllib3.exceptions.NameResolutionError):
        return ReportError("unknown_host", server=server)
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        if isinstance(_os_error(exc), ConnectionRefusedError):
            return ReportError("refused", server=server)
        return ReportError("network", server=server, detail=_detail(exc))
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return ReportError("timeout", server=server, seconds=f"{timeout:g}")
    if isinstance(exc, urllib3.exceptions.SSLError):
        return ReportError("tls", server=server, detail=_detail(exc))
    return ReportError("network", server=server, detail=_detail(exc))


def _os_error(exc: BaseException) -> OSError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _detail(exc: BaseException) -> str:
    os_error = _os_error(exc)
    if os_error is not None and os_error.strerror:
        return os_error.strerror
    text = str(exc)
    # urllib3 prefixes messages with "<HTTPConnection object at 0x…>: "; staff need the rest.
    return text.split(">: ", 1)[-1] or type(exc).__name__
