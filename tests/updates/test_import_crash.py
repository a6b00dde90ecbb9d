"""`kill -9` of a real import process at random moments never leaves half an update.

After every kill the kiosk's start-up choice (the same function `kiosk run` uses) must be a
complete release, old or new, that loads; and a clean import afterwards must succeed.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from kiosk.content.loader import load_catalog
from kiosk.ui.services import content_candidates
from kiosk.updates.releases import clean_leftovers

from .conftest import Kiosk, Office

ROUNDS = 60
CHILD = """
import sys
from pathlib import Path
from kiosk.updates.importer import FolderSource, update_from
source = FolderSource(Path(sys.argv[1]))
print("go", flush=True)
update_from(source, Path(sys.argv[2]), lock_timeout=30)
"""


def start_import(stick: Path, data_dir: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(stick), str(data_dir)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "go"
    return child


def started_version(data_dir: Path) -> tuple[int | None, str]:
    """What the kiosk would show after a restart: the first candidate that loads."""
    for folder, release in content_candidates(None, data_dir):
        catalog = load_catalog(folder)
        return (release.version if release else None), catalog.topics[0].title.get("de")
    raise AssertionError("no content at all")


@pytest.mark.slow
def test_kill_minus_nine_during_import(office: Office, kiosk: Kiosk, tmp_path: Path) -> None:
    office.publish()
    kiosk.import_(office.stick)
    original_title = kiosk.active_title()
    # Version 2: a new title and 40 extra files of 256 KiB, so the import takes a while.
    office.edit_topic_title("Version zwei")
    extra = office.content / "extra"
    extra.mkdir()
    rng = random.Random(1234)
    for index in range(40):
        (extra / f"blob-{index}.dat").write_bytes(rng.randbytes(256 * 1024))
    office.publish()
    base = tmp_path / "base"
    shutil.copytree(kiosk.data_dir, base, symlinks=True)

    # How long an undisturbed import runs, after the child reported it was about to start.
    durations = []
    for _ in range(3):
        data_dir = tmp_path / "calibrate"
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.copytree(base, data_dir, symlinks=True)
        started = time.monotonic()
        child = start_import(office.stick, data_dir)
        assert child.wait(timeout=60) == 0
        durations.append(time.monotonic() - started)
    window = sorted(durations)[1] * 1.1

    outcomes: Counter[str] = Counter()
    for round_number in range(ROUNDS):
        data_dir = tmp_path / f"round-{round_number}"
        shutil.copytree(base, data_dir, symlinks=True)
        child = start_import(office.stick, data_dir)
        time.sleep(rng.uniform(0, window))
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        version, title = started_version(data_dir)
        assert (version, title) in ((1, original_title), (2, "Version zwei")), round_number
        leftovers = [p.name for p in (data_dir / "updates" / "releases").iterdir()]
        outcomes["new" if version == 2 else "old"] += 1
        if any(name.startswith(".") for name in leftovers):
            outcomes["left an interrupted import"] += 1
        clean_leftovers(data_dir)
        assert not [p for p in (data_dir / "updates/releases").iterdir() if p.name[0] == "."]
        # A clean import now succeeds (or finds the new version already active).
        again = Kiosk(data_dir).import_(office.stick)
        assert again.version == 2 and Kiosk(data_dir).active_title() == "Version zwei"
        shutil.rmtree(data_dir)

    print(f"\nkill -9 rounds: {dict(outcomes)}, kill window {window * 1000:.0f} ms")
    # The kills landed on both sides of the switch, and some in the middle of copying.
    assert outcomes["old"] > 0 and outcomes["new"] > 0
    assert outcomes["left an interrupted import"] > 0
