"""Staff go back to the previous release; the withdrawn one does not come straight back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.updates.refusal import UpdateRefused
from kiosk.updates.revert import revert_to_previous, withdrawn_version

from .conftest import Kiosk, Office


def test_revert_activates_the_previous_release_and_a_resync_does_not_undo_it(
    office: Office, kiosk: Kiosk
) -> None:
    office.edit_topic_title("Erste Fassung")
    office.publish(version=1)
    kiosk.import_(office.stick)
    office.edit_topic_title("Zweite Fassung, fehlerhaft")
    office.publish(version=2)
    kiosk.import_(office.stick)
    assert kiosk.active_version() == 2

    reverted = revert_to_previous(kiosk.data_dir)

    assert (reverted.withdrawn_version, reverted.release.version) == (2, 1)
    assert kiosk.active_version() == 1
    assert kiosk.active_title() == "Erste Fassung"
    assert withdrawn_version(kiosk.layout) == 2
    # The same stick again (or the next network poll): version 2 stays withdrawn.
    again = kiosk.import_(office.stick)
    assert again.result == "current"
    assert kiosk.active_version() == 1
    assert [notice.code for notice in again.warnings] == ["withdrawn"]
    assert "Version 2 wurde an diesem Kiosk zurückgenommen" in again.warnings[0].text("de")
    # A newer version from the office is taken as usual.
    office.edit_topic_title("Dritte Fassung")
    office.publish(version=3)
    assert kiosk.import_(office.stick).result == "activated"
    assert kiosk.active_title() == "Dritte Fassung"


def test_revert_without_an_earlier_release_says_so_and_changes_nothing(
    office: Office, kiosk: Kiosk
) -> None:
    with pytest.raises(UpdateRefused) as no_release:
        revert_to_previous(kiosk.data_dir)
    assert no_release.value.code == "no_previous"
    office.publish(version=1)
    kiosk.import_(office.stick)
    with pytest.raises(UpdateRefused) as only_one:
        revert_to_previous(kiosk.data_dir)
    assert "keine frühere Version" in only_one.value.text("de")
    assert kiosk.active_version() == 1
    assert withdrawn_version(kiosk.layout) == 0


def test_kiosk_revert_command(office: Office, kiosk: Kiosk, tmp_path: Path) -> None:
    for version in (1, 2):
        office.edit_topic_title(f"Fassung {version}")
        office.publish(version=version)
        kiosk.import_(office.stick)
    command = [sys.executable, "-m", "kiosk.cli", "revert", "--data-dir", str(kiosk.data_dir)]
    env = {"LANG": "de_DE.UTF-8", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert "Version 1 ist wieder aktiv; Version 2 ist zurückgenommen" in done.stdout
    again = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert again.returncode == 1
    assert "keine frühere Version" in again.stderr
    assert kiosk.active_version() == 1
