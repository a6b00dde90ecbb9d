"""Offers: partner offers valid today, filtered by topic, in a virtualised list."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from kiosk.ui.screens.base import KioskScreen


class OffersScreen(KioskScreen):
    """All partner offers valid today; `target` is a topic id to filter by, or None."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._shown_key: tuple[object, ...] | None = None

    def fill(self) -> None:
        tr, catalog, lang = self.ctx.tr, self.ctx.catalog, self.ctx.language
        self.ids.heading.text = tr("offers.title")
        all_label = tr("offers.filter_all")
        titles = {topic.title.get(lang): topic.id for topic in catalog.topics}
        self._filter_ids = {all_label: None, **titles}
        spinner = self.ids.topic_filter
        spinner.values = list(self._filter_ids)
        current = catalog.topic(self.target).title.get(lang) if self.target else all_label
        spinner.text = current
        self._fill_list()

    def choose_filter(self, label: str) -> None:
        topic_id = getattr(self, "_filter_ids", {}).get(label)
        if topic_id != (self.target or None):
            self.target = topic_id
            self._fill_list()

    def _fill_list(self) -> None:
        tr, catalog, lang = self.ctx.tr, self.ctx.catalog, self.ctx.language
        today = self.ctx.now().date()
        # Re-laying out 10,000 rows costs a quarter of a second: skip it when the list would
        # come out the same (same language, filter and day) and is still filled.
        key = (lang, self.target or None, today)
        if key == self._shown_key and self.ids.offer_list.data:
            self.ids.offer_list.scroll_y = 1
            return
        self._shown_key = key
        offers = catalog.offers_valid_on(today, self.target or None)
        # Each row holds only strings and one callback: building 10,000 takes milliseconds,
        # and the RecycleView creates widgets for the visible rows only.
        self.ids.offer_list.data = [
            {
                "title": offer.title.get(lang),
                "line1": offer.partner.name,
                "line2": offer.audience.get(lang) if offer.audience else "",
                "on_open": lambda i=offer.id: self.ctx.open("offer", i),
            }
            for offer in offers
        ]
        self.ids.offer_list.scroll_y = 1
        self.ids.count.text = tr("offers.count", count=len(offers)) if offers else tr("offers.none")


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
