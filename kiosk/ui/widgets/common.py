"""Touch-sized building blocks shared by every screen."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label

# Visitors stand about a metre away: nothing they must read is smaller than this.
BODY_FONT = "20sp"
MIN_TARGET = "56dp"  # above the 48 dp minimum: elderly hands and children miss small targets


class BodyLabel(Label):
    """Wrapping text whose height follows its content."""


class HeadingLabel(BodyLabel):
    """A section heading."""


class KioskButton(Button):
    """A big, wrapping, high-contrast button."""

    secondary = BooleanProperty(False)
    selected = BooleanProperty(False)


class TileButton(ButtonBehavior, BoxLayout):
    """A topic tile: icon above a title."""

    title = StringProperty("")
    icon = StringProperty("")
    topic_id = StringProperty("")


class ListRow(ButtonBehavior, BoxLayout):
    """A row of a virtualised list (RecycleView view class): title, two lines, and a callback."""

    title = StringProperty("")
    line1 = StringProperty("")
    line2 = StringProperty("")
    badge = StringProperty("")
    on_open = ObjectProperty(None, allownone=True)

    def on_release(self) -> None:
        if self.on_open is not None:
            self.on_open()


class TopBar(BoxLayout):
    """Back, Home, title, sample badge and language choice: on every screen."""

    title = StringProperty("")
    back_text = StringProperty("")
    home_text = StringProperty("")
    badge_text = StringProperty("")
    show_back = BooleanProperty(True)
    __events__ = ("on_back", "on_home", "on_language")

    def on_back(self) -> None:
        pass

    def on_home(self) -> None:
        pass

    def on_language(self, code: str) -> None:
        pass


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
