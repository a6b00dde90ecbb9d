"""The kiosk's update worker: stick detection, events for staff, sync schedule and backoff."""

from __future__ import annotations

import random
import shutil
import socket
import statistics
from pathlib import Path

import pytest

from kiosk.content.model import SyncTarget
from kiosk.updates.service import (
    RETRY_CAP_SECONDS,
    UpdateEvent,
    UpdateService,
    find_stick_releases,
    next_sync_delay,
)

from .conftest import Kiosk, Office


def test_a_normal_check_waits_the_interval_plus_a_little_jitter() -> None:
    rng = random.Random(7)
    delays = [next_sync_delay(60, 0, rng) for _ in range(500)]
    assert min(delays) >= 3600 and max(delays) <= 3960
    assert statistics.pstdev(delays) > 60  # kiosks do not ask in step


def test_failures_back_off_exponentially_up_to_six_hours() -> None:
    rng = random.Random(7)
    medians = [
        statistics.median(next_sync_delay(60, failures, rng) for _ in range(200))
        for failures in range(1, 16)
    ]
    assert 30 <= medians[0] <= 60  # one minute after the first failure
    assert all(
        later > earlier * 1.5 for earlier, later in zip(medians[:6], medians[1:7], strict=True)
    )
    assert max(next_sync_delay(60, 40, rng) for _ in range(200)) <= RETRY_CAP_SECONDS
    assert medians[-1] > RETRY_CAP_SECONDS * 0.6


def make_stick(mounts: Path, user: str | None, name: str, office: Office) -> Path:
    mount = mounts / user / name if user else mounts / name
    mount.mkdir(parents=True)
    shutil.copytree(office.stick, mount / "kiosk-content")
    return mount


def test_sticks_are_found_at_the_usual_mount_points(office: Office, tmp_path: Path) -> None:
    office.publish()
    media, run_media, mnt = tmp_path / "media", tmp_path / "run-media", tmp_path / "mnt"
    first = make_stick(media, "kiosk", "STICK", office)
    second = make_stick(run_media, "staff", "USB", office)
    (media / "kiosk" / "FOTOS" / "Urlaub").mkdir(parents=True)  # a stick with other things
    (mnt / "kiosk-content").mkdir(parents=True)  # a folder without a release: ignored
    found = find_stick_releases([media, run_media, mnt, tmp_path / "missing"])
    assert found == [first / "kiosk-content", second / "kiosk-content"]


class Recorder:
    def __init__(self) -> None:
        self.events: list[UpdateEvent] = []

    def __call__(self, event: UpdateEvent) -> None:
        self.events.append(event)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events if e.kind != "progress"]

    def take(self) -> list[UpdateEvent]:
        events, self.events = self.events, []
        return events


def test_a_stick_is_imported_once_and_again_after_reinserting(
    office: Office, kiosk: Kiosk, tmp_path: Path
) -> None:
    office.publish()
    media = tmp_path / "media"
    media.mkdir()
    recorder = Recorder()
    service = UpdateService(kiosk.data_dir, recorder, mount_roots=[media])
    service.check_once()
    assert recorder.take() == []  # no stick, nothing happens

    stick = make_stick(media, "kiosk", "STICK", office)
    service.check_once()
    events = recorder.take()
    assert [e.kind for e in events if e.kind != "progress"] == ["started", "activated"]
    progress = [e for e in events if e.kind == "progress"]
    assert progress[0].done == 0 and progress[-1].done == progress[-1].total > 0
    assert events[-1].version == 1 and kiosk.active_version() == 1

    service.check_once()
    assert recorder.take() == []  # the same stick, still in: not imported again

    shutil.rmtree(stick)
    service.check_once()
    make_stick(media, "kiosk", "STICK", office)
    service.check_once()
    assert recorder.kinds() == ["started", "current"]


def test_a_refused_stick_reports_the_reason_in_german(
    office: Office, kiosk: Kiosk, tmp_path: Path
) -> None:
    office.publish()
    media = tmp_path / "media"
    stick = make_stick(media, None, "STICK", office)
    for target in (stick / "kiosk-content" / "targets").glob("*.topics.json"):
        target.write_bytes(target.read_bytes().replace(b"Familie", b"Fam1lie"))
    recorder = Recorder()
    UpdateService(kiosk.data_dir, recorder, mount_roots=[media]).check_once()
    final = recorder.events[-1]
    assert final.kind == "refused"
    assert "topics.json" in final.message_de and "Signatur" in final.message_de
    assert kiosk.active_version() is None


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_unreachable_sync_server_backs_off(kiosk: Kiosk, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        url = f"http://127.0.0.1:{taken.getsockname()[1]}/kiosk-content/"
        clock, recorder = FakeClock(), Recorder()
        service = UpdateService(
            kiosk.data_dir,
            recorder,
            sync=SyncTarget(url, 30),
            mount_roots=[],
            rng=random.Random(3),
            clock=clock,
        )
        service.check_once()
        assert recorder.take() == []  # the first check waits 30 s to 5 min after start
        gaps = []
        for _ in range(4):
            clock.now = service._next_sync
            before = clock.now
            service.check_once()
            assert recorder.take()[-1].kind == "refused"
            gaps.append(service._next_sync - before)
    assert gaps[0] <= 60 and gaps[-1] > gaps[0] * 2
    assert all(g < 30 * 60 for g in gaps[:4])


@pytest.mark.parametrize("interval", [5, 60])
def test_a_changed_sync_target_restarts_the_schedule(kiosk: Kiosk, interval: int) -> None:
    clock = FakeClock()
    service = UpdateService(kiosk.data_dir, Recorder(), mount_roots=[], clock=clock)
    service.set_sync(SyncTarget("https://example.org/kiosk-content/", interval))
    assert 1030 <= service._next_sync <= 1300
