"""Touch-sized building blocks shared by every screen."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.widget import Widget

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


class LanguageButton(KioskButton):
    """A language in its own name, in the top bar; the chosen one is highlighted."""


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


class MoreRow(KioskButton):
    """The last row of a paged list: shows the next page."""

    on_open = ObjectProperty(None, allownone=True)

    def on_release(self) -> None:
        if self.on_open is not None:
            self.on_open()


def _reuse_children(box: Widget, count: int, make: Callable[[], Any]) -> list[Any]:
    """Exactly `count` children of `box` in reading order: kept, trimmed, or made by `make`."""
    children = list(reversed(box.children))  # Kivy keeps the last-added child first
    for extra in children[count:]:
        box.remove_widget(extra)
    while len(children) < count:
        child = make()
        box.add_widget(child)
        children.append(child)
    return children[:count]


def fill_buttons(
    box: Widget, items: Sequence[tuple[str, Callable[[], None]]], secondary: bool = True
) -> None:
    """Show one KioskButton per (text, on_tap) in `box`, reusing the buttons already there.

    Re-creating buttons on every visit left ~2,000 objects of cyclic garbage per screen
    switch, which the garbage collector then paused the UI to clean up.
    """

    def make() -> KioskButton:
        button = KioskButton()
        button.bind(on_release=lambda b: b.on_tap())
        return button

    for button, (text, on_tap) in zip(_reuse_children(box, len(items), make), items, strict=True):
        button.text = text
        button.secondary = secondary
        button.on_tap = on_tap


def fill_labels(box: Widget, items: Sequence[tuple[str, bool]]) -> None:
    """Show one BodyLabel per (text, bold) in `box`, reusing the labels already there."""
    for label, (text, bold) in zip(_reuse_children(box, len(items), BodyLabel), items, strict=True):
        label.text = text
        label.bold = bold


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
