"""Anonymous usage statistics for staff: chart data for the admin screen and a CSV for a stick.

Only daily counts of ids leave the kiosk (no hours, no times of single visits): the usage
counter already refuses anything that is not an id, so no text a visitor typed can appear.

The CSV is made for German Excel, which is what the office opens it with: UTF-8 *with* a byte
order mark (without one Excel reads the file as Windows-1252 and garbles umlauts), ";" between
fields (German Excel splits a double-clicked .csv on its list separator, which is ";" because
"," is the decimal comma), CRLF line ends, ISO dates (both Excel and LibreOffice read
2026-03-10 as a date) and whole numbers only, so no decimal separator is ever involved.
LibreOffice shows its import dialog with UTF-8 and ";" already detected. A "sep=;" first line
would help Excel only and shows up as data elsewhere, so there is none.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import ClassVar

from kiosk.admin import StaffError
from kiosk.admin.facts import format_bytes
from kiosk.store.atomic_storage import write_file_atomically
from kiosk.store.usage import ALLOWED_KINDS, RETENTION_DAYS, UsageCounter
from kiosk.updates.service import MOUNT_ROOTS, mount_points

__all__ = [
    "CHART_DAYS",
    "CSV_ENCODING",
    "CSV_HEADER",
    "EXPORT_DAYS",
    "EXPORT_FOLDER",
    "ChartData",
    "ExportError",
    "chart_data",
    "counts_per_day",
    "export_csv",
    "export_file_name",
    "find_export_sticks",
    "write_export_to_stick",
]

CHART_DAYS = 30
EXPORT_DAYS = 365
EXPORT_FOLDER = "kiosk-statistik"
CSV_HEADER = ("date", "kind", "key", "count")
CSV_DELIMITER = ";"
CSV_ENCODING = "utf-8-sig"  # with BOM, for Excel
# Room for the folder entry and the temp file's clusters beyond the data itself.
SPACE_MARGIN_BYTES = 64 * 1024


class ExportError(StaffError):
    """The statistics could not be written to a stick; nothing half-written is left there."""

    MESSAGES: ClassVar[Mapping[str, Mapping[str, str]]] = {
        "no_stick": {
            "de": "Kein USB-Stick gefunden. Bitte einen Stick einstecken, ein paar Sekunden "
            "warten und es noch einmal versuchen.",
            "en": "No USB stick found. Insert a stick, wait a few seconds and try again.",
        },
        "read_only": {
            "de": "Der USB-Stick ({stick}) ist schreibgeschützt. Bitte den Schreibschutz-"
            "Schalter am Stick prüfen oder einen anderen Stick nehmen.",
            "en": "The USB stick ({stick}) is read-only. Check the stick's write-protect "
            "switch or use another stick.",
        },
        "full": {
            "de": "Der USB-Stick ({stick}) ist voll: {need} nötig, {free} frei. Bitte Platz "
            "schaffen oder einen anderen Stick nehmen.",
            "en": "The USB stick ({stick}) is full: {need} needed, {free} free. Make room or "
            "use another stick.",
        },
        "write_failed": {
            "de": "Schreiben auf den USB-Stick ({stick}) ist fehlgeschlagen: {detail}. Bitte den "
            "Stick neu einstecken und es noch einmal versuchen.",
            "en": "Writing to the USB stick ({stick}) failed: {detail}. Re-insert the stick "
            "and try again.",
        },
    }


@dataclass(frozen=True)
class ChartData:
    """What the statistics screen draws, for the days first_day..last_day (both included)."""

    first_day: date
    last_day: date
    topic_taps: tuple[tuple[str, int], ...]  # topic id and taps over the period, most first
    qr_per_day: tuple[tuple[date, int], ...]  # every day of the period, oldest first
    sessions_per_day: tuple[tuple[date, int], ...]  # idle resets: one per visitor who left

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def topic_taps_total(self) -> int:
        return sum(count for _, count in self.topic_taps)

    @property
    def qr_total(self) -> int:
        return sum(count for _, count in self.qr_per_day)

    @property
    def sessions_total(self) -> int:
        return sum(count for _, count in self.sessions_per_day)


def counts_per_day(
    usage: UsageCounter, kind: str, first: date, last: date
) -> dict[date, dict[str, int]]:
    """Counts per day and key of ``kind`` for first..last, every day present (maybe empty)."""
    if last < first:
        return {}
    # daily_totals counts back from the counter's own clock; ask far enough back to cover the
    # range even when `last` is not the counter's today (nothing older than retention is kept).
    span = RETENTION_DAYS + (last - first).days + 2
    found = usage.daily_totals(kind, span)
    result: dict[date, dict[str, int]] = {}
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        result[day] = dict(found.get(day, {}))
    return result


def chart_data(usage: UsageCounter, *, today: date, days: int = CHART_DAYS) -> ChartData:
    """Topic taps (totals), QR codes per day and sessions per day for the last ``days`` days."""
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    first = today - timedelta(days=days - 1)
    taps: dict[str, int] = {}
    for per_key in counts_per_day(usage, "topic", first, today).values():
        for key, count in per_key.items():
            taps[key] = taps.get(key, 0) + count
    return ChartData(
        first_day=first,
        last_day=today,
        topic_taps=tuple(sorted(taps.items(), key=lambda item: (-item[1], item[0]))),
        qr_per_day=_day_sums(counts_per_day(usage, "qr", first, today)),
        sessions_per_day=_day_sums(counts_per_day(usage, "idle_reset", first, today)),
    )


def export_csv(usage: UsageCounter, *, today: date, days: int = EXPORT_DAYS) -> str:
    """Daily counts of every kind for the last ``days`` days (today so far included).

    One row per day, kind and key with a count above zero, sorted; header date;kind;key;count.
    The text has no byte order mark: CSV_ENCODING adds it when the file is written.
    """
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    first = today - timedelta(days=days - 1)
    rows: list[tuple[str, str, str, int]] = []
    for kind in sorted(ALLOWED_KINDS):
        for day, per_key in counts_per_day(usage, kind, first, today).items():
            rows.extend((day.isoformat(), kind, key, n) for key, n in per_key.items() if n > 0)
    rows.sort()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(rows)
    return buffer.getvalue()


def export_file_name(kiosk_name: str, today: date) -> str:
    """statistik-<kiosk>-<YYYY-MM-DD>.csv, with a name any FAT stick and any PC accepts."""
    return f"statistik-{_slug(kiosk_name)}-{today.isoformat()}.csv"


def find_export_sticks(mount_roots: Iterable[Path] = MOUNT_ROOTS) -> list[Path]:
    """Mounted file systems below the mount roots (folders that are only folders are skipped:
    writing there would fill the kiosk's own SD card, not a stick)."""
    found: list[Path] = []
    for point in mount_points(mount_roots):
        with contextlib.suppress(OSError):
            if os.path.ismount(point) and point not in found:
                found.append(point)
    return found


def write_export_to_stick(
    csv_text: str,
    *,
    kiosk_name: str,
    today: date,
    mount_roots: Iterable[Path] = MOUNT_ROOTS,
) -> Path:
    """Write the CSV to <stick>/kiosk-statistik/statistik-<kiosk>-<date>.csv; return its path.

    The file is written under a temporary name, fsynced and renamed, so a stick pulled out too
    early holds the previous file or none, never half a file. The first stick that takes the
    file wins; if none does, the first stick's problem is raised.
    """
    sticks = find_export_sticks(mount_roots)
    if not sticks:
        raise ExportError("no_stick")
    data = csv_text.encode(CSV_ENCODING)
    name = export_file_name(kiosk_name, today)
    first_error: ExportError | None = None
    for stick in sticks:
        try:
            return _write_to(stick, name, data)
        except ExportError as error:
            first_error = first_error or error
    assert first_error is not None
    raise first_error


def _write_to(stick: Path, name: str, data: bytes) -> Path:
    label = str(stick)
    try:
        info = os.statvfs(stick)
    except OSError as exc:
        raise ExportError("write_failed", stick=label, detail=_detail(exc)) from exc
    if info.f_flag & os.ST_RDONLY:
        raise ExportError("read_only", stick=label)
    free = info.f_bavail * info.f_frsize
    need = len(data) + SPACE_MARGIN_BYTES
    if free < need:
        raise ExportError("full", stick=label, need=format_bytes(need), free=format_bytes(free))
    target = stick / EXPORT_FOLDER / name
    try:
        target.parent.mkdir(exist_ok=True)
        # Temp name, fsync, rename, folder fsync: a stick pulled too early holds the
        # previous file or none, never half a file.
        write_file_atomically(target, data)
    except OSError as exc:
        if exc.errno == errno.EROFS:
            raise ExportError("read_only", stick=label) from exc
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise ExportError(
                "full", stick=label, need=format_bytes(need), free=format_bytes(free)
            ) from exc
        raise ExportError("write_failed", stick=label, detail=_detail(exc)) from exc
    return target


def _day_sums(per_day: Mapping[date, Mapping[str, int]]) -> tuple[tuple[date, int], ...]:
    return tuple((day, sum(per_key.values())) for day, per_key in per_day.items())


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ı": "i"})


def _slug(name: str) -> str:
    text = name.lower().translate(_UMLAUTS)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:40].strip("-")
    return text or "kiosk"


def _detail(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
