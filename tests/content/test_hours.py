"""Opening hours in Siegen: OSM expressions, NRW holidays, DST, status and week tables."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from kiosk.content.hours import (
    DayHours,
    HoursError,
    OpeningSchedule,
    OpeningStatus,
    OpenState,
    nrw_holiday_name,
)

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = "Mo-Fr 08:30-12:00; Th 08:30-12:00,14:00-17:30; PH off"


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def clock(intervals: tuple[tuple[datetime, datetime], ...]) -> list[tuple[str, str]]:
    return [(start.strftime("%H:%M"), end.strftime("%H:%M")) for start, end in intervals]


def hours(start: datetime, end: datetime) -> float:
    return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 3600


@pytest.fixture
def office() -> OpeningSchedule:
    return OpeningSchedule.parse(OFFICE)


def test_ordinary_weekdays(office: OpeningSchedule) -> None:
    assert clock(office.day_intervals(date(2026, 6, 3))) == [("08:30", "12:00")]
    assert clock(office.day_intervals(date(2026, 6, 11))) == [
        ("08:30", "12:00"),
        ("14:00", "17:30"),
    ]
    assert office.day_intervals(date(2026, 6, 6)) == ()
    start, end = office.day_intervals(date(2026, 6, 3))[0]
    assert start == at(2026, 6, 3, 8, 30) and end == at(2026, 6, 3, 12)
    assert start.utcoffset() == timedelta(hours=2)


def test_fronleichnam_is_closed_with_ph_off(office: OpeningSchedule) -> None:
    fronleichnam = date(2026, 6, 4)
    assert fronleichnam.isoweekday() == 4
    assert office.day_intervals(fronleichnam) == ()
    assert office.state_at(at(2026, 6, 4, 10)) is OpenState.CLOSED
    assert office.state_at(at(2026, 6, 4, 15)) is OpenState.CLOSED
    status = office.status(at(2026, 6, 4, 10))
    assert status.state is OpenState.CLOSED
    assert status.holiday_name == "Fronleichnam"
    assert status.next_opening == at(2026, 6, 5, 8, 30)


def test_allerheiligen_is_closed_with_ph_off(office: OpeningSchedule) -> None:
    allerheiligen = date(2027, 11, 1)
    assert allerheiligen.isoweekday() == 1
    assert office.day_intervals(allerheiligen) == ()
    status = office.status(at(2027, 11, 1, 9))
    assert status.state is OpenState.CLOSED
    assert status.holiday_name == "Allerheiligen"
    assert status.next_opening == at(2027, 11, 2, 8, 30)


def test_nationwide_holiday() -> None:
    schedule = OpeningSchedule.parse("Mo-Sa 10:00-18:00; PH off")
    assert schedule.day_intervals(date(2026, 10, 3)) == ()
    status = schedule.status(at(2026, 10, 3, 12))
    assert status.state is OpenState.CLOSED
    assert status.holiday_name == "Tag der Deutschen Einheit"
    assert status.next_opening == at(2026, 10, 5, 10)
    assert clock(schedule.day_intervals(date(2026, 10, 10))) == [("10:00", "18:00")]


def test_next_opening_skips_nrw_holiday(office: OpeningSchedule) -> None:
    status = office.status(at(2026, 6, 3, 13))
    assert status == OpeningStatus(
        state=OpenState.CLOSED,
        closes_at=None,
        next_opening=at(2026, 6, 5, 8, 30),
        holiday_name=None,
    )
    assert status.next_opening is not None
    assert status.next_opening.tzinfo == BERLIN


def test_next_opening_later_the_same_day(office: OpeningSchedule) -> None:
    assert office.status(at(2026, 6, 11, 12, 30)).next_opening == at(2026, 6, 11, 14)
    assert office.status(at(2026, 6, 11, 7)).next_opening == at(2026, 6, 11, 8, 30)


def test_next_opening_none_beyond_fourteen_days() -> None:
    schedule = OpeningSchedule.parse("Dec 24 10:00-12:00")
    status = schedule.status(at(2026, 6, 1, 9))
    assert status.state is OpenState.CLOSED
    assert status.next_opening is None
    assert schedule.status(at(2026, 12, 12, 9)).next_opening == at(2026, 12, 24, 10)


def test_closes_at(office: OpeningSchedule) -> None:
    status = office.status(at(2026, 6, 3, 9))
    assert status.state is OpenState.OPEN
    assert status.closes_at == at(2026, 6, 3, 12)
    assert status.next_opening is None
    assert office.status(at(2026, 6, 11, 15)).closes_at == at(2026, 6, 11, 17, 30)


def test_closes_at_after_midnight_and_never() -> None:
    late = OpeningSchedule.parse("Mo-Su 20:00-02:00")
    assert late.status(at(2026, 6, 3, 23)).closes_at == at(2026, 6, 4, 2)
    always = OpeningSchedule.parse("24/7")
    status = always.status(at(2026, 6, 3, 23))
    assert status.state is OpenState.OPEN
    assert status.closes_at is None


def test_spring_forward_day() -> None:
    assert date(2026, 3, 29).isoweekday() == 7
    (start, end), *rest = OpeningSchedule.parse("24/7").day_intervals(date(2026, 3, 29))
    assert rest == []
    assert (start, end) == (at(2026, 3, 29), at(2026, 3, 30))
    assert hours(start, end) == 23
    (start, end), *_ = OpeningSchedule.parse("Su 01:00-04:00").day_intervals(date(2026, 3, 29))
    assert start.utcoffset() == timedelta(hours=1) and end.utcoffset() == timedelta(hours=2)
    assert hours(start, end) == 2
    (start, end), *_ = OpeningSchedule.parse("Su 08:00-18:00").day_intervals(date(2026, 3, 29))
    assert start.astimezone(UTC) == datetime(2026, 3, 29, 6, tzinfo=UTC)
    assert hours(start, end) == 10


def test_fall_back_day() -> None:
    assert date(2026, 10, 25).isoweekday() == 7
    (start, end), *rest = OpeningSchedule.parse("24/7").day_intervals(date(2026, 10, 25))
    assert rest == []
    assert hours(start, end) == 25
    schedule = OpeningSchedule.parse("Su 01:00-04:00")
    (start, end), *_ = schedule.day_intervals(date(2026, 10, 25))
    assert start.utcoffset() == timedelta(hours=2) and end.utcoffset() == timedelta(hours=1)
    assert hours(start, end) == 4
    # 02:30 happens twice that night; both are inside the opening.
    assert schedule.state_at(datetime(2026, 10, 25, 0, 30, tzinfo=UTC)) is OpenState.OPEN
    assert schedule.state_at(datetime(2026, 10, 25, 1, 30, tzinfo=UTC)) is OpenState.OPEN
    assert schedule.state_at(datetime(2026, 10, 25, 3, 30, tzinfo=UTC)) is OpenState.CLOSED
    (start, _), *_ = OpeningSchedule.parse("Su 08:00-18:00").day_intervals(date(2026, 10, 25))
    assert start.astimezone(UTC) == datetime(2026, 10, 25, 7, tzinfo=UTC)


@pytest.mark.parametrize("holiday", [date(2026, 6, 4), date(2027, 11, 1), date(2026, 11, 1)])
def test_ph_hours_on_nrw_only_holiday(holiday: date) -> None:
    schedule = OpeningSchedule.parse("PH 10:00-12:00")
    assert clock(schedule.day_intervals(holiday)) == [("10:00", "12:00")]
    combined = OpeningSchedule.parse("Mo-Su 08:00-18:00; PH 10:00-12:00")
    assert clock(combined.day_intervals(holiday)) == [("10:00", "12:00")]
    assert combined.state_at(datetime.combine(holiday, datetime.min.time()).replace(hour=9)) is (
        OpenState.CLOSED
    )


def test_ph_hours_on_nationwide_holiday_and_normal_day() -> None:
    schedule = OpeningSchedule.parse("PH 10:00-12:00")
    assert clock(schedule.day_intervals(date(2026, 5, 14))) == [("10:00", "12:00")]
    assert schedule.day_intervals(date(2026, 6, 3)) == ()


def test_expression_without_ph_ignores_holidays() -> None:
    schedule = OpeningSchedule.parse("Mo-Fr 08:30-12:00")
    assert clock(schedule.day_intervals(date(2026, 6, 4))) == [("08:30", "12:00")]
    week = schedule.week(date(2026, 6, 1))
    assert week[3].holiday_name == "Fronleichnam"
    assert clock(week[3].intervals) == [("08:30", "12:00")]


def test_ph_inside_a_comment_is_not_a_holiday_rule() -> None:
    schedule = OpeningSchedule.parse('Mo-Fr 08:30-12:00 "PH nach Absprache"')
    assert clock(schedule.day_intervals(date(2026, 6, 4))) == [("08:30", "12:00")]


def test_unknown_state() -> None:
    schedule = OpeningSchedule.parse('Mo-Fr 10:00-12:00 unknown "nach Vereinbarung"')
    assert schedule.state_at(at(2026, 6, 3, 11)) is OpenState.UNKNOWN
    assert schedule.day_intervals(date(2026, 6, 3)) == ()
    status = schedule.status(at(2026, 6, 3, 11))
    assert status.state is OpenState.UNKNOWN
    assert status.closes_at is None and status.next_opening is None


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("Mo-Fr 25:00-12:00", "character 7"),
        ("bla", "character 1"),
        ("Mo-Fx 08:00-12:00", "weekday"),
        ("Mo-Fr 08:00-12:00 ;", "ends too early"),
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_invalid_expressions(expression: str, fragment: str) -> None:
    with pytest.raises(HoursError) as caught:
        OpeningSchedule.parse(expression)
    message = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert fragment in message
    assert "\n" not in message and "-->" not in message and "^" not in message
    assert len(message) < 200


def test_naive_datetimes_are_berlin_local_time(office: OpeningSchedule) -> None:
    assert office.state_at(datetime(2026, 6, 3, 11, 59)) is OpenState.OPEN
    assert office.state_at(datetime(2026, 6, 3, 12, 0)) is OpenState.CLOSED
    assert office.state_at(datetime(2026, 6, 3, 9, 59, tzinfo=UTC)) is OpenState.OPEN
    assert office.state_at(datetime(2026, 6, 3, 10, 0, tzinfo=UTC)) is OpenState.CLOSED
    naive = office.status(datetime(2026, 6, 3, 9))
    aware = office.status(datetime(2026, 6, 3, 7, tzinfo=UTC))
    assert naive == aware
    assert aware.closes_at is not None and aware.closes_at.tzinfo == BERLIN


def test_local_date_of_an_aware_utc_time(office: OpeningSchedule) -> None:
    # 23:30 UTC on Wednesday is already Fronleichnam in Siegen.
    status = office.status(datetime(2026, 6, 3, 23, 30, tzinfo=UTC))
    assert status.holiday_name == "Fronleichnam"


def test_week(office: OpeningSchedule) -> None:
    week = office.week(date(2026, 6, 1))
    assert len(week) == 7
    assert all(isinstance(day, DayHours) for day in week)
    assert [day.date for day in week] == [date(2026, 6, 1) + timedelta(days=n) for n in range(7)]
    names = [day.holiday_name for day in week]
    assert names == [None, None, None, "Fronleichnam", None, None, None]
    assert [len(day.intervals) for day in week] == [1, 1, 1, 0, 1, 0, 0]


def test_holiday_names() -> None:
    assert nrw_holiday_name(date(2026, 6, 4)) == "Fronleichnam"
    assert nrw_holiday_name(date(2026, 6, 4), language="en_US") == "Corpus Christi"
    assert nrw_holiday_name(date(2026, 12, 25)) == "Erster Weihnachtstag"
    assert nrw_holiday_name(date(2026, 6, 3)) is None
    # Reformationstag is a holiday in other states, not in NRW.
    assert nrw_holiday_name(date(2026, 10, 31)) is None


def test_every_nrw_holiday_2025_to_2035_is_closed_with_ph_off() -> None:
    schedule = OpeningSchedule.parse("24/7; PH off")
    calendar = holidays.country_holidays("DE", subdiv="NW", years=range(2025, 2036), language="de")
    assert len(calendar) > 100
    for day, name in calendar.items():
        noon = datetime(day.year, day.month, day.day, 12)
        assert schedule.state_at(noon) is OpenState.CLOSED, (day, name)
        assert schedule.status(noon).holiday_name == name
        after = day + timedelta(days=1)
        if after not in calendar:
            assert schedule.state_at(noon + timedelta(days=1)) is OpenState.OPEN, after


def test_parse_and_identity() -> None:
    schedule = OpeningSchedule.parse("  Mo-Fr 08:30-12:00  ")
    assert schedule.expression == "Mo-Fr 08:30-12:00"
    assert schedule == OpeningSchedule.parse("Mo-Fr 08:30-12:00")
    assert hash(schedule) == hash(OpeningSchedule.parse("Mo-Fr 08:30-12:00"))


def test_many_days_stay_correct_after_cache_turnover(office: OpeningSchedule) -> None:
    first = office.day_intervals(date(2026, 6, 3))
    for offset in range(200):
        office.day_intervals(date(2026, 1, 1) + timedelta(days=offset))
    assert office.day_intervals(date(2026, 6, 3)) == first
    assert office.day_intervals(date(2026, 6, 4)) == ()


def test_status_is_fast_after_warm_up(office: OpeningSchedule) -> None:
    # The UI asks every location "open now?" on each list refresh.
    moments = [at(2026, 6, 3, 13), at(2026, 6, 5, 18), at(2026, 6, 3, 9)]
    for moment in moments:
        office.status(moment)
    rounds = 300
    started = time.perf_counter()
    for _ in range(rounds):
        for moment in moments:
            office.status(moment)
    per_call = (time.perf_counter() - started) / (rounds * len(moments))
    assert per_call < 0.001
