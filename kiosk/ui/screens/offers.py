"""Offers: partner offers valid today, filtered by topic, in a virtualised list."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from kiosk.content.model import Offer
from kiosk.ui.screens.base import KioskScreen

PAGE_SIZE = 30


class OffersScreen(KioskScreen):
    """All partner offers valid today; `target` is a topic id to filter by, or None."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._shown_key: tuple[object, ...] | None = None
        self._offers: tuple[Offer, ...] = ()
        self._shown = 0

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
        tr = self.ctx.tr
        today = self.ctx.now().date() if self.ctx.clock_trusted() else None
        key = (tr.language, self.target or None, today)
        if key == self._shown_key and self.ids.offer_list.data:
            self.ids.offer_list.scroll_y = 1
            return
        self._shown_key = key
        self._offers = self.ctx.catalog.offers_valid_on(today, self.target or None)
        self._shown = 0
        self.ids.offer_list.data = []
        self.show_more()
        self.ids.offer_list.scroll_y = 1
        count = len(self._offers)
        self.ids.count.text = tr("offers.count", count=count) if count else tr("offers.none")

    def show_more(self) -> None:
        """Add the next page of rows, and a "show more" row while there are more."""
        tr, lang = self.ctx.tr, self.ctx.language
        # Pages, not one list of everything: a visitor does not scroll through hundreds of
        # offers, and Kivy's RecycleView re-measures every row whenever its data changes
        # (a quarter of a second for 10,000 rows on the bench).
        page = self._offers[self._shown : self._shown + PAGE_SIZE]
        self._shown += len(page)
        rows = [row for row in self.ids.offer_list.data if row.get("viewclass") != "MoreRow"]
        rows += [
            {
                "viewclass": "ListRow",
                "title": offer.title.get(lang),
                "line1": offer.partner.name,
                "line2": offer.audience.get(lang) if offer.audience else "",
                "on_open": lambda i=offer.id: self.ctx.open("offer", i),
            }
            for offer in page
        ]
        remaining = len(self._offers) - self._shown
        if remaining > 0:
            rows.append(
                {
                    "viewclass": "MoreRow",
                    "text": tr("offers.more", count=min(remaining, PAGE_SIZE), left=remaining),
                    "on_open": self.show_more,
                }
            )
        self.ids.offer_list.data = rows


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
