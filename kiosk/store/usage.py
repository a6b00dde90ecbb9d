"""Anonymous usage counts per hour, batched in memory and flushed to TinyDB in one file write."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from datetime import date, datetime, timedelta

from tinydb import TinyDB
from tinydb.table import Table

from kiosk.store.atomic_storage import AtomicJSONStorage

__all__ = [
    "ALLOWED_KINDS",
    "FLUSH_INTERVAL_SECONDS",
    "MAX_KEY_LENGTH",
    "RETENTION_DAYS",
    "USAGE_TABLE",
    "UsageCounter",
    "is_usage_document",
]

FLUSH_INTERVAL_SECONDS = 300
RETENTION_DAYS = 400
MAX_KEY_LENGTH = 80
USAGE_TABLE = "usage"
ALLOWED_KINDS = frozenset({"screen", "topic", "location", "offer", "qr", "language", "idle_reset"})

# Ids and screen names only: no spaces, no "@", no "/" keeps free text, e-mail addresses and URLs
# (anything that could carry personal data) out of the statistics.
_KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")
_DAY_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")

_log = logging.getLogger(__name__)

# (day as ISO date, hour 0-23, kind, key): the finest grain ever stored.
_Slot = tuple[str, int, str, str]


class UsageCounter:
    """Anonymous per-hour usage counts, kept in memory until flush() writes them in one go."""

    def __init__(
        self,
        table_or_db: Table | TinyDB,
        clock: Callable[[], datetime] = datetime.now,
        *,
        lock: threading.Lock | None = None,
    ) -> None:
        self._table = (
            table_or_db.table(USAGE_TABLE) if isinstance(table_or_db, TinyDB) else table_or_db
        )
        self._clock = clock
        # _db_lock serialises database access (shared with the settings when given); _pending_lock
        # only guards the in-memory counts, so record() never waits for a slow SD card write.
        self._db_lock = lock if lock is not None else threading.Lock()
        self._pending_lock = threading.Lock()
        self._pending: Counter[_Slot] = Counter()

    @property
    def pending(self) -> int:
        """Counts recorded but not yet flushed."""
        with self._pending_lock:
            return sum(self._pending.values())

    def record(self, kind: str, key: str) -> None:
        """Count one showing of ``key`` (an entity id or screen name) of the given kind."""
        if kind not in ALLOWED_KINDS:
            _log.warning("usage kind %r is not counted", kind)
            return
        if len(key) > MAX_KEY_LENGTH or not _KEY_PATTERN.fullmatch(key):
            # The key is not logged: it is not an id, so it may be text someone typed.
            _log.warning("usage key of kind %r is not an id and is not counted", kind)
            return
        now = self._clock()
        slot = (now.date().isoformat(), now.hour, kind, key)
        with self._pending_lock:
            self._pending[slot] += 1

    def flush(self) -> int:
        """Merge the pending counts into the table in one file write; return how many there were."""
        with self._db_lock:
            with self._pending_lock:
                batch, self._pending = self._pending, Counter()
            if not batch:
                return 0
            try:
                self._merge(batch)
            except BaseException:
                # Keep the counts for the next flush; the batch left the file untouched.
                with self._pending_lock:
                    self._pending.update(batch)
                self._table.clear_cache()
                raise
        return sum(batch.values())

    def totals(self, kind: str) -> dict[str, int]:
        """All-time counts per key of ``kind`` (flushed and pending), highest first."""
        counts: Counter[str] = Counter()
        for slot, count in self._all_counts(kind):
            counts[slot[3]] += count
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def daily_totals(self, kind: str, days: int) -> dict[date, dict[str, int]]:
        """Counts per day and key of ``kind`` for the last ``days`` days up to today, oldest first.

        Every day of the range is present, with an empty dict when nothing was counted.
        """
        if days < 1:
            raise ValueError(f"days must be at least 1, got {days}")
        today = self._clock().date()
        first = today - timedelta(days=days - 1)
        result: dict[date, dict[str, int]] = {
            first + timedelta(days=offset): {} for offset in range(days)
        }
        first_iso, today_iso = first.isoformat(), today.isoformat()
        for (day, _hour, _kind, key), count in self._all_counts(kind):
            if first_iso <= day <= today_iso:
                per_key = result[date.fromisoformat(day)]
                per_key[key] = per_key.get(key, 0) + count
        return result

    def _all_counts(self, kind: str) -> Iterator[tuple[_Slot, int]]:
        # Both locks at once, so a concurrent flush cannot count a batch twice or not at all.
        with self._db_lock:
            documents = [doc for doc in self._table if doc["kind"] == kind]
            with self._pending_lock:
                pending = [(slot, n) for slot, n in self._pending.items() if slot[2] == kind]
        for doc in documents:
            yield _slot_of(doc), doc["count"]
        yield from pending

    def _merge(self, batch: Counter[_Slot]) -> None:
        cutoff = (self._clock().date() - timedelta(days=RETENTION_DAYS)).isoformat()
        existing: set[_Slot] = set()
        existing_ids: list[int] = []
        expired_ids: list[int] = []
        for doc in self._table:
            if doc["day"] < cutoff:
                expired_ids.append(doc.doc_id)
            elif (slot := _slot_of(doc)) in batch:
                existing.add(slot)
                existing_ids.append(doc.doc_id)
        new_documents = [
            {"day": day, "hour": hour, "kind": kind, "key": key, "count": count}
            for (day, hour, kind, key), count in batch.items()
            if (day, hour, kind, key) not in existing and day >= cutoff
        ]

        def add_counts(document: MutableMapping[str, object]) -> None:
            document["count"] = _as_int(document["count"]) + batch[_slot_of(document)]

        with _batched(self._table):
            if existing_ids:
                self._table.update(add_counts, doc_ids=existing_ids)
            if new_documents:
                self._table.insert_multiple(new_documents)
            if expired_ids:
                self._table.remove(doc_ids=expired_ids)


def is_usage_document(document: Mapping[str, object]) -> bool:
    """Whether ``document`` has the shape of a stored usage count."""
    day, hour, kind = document.get("day"), document.get("hour"), document.get("kind")
    key, count = document.get("key"), document.get("count")
    return (
        set(document) == {"day", "hour", "kind", "key", "count"}
        and isinstance(day, str)
        and _DAY_PATTERN.fullmatch(day) is not None
        and _is_iso_date(day)
        and type(hour) is int
        and 0 <= hour <= 23
        and isinstance(kind, str)
        and isinstance(key, str)
        and type(count) is int
        and count >= 0
    )


def _is_iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _slot_of(document: Mapping[str, object]) -> _Slot:
    return (
        str(document["day"]),
        _as_int(document["hour"]),
        str(document["kind"]),
        str(document["key"]),
    )


def _as_int(value: object) -> int:
    if not isinstance(value, int):
        raise TypeError(f"expected an int, found {type(value).__name__}")
    return value


def _batched(table: Table) -> contextlib.AbstractContextManager[None]:
    # One file write for the whole merge; other storages (MemoryStorage) write per operation.
    if isinstance(table.storage, AtomicJSONStorage):
        return table.storage.batch()
    return contextlib.nullcontext()
