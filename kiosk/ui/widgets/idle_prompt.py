"""The "Are you still there?" countdown shown before the idle reset."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kivy.lang import Builder
from kivy.uix.modalview import ModalView

from kiosk.ui.i18n import Translator


class IdlePrompt(ModalView):
    """Covers the screen with a question, a countdown and one big button."""

    def __init__(self, on_continue: Callable[[], None], **kwargs: object) -> None:
        super().__init__(auto_dismiss=False, **kwargs)
        self._on_continue = on_continue
        self.is_open = False

    def show(self, tr: Translator, seconds_left: int) -> None:
        self.ids.title.text = tr("idle.title")
        self.ids.body.text = tr("idle.body", seconds=seconds_left)
        self.ids.continue_button.text = tr("idle.continue")
        if not self.is_open:
            self.is_open = True
            self.open(animation=False)

    def close(self) -> None:
        if self.is_open:
            self.is_open = False
            self.dismiss(animation=False)

    def keep_going(self) -> None:
        self.close()
        self._on_continue()


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
