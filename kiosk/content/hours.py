"""Opening hours: OSM `opening_hours` expressions evaluated in Siegen, with NRW public holidays."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import opening_hours

__all__ = [
    "DayHours",
    "HoursError",
    "OpenState",
    "OpeningSchedule",
    "OpeningStatus",
    "nrw_holiday_name",
]

BERLIN = ZoneInfo("Europe/Berlin")

_NEXT_OPENING_DAYS = 14
# Fronleichnam is always a Thursday and Allerheiligen falls on any weekday; every weekday has a
# nationwide holiday within a year or two, so five years is a generous bound.
_HOLIDAY_SEARCH_WEEKS = 5 * 53
# Enough for "next opening" (15 days) plus a week table on either side; beyond that the kiosk
# has moved on to new days and the old entries are dead weight.
_DAY_CACHE_SIZE = 64


class HoursError(ValueError):
    """An opening hours expression that cannot be read, with a one-line reason for staff."""


class OpenState(Enum):
    """Whether a place is open at a given moment."""

    OPEN = "open"
    CLOSED = "closed"
    UNKNOWN = "unknown"


# Start and end are kept in UTC: aware datetimes sharing a ZoneInfo compare by wall clock, which
# is ambiguous in the hour the clocks go back.
_Segment = tuple[datetime, datetime, OpenState]

_FROM_LIBRARY = {
    opening_hours.State.OPEN: OpenState.OPEN,
    opening_hours.State.CLOSED: OpenState.CLOSED,
    opening_hours.State.UNKNOWN: OpenState.UNKNOWN,
}


@dataclass(frozen=True)
class OpeningStatus:
    """The state at one moment, with when it closes (if open) or next opens (if closed)."""

    state: OpenState
    closes_at: datetime | None
    next_opening: datetime | None
    holiday_name: str | None


@dataclass(frozen=True)
class DayHours:
    """The open intervals of one day, for a week table."""

    date: date
    intervals: tuple[tuple[datetime, datetime], ...]
    holiday_name: str | None


@dataclass(frozen=True)
class OpeningSchedule:
    """A parsed opening hours expression, evaluated in Europe/Berlin with NRW holidays for PH."""

    expression: str
    _hours: opening_hours.OpeningHours = field(init=False, repr=False, compare=False)
    _patch_nrw_holidays: bool = field(init=False, repr=False, compare=False)
    _days: dict[date, tuple[_Segment, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hours", _parse(self.expression))
        object.__setattr__(self, "_patch_nrw_holidays", _mentions_public_holiday(self.expression))

    @classmethod
    def parse(cls, expr: str) -> OpeningSchedule:
        return cls(expr.strip())

    def day_intervals(self, d: date) -> tuple[tuple[datetime, datetime], ...]:
        return tuple(
            (start.astimezone(BERLIN), end.astimezone(BERLIN))
            for start, end, state in self._segments(d)
            if state is OpenState.OPEN
        )

    def state_at(self, dt: datetime) -> OpenState:
        moment = _to_utc(dt)
        for start, end, state in self._segments(moment.astimezone(BERLIN).date()):
            if start <= moment < end:
                return state
        return OpenState.UNKNOWN

    def status(self, now: datetime) -> OpeningStatus:
        moment = _to_utc(now)
        today = moment.astimezone(BERLIN).date()
        state = self.state_at(moment)
        closes_at: datetime | None = None
        next_opening: datetime | None = None
        if state is OpenState.OPEN:
            closes_at = self._first_start_after(moment, today, lambda s: s is not OpenState.OPEN)
        elif state is OpenState.CLOSED:
            next_opening = self._first_start_after(moment, today, lambda s: s is OpenState.OPEN)
        return OpeningStatus(state, closes_at, next_opening, nrw_holiday_name(today))

    def week(self, start: date) -> tuple[DayHours, ...]:
        days = (start + timedelta(days=offset) for offset in range(7))
        return tuple(DayHours(d, self.day_intervals(d), nrw_holiday_name(d)) for d in days)

    def _first_start_after(
        self, moment: datetime, today: date, wanted: Callable[[OpenState], bool]
    ) -> datetime | None:
        for start, end, state in self._segments_from(today, _NEXT_OPENING_DAYS + 1):
            if end > moment and start > moment and wanted(state):
                return start.astimezone(BERLIN)
        return None

    def _segments_from(self, first: date, days: int) -> Iterator[_Segment]:
        for offset in range(days):
            yield from self._segments(first + timedelta(days=offset))

    def _segments(self, d: date) -> tuple[_Segment, ...]:
        cached = self._days.get(d)
        if cached is not None:
            return cached
        if self._patch_nrw_holidays and _is_nrw_only_holiday(d):
            segments = self._segments_as_library_holiday(d)
        else:
            segments = _library_segments(self._hours, d)
        if len(self._days) >= _DAY_CACHE_SIZE:
            # Clearing is cheap to recover from and, unlike evicting one key, safe when the UI
            # thread and a worker share this schedule.
            self._days.clear()
        self._days[d] = segments
        return segments

    def _segments_as_library_holiday(self, d: date) -> tuple[_Segment, ...]:
        # The library's DE calendar only has nationwide holidays, so on Fronleichnam and
        # Allerheiligen it would apply the weekday rules and ignore "PH off" or "PH 10:00-12:00".
        # It cannot be told about extra holidays, so borrow the day it evaluates as PH: a real
        # library holiday on the same weekday (weekday rules like "Th" must still match), as near
        # as possible so that seasonal rules ("Jun-Aug ...") most likely agree, shifted in local
        # wall-clock time onto the NRW holiday.
        source = _nearest_library_holiday(d)
        if source is None:
            return _library_segments(self._hours, d)
        shift = d - source
        return _merge(
            (_shift_local(start, shift), _shift_local(end, shift), state)
            for start, end, state in _library_segments(self._hours, source)
        )


def nrw_holiday_name(d: date, language: str = "de") -> str | None:
    """Name of the NRW public holiday on `d` (German by default; "en_US" for English), or None."""
    return _nrw_holidays(d.year, language).get(d)


def _parse(expr: str) -> opening_hours.OpeningHours:
    if not expr.strip():
        raise HoursError("The opening hours are empty.")
    try:
        return opening_hours.OpeningHours(
            expr, timezone=BERLIN, country="DE", auto_country=False, auto_timezone=False
        )
    except Exception as error:  # the library raises its own ParserError, absent from its stub
        raise HoursError(_short_parse_message(expr, str(error))) from None


_EXPECTED = {
    "EOI": "the end",
    "any_rule_separator": '";" between rules',
    "normal_rule_separator": '";" between rules',
    "additional_rule_separator": '";" between rules',
    "rules_modifier": "a state like off",
    "timespan": "a time range like 08:30-12:00",
    "time_selector": "a time range like 08:30-12:00",
    "timespan_plus": "a time range like 08:30-12:00",
    "time": "a time like 08:30",
    "extended_time": "a time like 08:30",
    "hour_minutes": "a time like 08:30",
    "extended_hour_minutes": "a time like 08:30",
    "minute": "a time like 08:30",
    "holiday": "PH",
    "holiday_sequence": "PH",
    "public_holiday": "PH",
    "always_open": "24/7",
    "small_range_selectors": "a weekday like Mo-Fr",
    "weekday_selector": "a weekday like Mo-Fr",
    "weekday_sequence": "a weekday like Mo-Fr",
    "weekday_range": "a weekday like Mo-Fr",
    "wday": "a weekday like Mo-Fr",
    "week_selector": "a week number",
    "week": "a week number",
    "weeknum": "a week number",
    "monthday_selector": "a date like Dec 24",
    "monthday_range": "a date like Dec 24",
    "date_from": "a date like Dec 24",
    "date_to": "a date like Dec 24",
    "month": "a date like Dec 24",
    "daynum": "a date like Dec 24",
    "year": "a year",
    "year_selector": "a year",
    "comment": "a comment in quotes",
}
# Staff mostly mistype days and times, so those hints come first.
_HINT_ORDER = (
    "a weekday like Mo-Fr",
    "a time range like 08:30-12:00",
    "a time like 08:30",
    "24/7",
    "PH",
    "a date like Dec 24",
)
_MAX_EXPECTED = 4


def _short_parse_message(expr: str, detail: str) -> str:
    # The library reports like pest: a "--> line:col" pointer, an ascii-art excerpt and a line
    # "= expected a, b, or c" in grammar rule names. Staff need the place and a plain hint.
    where = "The opening hours cannot be read"
    position = re.search(r"-->\s*(\d+):(\d+)", detail)
    if position:
        line, column = int(position.group(1)), int(position.group(2))
        lines = expr.split("\n")
        text_line = lines[line - 1] if 0 < line <= len(lines) else ""
        found = text_line[column - 1 : column - 1 + 12].strip()
        place = f"character {column}" if line == 1 else f"line {line}, character {column}"
        if found:
            where += f' at {place} ("{found}")'
        elif line < len(lines):
            where += f" at {place} (a line break)"
        else:
            where += f" at {place} (the end)"
    hints: list[str] = []
    summary = re.search(r"=\s*(.+)$", detail.strip().splitlines()[-1])
    if summary:
        for part in summary.group(1).split(";"):
            part = part.strip()
            if part.startswith("unexpected "):
                names = _rule_names(part.removeprefix("unexpected "))
                if names == ["the end"]:
                    hints.append("the text ends too early")
                else:
                    hints.append("unexpected " + _join_or(names))
            elif part.startswith("expected "):
                names = _rule_names(part.removeprefix("expected "))
                # "the end" only helps when nothing else could follow.
                useful = [name for name in names if name != "the end"] or names
                useful.sort(key=_hint_rank)
                hints.append("expected " + _join_or(useful[:_MAX_EXPECTED]))
    return where + (": " + "; ".join(hints) if hints else "") + "."


def _rule_names(listing: str) -> list[str]:
    names: list[str] = []
    for raw in re.split(r",\s*(?:or\s+)?|\s+or\s+", listing):
        raw = raw.strip()
        if not raw:
            continue
        name = _EXPECTED.get(raw, raw.replace("_", " "))
        if name not in names:
            names.append(name)
    return names


def _hint_rank(name: str) -> int:
    return _HINT_ORDER.index(name) if name in _HINT_ORDER else len(_HINT_ORDER)


def _join_or(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " or " + names[-1]


def _mentions_public_holiday(expr: str) -> bool:
    without_comments = re.sub(r'"[^"]*"', "", expr)
    return re.search(r"\bPH\b", without_comments) is not None


def _to_utc(dt: datetime) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        dt = dt.replace(tzinfo=BERLIN)
    return dt.astimezone(UTC)


def _day_bounds(d: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(d, time(), BERLIN),
        datetime.combine(d + timedelta(days=1), time(), BERLIN),
    )


def _library_segments(hours: opening_hours.OpeningHours, d: date) -> tuple[_Segment, ...]:
    day_start, day_end = _day_bounds(d)
    lower, upper = day_start.astimezone(UTC), day_end.astimezone(UTC)
    return _merge(
        (max(start.astimezone(UTC), lower), min(end.astimezone(UTC), upper), _FROM_LIBRARY[state])
        for start, end, state, _comment in hours.intervals(day_start, day_end)
    )


def _merge(segments: Iterable[_Segment]) -> tuple[_Segment, ...]:
    # Comments are dropped, so neighbours that differed only in their comment become one.
    merged: list[_Segment] = []
    for start, end, state in segments:
        if start >= end:
            continue
        if merged and merged[-1][2] is state and merged[-1][1] == start:
            merged[-1] = (merged[-1][0], end, state)
        else:
            merged.append((start, end, state))
    return tuple(merged)


def _shift_local(moment: datetime, shift: timedelta) -> datetime:
    local = moment.astimezone(BERLIN).replace(tzinfo=None) + shift
    return local.replace(tzinfo=BERLIN).astimezone(UTC)


def _is_nrw_only_holiday(d: date) -> bool:
    return d in _nrw_holidays(d.year, "de") and d not in _library_holidays(d.year)


def _nearest_library_holiday(d: date) -> date | None:
    for weeks in range(1, _HOLIDAY_SEARCH_WEEKS + 1):
        for candidate in (d - timedelta(weeks=weeks), d + timedelta(weeks=weeks)):
            if candidate in _library_holidays(candidate.year):
                return candidate
    return None


@lru_cache(maxsize=32)
def _library_holidays(year: int) -> frozenset[date]:
    # Ask the library itself which days it treats as PH, so the NRW fix never disagrees with it.
    probe = opening_hours.OpeningHours(
        "PH", timezone=BERLIN, country="DE", auto_country=False, auto_timezone=False
    )
    start, _ = _day_bounds(date(year, 1, 1))
    end, _ = _day_bounds(date(year + 1, 1, 1))
    days: set[date] = set()
    for begin, finish, state, _comment in probe.intervals(start, end):
        if state == opening_hours.State.OPEN:
            d = begin.astimezone(BERLIN).date()
            while datetime.combine(d, time(), BERLIN) < finish:
                days.add(d)
                d += timedelta(days=1)
    return frozenset(days)


@lru_cache(maxsize=64)
def _nrw_holidays(year: int, language: str) -> Mapping[date, str]:
    # Imported here: it costs ~80 ms at start-up, and Home needs no opening hours.
    import holidays

    calendar = holidays.country_holidays("DE", subdiv="NW", years=year, language=language)
    return MappingProxyType({day: str(name) for day, name in calendar.items()})
