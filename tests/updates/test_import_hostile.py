"""Every hostile or broken stick is refused with a plain reason, and the active content stays."""

from __future__ import annotations

import json
import os
import shutil
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.updates.history import read_attempts
from kiosk.updates.importer import FolderSource
from kiosk.updates.layout import hashed_target_path
from kiosk.updates.refusal import UpdateRefused

from .conftest import Kiosk, Office, make_office


def target_file(stick: Path, relative: str) -> Path:
    """The hashed file under targets/ that the newest published version lists for `relative`."""
    newest = max(
        (p for p in (stick / "metadata").glob("*.targets.json")),
        key=lambda p: int(p.name.split(".")[0]),
    )
    info = json.loads(newest.read_bytes())["signed"]["targets"][relative]
    return stick / "targets" / hashed_target_path(relative, info["hashes"]["sha256"])


@pytest.fixture
def installed(office: Office, kiosk: Kiosk) -> tuple[Office, Kiosk]:
    """A kiosk showing version 1; the office then publishes version 2 to the same stick."""
    office.publish()
    assert kiosk.import_(office.stick).result == "activated"
    office.edit_topic_title("Version zwei")
    office.publish()
    return office, kiosk


def refused(kiosk: Kiosk, source: Path, code: str) -> UpdateRefused:
    """Import must be refused with `code`; the active release and its content are unchanged."""
    before_version, before_title = kiosk.active_version(), kiosk.active_title()
    with pytest.raises(UpdateRefused) as caught:
        kiosk.import_(source)
    assert caught.value.code == code, caught.value.text("en")
    assert kiosk.active_version() == before_version
    assert kiosk.active_title() == before_title
    last = read_attempts(kiosk.layout.history)[0]
    assert (last.result, last.reason_code) == ("refused", code)
    assert last.reason == caught.value.text("de")
    # no half-written release is left behind
    assert not [p for p in kiosk.layout.releases.iterdir() if p.name.startswith(".")]
    return caught.value


def test_a_clean_stick_is_imported_and_version_two_follows(installed: tuple[Office, Kiosk]) -> None:
    office, kiosk = installed
    result = kiosk.import_(office.stick)
    assert (result.result, result.version) == ("activated", 2)
    assert kiosk.active_title() == "Version zwei"
    assert result.files_fetched == 1  # only topics.json changed; the rest is linked locally
    assert kiosk.import_(office.stick).result == "current"


def strip_signatures(stick: Path) -> None:
    for path in (stick / "metadata").glob("*.json"):
        data = json.loads(path.read_bytes())
        data["signatures"] = []
        path.write_text(json.dumps(data))


def test_unsigned_release(installed: tuple[Office, Kiosk]) -> None:
    office, kiosk = installed
    strip_signatures(office.stick)
    refusal = refused(kiosk, office.stick, "unsigned")
    assert "nicht signiert" in refusal.text("de")


def test_unsigned_release_on_a_new_kiosk(office: Office, kiosk: Kiosk, tmp_path: Path) -> None:
    office.publish()
    strip_signatures(office.stick)
    with pytest.raises(UpdateRefused) as caught:
        kiosk.import_(office.stick)
    assert caught.value.code == "unsigned"
    assert kiosk.active_version() is None


def test_foreign_key(installed: tuple[Office, Kiosk], tmp_path: Path) -> None:
    _office, kiosk = installed
    stranger = make_office(tmp_path, "fremd")
    stranger.edit_topic_title("Gefälscht")
    stranger.publish(version=99)
    refusal = refused(kiosk, stranger.stick, "untrusted_key")
    assert "fremden Schlüssel" in refusal.text("de")


def test_foreign_key_on_a_new_kiosk(kiosk: Kiosk, tmp_path: Path) -> None:
    stranger = make_office(tmp_path, "fremd")
    stranger.publish()
    with pytest.raises(UpdateRefused) as caught:
        kiosk.import_(stranger.stick)
    assert caught.value.code == "untrusted_key"
    assert kiosk.active_version() is None


def test_a_foreign_root_that_claims_our_key_id_is_refused(kiosk: Kiosk, tmp_path: Path) -> None:
    """A root naming the office key id next to the stranger's key material proves nothing."""
    stranger = make_office(tmp_path, "fremd")
    stranger.publish()
    trusted_id = next(kiosk.layout.trusted_keys.glob("*.pub")).name.removesuffix(".pub")
    root_path = stranger.stick / "metadata" / "1.root.json"
    root = json.loads(root_path.read_bytes())
    stranger_id = root["signatures"][0]["keyid"]
    text = root_path.read_text().replace(stranger_id, trusted_id)
    root_path.write_text(text)
    with pytest.raises(UpdateRefused) as caught:
        kiosk.import_(stranger.stick)
    assert caught.value.code == "untrusted_key"


def at_version_two_with_old_stick(office: Office, kiosk: Kiosk, tmp_path: Path) -> Path:
    """The kiosk runs version 2; the returned folder is a copy of the stick at version 1."""
    office.publish()
    old_stick = tmp_path / "old" / "kiosk-content"
    shutil.copytree(office.stick, old_stick)
    office.edit_topic_title("Version zwei")
    office.publish()
    kiosk.import_(office.stick)
    return old_stick


def test_rollback_to_an_older_stick(office: Office, kiosk: Kiosk, tmp_path: Path) -> None:
    old_stick = at_version_two_with_old_stick(office, kiosk, tmp_path)
    refusal = refused(kiosk, old_stick, "rollback")
    assert "Version 1" in refusal.text("de") and "2" in refusal.text("de")


@pytest.mark.parametrize("wiped", ["tuf cache", "tuf cache and floor file"])
def test_rollback_after_local_metadata_was_wiped(
    office: Office, kiosk: Kiosk, tmp_path: Path, wiped: str
) -> None:
    """python-tuf never fsyncs its metadata; losing it must not let an old stick back in."""
    old_stick = at_version_two_with_old_stick(office, kiosk, tmp_path)
    shutil.rmtree(kiosk.layout.tuf_cache)
    if "floor" in wiped:
        kiosk.layout.version_floor.write_text("")  # a power cut can leave it empty
    refused(kiosk, old_stick, "rollback")


def test_tampered_file_of_the_same_length(installed: tuple[Office, Kiosk]) -> None:
    office, kiosk = installed
    path = target_file(office.stick, "topics.json")
    data = bytearray(path.read_bytes())
    index = data.index(b"Version zwei")
    data[index : index + 12] = b"Version drei"
    path.write_bytes(bytes(data))
    refused(kiosk, office.stick, "file_mismatch")


def test_tampered_file_of_another_length(installed: tuple[Office, Kiosk]) -> None:
    office, kiosk = installed
    path = target_file(office.stick, "topics.json")
    path.write_bytes(path.read_bytes().replace(b"Version zwei", b"Manipuliert!!!"))
    refused(kiosk, office.stick, "file_too_large")
    path.write_bytes(path.read_bytes()[:-40])
    refused(kiosk, office.stick, "file_mismatch")


def test_a_file_from_an_older_release_mixed_in(office: Office, kiosk: Kiosk) -> None:
    office.publish()
    kiosk.import_(office.stick)
    old_topics = target_file(office.stick, "topics.json").read_bytes()
    office.edit_topic_title("Version zwei")
    office.publish()
    target_file(office.stick, "topics.json").write_bytes(old_topics)
    refused(kiosk, office.stick, "file_mismatch")


def test_metadata_from_an_older_release_mixed_in(installed: tuple[Office, Kiosk]) -> None:
    office, kiosk = installed
    metadata = office.stick / "metadata"
    shutil.copyfile(metadata / "1.targets.json", metadata / "2.targets.json")
    refused(kiosk, office.stick, "mix")


def test_missing_file(installed: tuple[Office, Kiosk]) -> None:
    office, kiosk = installed
    target_file(office.stick, "topics.json").unlink()
    refusal = refused(kiosk, office.stick, "file_missing")
    assert "topics.json" in refusal.text("de")


def test_symlink_to_a_system_file(installed: tuple[Office, Kiosk]) -> None:
    office, kiosk = installed
    path = target_file(office.stick, "topics.json")
    path.unlink()
    path.symlink_to("/etc/passwd")
    refusal = refused(kiosk, office.stick, "not_regular_file")
    assert "topics.json" in refusal.text("de")


def test_symlinked_folder_on_the_stick(office: Office, kiosk: Kiosk, tmp_path: Path) -> None:
    office.publish()
    images = office.stick / "targets" / "images"
    elsewhere = tmp_path / "elsewhere"
    images.rename(elsewhere)
    images.symlink_to(elsewhere)
    with pytest.raises(UpdateRefused) as caught:
        kiosk.import_(office.stick)
    assert caught.value.code == "not_regular_file"
    assert kiosk.active_version() is None


def test_the_published_folder_itself_is_a_symlink(
    installed: tuple[Office, Kiosk], tmp_path: Path
) -> None:
    office, kiosk = installed
    link = tmp_path / "stick-link" / "kiosk-content"
    link.parent.mkdir()
    link.symlink_to(office.stick)
    refused(kiosk, link, "not_regular_file")


def test_fifo_instead_of_a_file_does_not_block(installed: tuple[Office, Kiosk]) -> None:
    office, kiosk = installed
    path = target_file(office.stick, "topics.json")
    path.unlink()
    os.mkfifo(path)
    started = time.monotonic()
    refusal = refused(kiosk, office.stick, "not_regular_file")
    assert time.monotonic() - started < 10
    assert "FIFO" in refusal.text("en")


def test_a_700_mb_file_where_an_image_should_be(office: Office, kiosk: Kiosk) -> None:
    office.publish()
    path = target_file(office.stick, "images/map.png")
    with open(path, "r+b") as handle:
        handle.truncate(700 * 1024 * 1024)  # sparse: the disk holds no 700 MB
    started = time.monotonic()
    with pytest.raises(UpdateRefused) as caught:
        kiosk.import_(office.stick)
    assert caught.value.code == "file_too_large"
    assert "images/map.png" in caught.value.text("de")
    assert time.monotonic() - started < 10  # reading stops right after the signed length
    assert kiosk.active_version() is None


def test_an_unchanged_file_is_never_read_from_the_stick_again(
    installed: tuple[Office, Kiosk],
) -> None:
    """Version 2 reuses the kiosk's verified copy of map.png: a poisoned stick copy is moot."""
    office, kiosk = installed
    path = target_file(office.stick, "images/map.png")
    with open(path, "r+b") as handle:
        handle.truncate(700 * 1024 * 1024)
    result = kiosk.import_(office.stick)
    assert (result.result, result.version, result.files_fetched) == ("activated", 2, 1)


def zip_folder(folder: Path, archive: Path) -> None:
    with zipfile.ZipFile(archive, "w") as packed:
        for path in folder.rglob("*"):
            packed.write(path, path.relative_to(folder.parent))


def test_an_archive_instead_of_the_folder(installed: tuple[Office, Kiosk]) -> None:
    office, kiosk = installed
    stick_root = office.stick.parent
    zip_folder(office.stick, stick_root / "kiosk-content.zip")
    shutil.rmtree(office.stick)
    refusal = refused(kiosk, stick_root / "kiosk-content.zip", "archive")
    assert "Archiv" in refusal.text("de")
    with pytest.raises(UpdateRefused) as caught:
        FolderSource(stick_root)
    assert caught.value.code == "archive"


def test_an_archive_renamed_to_an_image(installed: tuple[Office, Kiosk], tmp_path: Path) -> None:
    """Correctly signed, but the "image" is a zip file: validation refuses it."""
    office, kiosk = installed
    zip_folder(office.content / "images", tmp_path / "packed.zip")
    shutil.copyfile(tmp_path / "packed.zip", office.content / "images" / "map.png")
    office.publish(check_content=False)
    refusal = refused(kiosk, office.stick, "content_invalid")
    assert "map.png" in refusal.text("de")


def test_invalid_content_that_is_correctly_signed(installed: tuple[Office, Kiosk]) -> None:
    office, kiosk = installed
    path = office.content / "locations.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["locations"][0]["topic_ids"] = ["gibt-es-nicht"]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    office.publish(check_content=False)
    refusal = refused(kiosk, office.stick, "content_invalid")
    assert "gibt-es-nicht" in refusal.text("de")
    assert "locations.json" in refusal.text("de")


def publish_at(office: Office, when: datetime, days: int) -> None:
    office.publish(now=when, expires_days=days)


def test_an_expired_release_says_what_the_clock_shows(office: Office, kiosk: Kiosk) -> None:
    """A clock running years ahead (no RTC) looks exactly like an expired release."""
    publish_at(office, datetime.now(UTC) - timedelta(days=800), days=30)
    with pytest.raises(UpdateRefused) as caught:
        kiosk.import_(office.stick)
    assert caught.value.code == "expired"
    text = caught.value.text("de")
    assert datetime.now(UTC).strftime("%Y-%m-%d") in text  # the kiosk clock
    assert "Uhr" in text
    assert kiosk.active_version() is None


def test_a_clock_behind_the_publish_date_accepts_with_a_warning(
    office: Office, kiosk: Kiosk
) -> None:
    """A Pi that booted into 1970 still takes correctly signed content, and says so."""
    publish_at(office, datetime.now(UTC) + timedelta(days=3650), days=365)
    result = kiosk.import_(office.stick)
    assert result.result == "activated"
    assert [notice.code for notice in result.warnings] == ["clock_behind"]
    assert "Uhr des Kiosks" in result.warnings[0].text("de")


def test_same_version_with_different_content(
    installed: tuple[Office, Kiosk], tmp_path: Path
) -> None:
    office, kiosk = installed
    kiosk.import_(office.stick)  # version 2
    other = tmp_path / "other" / "kiosk-content"
    other_office = Office(office.key, office.public_key, office.content, other)
    other_office.edit_topic_title("Anders")
    # a second office computer with a copy of the key, but not of its version memory
    office.key.with_name("buero.versions.json").unlink()
    other_office.publish(version=2)
    shutil.rmtree(kiosk.layout.tuf_cache)  # a second out folder: python-tuf's cache would object
    refusal = refused(kiosk, other, "same_version_differs")
    assert "--version 3" in refusal.text("de")


def test_no_trusted_key(office: Office, tmp_path: Path) -> None:
    office.publish()
    from kiosk.updates.importer import update_from

    with pytest.raises(UpdateRefused) as caught:
        update_from(FolderSource(office.stick), tmp_path / "untrusting", lock_timeout=5)
    assert caught.value.code == "no_trusted_key"


def test_a_stick_without_a_release(kiosk: Kiosk, tmp_path: Path) -> None:
    (tmp_path / "plain-stick" / "Fotos").mkdir(parents=True)
    with pytest.raises(UpdateRefused) as caught:
        FolderSource(tmp_path / "plain-stick")
    assert caught.value.code == "not_a_release"
