"""At start: the active release, else the newest release kept, else the embedded content."""

from __future__ import annotations

from pathlib import Path

from kiosk.content.loader import EMBEDDED_CONTENT_DIR
from kiosk.ui.services import build_services

from .conftest import Kiosk, Office


def test_an_unreadable_active_release_falls_back_to_the_previous_then_embedded(
    office: Office, kiosk: Kiosk
) -> None:
    office.publish()
    kiosk.import_(office.stick)
    office.edit_topic_title("Version zwei")
    office.publish()
    kiosk.import_(office.stick)
    services = build_services(None, kiosk.data_dir)
    assert services.release is not None and services.release.version == 2
    assert services.catalog.topics[0].title.get("de") == "Version zwei"
    assert services.problems == []
    services.state.close()

    active = kiosk.releases.active()
    assert active is not None
    (active.content_dir / "topics.json").write_bytes(b'{"topics": [')  # the SD card let go
    services = build_services(None, kiosk.data_dir)
    assert services.release is not None and services.release.version == 1
    assert "topics.json" in services.problems[0]
    services.state.close()

    for release in kiosk.releases.complete():
        (release.content_dir / "settings.json").unlink()
    services = build_services(None, kiosk.data_dir)
    assert services.release is None
    assert services.catalog.root == EMBEDDED_CONTENT_DIR
    assert len(services.problems) == 2
    services.state.close()


def test_an_explicit_content_folder_ignores_the_releases(
    office: Office, kiosk: Kiosk, tmp_path: Path
) -> None:
    office.edit_topic_title("Vom Stick")
    office.publish()
    kiosk.import_(office.stick)
    services = build_services(EMBEDDED_CONTENT_DIR, kiosk.data_dir)
    assert services.release is None and not services.follows_releases
    assert services.catalog.topics[0].title.get("de") != "Vom Stick"
    services.state.close()
