"""What a screen may use: content, strings, QR textures, the clock and navigation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from kiosk.content.model import Catalog
from kiosk.ui.i18n import Translator
from kiosk.ui.widgets.qrcode_widget import QrTextures


@dataclass
class ScreenContext:
    """Handed to every screen by the app; screens never reach for the App themselves."""

    catalog: Catalog
    qr: QrTextures
    now: Callable[[], datetime]
    open: Callable[[str, str | None], None]
    back: Callable[[], None]
    home: Callable[[], None]
    set_language: Callable[[str], None]
    record: Callable[[str, str], None]
    tr: Translator

    @property
    def language(self) -> str:
        return self.tr.language
