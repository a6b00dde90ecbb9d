from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from kiosk.store.state import open_state

REPO_ROOT = Path(__file__).resolve().parents[2]
CRASH_WRITER = Path(__file__).with_name("crash_writer.py")
CRASH_ROUNDS = 80


def at_noon() -> datetime:
    return datetime(2026, 3, 10, 12, 0, 5)


def child_env() -> dict[str, str]:
    paths = [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def test_open_creates_the_data_dir_and_starts_empty(tmp_path: Path) -> None:
    data_dir = tmp_path / "var" / "kiosk"

    with open_state(data_dir) as state:
        assert data_dir.is_dir()
        assert state.recovered_from is None
        assert state.get_setting("volume") is None
        assert state.usage.totals("screen") == {}

    assert list(data_dir.iterdir()) == []  # opening and closing alone writes nothing


@pytest.mark.parametrize("value", ["de", "", 0, 42, 0.5, True, False, None, "Grüße"])
def test_settings_survive_reopening(tmp_path: Path, value: str | int | float | bool | None) -> None:
    with open_state(tmp_path) as state:
        state.set_setting("value", value)
        state.set_setting("other", "x")

    with open_state(tmp_path) as state:
        stored = state.get_setting("value", "missing")
        assert stored == value and type(stored) is type(value)
        assert state.get_setting("other") == "x"
        assert state.get_setting("never-set", 7) == 7


def test_changing_a_setting_keeps_one_document(tmp_path: Path) -> None:
    with open_state(tmp_path) as state:
        for volume in range(5):
            state.set_setting("volume", volume)
        assert state.get_setting("volume") == 4

    settings = json.loads((tmp_path / "state.json").read_bytes())["settings"]
    assert list(settings.values()) == [{"key": "volume", "value": 4}]


def test_setting_an_unchanged_value_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with open_state(tmp_path) as state:
        state.set_setting("language", "de")
        before = path.stat()
        state.set_setting("language", "de")
        after = path.stat()

    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@pytest.mark.parametrize(
    ("key", "value", "error"),
    [
        ("colours", ["red"], TypeError),
        ("theme", {"primary": "#00589C"}, TypeError),
        ("ratio", float("nan"), ValueError),
        ("ratio", float("inf"), ValueError),
        ("", "x", ValueError),
    ],
)
def test_only_json_scalars_are_settings(
    tmp_path: Path, key: str, value: object, error: type[Exception]
) -> None:
    with open_state(tmp_path) as state, pytest.raises(error):
        state.set_setting(key, value)  # type: ignore[arg-type]


def test_close_flushes_pending_usage(tmp_path: Path) -> None:
    state = open_state(tmp_path)
    state.usage.record("screen", "home")
    state.close()
    state.close()

    with open_state(tmp_path) as reopened:
        assert reopened.usage.totals("screen") == {"home": 1}


VALID = b'{"settings":{"1":{"key":"language","value":"de"}}}'


@pytest.mark.parametrize(
    "content",
    [
        VALID[:-7],
        b"\x89PNG\r\n\x1a\n\x00\x00garbage",
        b"not json at all",
        VALID.replace(b"de", b"d\xe9"),
        b'["settings", "usage"]',
        b'{"settings": []}',
        b'{"settings": {"1": {"key": "language", "value": {"nested": true}}}}',
        b'{"usage": {"1": {"day": "2026-03-10", "hour": 14, "kind": "screen", "key": "home"}}}',
        b'{"usage": {"1": {"day": "2026-03-10T14:37", "hour": 14, "kind": "screen",'
        b' "key": "home", "count": 1}}}',
        b'{"usage": {"1": {"day": "2026-03-10", "hour": 24, "kind": "screen",'
        b' "key": "home", "count": 1}}}',
    ],
    ids=[
        "truncated",
        "garbage",
        "text",
        "invalid-utf8",
        "list",
        "table-list",
        "setting-object",
        "usage-no-count",
        "usage-timestamp",
        "usage-hour-24",
    ],
)
def test_broken_file_is_moved_aside_and_state_starts_empty(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "state.json").write_bytes(content)

    with open_state(tmp_path, clock=at_noon) as state:
        assert state.recovered_from == tmp_path / "state.json.broken-20260310T120005"
        assert state.recovered_from.read_bytes() == content
        assert state.get_setting("language") is None
        assert state.usage.totals("screen") == {}
        state.set_setting("language", "en")
        state.usage.record("screen", "home")

    with open_state(tmp_path, clock=at_noon) as state:
        assert state.recovered_from is None
        assert state.get_setting("language") == "en"
        assert state.usage.totals("screen") == {"home": 1}


def test_recovery_never_overwrites_an_earlier_broken_file(tmp_path: Path) -> None:
    moved = []
    for content in (b"{", b"[", b"\xff"):
        (tmp_path / "state.json").write_bytes(content)
        with open_state(tmp_path, clock=at_noon) as state:
            assert state.recovered_from is not None
            moved.append(state.recovered_from)

    assert [path.name for path in moved] == [
        "state.json.broken-20260310T120005",
        "state.json.broken-20260310T120005-2",
        "state.json.broken-20260310T120005-3",
    ]
    assert [path.read_bytes() for path in moved] == [b"{", b"[", b"\xff"]


def test_store_imports_no_kivy() -> None:
    code = (
        "import sys, kiosk.store.state, kiosk.store.usage, kiosk.store.atomic_storage\n"
        "sys.exit(any(name.split('.')[0] == 'kivy' for name in sys.modules))"
    )
    subprocess.run([sys.executable, "-c", code], env=child_env(), check=True, timeout=30)


def test_state_survives_being_killed_while_writing(tmp_path: Path) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    previous_screens = previous_flushes = 0
    kills_mid_write = 0

    for round_number in range(CRASH_ROUNDS):
        context = f"round {round_number}, seed {seed}"
        writer = subprocess.Popen(
            [sys.executable, str(CRASH_WRITER), str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env(),
        )
        assert writer.stdout is not None and writer.stderr is not None
        with writer, writer.stdout, writer.stderr:
            ready = writer.stdout.readline()
            if ready != b"ready\n":
                writer.kill()
                pytest.fail(f"{context}: writer did not start: {writer.stderr.read()!r}")
            time.sleep(rng.uniform(0, 0.05))
            os.kill(writer.pid, signal.SIGKILL)
            writer.wait(timeout=10)
        assert writer.returncode == -signal.SIGKILL, context
        kills_mid_write += any(".tmp-" in path.name for path in tmp_path.iterdir())

        with open_state(tmp_path) as state:
            assert state.recovered_from is None, context
            screens = state.usage.totals("screen").get("home", 0)
            topics = sum(state.usage.totals("topic").values())
            flushes = state.get_setting("flushes", 0)
        assert isinstance(flushes, int)
        # Each loop of the writer flushes one screen and one topic count together, then stores
        # the new total as a setting: every file on disk must be one of those states, whole.
        assert screens == topics, context
        assert flushes <= screens, context
        assert screens >= previous_screens, context
        assert flushes >= previous_flushes, context
        assert [path.name for path in tmp_path.iterdir() if ".tmp-" in path.name] == [], context
        previous_screens, previous_flushes = screens, flushes

    assert previous_screens > CRASH_ROUNDS  # the writers really wrote between the kills
    print(f"{CRASH_ROUNDS} kills, {kills_mid_write} left a temp file, {previous_screens} flushes")


def test_broken_file_is_named_with_the_time_it_was_found(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_bytes(b"{")
    with open_state(tmp_path) as state:
        assert state.recovered_from is not None
        assert re.fullmatch(r"state\.json\.broken-\d{8}T\d{6}", state.recovered_from.name)
