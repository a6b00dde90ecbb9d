"""The staff screen in the real app: hidden gesture, PIN with lockout, status, actions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from kivy.core.window import Window
from kivy.tests.common import UnitTestTouch

from kiosk.admin.pin import LOCK_SECONDS, PinStore
from kiosk.ui.services import build_services
from kiosk.updates.layout import DataDirLayout
from kiosk.updates.trust import TrustStore
from tests.updates.conftest import Kiosk, make_office

from .conftest import running_kiosk
from .driver import KioskDriver

pytestmark = pytest.mark.ui
PIN = "2580"


class StaffDriver(KioskDriver):
    def corner_taps(self, count: int = 5) -> None:
        """Taps at the very top-left corner, where no visitor control is."""
        for _ in range(count):
            touch = UnitTestTouch(6, Window.height - 6)
            touch.touch_down()
            touch.touch_up()
            self.frames(1)
        self.frames(2)

    def enter_pin(self, pin: str) -> None:
        screen = self.app.manager.get_screen("admin_pin")
        for digit in pin:
            self.tap(self.find(lambda w, d=digit: getattr(w, "text", None) == d, screen))
        self.tap(screen.ids.ok_button)

    def message(self) -> str:
        return str(self.screen.ids.message.text)


@pytest.fixture
def staff_kiosk(tmp_path: Path, kiosk_now: list[datetime]) -> Iterator[StaffDriver]:
    data_dir = tmp_path / "data"
    services = build_services(None, data_dir, now=lambda: kiosk_now[0])
    with running_kiosk(services, StaffDriver, mount_roots=[tmp_path / "media"]) as driver:
        yield driver


def test_without_a_pin_the_gesture_only_says_how_to_set_one(staff_kiosk: StaffDriver) -> None:
    staff_kiosk.corner_taps()
    panel = staff_kiosk.app.update_panel
    assert panel is not None and panel.is_open
    assert "keine PIN gesetzt" in panel.ids.message.text
    assert staff_kiosk.app.manager.current == "home"


def test_gesture_pin_lockout_and_the_admin_screen(staff_kiosk: StaffDriver) -> None:
    app = staff_kiosk.app
    assert app.staff is not None
    PinStore(app.staff.data_dir).set_pin(PIN)
    staff_kiosk.corner_taps(4)
    assert app.manager.current == "home"  # four taps are not the gesture
    staff_kiosk.idle_clock.advance(5)
    staff_kiosk.corner_taps(5)
    assert app.manager.current == "admin_pin"

    for _attempt in range(5):
        staff_kiosk.enter_pin("1111")
        assert staff_kiosk.screen.ids.entry.text.strip() == ""  # nothing of it stays visible
    assert "Gesperrt" in staff_kiosk.message()
    staff_kiosk.enter_pin(PIN)  # right, but locked
    assert app.manager.current == "admin_pin"
    assert "Gesperrt" in staff_kiosk.message()

    staff_kiosk.idle_clock.advance(LOCK_SECONDS + 1)
    staff_kiosk.app.idle.touch()
    staff_kiosk.enter_pin(PIN)
    assert app.manager.current == "admin"
    staff_kiosk.wait_until(lambda: staff_kiosk.screen.ids.facts.text != "")
    facts = staff_kiosk.screen.ids.facts.text
    assert "Inhalt: eingebaute Beispielinhalte" in facts
    assert "Speicher:" in facts and "frei" in facts
    assert "Uhr: Die Uhr des Kiosks ist plausibel." in facts
    assert "Bildschirm: an" in facts
    assert len(staff_kiosk.screen.ids.qr_chart.bars) == 30
    topics = staff_kiosk.app.services.catalog.topics
    assert len(staff_kiosk.screen.ids.topic_chart.bars) == len(topics)  # untapped ones too
    staff_kiosk.save_screenshot(Path("/tmp/kiosk-admin.png"))
    assert staff_kiosk.overflowing_labels() == []
    assert staff_kiosk.small_targets() == []

    # Staff walk away: the idle reset closes the admin screen.
    staff_kiosk.idle_clock.advance(app.idle.timeout + app.idle.countdown + 1)
    app._poll_idle(0)
    app._poll_idle(0)
    assert app.manager.current == "home"
    assert app.manager.get_screen("admin").ids.facts.text == ""


def test_a_wrong_pin_shows_the_attempts_left(staff_kiosk: StaffDriver) -> None:
    app = staff_kiosk.app
    assert app.staff is not None
    PinStore(app.staff.data_dir).set_pin(PIN)
    staff_kiosk.corner_taps()
    staff_kiosk.enter_pin("9999")
    assert "Noch 4 Versuche" in staff_kiosk.message()
    staff_kiosk.save_screenshot(Path("/tmp/kiosk-admin-pin.png"))
    assert staff_kiosk.overflowing_labels() == []
    assert staff_kiosk.small_targets() == []
    staff_kiosk.tap(staff_kiosk.screen.ids.cancel_button)
    assert app.manager.current == "home"


def test_statistics_go_to_the_inserted_stick_as_csv(
    staff_kiosk: StaffDriver, tmp_path: Path, mount: Callable[..., Path]
) -> None:
    app = staff_kiosk.app
    assert app.staff is not None
    PinStore(app.staff.data_dir).set_pin(PIN)
    for topic_id in ("kinderbetreuung", "kinderbetreuung", "familie-beruf"):
        staff_kiosk.tap(staff_kiosk.find(lambda w, t=topic_id: getattr(w, "topic_id", "") == t))
        staff_kiosk.tap(staff_kiosk.screen.ids.top_bar.ids.home_button)
    staff_kiosk.corner_taps()
    staff_kiosk.enter_pin(PIN)

    export = staff_kiosk.screen.ids.export_button
    staff_kiosk.tap(export)
    staff_kiosk.wait_until(lambda: "Bitte warten" not in staff_kiosk.message())
    assert "Kein USB-Stick gefunden" in staff_kiosk.message()  # nothing inserted yet

    stick = mount("media/kiosk/STICK")
    staff_kiosk.tap(export)
    staff_kiosk.wait_until(lambda: "gespeichert" in staff_kiosk.message())
    files = list((stick / "kiosk-statistik").glob("statistik-*.csv"))
    assert len(files) == 1 and str(files[0]) in staff_kiosk.message()
    rows = files[0].read_text(encoding="utf-8-sig").splitlines()
    assert rows[0] == "date;kind;key;count"
    assert "2026-11-25;topic;kinderbetreuung;2" in rows
    assert "2026-11-25;topic;familie-beruf;1" in rows


def test_revert_from_the_admin_screen_shows_the_previous_release_after_closing(
    tmp_path: Path, kiosk_now: list[datetime]
) -> None:
    office = make_office(tmp_path)
    data_dir = tmp_path / "data"
    TrustStore(DataDirLayout(data_dir)).add_key(office.public_key)
    kiosk = Kiosk(data_dir)
    for version, title in ((1, "Alte Fassung"), (2, "Neue Fassung")):
        office.edit_topic_title(title)
        office.publish(version=version)
        kiosk.import_(office.stick)
    PinStore(data_dir).set_pin(PIN)
    services = build_services(None, data_dir, now=lambda: kiosk_now[0])
    with running_kiosk(services, StaffDriver, mount_roots=[tmp_path / "media"]) as staff:
        home = staff.app.manager.get_screen("home")
        assert home.ids.tiles.children[-1].title == "Neue Fassung"
        staff.corner_taps()
        staff.enter_pin(PIN)
        revert = staff.screen.ids.revert_button
        staff.tap(revert)
        assert revert.text == "Wirklich? Noch einmal tippen"
        assert kiosk.active_version() == 2  # nothing happens on the first tap
        staff.tap(revert)
        staff.wait_until(lambda: "wieder aktiv" in staff.message())
        assert "Version 1 ist wieder aktiv" in staff.message()
        assert kiosk.active_version() == 1
        staff.wait_until(lambda: staff.app.pending_content is not None)
        staff.tap(staff.screen.ids.close_button)
        assert staff.app.manager.current == "home"
        assert home.ids.tiles.children[-1].title == "Alte Fassung"
