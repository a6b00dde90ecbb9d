"""Kivy 2.3.1 defects we work around, each shown on the real widget."""

from __future__ import annotations

import pytest
from kivy.clock import Clock
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView

import kiosk.ui.app  # noqa: F401  (applies the fixes, as the kiosk does at start)

pytestmark = pytest.mark.ui


def test_scrolling_does_not_pile_up_bar_colour_bindings() -> None:
    view = ScrollView(size=(400, 300))
    view.add_widget(Label(size_hint_y=None, height=2000))
    before = len(view.get_property_observers("bar_color"))
    for _ in range(100):  # a screen fill or a fast scroll: many calls within half a second
        view.update_from_scroll()
        view._trigger_update_from_scroll()  # the way Kivy itself calls it
        Clock.tick()
    assert len(view.get_property_observers("bar_color")) <= before + 1
