"""Statistics for staff: a real state file, real counts, real (tmpfs) sticks mounted here."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.admin.statistics import (
    CSV_HEADER,
    EXPORT_FOLDER,
    ExportError,
    chart_data,
    export_csv,
    export_file_name,
    find_export_sticks,
    write_export_to_stick,
)
from kiosk.store.state import KioskState

from .conftest import WallClock

TODAY = date(2026, 3, 10)


@pytest.fixture
def clock() -> WallClock:
    return WallClock(datetime(2026, 3, 10, 15, 30))


def record_at(
    state: KioskState, clock: WallClock, when: datetime, kind: str, key: str, n: int = 1
) -> None:
    saved = clock.now
    clock.now = when
    for _ in range(n):
        state.usage.record(kind, key)
    clock.now = saved


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 15)


# ---- chart data --------
def test_chart_data_covers_thirty_days_with_zeros(state: KioskState, clock: WallClock) -> None:
    day_29 = TODAY - timedelta(days=29)
    day_30 = TODAY - timedelta(days=30)  # one day too old
    record_at(state, clock, at(day_30, 10), "topic", "kita", 100)
    record_at(state, clock, at(day_30, 10), "qr", "kita", 100)
    record_at(state, clock, at(day_29, 9), "topic", "kita", 2)
    record_at(state, clock, at(day_29, 16), "topic", "kita", 1)
    record_at(state, clock, at(day_29, 9), "topic", "elterngeld", 3)
    record_at(state, clock, at(day_29, 9), "qr", "kita", 4)
    record_at(state, clock, at(day_29, 11), "qr", "standort-mitte", 1)
    record_at(state, clock, at(TODAY, 9), "topic", "beratung", 1)
    record_at(state, clock, at(TODAY, 9), "qr", "kita", 2)
    record_at(state, clock, at(TODAY, 9), "idle_reset", "reset", 7)
    record_at(state, clock, at(TODAY, 9), "screen", "home", 50)  # not charted
    state.usage.flush()
    record_at(state, clock, at(TODAY, 14), "idle_reset", "reset", 1)  # still pending: counted

    chart = chart_data(state.usage, today=TODAY)

    assert (chart.first_day, chart.last_day, chart.days) == (day_29, TODAY, 30)
    assert chart.topic_taps == (("elterngeld", 3), ("kita", 3), ("beratung", 1))
    assert [day for day, _ in chart.qr_per_day] == [day_29 + timedelta(n) for n in range(30)]
    assert chart.qr_per_day[0] == (day_29, 5)
    assert chart.qr_per_day[-1] == (TODAY, 2)
    assert all(count == 0 for _, count in chart.qr_per_day[1:-1])
    assert chart.sessions_per_day[-1] == (TODAY, 8)
    assert len(chart.sessions_per_day) == 30
    assert (chart.qr_total, chart.sessions_total, chart.topic_taps_total) == (7, 8, 7)


def test_chart_data_of_an_unused_kiosk(state: KioskState) -> None:
    chart = chart_data(state.usage, today=TODAY, days=7)
    assert chart.topic_taps == ()
    assert chart.qr_per_day == tuple((TODAY - timedelta(6 - n), 0) for n in range(7))
    with pytest.raises(ValueError):
        chart_data(state.usage, today=TODAY, days=0)


def test_chart_data_for_a_day_other_than_the_counters_today(
    state: KioskState, clock: WallClock
) -> None:
    record_at(state, clock, at(TODAY - timedelta(days=40), 9), "qr", "kita", 3)
    chart = chart_data(state.usage, today=TODAY - timedelta(days=35), days=10)
    assert chart.qr_total == 3


# ---- CSV --------
def test_export_csv_has_daily_rows_only(state: KioskState, clock: WallClock) -> None:
    yesterday = TODAY - timedelta(days=1)
    record_at(state, clock, at(yesterday, 9), "qr", "kita", 2)
    record_at(state, clock, at(yesterday, 17), "qr", "kita", 3)  # another hour: same row
    record_at(state, clock, at(yesterday, 9), "topic", "kita", 1)
    record_at(state, clock, at(TODAY, 8), "language", "ar", 1)
    record_at(state, clock, at(TODAY - timedelta(days=400), 8), "qr", "alt", 1)  # too old
    state.usage.flush()

    text = export_csv(state.usage, today=TODAY)

    assert not text.startswith("\ufeff")
    assert text.splitlines(keepends=True)[0] == "date;kind;key;count\r\n"
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert tuple(rows[0]) == CSV_HEADER
    assert rows[1:] == [
        ["2026-03-09", "qr", "kita", "5"],
        ["2026-03-09", "topic", "kita", "1"],
        ["2026-03-10", "language", "ar", "1"],
    ]


def test_export_csv_of_nothing_is_the_header(state: KioskState) -> None:
    assert export_csv(state.usage, today=TODAY, days=3) == "date;kind;key;count\r\n"


def test_file_name_suits_any_stick() -> None:
    assert (
        export_file_name("Familienbüro Siegen – Mitte/Eingang: 2", TODAY)
        == "statistik-familienbuero-siegen-mitte-eingang-2-2026-03-10.csv"
    )
    assert export_file_name("???", TODAY) == "statistik-kiosk-2026-03-10.csv"
    assert export_file_name("Çağrı Straße", TODAY) == "statistik-cagri-strasse-2026-03-10.csv"


# ---- sticks (the `mount` fixture is in tests/conftest.py) --------
Mount = Callable[..., Path]


CSV_TEXT = "date;kind;key;count\r\n2026-03-09;qr;kita;5\r\n"


def test_no_stick(tmp_path: Path) -> None:
    # Folders where sticks would be mounted, but nothing mounted: the SD card must not be used.
    (tmp_path / "media" / "pi" / "STICK").mkdir(parents=True)
    (tmp_path / "mnt").mkdir()
    roots = [tmp_path / "media", tmp_path / "mnt", tmp_path / "run-media-missing"]
    assert find_export_sticks(roots) == []
    with pytest.raises(ExportError) as caught:
        write_export_to_stick(CSV_TEXT, kiosk_name="Mitte", today=TODAY, mount_roots=roots)
    assert caught.value.code == "no_stick"
    assert caught.value.text("de").startswith("Kein USB-Stick gefunden.")
    assert not list(tmp_path.rglob("*.csv"))


def test_export_to_a_stick(tmp_path: Path, mount: Mount) -> None:
    stick = mount("media/pi/STICK")
    roots = [tmp_path / "media", tmp_path / "mnt"]
    assert find_export_sticks(roots) == [stick]

    written = write_export_to_stick(
        CSV_TEXT, kiosk_name="Familienbüro Mitte", today=TODAY, mount_roots=roots
    )

    assert written == stick / EXPORT_FOLDER / "statistik-familienbuero-mitte-2026-03-10.csv"
    raw = written.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM German Excel needs to read UTF-8
    assert raw.decode("utf-8-sig") == CSV_TEXT
    assert [p.name for p in written.parent.iterdir()] == [written.name]  # no temp file left

    again = write_export_to_stick(
        CSV_TEXT + "2026-03-10;qr;kita;1\r\n",
        kiosk_name="Familienbüro Mitte",
        today=TODAY,
        mount_roots=roots,
    )
    assert again == written and written.read_bytes().endswith(b"2026-03-10;qr;kita;1\r\n")


def test_stick_mounted_at_the_root_itself(tmp_path: Path, mount: Mount) -> None:
    stick = mount("mnt")  # /mnt itself may be the stick
    written = write_export_to_stick(
        CSV_TEXT, kiosk_name="k", today=TODAY, mount_roots=[tmp_path / "mnt"]
    )
    assert written.parent == stick / EXPORT_FOLDER


def test_read_only_stick(tmp_path: Path, mount: Mount) -> None:
    mount("media/STICK", "ro,size=1m")
    with pytest.raises(ExportError) as caught:
        write_export_to_stick(
            CSV_TEXT, kiosk_name="k", today=TODAY, mount_roots=[tmp_path / "media"]
        )
    assert caught.value.code == "read_only"
    assert "schreibgeschützt" in caught.value.text("de")
    assert "read-only" in caught.value.text("en")


def test_full_stick(tmp_path: Path, mount: Mount) -> None:
    stick = mount("media/STICK", "size=128k")
    (stick / "urlaubsfotos.jpg").write_bytes(bytes(100 * 1024))
    with pytest.raises(ExportError) as caught:
        write_export_to_stick(
            CSV_TEXT, kiosk_name="k", today=TODAY, mount_roots=[tmp_path / "media"]
        )
    assert caught.value.code == "full"
    assert "ist voll" in caught.value.text("de") and "KB frei" in caught.value.text("de")


def test_stick_that_runs_out_while_writing(tmp_path: Path, mount: Mount) -> None:
    # Room for bytes but not for another file: the error comes from the write itself.
    stick = mount("media/STICK", "size=1m,nr_inodes=2")
    with pytest.raises(ExportError) as caught:
        write_export_to_stick(
            CSV_TEXT, kiosk_name="k", today=TODAY, mount_roots=[tmp_path / "media"]
        )
    assert caught.value.code == "full", caught.value.text("en")
    assert not [p for p in stick.rglob("*") if p.is_file()]  # no half-written file


def test_write_error_is_reported_with_its_reason(tmp_path: Path, mount: Mount) -> None:
    stick = mount("media/STICK")
    (stick / EXPORT_FOLDER).write_text("a file where the folder should be")
    with pytest.raises(ExportError) as caught:
        write_export_to_stick(
            CSV_TEXT, kiosk_name="k", today=TODAY, mount_roots=[tmp_path / "media"]
        )
    assert caught.value.code == "write_failed"
    assert caught.value.text("de") == (
        f"Schreiben auf den USB-Stick ({stick}) ist fehlgeschlagen: File exists. Bitte den "
        "Stick neu einstecken und es noch einmal versuchen."
    )


def test_a_second_stick_is_used_when_the_first_is_read_only(tmp_path: Path, mount: Mount) -> None:
    mount("media/A-LOCKED", "ro,size=1m")
    good = mount("media/B-STICK")
    written = write_export_to_stick(
        CSV_TEXT, kiosk_name="k", today=TODAY, mount_roots=[tmp_path / "media"]
    )
    assert written.parent.parent == good


def test_statistics_to_a_stick_end_to_end(
    tmp_path: Path, mount: Mount, state: KioskState, clock: WallClock
) -> None:
    record_at(state, clock, at(TODAY, 9), "topic", "kita", 4)
    stick = mount("run/media/pi/KINGSTON")
    written = write_export_to_stick(
        export_csv(state.usage, today=TODAY),
        kiosk_name="Rathaus",
        today=TODAY,
        mount_roots=[tmp_path / "run" / "media"],
    )
    assert written.is_relative_to(stick)
    with open(written, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert rows == [{"date": "2026-03-10", "kind": "topic", "key": "kita", "count": "4"}]
    assert os.stat(written).st_size == len(written.read_bytes())
