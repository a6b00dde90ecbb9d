"""A real KioskApp per test, in one shared headless window."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest

from kiosk.ui.launch import configure_kivy

configure_kivy(fullscreen=False, size=(800, 480), keep_input=False)

from kivy.app import App  # noqa: E402  (Kivy reads its configuration at first import)
from kivy.core.window import Window  # noqa: E402

from kiosk.content.loader import EMBEDDED_CONTENT_DIR  # noqa: E402
from kiosk.ui.app import KioskApp  # noqa: E402
from kiosk.ui.services import KioskServices, build_services  # noqa: E402

from .driver import FakeClock, KioskDriver  # noqa: E402

BERLIN = ZoneInfo("Europe/Berlin")
Driver = TypeVar("Driver", bound=KioskDriver)
# A Wednesday morning: every office of the sample content is open or opens later this week.
WEDNESDAY_10AM = datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(EMBEDDED_CONTENT_DIR, tmp_path / "content"))


@pytest.fixture
def kiosk_now() -> list[datetime]:
    """The wall clock the app sees; a test may replace element 0."""
    return [WEDNESDAY_10AM]


@contextmanager
def running_kiosk(
    services: KioskServices, driver_class: type[Driver] = KioskDriver, **app_options: Any
) -> Iterator[Driver]:
    """The real app on `services` in the shared 800x480 window, stopped and detached after."""
    idle_clock = FakeClock()
    app = KioskApp(services=services, idle_clock=idle_clock, **app_options)
    Window.size = (800, 480)
    app._run_prepare()
    driver = driver_class(app, idle_clock)
    driver.frames(5)
    try:
        yield driver
    finally:
        app.dispatch("on_stop")
        for child in list(Window.children):
            Window.remove_widget(child)
        App._running_app = None
        services.state.close()


@pytest.fixture
def kiosk(content_dir: Path, tmp_path: Path, kiosk_now: list[datetime]) -> Iterator[KioskDriver]:
    services = build_services(content_dir, tmp_path / "data", now=lambda: kiosk_now[0])
    with running_kiosk(services) as driver:
        yield driver
