"""What staff see while a stick is read: progress, then the result or the plain reason."""

from __future__ import annotations

from pathlib import Path

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.metrics import dp
from kivy.uix.modalview import ModalView

from kiosk.ui.i18n import Translator

RESULT_SECONDS = 30.0


class UpdatePanel(ModalView):
    """A panel over the screen; a tap anywhere closes it once the result is shown."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(auto_dismiss=False, **kwargs)
        self.is_open = False
        self.finished = False
        self._close_timer: object | None = None

    def show_progress(self, tr: Translator, done: int, total: int) -> None:
        self.finished = False
        self.ids.title.text = tr("update.checking")
        self.ids.message.text = tr("update.keep_stick")
        self.ids.progress.max = max(total, 1)
        self.ids.progress.value = min(done, total)
        self.ids.progress.opacity, self.ids.progress.height = 1, dp(24)
        self.ids.close_button.opacity = 0
        self._open()

    def show_result(self, title: str, message: str, ok: bool) -> None:
        self.finished = True
        self.ok = ok
        self.ids.title.text = title
        self.ids.message.text = message
        self.ids.progress.opacity, self.ids.progress.height = 0, 0
        self.ids.close_button.opacity = 1
        self._open()
        if self._close_timer is not None:
            self._close_timer.cancel()  # type: ignore[attr-defined]
        self._close_timer = Clock.schedule_once(lambda _dt: self.close(), RESULT_SECONDS)

    def _open(self) -> None:
        if not self.is_open:
            self.is_open = True
            self.open(animation=False)

    def close(self) -> None:
        if self._close_timer is not None:
            self._close_timer.cancel()  # type: ignore[attr-defined]
            self._close_timer = None
        if self.is_open:
            self.is_open = False
            self.dismiss(animation=False)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
