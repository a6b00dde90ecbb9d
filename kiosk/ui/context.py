"""What a screen may use: content, strings, QR textures, the clock and navigation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kiosk.admin.console import StaffConsole
from kiosk.content.model import Catalog
from kiosk.ui.i18n import Translator
from kiosk.ui.widgets.qrcode_widget import QrTextures


@dataclass
class StaffActions:
    """What the admin screens may do besides the console's own calls."""

    console: StaffConsole
    unlocked: Callable[[], None]  # the PIN was right: show the admin screen
    close: Callable[[], None]  # back to visitors, fresh as after an idle reset
    sync_now: Callable[[], bool]  # False when no sync server is configured
    restart: Callable[[], None]
    load_release: Callable[[Path], None]  # shown from the next fresh session on


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
    staff: StaffActions | None = None
    # False while the clock is implausible (no RTC): no "open now", no date filters.
    clock_trusted: Callable[[], bool] = lambda: True

    @property
    def language(self) -> str:
        return self.tr.language
