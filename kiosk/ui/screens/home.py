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
        if len(tiles.children) != len(catalog.topics):
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
            by_id[topic.id].title = topic.title.get(tr.language)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
