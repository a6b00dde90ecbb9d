"""Clock sanity: behind the content or the software, far ahead, and systemd-timesyncd's marker."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.system.clock import (
    BEHIND_TOLERANCE,
    FAR_AHEAD,
    KIOSK_SOFTWARE_DATE,
    check_clock,
    parse_published,
    systemd_time_synced,
)
from kiosk.updates.layout import DataDirLayout
from kiosk.updates.releases import ReleaseStore

BERLIN = ZoneInfo("Europe/Berlin")
SOFTWARE = date(2026, 11, 1)
PUBLISHED = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def test_a_clock_after_the_publish_date_is_trusted() -> None:
    check = check_clock(datetime(2026, 11, 25, 9, 0, tzinfo=BERLIN), PUBLISHED, SOFTWARE)

    assert check.trusted
    assert check.state == "ok"
    assert check.message_de and check.message_en


def test_1970_after_a_power_cut_is_behind() -> None:
    check = check_clock(datetime(1970, 1, 1, 0, 0, 5, tzinfo=UTC), None, SOFTWARE)

    assert not check.trusted
    assert check.state == "behind"
    assert "01.01.1970 01:00" in check.message_de  # shown in Berlin time
    assert "Kiosk-Software ist vom 01.11.2026" in check.message_de
    assert "kein „Jetzt geöffnet“" in check.message_de
    assert "software dates from 01.11.2026" in check.message_en


def test_the_last_shutdown_time_before_the_content_is_behind() -> None:
    # fake-hwclock restored the time of the last shutdown, a week before this content.
    last_shutdown = datetime(2026, 11, 13, 18, 2, tzinfo=BERLIN)

    check = check_clock(last_shutdown, PUBLISHED, SOFTWARE)

    assert not check.trusted
    assert check.state == "behind"
    assert "Sie zeigt 13.11.2026 18:02" in check.message_de
    assert "am 20.11.2026 09:30 veröffentlicht" in check.message_de
    assert "published on 20.11.2026 09:30" in check.message_en


def test_a_few_minutes_behind_the_office_clock_is_tolerated() -> None:
    just_inside = PUBLISHED - BEHIND_TOLERANCE + timedelta(seconds=1)
    just_outside = PUBLISHED - BEHIND_TOLERANCE - timedelta(seconds=1)

    assert check_clock(just_inside, PUBLISHED, SOFTWARE).trusted
    assert check_clock(just_outside, PUBLISHED, SOFTWARE).state == "behind"


def test_embedded_content_is_judged_by_the_software_date() -> None:
    assert check_clock(datetime(2026, 10, 31, 23, 59, tzinfo=BERLIN), None, SOFTWARE).state == (
        "behind"
    )
    assert check_clock(datetime(2026, 11, 1, 0, 0, tzinfo=BERLIN), None, SOFTWARE).trusted


def test_the_default_software_date_is_this_release() -> None:
    assert check_clock(datetime(2020, 1, 1, tzinfo=BERLIN), None).state == "behind"
    now_of_release = datetime.combine(KIOSK_SOFTWARE_DATE, datetime.min.time(), BERLIN)
    assert check_clock(now_of_release + timedelta(hours=12), None).trusted


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (datetime(2062, 11, 25, 9, 0, tzinfo=BERLIN), "far_ahead"),  # a typo in the year
        (datetime(2106, 2, 7, 6, 28, tzinfo=UTC), "far_ahead"),  # 32-bit RTC garbage
        (datetime(2028, 11, 25, 9, 0, tzinfo=BERLIN), "ok"),  # two years without updates
    ],
)
def test_far_ahead(now: datetime, state: str) -> None:
    check = check_clock(now, PUBLISHED, SOFTWARE)

    assert check.state == state
    assert check.trusted is (state == "ok")


def test_far_ahead_counts_from_the_newer_of_content_and_software() -> None:
    reference = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)

    assert check_clock(reference + FAR_AHEAD - timedelta(days=1), reference, SOFTWARE).trusted
    late = check_clock(reference + FAR_AHEAD + timedelta(days=1), reference, SOFTWARE)
    assert late.state == "far_ahead"
    assert "mehr als drei Jahre nach dem 20.11.2026" in late.message_de
    # Old content, newer software: the software's date is the reference.
    old = datetime(2020, 1, 1, tzinfo=UTC)
    assert check_clock(datetime(2028, 1, 1, tzinfo=BERLIN), old, SOFTWARE).trusted


def test_naive_times_are_berlin_wall_time() -> None:
    assert check_clock(datetime(2026, 11, 25, 9, 0), PUBLISHED, SOFTWARE).trusted
    assert check_clock(datetime(2026, 11, 20, 9, 0), PUBLISHED, SOFTWARE).state == "behind"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T08:30:00Z", PUBLISHED),
        ("2026-11-20T08:30:00+00:00", PUBLISHED),
        ("2026-11-20T09:30:00+01:00", PUBLISHED),
        ("2026-11-20T08:30:00", PUBLISHED),  # no offset: the publisher writes UTC
        ("not a date", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_published(text: str | None, expected: datetime | None) -> None:
    assert parse_published(text) == expected


def test_the_publish_date_comes_from_the_active_release_record(tmp_path: Path) -> None:
    store = ReleaseStore(DataDirLayout(tmp_path / "data").releases)
    staging = store.new_staging()
    (staging / "content" / "settings.json").write_text("{}", encoding="utf-8")
    marker = {
        "version": 7,
        "files": {},
        "source": "stick",
        "published": "2026-11-20T08:30:00Z",
        "imported_at": "2026-11-21T10:00:00+01:00",
    }
    store.activate(store.commit(staging, marker))

    active = ReleaseStore(DataDirLayout(tmp_path / "data").releases).active()

    assert active is not None
    published = parse_published(active.published)
    assert published == PUBLISHED
    assert not check_clock(datetime(1970, 1, 1, tzinfo=UTC), published).trusted


def test_systemd_time_synced_reads_timesyncds_marker(tmp_path: Path) -> None:
    run_dir = tmp_path / "run" / "systemd" / "timesync"
    marker = run_dir / "synchronized"

    assert systemd_time_synced(marker) is None  # timesyncd is not running
    run_dir.mkdir(parents=True)
    assert systemd_time_synced(marker) is False  # running, not yet synchronised
    marker.touch()
    assert systemd_time_synced(marker) is True


def test_systemd_time_synced_on_this_machine_answers_without_error() -> None:
    assert systemd_time_synced() in (True, False, None)
