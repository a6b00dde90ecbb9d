"""Offer: one partner offer with a QR code to the partner's page."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets.common import fill_buttons


class OfferScreen(KioskScreen):
    """One partner offer."""

    def fill(self) -> None:
        if not self.target:
            return
        tr, catalog, lang = self.ctx.tr, self.ctx.catalog, self.ctx.language
        offer = catalog.offer(self.target)
        ids = self.ids
        ids.title.text = offer.title.get(lang)
        ids.partner.text = tr("offer.partner", name=offer.partner.name)
        ids.description.text = offer.description.get(lang)
        facts = []
        if offer.audience:
            facts.append(tr("offer.audience", text=offer.audience.get(lang)))
        if offer.cost:
            facts.append(tr("offer.cost", text=offer.cost.get(lang)))
        if offer.languages:
            names = ", ".join(tr.language_name(code) for code in offer.languages)
            facts.append(tr("offer.languages", list=names))
        if offer.valid_until:
            facts.append(tr("offer.valid_until", date=tr.date(offer.valid_until)))
        ids.facts.text = "\n".join(facts)
        ids.topics_heading.text = tr("offer.topics")
        fill_buttons(
            ids.topics_box,
            [
                (catalog.topic(t).title.get(lang), lambda i=t: self.ctx.open("topic", i))
                for t in offer.topic_ids
            ],
        )
        ids.qr_card.heading = tr("offer.more")
        ids.qr_card.hint = tr("topic.scan")
        ids.qr_card.url = offer.link
        self.ctx.record("qr", offer.id)
        ids.scroll.scroll_y = 1

    def clear(self) -> None:
        super().clear()
        self.ids.topics_box.clear_widgets()


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
