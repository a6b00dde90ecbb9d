"""The kiosk's own state file: settings and usage counts, opened even when the file is broken."""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from tinydb import TinyDB

from kiosk.store.atomic_storage import AtomicJSONStorage, CorruptStorageError, fsync_directory
from kiosk.store.usage import USAGE_TABLE, UsageCounter, is_usage_document

__all__ = ["STATE_FILE_NAME", "SETTINGS_TABLE", "JsonScalar", "KioskState", "open_state"]

STATE_FILE_NAME = "state.json"
SETTINGS_TABLE = "settings"

JsonScalar = str | int | float | bool | None

_log = logging.getLogger(__name__)


class KioskState:
    """Settings and usage counts of this kiosk, persisted in one crash-safe TinyDB file."""

    def __init__(
        self,
        storage: AtomicJSONStorage,
        *,
        recovered_from: Path | None = None,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.path = storage.path
        self.recovered_from = recovered_from
        self._storage = storage
        self._db = TinyDB(storage=_existing(storage))
        self._settings = self._db.table(SETTINGS_TABLE)
        # One lock for every write, so a flush in a worker thread cannot interleave with a
        # settings change on the UI thread (each rewrites the whole file from what it read).
        self._lock = threading.Lock()
        self._closed = False
        self.usage = UsageCounter(self._db, clock, lock=self._lock)

    def get_setting(self, key: str, default: JsonScalar = None) -> JsonScalar:
        """The stored value of setting ``key``, or ``default`` when it was never set."""
        with self._lock:
            for document in self._settings:
                if document["key"] == key:
                    value: JsonScalar = document["value"]
                    return value
        return default

    def set_setting(self, key: str, value: JsonScalar) -> None:
        """Store ``value`` (a JSON scalar) under ``key``; an unchanged value writes nothing."""
        if not isinstance(key, str) or not key:
            raise ValueError("a setting key must be a non-empty string")
        if value is not None and not isinstance(value, str | int | float | bool):
            raise TypeError(f"setting {key!r} must be a JSON scalar, got {type(value).__name__}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"setting {key!r} must be a finite number, got {value}")
        with self._lock:
            doc_ids = [document.doc_id for document in self._settings if document["key"] == key]
            with self._storage.batch():
                if doc_ids:
                    self._settings.update({"value": value}, doc_ids=doc_ids)
                else:
                    self._settings.insert({"key": key, "value": value})

    def close(self) -> None:
        """Flush pending usage counts and release the file; closing twice is harmless."""
        if self._closed:
            return
        try:
            self.usage.flush()
        finally:
            self._closed = True
            self._db.close()

    def __enter__(self) -> KioskState:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def open_state(data_dir: Path, *, clock: Callable[[], datetime] = datetime.now) -> KioskState:
    """Open (creating ``data_dir`` if needed) the kiosk state; a broken file is moved aside."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / STATE_FILE_NAME
    storage = AtomicJSONStorage(path)
    recovered_from: Path | None = None
    try:
        _check_tables(storage.read())
    except ValueError as error:
        # JSONDecodeError, UnicodeDecodeError and CorruptStorageError are all ValueErrors.
        # The kiosk must come up anyway; the broken file is kept for staff to inspect.
        recovered_from = _move_aside(path, clock())
        _log.error("state file %s is unreadable (%s); moved to %s", path, error, recovered_from)
        storage = AtomicJSONStorage(path)
    return KioskState(storage, recovered_from=recovered_from, clock=clock)


def _existing(storage: AtomicJSONStorage) -> Callable[[], AtomicJSONStorage]:
    # TinyDB builds its storage from a factory; this one hands over the storage already checked.
    def factory() -> AtomicJSONStorage:
        return storage

    return factory


def _check_tables(data: dict[str, dict[str, Any]] | None) -> None:
    if data is None:
        return
    for document in data.get(SETTINGS_TABLE, {}).values():
        value = document.get("value")
        if (
            set(document) != {"key", "value"}
            or not isinstance(document.get("key"), str)
            or not (value is None or isinstance(value, str | int | float | bool))
        ):
            raise CorruptStorageError(f"malformed settings document {document!r}")
    for document in data.get(USAGE_TABLE, {}).values():
        if not is_usage_document(document):
            raise CorruptStorageError(f"malformed usage document {document!r}")


def _move_aside(path: Path, now: datetime) -> Path:
    stem = f"{path.name}.broken-{now:%Y%m%dT%H%M%S}"
    target = path.with_name(stem)
    suffix = 1
    # os.rename silently replaces an existing file on POSIX: never overwrite an earlier broken one.
    while target.exists():
        suffix += 1
        target = path.with_name(f"{stem}-{suffix}")
    os.rename(path, target)
    fsync_directory(path.parent)
    return target
