from __future__ import annotations

import json
import re
import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tinydb import TinyDB
from tinydb.storages import MemoryStorage

from kiosk.store.atomic_storage import AtomicJSONStorage
from kiosk.store.usage import (
    FLUSH_INTERVAL_SECONDS,
    MAX_KEY_LENGTH,
    RETENTION_DAYS,
    UsageCounter,
)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 10, 14, 37, 52, 123456))


@pytest.fixture
def db(tmp_path: Path) -> TinyDB:
    return TinyDB(tmp_path / "state.json", storage=AtomicJSONStorage)


def storage_of(db: TinyDB) -> AtomicJSONStorage:
    storage = db.storage
    assert isinstance(storage, AtomicJSONStorage)
    return storage


def usage_documents(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_bytes())
    return sorted(data["usage"].values(), key=lambda d: (d["day"], d["hour"], d["kind"], d["key"]))


def test_flush_interval_is_a_few_minutes() -> None:
    assert FLUSH_INTERVAL_SECONDS == 300


def test_records_stay_in_memory_until_flush(db: TinyDB, clock: FakeClock, tmp_path: Path) -> None:
    usage = UsageCounter(db, clock)

    for _ in range(500):
        usage.record("screen", "home")
        usage.record("topic", "kinderbetreuung")

    assert usage.pending == 1000
    assert storage_of(db).commits == 0
    assert not (tmp_path / "state.json").exists()


def test_one_flush_is_one_write(db: TinyDB, clock: FakeClock, tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    usage = UsageCounter(db, clock)
    usage.record("screen", "home")
    usage.record("qr", "standort-mitte")
    assert usage.flush() == 2
    # The next batch updates existing documents, inserts new ones and prunes an old one at once.
    db.table("usage").insert({"day": "2024-01-01", "hour": 9, "kind": "qr", "key": "a", "count": 1})
    for _ in range(50):
        usage.record("screen", "home")
        usage.record("topic", "kinderbetreuung")
    for n in range(30):
        usage.record("offer", f"offer-{n}")
    inode = path.stat().st_ino
    commits = storage_of(db).commits

    assert usage.flush() == 130

    assert storage_of(db).commits == commits + 1
    assert path.stat().st_ino != inode
    assert usage.pending == 0
    assert usage.totals("screen") == {"home": 51}
    assert usage.totals("qr") == {"standort-mitte": 1}  # the 2024 document was pruned


def test_flush_without_counts_writes_nothing(db: TinyDB, clock: FakeClock) -> None:
    usage = UsageCounter(db, clock)

    assert usage.flush() == 0
    assert storage_of(db).commits == 0


def test_counts_merge_into_one_document_per_hour(
    db: TinyDB, clock: FakeClock, tmp_path: Path
) -> None:
    usage = UsageCounter(db, clock)
    usage.record("screen", "home")
    usage.flush()
    clock.advance(minutes=10)
    usage.record("screen", "home")
    usage.record("screen", "home")
    usage.flush()
    clock.advance(hours=1)
    usage.record("screen", "home")
    usage.flush()

    assert usage_documents(tmp_path / "state.json") == [
        {"day": "2026-03-10", "hour": 14, "kind": "screen", "key": "home", "count": 3},
        {"day": "2026-03-10", "hour": 15, "kind": "screen", "key": "home", "count": 1},
    ]


def test_nothing_finer_than_an_hour_is_stored(db: TinyDB, clock: FakeClock, tmp_path: Path) -> None:
    usage = UsageCounter(db, clock)
    for kind, key in [("screen", "home"), ("qr", "babytreff-nord"), ("language", "en")]:
        usage.record(kind, key)
        clock.advance(minutes=7, seconds=13)
    usage.flush()

    raw = (tmp_path / "state.json").read_text(encoding="utf-8")
    for document in json.loads(raw)["usage"].values():
        assert set(document) == {"day", "hour", "kind", "key", "count"}
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", document["day"])
        assert document["hour"] == 14
    assert not re.search(r"\d:\d\d|T\d\d|\.\d{3}", raw)  # no clock times, no timestamps
    assert "37" not in raw and "52" not in raw  # the minute and second of the first record


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("visitor", "home"),
        ("", "home"),
        ("screen", ""),
        ("screen", "x" * (MAX_KEY_LENGTH + 1)),
        ("topic", "Frau Müller fragt nach Kita"),
        ("qr", "max@example.org"),
        ("qr", "https://www.siegen.de/kita"),
        ("topic", "kinder\nbetreuung"),
    ],
)
def test_unknown_kinds_and_non_id_keys_are_ignored(
    db: TinyDB, clock: FakeClock, kind: str, key: str
) -> None:
    usage = UsageCounter(db, clock)

    usage.record(kind, key)

    assert usage.pending == 0


def test_longest_allowed_key_is_counted(db: TinyDB, clock: FakeClock) -> None:
    usage = UsageCounter(db, clock)

    usage.record("offer", "a" * MAX_KEY_LENGTH)
    usage.record("idle_reset", "topic_detail")

    assert usage.pending == 2


def test_totals_include_flushed_and_pending(db: TinyDB, clock: FakeClock) -> None:
    usage = UsageCounter(db, clock)
    usage.record("topic", "kinderbetreuung")
    usage.record("topic", "elterngeld")
    usage.flush()
    clock.advance(days=2)
    usage.record("topic", "kinderbetreuung")
    usage.record("screen", "home")

    assert usage.totals("topic") == {"kinderbetreuung": 2, "elterngeld": 1}
    assert list(usage.totals("topic")) == ["kinderbetreuung", "elterngeld"]
    assert usage.totals("screen") == {"home": 1}
    assert usage.totals("qr") == {}


def test_daily_totals_cover_every_day_of_the_range(db: TinyDB, clock: FakeClock) -> None:
    usage = UsageCounter(db, clock)
    usage.record("qr", "standort-mitte")
    clock.advance(hours=3)
    usage.record("qr", "standort-mitte")
    usage.flush()
    clock.advance(days=2)
    usage.record("qr", "babytreff-nord")

    totals = usage.daily_totals("qr", days=3)

    assert totals == {
        date(2026, 3, 10): {"standort-mitte": 2},
        date(2026, 3, 11): {},
        date(2026, 3, 12): {"babytreff-nord": 1},
    }
    assert list(totals) == sorted(totals)
    assert usage.daily_totals("qr", days=1) == {date(2026, 3, 12): {"babytreff-nord": 1}}
    with pytest.raises(ValueError):
        usage.daily_totals("qr", days=0)


def test_flush_prunes_documents_older_than_retention(
    db: TinyDB, clock: FakeClock, tmp_path: Path
) -> None:
    today = clock().date()
    oldest_kept = today - timedelta(days=RETENTION_DAYS)
    too_old = oldest_kept - timedelta(days=1)
    db.table("usage").insert_multiple(
        {"day": day.isoformat(), "hour": 10, "kind": "screen", "key": "home", "count": 5}
        for day in (too_old, oldest_kept)
    )
    usage = UsageCounter(db, clock)
    usage.record("screen", "home")

    usage.flush()

    assert [d["day"] for d in usage_documents(tmp_path / "state.json")] == [
        oldest_kept.isoformat(),
        today.isoformat(),
    ]


def test_failed_flush_keeps_the_counts(db: TinyDB, clock: FakeClock, tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    usage = UsageCounter(db, clock)
    usage.record("screen", "home")
    usage.flush()
    usage.record("screen", "home")
    usage.record("screen", "info")
    # A directory in the file's place makes the write fail, as a full or failing card would.
    path.unlink()
    path.mkdir()

    with pytest.raises(OSError):
        usage.flush()

    assert usage.pending == 2
    assert usage.totals("screen") == {"home": 2, "info": 1}
    path.rmdir()
    assert usage.flush() == 2
    assert usage.totals("screen") == {"home": 2, "info": 1}
    assert sum(d["count"] for d in usage_documents(path)) == 3


def test_works_on_a_plain_table(clock: FakeClock) -> None:
    table = TinyDB(storage=MemoryStorage).table("counts")
    usage = UsageCounter(table, clock)
    usage.record("language", "tr")

    assert usage.flush() == 1
    assert usage.totals("language") == {"tr": 1}
    assert len(table) == 1


def test_concurrent_records_and_flushes_lose_nothing(db: TinyDB, clock: FakeClock) -> None:
    usage = UsageCounter(db, clock)
    done = threading.Event()

    def keep_flushing() -> None:
        while not done.is_set():
            usage.flush()

    def record_many(key: str) -> None:
        for _ in range(2000):
            usage.record("screen", key)

    flusher = threading.Thread(target=keep_flushing)
    recorders = [threading.Thread(target=record_many, args=(f"s{n}",)) for n in range(3)]
    flusher.start()
    for thread in recorders:
        thread.start()
    for thread in recorders:
        thread.join()
    done.set()
    flusher.join()
    usage.flush()

    assert usage.totals("screen") == {"s0": 2000, "s1": 2000, "s2": 2000}
