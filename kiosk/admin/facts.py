"""Facts about this kiosk for the admin screen and `kiosk status`: disk, uptime, addresses, content.

Every fact is looked up on its own and becomes None when it cannot be had (no /proc, no `ip`,
no network, an unreadable data dir): the admin screen must open on a half-broken kiosk, that is
when staff need it most. Nothing here sends a packet.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = [
    "IP_COMMAND_CANDIDATES",
    "KioskFacts",
    "describe_facts",
    "facts_as_json",
    "format_bytes",
    "format_duration",
    "gather_facts",
    "ip_addresses",
    "parse_ip_json",
]

PROC_UPTIME = Path("/proc/uptime")
# A kiosk user's PATH on Debian lacks /usr/sbin, where `ip` lives.
IP_COMMAND_CANDIDATES = ("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip")
IP_TIMEOUT_SECONDS = 3.0
# Documentation addresses (RFC 5737, RFC 3849): a UDP connect() to them only asks the routing
# table which source address would be used; no packet is sent.
_PROBE_TARGETS = ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1"))

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KioskFacts:
    """A snapshot of the machine and its content; None where a fact could not be found out."""

    kiosk_clock: datetime  # the kiosk's wall clock (a Pi has no battery clock: worth a look)
    hostname: str | None
    ip_addresses: tuple[str, ...] | None  # () when found out and there are none
    disk_free_bytes: int | None
    disk_total_bytes: int | None
    system_uptime_seconds: float | None
    app_uptime_seconds: float | None
    content_version: int | None  # None with content_source "embedded"
    content_source: str | None  # the stick folder or URL it came from, or "embedded"
    content_published: str | None
    content_imported_at: str | None
    last_attempt_finished: str | None
    last_attempt_result: str | None  # "activated", "current" or "refused"
    last_attempt_reason_de: str | None
    last_attempt_reason_en: str | None
    last_success_finished: str | None
    trusted_keys: tuple[str, ...] | None  # key ids


def gather_facts(
    data_dir: Path,
    now_wall: datetime,
    *,
    app_started: float | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    embedded_dir: Path | None = None,
    proc_uptime: Path = PROC_UPTIME,
    ip_commands: Sequence[str] | None = None,
) -> KioskFacts:
    """Look everything up; never raises.

    ``app_started`` is the value of ``monotonic`` when the app started: the wall clock of a Pi
    jumps when NTP first sets it, which would make a wall-clock uptime wrong by years.
    ``ip_commands`` overrides where `ip` is looked for (tests; default IP_COMMAND_CANDIDATES
    after PATH).
    """
    status = _update_status(data_dir, embedded_dir)
    attempt = _mapping(status.get("last_attempt"))
    success = _mapping(status.get("last_success"))
    free, total = _disk(data_dir)
    app_uptime = None
    if app_started is not None:
        with contextlib.suppress(Exception):
            app_uptime = max(0.0, monotonic() - app_started)
    keys = status.get("trusted_keys")
    return KioskFacts(
        kiosk_clock=now_wall,
        hostname=_hostname(),
        ip_addresses=ip_addresses(ip_commands),
        disk_free_bytes=free,
        disk_total_bytes=total,
        system_uptime_seconds=_system_uptime(proc_uptime),
        app_uptime_seconds=app_uptime,
        content_version=_int_or_none(status.get("content_version")),
        content_source=_str_or_none(status.get("content_source")),
        content_published=_str_or_none(status.get("content_published")),
        content_imported_at=_str_or_none(status.get("content_imported_at")),
        last_attempt_finished=_str_or_none(attempt.get("finished")),
        last_attempt_result=_str_or_none(attempt.get("result")),
        last_attempt_reason_de=_str_or_none(attempt.get("reason")),
        last_attempt_reason_en=_str_or_none(attempt.get("reason_en")),
        last_success_finished=_str_or_none(success.get("finished")),
        trusted_keys=tuple(str(k) for k in keys) if isinstance(keys, list) else None,
    )


def facts_as_json(facts: KioskFacts) -> dict[str, Any]:
    """The facts as JSON-ready values (for `kiosk status --json`)."""
    data = asdict(facts)
    data["kiosk_clock"] = facts.kiosk_clock.isoformat(timespec="seconds")
    for name in ("ip_addresses", "trusted_keys"):
        if data[name] is not None:
            data[name] = list(data[name])
    return data


def describe_facts(facts: KioskFacts, language: str = "de") -> list[str]:
    """One line per fact, for people (German or English)."""
    de = language == "de"
    unknown = "unbekannt" if de else "unknown"

    def line(label_de: str, label_en: str, value: str | None) -> str:
        return f"{label_de if de else label_en}: {value if value is not None else unknown}"

    addresses = None
    if facts.ip_addresses is not None:
        addresses = ", ".join(facts.ip_addresses) or ("keine" if de else "none")
    disk = None
    if facts.disk_free_bytes is not None:
        disk = format_bytes(facts.disk_free_bytes, language) + (" frei" if de else " free")
        if facts.disk_total_bytes is not None:
            of = " von " if de else " of "
            disk += of + format_bytes(facts.disk_total_bytes, language)
    if facts.content_source == "embedded":
        content = "eingebaute Beispielinhalte" if de else "embedded sample content"
    elif facts.content_version is not None:
        content = f"Version {facts.content_version} ({facts.content_source})"
    else:
        content = None
    last = None
    if facts.last_attempt_result is not None:
        reason = facts.last_attempt_reason_de if de else facts.last_attempt_reason_en
        last = f"{facts.last_attempt_finished}: {facts.last_attempt_result}"
        if reason:
            last += f" ({reason})"
    keys = None
    if facts.trusted_keys is not None:
        keys = ", ".join(k[:16] for k in facts.trusted_keys) or ("keine" if de else "none")
    return [
        line("Uhrzeit des Kiosks", "Kiosk clock", f"{facts.kiosk_clock:%Y-%m-%d %H:%M}"),
        line("Rechnername", "Host name", facts.hostname),
        line("IP-Adressen", "IP addresses", addresses),
        line("Speicher", "Storage", disk),
        line("System läuft seit", "System up for", _duration(facts.system_uptime_seconds, de)),
        line("Kiosk läuft seit", "Kiosk app up for", _duration(facts.app_uptime_seconds, de)),
        line("Inhalt", "Content", content),
        line("Veröffentlicht", "Published", facts.content_published),
        line("Letzte Aktualisierung", "Last update attempt", last),
        line("Letzte erfolgreiche", "Last successful update", facts.last_success_finished),
        line("Vertrauenswürdige Schlüssel", "Trusted keys", keys),
    ]


# ---- formatting ------------------------------------------------------------------------------
_BYTE_UNITS = ("KB", "MB", "GB", "TB")


def format_bytes(count: int, language: str = "de") -> str:
    """ "12,3 GB" (decimal units, as printed on sticks and cards; German decimal comma)."""
    if count < 1000:
        if language == "de":
            return f"{count} Byte" if count == 1 else f"{count} Bytes"
        return f"{count} byte" if count == 1 else f"{count} bytes"
    value = float(count)
    unit = _BYTE_UNITS[0]
    for unit in _BYTE_UNITS:
        value /= 1000
        if value < 999.5 or unit == _BYTE_UNITS[-1]:
            break
    text = f"{value:.1f}" if value < 99.95 else f"{value:.0f}"
    if language == "de":
        text = text.replace(".", ",")
    return f"{text} {unit}"


def format_duration(seconds: float, language: str = "de") -> str:
    """ "3 Tage 4 Std.", "5 Std. 12 Min.", "7 Min.", "40 Sek." (English: "3 days 4 h", ...)."""
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    de = language == "de"
    if days:
        if de:
            return f"{days} {'Tag' if days == 1 else 'Tage'} {hours} Std."
        return f"{days} {'day' if days == 1 else 'days'} {hours} h"
    if hours:
        return f"{hours} Std. {minutes} Min." if de else f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} Min." if de else f"{minutes} min"
    return f"{secs} Sek." if de else f"{secs} s"


def _duration(seconds: float | None, de: bool) -> str | None:
    return None if seconds is None else format_duration(seconds, "de" if de else "en")


# ---- addresses -------------------------------------------------------------------------------
def ip_addresses(commands: Sequence[str] | None = None) -> tuple[str, ...] | None:
    """Non-loopback, non-link-local IPv4 and IPv6 addresses of this machine, or None.

    From `ip -j addr` when there is an `ip` command; else the source addresses the routing table
    would use (a UDP connect, which sends nothing); None when neither tells anything.
    """
    for command in _ip_commands(commands):
        try:
            done = subprocess.run(
                [command, "-j", "addr", "show"],
                capture_output=True,
                timeout=IP_TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0:
            with contextlib.suppress(ValueError):
                return parse_ip_json(done.stdout)
    return _routed_addresses()


def parse_ip_json(output: bytes | str) -> tuple[str, ...]:
    """The useful addresses in `ip -j addr` output; ValueError when it is not that output."""
    interfaces = json.loads(output)
    if not isinstance(interfaces, list):
        raise ValueError("not a list of interfaces")
    found: list[str] = []
    for interface in interfaces:
        if not isinstance(interface, dict):
            raise ValueError("an interface is not an object")
        for info in interface.get("addr_info", []):
            if not isinstance(info, dict):
                continue
            if info.get("family") not in ("inet", "inet6"):
                continue
            if info.get("scope") in ("host", "link") or info.get("dadfailed"):
                continue
            text = info.get("local")
            if isinstance(text, str) and _useful(text) and text not in found:
                found.append(text)
    return tuple(found)


def _ip_commands(override: Sequence[str] | None) -> list[str]:
    if override is not None:
        return list(override)
    on_path = shutil.which("ip")
    if on_path:
        return [on_path]
    return [command for command in IP_COMMAND_CANDIDATES if os.path.exists(command)]


def _routed_addresses() -> tuple[str, ...] | None:
    found: list[str] = []
    for family, target in _PROBE_TARGETS:
        with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((target, 9))
            address = str(probe.getsockname()[0])
            if _useful(address) and address not in found:
                found.append(address)
    return tuple(found) or None


def _useful(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return False
    return not (address.is_loopback or address.is_link_local or address.is_unspecified)


# ---- the other facts -------------------------------------------------------------------------
def _hostname() -> str | None:
    try:
        return socket.gethostname() or None
    except OSError:
        return None


def _disk(data_dir: Path) -> tuple[int | None, int | None]:
    # The data dir may not exist yet; the file system it will be on is the nearest folder's.
    folder = data_dir
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    try:
        usage = shutil.disk_usage(folder)
    except (OSError, ValueError):  # ValueError: a path the OS cannot take (a NUL byte)
        return None, None
    return usage.free, usage.total


def _system_uptime(proc_uptime: Path) -> float | None:
    try:
        seconds = float(proc_uptime.read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return seconds if seconds >= 0 else None


def _update_status(data_dir: Path, embedded_dir: Path | None) -> dict[str, Any]:
    try:
        from kiosk.updates.status import update_status

        if embedded_dir is None:
            from kiosk.content.loader import EMBEDDED_CONTENT_DIR

            embedded_dir = EMBEDDED_CONTENT_DIR
        return update_status(data_dir, embedded_dir)
    except Exception:  # the admin screen must open even when the update state is broken
        _log.exception("update status of %s unavailable", data_dir)
        return {}


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int_or_none(value: object) -> int | None:
    return value if type(value) is int else None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
