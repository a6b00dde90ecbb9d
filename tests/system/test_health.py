"""`kiosk status` health: the app's heartbeat, the clock, disk and update notes."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.content.loader import EMBEDDED_CONTENT_DIR
from kiosk.system.health import check_health
from kiosk.system.heartbeat import HEARTBEAT_FILE, read_heartbeat, write_heartbeat
from kiosk.updates.status import update_status

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)


def health_of(data_dir: Path, runtime: Path, now: datetime = NOW):  # type: ignore[no-untyped-def]
    status = update_status(data_dir, EMBEDDED_CONTENT_DIR)
    return check_health(data_dir, status, now=now, runtime=runtime)


def test_a_running_app_with_a_plausible_clock_is_healthy(tmp_path: Path) -> None:
    write_heartbeat(tmp_path / "run", {"content_version": None})
    health = health_of(tmp_path / "data", tmp_path / "run")
    assert health.healthy, health.describe("en")
    assert health.describe("de")[0] == "Zustand: in Ordnung"
    assert {note.code for note in health.notes} == {"no_key", "embedded"}
    beat = read_heartbeat(tmp_path / "run")
    assert beat is not None and beat["age_seconds"] < 5


def test_no_app_a_silent_app_and_a_wrong_clock_are_problems(tmp_path: Path) -> None:
    runtime = tmp_path / "run"
    assert [p.code for p in health_of(tmp_path, runtime).problems] == ["not_running"]

    runtime.mkdir()
    silent = {"pid": 1, "monotonic": time.monotonic() - 600}
    (runtime / HEARTBEAT_FILE).write_text(json.dumps(silent))
    health = health_of(tmp_path, runtime, now=datetime(1970, 1, 1, 0, 5, tzinfo=BERLIN))
    assert not health.healthy
    assert [p.code for p in health.problems] == ["no_heartbeat", "clock_behind"]
    report = health.as_json("de")
    assert report["healthy"] is False
    assert report["clock"] == {"trusted": False, "state": "behind"}
    assert "nicht gemeldet" in report["problems"][0]["message"]
    assert health.describe("en")[0] == "Health: PROBLEMS"
