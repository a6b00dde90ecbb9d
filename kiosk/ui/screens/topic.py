"""Topic: what the office helps with, a QR code to book, where, and related offers."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets.common import fill_buttons

# More related offers than this would bury the page; the rest is one tap away.
MAX_RELATED_OFFERS = 4


class TopicScreen(KioskScreen):
    """One service topic."""

    def fill(self) -> None:
        if not self.target:
            return
        tr, catalog, lang = self.ctx.tr, self.ctx.catalog, self.ctx.language
        topic = catalog.topic(self.target)
        ids = self.ids
        ids.title.text = topic.title.get(lang)
        ids.summary.text = topic.summary.get(lang)
        ids.body.text = topic.body.get(lang)
        ids.qr_card.heading = tr("topic.book")
        ids.qr_card.hint = tr("topic.scan")
        ids.qr_card.url = topic.booking_url or ""
        ids.qr_card.opacity = 1 if topic.booking_url else 0
        ids.no_booking.text = "" if topic.booking_url else tr("topic.no_booking")
        if topic.booking_url:
            self.ctx.record("qr", topic.id)

        ids.where_heading.text = tr("topic.where")
        fill_buttons(
            ids.where_box,
            [
                (loc.name.get(lang), lambda i=loc.id: self.ctx.open("location", i))
                for loc in catalog.locations_for_topic(topic.id)
            ],
        )

        today = self.ctx.now().date() if self.ctx.clock_trusted() else None
        offers = catalog.offers_valid_on(today, topic.id)
        ids.offers_heading.text = tr("topic.offers")
        related = [
            (offer.title.get(lang), lambda i=offer.id: self.ctx.open("offer", i))
            for offer in offers[:MAX_RELATED_OFFERS]
        ]
        fill_buttons(ids.offers_box, related)
        if len(offers) > MAX_RELATED_OFFERS:
            fill_buttons(
                ids.all_offers_box,
                [
                    (
                        tr("topic.all_offers", count=len(offers)),
                        lambda: self.ctx.open("offers", topic.id),
                    )
                ],
                secondary=False,
            )
        else:
            fill_buttons(ids.all_offers_box, [])
        ids.no_offers.text = "" if offers else tr("topic.no_offers")
        ids.scroll.scroll_y = 1

    def clear(self) -> None:
        super().clear()
        for box in (self.ids.where_box, self.ids.offers_box, self.ids.all_offers_box):
            box.clear_widgets()


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
