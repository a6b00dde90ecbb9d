"""The display schedule and the clock check in the running app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from kivy.core.window import Window

from kiosk.system.display import BacklightPower
from kiosk.ui.services import build_services

from .conftest import running_kiosk
from .driver import KioskDriver

pytestmark = pytest.mark.ui
BERLIN = ZoneInfo("Europe/Berlin")


def set_display_hours(content_dir: Path, on_hours: str) -> None:
    path = content_dir / "settings.json"
    settings = json.loads(path.read_text(encoding="utf-8"))
    settings["display"] = {"on_hours": on_hours}
    path.write_text(json.dumps(settings, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def backlight(tmp_path: Path) -> Path:
    """A backlight device folder laid out as the kernel does (bl_power 0 = on)."""
    device = tmp_path / "sys" / "11-0045"
    device.mkdir(parents=True)
    for name, value in (("bl_power", "0"), ("brightness", "31"), ("max_brightness", "31")):
        (device / name).write_text(f"{value}\n", encoding="ascii")
    return device


@pytest.fixture
def night_kiosk(
    content_dir: Path, tmp_path: Path, kiosk_now: list[datetime], backlight: Path
) -> Iterator[KioskDriver]:
    set_display_hours(content_dir, "Mo-Fr 07:00-09:00")  # it is 10:00 on a Wednesday
    services = build_services(content_dir, tmp_path / "data", now=lambda: kiosk_now[0])
    with running_kiosk(services, display_power=BacklightPower(backlight)) as driver:
        yield driver


def tile(kiosk: KioskDriver, topic_id: str):  # type: ignore[no-untyped-def]
    return kiosk.find(lambda w: getattr(w, "topic_id", None) == topic_id)


def test_dark_outside_the_hours_and_the_waking_tap_presses_nothing(
    night_kiosk: KioskDriver, backlight: Path
) -> None:
    app = night_kiosk.app
    app.upkeep.poll_display()
    assert not app.upkeep.display.is_dark  # just started: whoever started it sees it come up
    night_kiosk.idle_clock.advance(app.idle.timeout + app.idle.countdown + 1)
    app.upkeep.poll_display()
    assert app.upkeep.display.is_dark
    assert (backlight / "bl_power").read_text().strip() == "4"
    assert app.upkeep.blackout in Window.children

    target = tile(night_kiosk, "kinderbetreuung")
    night_kiosk.tap(target)  # wakes the screen only
    assert app.manager.current == "home"
    assert (backlight / "bl_power").read_text().strip() == "0"
    assert app.upkeep.blackout not in Window.children
    night_kiosk.idle_clock.advance(2)
    night_kiosk.tap(target)  # now the visitor sees the button: it works
    assert app.manager.current == "topic"


def test_an_implausible_clock_claims_no_open_now_and_keeps_the_screen_on(
    night_kiosk: KioskDriver, kiosk_now: list[datetime], backlight: Path
) -> None:
    app = night_kiosk.app
    night_kiosk.tap(night_kiosk.find_text("Standorte und Öffnungszeiten"))
    assert any(text.startswith("Jetzt geöffnet") for text in night_kiosk.texts())

    kiosk_now[0] = datetime(1970, 1, 1, 1, 0, tzinfo=BERLIN)  # a Pi without RTC after a cut
    night_kiosk.idle_clock.advance(app.idle.timeout + app.idle.countdown + 1)
    app._poll_idle(0)
    app._poll_idle(0)
    app.upkeep.poll_display()
    assert not app.upkeep.clock_check.trusted
    assert not app.upkeep.display.is_dark
    assert (backlight / "bl_power").read_text().strip() == "0"

    night_kiosk.tap(night_kiosk.find_text("Standorte und Öffnungszeiten"))
    texts = night_kiosk.texts()
    assert not [t for t in texts if "geöffnet" in t or "Geschlossen" in t], texts
    assert "Öffnungszeiten: siehe unten" in texts
    night_kiosk.tap_list_row(night_kiosk.ids("location_list"), "Siegen-Mitte")
    week = [t for t in night_kiosk.texts() if t.startswith(("Montag", "Dienstag"))]
    assert week and "1970" not in " ".join(night_kiosk.texts())

    kiosk_now[0] = datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)  # NTP set the clock
    app.upkeep.poll_display()
    assert app.upkeep.clock_check.trusted
