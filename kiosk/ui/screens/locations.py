"""Locations: every site with "open now" / "opens Tue 08:30", and a map with pins."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from kivy.lang import Builder

from kiosk.content.hours import OpeningSchedule, OpenState
from kiosk.content.model import Location, LocationKind
from kiosk.ui.i18n import Translator
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets.map_view import MapView  # noqa: F401  (kv needs the class registered)


def status_text(tr: Translator, location: Location, now: datetime, clock_trusted: bool) -> str:
    """One line for a visitor: open until when, or when it opens next.

    With an implausible clock (a Pi without RTC after a power cut) nothing is claimed.
    """
    if location.kind is LocationKind.OUTREACH and location.hours is None:
        return tr("status.outreach")
    if location.hours is None:
        return ""
    if not clock_trusted:
        return tr("status.no_clock")
    return schedule_status_text(tr, location.hours, now)


def schedule_status_text(tr: Translator, hours: OpeningSchedule, now: datetime) -> str:
    status = hours.status(now)
    if status.state is OpenState.OPEN:
        if status.closes_at is None:
            return tr("status.open")
        return tr("status.open_until", time=tr.time(status.closes_at))
    if status.state is OpenState.UNKNOWN:
        return tr("status.unknown")
    opening = status.next_opening
    if opening is None:
        return tr("status.closed")
    days_ahead = (opening.date() - now.date()).days
    if days_ahead == 0:
        return tr("status.opens_today", time=tr.time(opening))
    if days_ahead == 1:
        return tr("status.opens_tomorrow", time=tr.time(opening))
    return tr("status.opens_on", day=tr.weekday(opening, long=True), time=tr.time(opening))


class LocationsScreen(KioskScreen):
    """All sites, as a list and on the map."""

    def fill(self) -> None:
        tr, catalog, lang = self.ctx.tr, self.ctx.catalog, self.ctx.language
        now = self.ctx.now()
        self.ids.heading.text = tr("locations.title")
        rows = []
        pins = []
        settings_map = catalog.settings.map
        for number, location in enumerate(catalog.locations, start=1):
            label = str(number) if location.coordinates else ""
            title = f"{label}  {location.name.get(lang)}" if label else location.name.get(lang)
            address = location.address.one_line() if location.address else ""
            if not address and location.description:
                address = location.description.get(lang).split(".")[0] + "."
            rows.append(
                {
                    "title": title,
                    "line1": address,
                    "line2": status_text(tr, location, now, self.ctx.clock_trusted()),
                    "on_open": lambda i=location.id: self.ctx.open("location", i),
                }
            )
            if settings_map and location.coordinates:
                fraction = settings_map.bounds.project(location.coordinates)
                if fraction is not None:
                    pins.append(
                        (label, fraction, lambda i=location.id: self.ctx.open("location", i))
                    )
        self.ids.location_list.data = rows
        self.ids.map_view.source = (
            str(catalog.image_path(settings_map.image)) if settings_map else ""
        )
        self.ids.map_view.set_pins(pins)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
