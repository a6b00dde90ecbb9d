"""Work-arounds for Kivy 2.3.1 defects that matter on a kiosk running for months."""

from __future__ import annotations

from typing import Any

from kivy.uix.scrollview import ScrollView

_kivy_update_from_scroll = ScrollView.update_from_scroll


def update_from_scroll(self: ScrollView, *largs: Any) -> None:
    # Named like the method it replaces: Kivy's Clock triggers call it through WeakMethod,
    # which looks the method up by its __name__.
    # ScrollView.update_from_scroll binds bar_color -> _change_bar_color on every call, but
    # unbinds only once, from a 0.5 s trigger: each further call within that half second
    # leaves a binding behind. A screen fill calls it several times in one frame; the soak
    # found 24,000 piled-up bindings after 20,000 taps. Unbinding first keeps one at most.
    self.funbind("bar_color", self._change_bar_color)
    _kivy_update_from_scroll(self, *largs)


def apply() -> None:
    """Patch Kivy's classes (idempotent; RecycleView inherits the ScrollView fix)."""
    ScrollView.update_from_scroll = update_from_scroll
