"""Home: the six topic tiles, the way to locations and offers, and the language choice."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets.common import TileButton


class HomeScreen(KioskScreen):
    """The start page every visitor sees first."""

    def fill(self) -> None:
        tr, catalog = self.ctx.tr, self.ctx.catalog
        self.ids.top_bar.title = catalog.settings.kiosk_name.get(tr.language)
        self.ids.prompt.text = tr("home.prompt")
        self.ids.locations_button.text = tr("home.locations")
        self.ids.offers_button.text = tr("home.offers")
        tiles = self.ids.tiles
        shown = [tile.topic_id for tile in reversed(tiles.children)]
        if shown != [topic.id for topic in catalog.topics]:  # first fill, or new content
            tiles.clear_widgets()
            for topic in catalog.topics:
                tile = TileButton(
                    topic_id=topic.id,
                    icon=str(catalog.image_path(topic.icon)) if topic.icon else "",
                )
                tile.bind(on_release=lambda t: self.ctx.open("topic", t.topic_id))
                tiles.add_widget(tile)
        by_id = {tile.topic_id: tile for tile in tiles.children}
        for topic in catalog.topics:
            tile = by_id[topic.id]
            tile.title = topic.title.get(tr.language)
            # new content lives in a new release folder, even where the icon stayed the same
            tile.icon = str(catalog.image_path(topic.icon)) if topic.icon else ""


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
