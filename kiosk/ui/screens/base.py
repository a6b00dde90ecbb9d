"""The shared behaviour of every screen: top bar, language buttons, show/refresh/clear."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.metrics import dp
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from kiosk.ui.context import ScreenContext
from kiosk.ui.i18n import Translator
from kiosk.ui.widgets.common import LanguageButton  # also loads the shared kv rules
from kiosk.ui.widgets.qrcode_widget import QrCard

# kv builds RecycleView from Factory's copy of the module (kivy.uix.recycleview.__init__), a
# different class object from `from kivy.uix.recycleview import RecycleView`: check against
# Factory's.


class KioskScreen(Screen):
    """A screen that shows one target (an entity id or a filter) in the current language."""

    ctx: ScreenContext = ObjectProperty(None)
    target = StringProperty("", allownone=True)

    def show(self, target: str | None) -> None:
        """Fill the screen for `target`; called before it becomes visible."""
        self.target = target
        self.refresh()

    def refresh(self) -> None:
        """Re-fill every text in the current language."""
        self._fill_top_bar()
        self.fill()

    def fill(self) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        """Forget what the last visitor looked at, and in which language (idle reset).

        Every text outside the top bar is blanked, every QR code and list emptied: fill()
        writes them all again, so nothing a screen forgets to reset can outlive a visitor.
        """
        self.target = None
        top_bar = self.ids.get("top_bar")
        # kv ids are weak proxies: compare the widget itself, or the top bar gets blanked too
        # (its texts come from kv bindings that do not fire again for the same value).
        top_bar = top_bar.__self__ if top_bar is not None else None
        for widget in _descendants(self, skip=top_bar):
            if isinstance(widget, QrCard):
                widget.url = ""
            elif isinstance(widget, Factory.RecycleView):
                widget.data = []
            elif isinstance(widget, Label):
                widget.text = ""

    def forget_languages(self) -> None:
        """New content may offer other languages: the buttons are built again on next fill."""
        bar = self.ids.get("top_bar")
        if bar is not None:
            bar.ids.language_box.clear_widgets()

    def _fill_top_bar(self) -> None:
        bar = self.ids.get("top_bar")
        if bar is None:
            return
        tr = self.ctx.tr
        settings = self.ctx.catalog.settings
        bar.back_text = tr("nav.back")
        bar.home_text = tr("nav.home")
        bar.badge_text = tr("app.sample_badge") if settings.sample_content else ""
        box = bar.ids.language_box
        if len(settings.languages) < 2:
            return
        if not box.children:  # built once; a refresh only moves the highlight
            for code in settings.languages:
                button = LanguageButton(
                    text=Translator.own_name(code),
                    size_hint=(None, None),
                    size=(dp(120), dp(56)),
                )
                button.language_code = code
                button.bind(on_release=lambda b: self.ctx.set_language(b.language_code))
                box.add_widget(button)
        for button in box.children:
            button.selected = button.language_code == tr.language


def _descendants(widget: Widget, skip: Widget | None) -> list[Widget]:
    found: list[Widget] = []
    for child in widget.children:
        if child is not skip:
            found.append(child)
            found.extend(_descendants(child, skip))
    return found
