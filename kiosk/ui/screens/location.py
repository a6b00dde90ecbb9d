"""Location: address, status, hours for the week, accessibility, QR codes to book and get there."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from kivy.lang import Builder

from kiosk.content.hours import DayHours
from kiosk.system.clock import KIOSK_SOFTWARE_DATE
from kiosk.ui.i18n import Translator
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.screens.locations import status_text
from kiosk.ui.widgets.common import fill_buttons, fill_labels


def monday_on_or_after(day: date) -> date:
    return day + timedelta(days=-day.weekday() % 7)


def spans_of(tr: Translator, day: DayHours) -> str:
    if day.intervals:
        return ", ".join(f"{tr.time(a)}–{tr.time(b)}" for a, b in day.intervals)
    if day.holiday_name:
        return str(tr("location.holiday_day"))
    return str(tr("location.closed_day"))


class LocationScreen(KioskScreen):
    """One site, or the outreach service."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._links: dict[str, str] = {}

    def fill(self) -> None:
        if not self.target:
            return
        tr, catalog, lang = self.ctx.tr, self.ctx.catalog, self.ctx.language
        location = catalog.location(self.target)
        now = self.ctx.now()
        ids = self.ids
        ids.title.text = location.name.get(lang)
        trusted = self.ctx.clock_trusted()
        ids.status.text = status_text(tr, location, now, trusted)
        ids.address.text = location.address.one_line() if location.address else ""
        ids.description.text = location.description.get(lang) if location.description else ""

        ids.hours_heading.text = tr("location.hours") if location.hours else ""
        rows: list[tuple[str, bool]] = []
        if location.hours is not None:
            # Without a plausible clock: a plain week (Monday to Sunday), no dates, no "today".
            start = now.date() if trusted else monday_on_or_after(KIOSK_SOFTWARE_DATE)
            for offset, day in enumerate(location.hours.week(start)):
                name = tr.weekday(day.date)
                if not trusted:
                    rows.append((f"{tr.weekday(day.date, long=True)}: {spans_of(tr, day)}", False))
                    continue
                if offset == 0:
                    name = f"{name} ({tr('location.today')})"
                rows.append((f"{name}, {tr.date(day.date)}: {spans_of(tr, day)}", offset == 0))
        fill_labels(ids.hours_box, rows)

        access_lines = []
        if location.accessibility is not None:
            access = location.accessibility
            if access.step_free is not None:
                access_lines.append(
                    tr("location.step_free_yes" if access.step_free else "location.step_free_no")
                )
            if access.accessible_toilet is not None:
                key = "location.toilet_yes" if access.accessible_toilet else "location.toilet_no"
                access_lines.append(tr(key))
            if access.notes is not None:
                access_lines.append(access.notes.get(lang))
        ids.access_heading.text = tr("location.accessibility") if access_lines else ""
        ids.access.text = "\n".join(access_lines)

        contact = []
        if location.phone:
            contact.append(tr("location.phone", phone=location.phone))
        if location.email:
            contact.append(tr("location.email", email=location.email))
        ids.contact_heading.text = tr("location.contact") if contact else ""
        ids.contact.text = "\n".join(contact)

        ids.topics_heading.text = tr("location.topics")
        fill_buttons(
            ids.topics_box,
            [
                (topic.title.get(lang), lambda i=topic.id: self.ctx.open("topic", i))
                for topic in catalog.topics_at(location)
            ],
        )

        self._links = {
            key: url
            for key, url in (("book", location.booking_url), ("way", location.directions_url))
            if url
        }
        ids.book_button.text = tr("location.book")
        ids.way_button.text = tr("location.way_there")
        ids.link_choice.opacity = 1 if len(self._links) > 1 else 0
        ids.link_choice.disabled = len(self._links) < 2
        self.show_link(next(iter(self._links), ""))
        if self._links:
            self.ctx.record("qr", location.id)
        ids.scroll.scroll_y = 1

    def show_link(self, key: str) -> None:
        """Show the QR code for booking ("book") or for the way there ("way")."""
        tr, card = self.ctx.tr, self.ids.qr_card
        url = self._links.get(key, "")
        card.heading = tr("location.book" if key == "book" else "location.way_there")
        card.hint = tr("topic.scan")
        card.url = url
        card.opacity = 1 if url else 0
        self.ids.book_button.selected = key == "book"
        self.ids.way_button.selected = key == "way"

    def clear(self) -> None:
        super().clear()
        self._links = {}
        self.ids.hours_box.clear_widgets()
        self.ids.topics_box.clear_widgets()


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
