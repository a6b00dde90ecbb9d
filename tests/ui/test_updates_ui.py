"""A stick in the running kiosk: staff see progress and the result; visitors never see a swap."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from kiosk.ui.services import build_services
from kiosk.ui.widgets.common import TileButton
from kiosk.updates.layout import DataDirLayout
from kiosk.updates.trust import TrustStore
from tests.updates.conftest import Office, make_office

from .conftest import running_kiosk
from .driver import KioskDriver

pytestmark = pytest.mark.ui


class StickKiosk(KioskDriver):
    media: Path
    office: Office

    def insert_stick(self, source: Path | None = None) -> Path:
        mount = self.media / "kiosk" / "STICK"
        mount.mkdir(parents=True)
        shutil.copytree(source or self.office.stick, mount / "kiosk-content")
        return mount

    def panel_text(self) -> str:
        panel = self.app.update_panel
        assert panel is not None
        return f"{panel.ids.title.text} | {panel.ids.message.text}" if panel.is_open else ""

    def tile_titles(self) -> list[str]:
        home = self.app.manager.get_screen("home")
        return [tile.title for tile in reversed(home.ids.tiles.children)]


@pytest.fixture
def stick_kiosk(tmp_path: Path, kiosk_now: list[datetime]) -> Iterator[StickKiosk]:
    office = make_office(tmp_path)
    office.edit_topic_title("Neu vom Stick")
    office.publish()
    data_dir = tmp_path / "data"
    TrustStore(DataDirLayout(data_dir)).add_key(office.public_key)
    media = tmp_path / "media"
    media.mkdir()
    services = build_services(None, data_dir, now=lambda: kiosk_now[0])
    with running_kiosk(services, StickKiosk, mount_roots=[media]) as driver:
        driver.media, driver.office = media, office
        yield driver


def test_an_idle_kiosk_shows_the_new_content_right_after_the_stick(
    stick_kiosk: StickKiosk,
) -> None:
    kiosk = stick_kiosk
    assert kiosk.app.services.release is None  # embedded content until the first import
    assert "Neu vom Stick" not in kiosk.tile_titles()
    kiosk.insert_stick()
    kiosk.wait_until(lambda: "Version 1" in kiosk.panel_text())
    assert kiosk.panel_text() == (
        "Inhalt aktualisiert | Inhalt aktualisiert auf Version 1 – Stick kann entfernt werden."
    )
    assert kiosk.overflowing_labels() == []
    kiosk.wait_until(lambda: kiosk.tile_titles()[0] == "Neu vom Stick")
    release = kiosk.app.services.release
    assert release is not None and release.version == 1
    home = kiosk.app.manager.get_screen("home")
    icons = [tile.icon for tile in home.ids.tiles.children if isinstance(tile, TileButton)]
    assert icons and all(icon.startswith(str(release.content_dir)) for icon in icons)
    # A tap closes the result and starts no visitor session.
    kiosk.tap(kiosk.find_text("OK"))
    kiosk.frames(2)
    assert kiosk.panel_text() == "" and not kiosk.app.idle.in_session


def test_a_visitor_keeps_the_old_content_until_the_idle_reset(stick_kiosk: StickKiosk) -> None:
    kiosk = stick_kiosk
    old_title = kiosk.tile_titles()[0]
    kiosk.tap_text(old_title)
    assert kiosk.app.manager.current == "topic"
    kiosk.insert_stick()
    kiosk.wait_until(lambda: "Version 1" in kiosk.panel_text())
    kiosk.wait_until(lambda: kiosk.app.pending_content is not None)
    kiosk.frames(5)
    # Mid-visit nothing changes under the visitor's finger.
    assert kiosk.app.manager.current == "topic"
    assert kiosk.app.services.release is None
    assert old_title in kiosk.texts()
    kiosk.app.update_panel.close()
    kiosk.idle_clock.advance(kiosk.app.idle.timeout + kiosk.app.idle.countdown + 1)
    kiosk.wait_until(lambda: kiosk.app.manager.current == "home")
    kiosk.frames(3)
    assert kiosk.tile_titles()[0] == "Neu vom Stick"
    assert kiosk.app.pending_content is None
    assert kiosk.app.services.release is not None


def test_a_refused_stick_says_why_and_changes_nothing(
    stick_kiosk: StickKiosk, tmp_path: Path
) -> None:
    kiosk = stick_kiosk
    stranger = make_office(kiosk.media.parent, "fremd")
    stranger.publish()
    titles = kiosk.tile_titles()
    kiosk.insert_stick(stranger.stick)
    kiosk.wait_until(lambda: "nicht übernommen" in kiosk.panel_text())
    text = kiosk.panel_text()
    assert "fremden Schlüssel" in text and "Der bisherige Inhalt bleibt" in text
    assert kiosk.overflowing_labels() == []
    out = Path(os.environ.get("KIOSK_SCREENSHOT_DIR", tmp_path))
    kiosk.save_screenshot(out / "update-refused-800x480.png")
    kiosk.frames(5)
    assert kiosk.tile_titles() == titles and kiosk.app.services.release is None
