"""Statistics for staff: a real state file, real counts, real (tmpfs) sticks mounted here."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pty
import stat
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import pytest

from kiosk.admin.pin import (
    FAILURES_FILE_NAME,
    LOCK_SECONDS,
    MAX_ATTEMPTS,
    PIN_FILE_NAME,
    PinRejected,
    PinResult,
    PinStore,
    validate_new_pin,
)

GOOD_PIN = "2580"
OTHER_PIN = "7391"


class MonotonicClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> MonotonicClock:
    return MonotonicClock()


@pytest.fixture
def store(tmp_path: Path, clock: MonotonicClock) -> PinStore:
    return PinStore(tmp_path / "data", clock)


@contextmanager
def scrypt_calls() -> Iterator[list[int]]:
    """Count real calls of hashlib.scrypt through the interpreter's profiling hook."""
    calls: list[int] = []

    def hook(frame: FrameType, event: str, arg: object) -> None:
        if event == "c_call" and arg is hashlib.scrypt:
            calls.append(1)

    sys.setprofile(hook)
    try:
        yield calls
    finally:
        sys.setprofile(None)


def fail(store: PinStore, times: int) -> None:
    for _ in range(times):
        assert not store.check(OTHER_PIN).ok


# ---- no default PIN --------
def test_a_new_kiosk_has_no_pin_and_nothing_opens(store: PinStore) -> None:
    assert not store.is_set
    for guess in ("0000", "1234", "", GOOD_PIN):
        result = store.check(guess)
        assert not result.ok
    assert not store.data_dir.exists()  # checking wrote nothing


def test_set_pin_then_check(store: PinStore) -> None:
    store.set_pin(GOOD_PIN)
    assert store.is_set
    assert store.check(GOOD_PIN).ok
    wrong = store.check(OTHER_PIN)
    assert not wrong.ok and wrong.attempts_left == MAX_ATTEMPTS - 1 and not wrong.locked
    assert not store.check(GOOD_PIN + "0").ok


def test_the_file_holds_salt_hash_and_parameters_readable_by_the_owner_only(
    store: PinStore,
) -> None:
    store.set_pin(GOOD_PIN)
    path = store.data_dir / PIN_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_bytes())
    assert data["kdf"] == "scrypt"
    assert (data["n"], data["r"], data["p"]) == (2**14, 8, 1)
    assert len(bytes.fromhex(data["salt"])) == 16
    expected = hashlib.scrypt(
        GOOD_PIN.encode(), salt=bytes.fromhex(data["salt"]), n=2**14, r=8, p=1, dklen=32
    )
    assert bytes.fromhex(data["hash"]) == expected
    assert GOOD_PIN not in path.read_text()
    assert [p.name for p in store.data_dir.iterdir()] == [PIN_FILE_NAME]  # no temp file left


def test_the_same_pin_twice_gets_different_salts(tmp_path: Path) -> None:
    first, second = PinStore(tmp_path / "a"), PinStore(tmp_path / "b")
    first.set_pin(GOOD_PIN)
    second.set_pin(GOOD_PIN)
    assert (first.path.read_bytes()) != (second.path.read_bytes())


def test_a_pin_set_from_the_shell_is_seen_by_the_running_kiosk(
    tmp_path: Path, clock: MonotonicClock
) -> None:
    running = PinStore(tmp_path, clock)
    assert not running.is_set
    PinStore(tmp_path).set_pin(GOOD_PIN)  # `kiosk set-pin` in another process
    assert running.is_set and running.check(GOOD_PIN).ok
    PinStore(tmp_path).set_pin(OTHER_PIN)
    assert not running.check(GOOD_PIN).ok and running.check(OTHER_PIN).ok


def test_remove(store: PinStore) -> None:
    store.set_pin(GOOD_PIN)
    store.remove()
    assert not store.is_set and not store.check(GOOD_PIN).ok
    store.remove()  # twice is harmless


# ---- which PINs are accepted --------
@pytest.mark.parametrize(
    ("pin", "code"),
    [
        ("12a4", "not_digits"),
        ("12 34", "not_digits"),
        ("١٢٣٩", "not_digits"),  # Arabic-Indic digits are digits to str.isdigit
        ("", "not_digits"),
        ("258", "length"),
        ("2580258025802", "length"),
        ("0000", "all_same"),
        ("99999999", "all_same"),
        ("1234", "straight_run"),
        ("4321", "straight_run"),
        ("0123456789", "straight_run"),
        ("8901", "straight_run"),
        ("2109", "straight_run"),
    ],
)
def test_weak_or_malformed_pins_are_refused_with_a_reason(pin: str, code: str) -> None:
    with pytest.raises(PinRejected) as caught:
        validate_new_pin(pin)
    assert caught.value.code == code
    assert caught.value.text("de") and caught.value.text("en")
    assert caught.value.text("de") != caught.value.text("en")


@pytest.mark.parametrize("pin", ["2580", "1235", "1123", "13579", "9876543201", "202604121999"])
def test_ordinary_pins_are_accepted(pin: str) -> None:
    validate_new_pin(pin)


def test_a_refused_pin_keeps_the_old_one(store: PinStore) -> None:
    store.set_pin(GOOD_PIN)
    with pytest.raises(PinRejected, match="straight run"):
        store.set_pin("1234")
    assert store.check(GOOD_PIN).ok


def test_messages_are_plain_german() -> None:
    with pytest.raises(PinRejected) as caught:
        validate_new_pin("12")
    assert caught.value.text("de") == "Die PIN muss 4 bis 12 Ziffern lang sein."
    assert caught.value.text("en") == "The PIN must be 4 to 12 digits long."


# ---- wrong PINs and the lock --------
def test_five_wrong_pins_lock_for_five_minutes(store: PinStore, clock: MonotonicClock) -> None:
    store.set_pin(GOOD_PIN)
    for left in range(MAX_ATTEMPTS - 1, 0, -1):
        assert store.check(OTHER_PIN).attempts_left == left
    locked = store.check(OTHER_PIN)
    assert locked.locked_seconds_left == LOCK_SECONDS == 300
    assert locked.attempts_left == 0

    clock.advance(120.5)
    refused = store.check(GOOD_PIN)  # even the right PIN
    assert not refused.ok and refused.locked_seconds_left == 180
    assert store.status().locked_seconds_left == 180
    clock.advance(179)
    assert store.check(GOOD_PIN).locked_seconds_left == 1
    clock.advance(1)
    assert store.status() == PinResult(ok=False, locked_seconds_left=0, attempts_left=MAX_ATTEMPTS)
    assert store.check(GOOD_PIN).ok


def test_after_the_lock_a_fresh_set_of_attempts(store: PinStore, clock: MonotonicClock) -> None:
    store.set_pin(GOOD_PIN)
    fail(store, MAX_ATTEMPTS)
    clock.advance(LOCK_SECONDS)
    assert store.check(OTHER_PIN).attempts_left == MAX_ATTEMPTS - 1
    fail(store, MAX_ATTEMPTS - 1)
    assert store.status().locked_seconds_left == 300


def test_while_locked_no_hash_is_computed(store: PinStore, clock: MonotonicClock) -> None:
    store.set_pin(GOOD_PIN)
    with scrypt_calls() as calls:
        fail(store, MAX_ATTEMPTS)
    assert len(calls) == MAX_ATTEMPTS  # the counter sees real hashing
    with scrypt_calls() as calls:
        for _ in range(50):
            assert store.check(GOOD_PIN).locked
    assert calls == []
    clock.advance(LOCK_SECONDS)
    with scrypt_calls() as calls:
        assert store.check(GOOD_PIN).ok
    assert len(calls) == 1


def test_a_success_resets_the_count(store: PinStore) -> None:
    store.set_pin(GOOD_PIN)
    fail(store, MAX_ATTEMPTS - 1)
    assert store.check(GOOD_PIN).ok
    assert store.check(OTHER_PIN).attempts_left == MAX_ATTEMPTS - 1


# ---- the count survives a power cut --------
def test_wrong_attempts_survive_a_restart(tmp_path: Path, clock: MonotonicClock) -> None:
    PinStore(tmp_path, clock).set_pin(GOOD_PIN)
    fail(PinStore(tmp_path, clock), 3)
    after_restart = PinStore(tmp_path, MonotonicClock(5.0))
    assert after_restart.status().attempts_left == 2
    assert after_restart.check(OTHER_PIN).attempts_left == 1


def test_a_lock_survives_a_restart_and_runs_five_minutes_from_the_start(tmp_path: Path) -> None:
    PinStore(tmp_path).set_pin(GOOD_PIN)
    fail(PinStore(tmp_path, MonotonicClock(50_000.0)), MAX_ATTEMPTS)

    boot_clock = MonotonicClock(7.0)  # the monotonic clock starts again after a reboot
    restarted = PinStore(tmp_path, boot_clock)
    assert restarted.check(GOOD_PIN).locked_seconds_left == 300
    boot_clock.advance(299.5)
    assert restarted.check(GOOD_PIN).locked
    boot_clock.advance(0.5)
    assert restarted.check(GOOD_PIN).ok
    assert PinStore(tmp_path, MonotonicClock(0.0)).status().attempts_left == MAX_ATTEMPTS


def test_the_attempts_file_is_written_only_on_a_wrong_pin_or_a_reset(store: PinStore) -> None:
    failures = store.data_dir / FAILURES_FILE_NAME
    store.set_pin(GOOD_PIN)
    for _ in range(3):
        assert store.check(GOOD_PIN).ok
    assert not failures.exists()  # correct PINs cost no write

    assert not store.check(OTHER_PIN).ok
    assert json.loads(failures.read_bytes()) == {"failures": 1}
    assert stat.S_IMODE(failures.stat().st_mode) == 0o600
    assert store.check(GOOD_PIN).ok
    assert json.loads(failures.read_bytes()) == {"failures": 0}
    written = failures.stat()
    for _ in range(3):
        assert store.check(GOOD_PIN).ok
    again = failures.stat()
    assert (again.st_ino, again.st_mtime_ns) == (written.st_ino, written.st_mtime_ns)


def test_a_broken_attempts_file_locks_rather_than_forgives(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    PinStore(tmp_path).set_pin(GOOD_PIN)
    (tmp_path / FAILURES_FILE_NAME).write_bytes(b"\x00garbage")
    with caplog.at_level(logging.ERROR, logger="kiosk.admin.pin"):
        store = PinStore(tmp_path, MonotonicClock(0.0))
    assert store.status().locked_seconds_left == 300
    assert "unusable" in caplog.text


# ---- a broken PIN file --------
def pin_file(**changes: object) -> bytes:
    data: dict[str, object] = {
        "format": 1,
        "kdf": "scrypt",
        "n": 2**14,
        "r": 8,
        "p": 1,
        "salt": "00" * 16,
        "hash": "11" * 32,
    }
    data.update(changes)
    return json.dumps({k: v for k, v in data.items() if v is not None}).encode()


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b"\xff\xfe\x00",
        b"[]",
        pin_file(format=2),
        pin_file(kdf="pbkdf2"),
        pin_file(n=2**30),  # a tampered file must not make the kiosk hash for minutes
        pin_file(n=1000),
        pin_file(r="8"),
        pin_file(salt=None),
        pin_file(hash="zz"),
        pin_file(salt="00"),
    ],
)
def test_a_corrupt_pin_file_means_no_pin_and_a_logged_error(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / PIN_FILE_NAME).write_bytes(content)
    store = PinStore(tmp_path)
    with caplog.at_level(logging.ERROR, logger="kiosk.admin.pin"):
        assert not store.is_set
        assert not store.check(GOOD_PIN).ok
    assert "admin PIN file" in caplog.text
    store.set_pin(GOOD_PIN)  # `kiosk set-pin` repairs it
    assert store.check(GOOD_PIN).ok


def test_a_pin_hashed_with_weaker_parameters_is_upgraded_on_success(tmp_path: Path) -> None:
    salt = bytes(range(16))
    weak = hashlib.scrypt(GOOD_PIN.encode(), salt=salt, n=2**10, r=8, p=1, dklen=32)
    (tmp_path / PIN_FILE_NAME).write_bytes(pin_file(n=2**10, salt=salt.hex(), hash=weak.hex()))
    store = PinStore(tmp_path)
    assert not store.check(OTHER_PIN).ok
    assert json.loads(store.path.read_bytes())["n"] == 2**10  # a wrong PIN changes nothing
    assert store.check(GOOD_PIN).ok
    upgraded = json.loads(store.path.read_bytes())
    assert upgraded["n"] == 2**14 and upgraded["salt"] != salt.hex()
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.check(GOOD_PIN).ok


def test_stronger_parameters_in_the_file_are_honoured(tmp_path: Path) -> None:
    salt = bytes(16)
    strong = hashlib.scrypt(
        GOOD_PIN.encode(), salt=salt, n=2**15, r=8, p=1, dklen=32, maxmem=64 << 20
    )
    (tmp_path / PIN_FILE_NAME).write_bytes(pin_file(n=2**15, salt=salt.hex(), hash=strong.hex()))
    store = PinStore(tmp_path)
    assert store.check(GOOD_PIN).ok
    assert json.loads(store.path.read_bytes())["n"] == 2**15  # never downgraded


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can hand a file to another user")
def test_set_by_root_the_files_belong_to_the_data_dir_owner(tmp_path: Path) -> None:
    data = tmp_path / "kiosk-data"
    data.mkdir()
    os.chown(data, 4242, 4343)
    store = PinStore(data)
    store.set_pin(GOOD_PIN)
    assert not store.check(OTHER_PIN).ok
    for name in (PIN_FILE_NAME, FAILURES_FILE_NAME):
        info = (data / name).stat()
        assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (4242, 4343, 0o600)


def test_hash_time(store: PinStore) -> None:
    """Prints the median time of one PIN check (run with -s); the target is 50-300 ms on a Pi 4."""
    store.set_pin(GOOD_PIN)
    times = []
    for _ in range(7):
        started = time.perf_counter()
        assert store.check(GOOD_PIN).ok
        times.append(time.perf_counter() - started)
    print(f"\nscrypt n=2**14 r=8 p=1 PIN check: median {statistics.median(times) * 1000:.1f} ms")


# ---- `kiosk set-pin`, as staff run it: a real process, a real terminal ---------------------------
PROJECT = Path(__file__).resolve().parents[2]
# What cli.py will do once the command is wired in: the parser with a default data dir.
HARNESS = """
import argparse, sys
from pathlib import Path
from kiosk.admin.commands import add_set_pin_parser, cmd_set_pin
parser = argparse.ArgumentParser(prog="kiosk")
commands = parser.add_subparsers(dest="command", required=True)
add_set_pin_parser(commands, Path(sys.argv[1]))
args = parser.parse_args(sys.argv[2:])
assert args.command == "set-pin"
sys.exit(cmd_set_pin(args))
"""


def staff_env(lang: str) -> dict[str, str]:
    return dict(os.environ, LANG=lang, LC_ALL=lang, LC_MESSAGES=lang)


def set_pin_command(
    default_dir: Path, *args: str | Path, stdin: str = "", lang: str = "de_DE.UTF-8"
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-c", HARNESS, str(default_dir), "set-pin", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT,
        env=staff_env(lang),
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def in_terminal(
    default_dir: Path, answers: list[tuple[bytes, bytes]], lang: str
) -> tuple[int, str]:
    """Run `kiosk set-pin` on a pseudo-terminal, answering each prompt when it appears."""
    try:
        pid, fd = pty.fork()
    except OSError as exc:
        pytest.skip(f"no pseudo-terminal here: {exc}")
    if pid == 0:  # the child: its controlling terminal is the pty, as in an SSH session
        try:
            argv = [sys.executable, "-c", HARNESS, str(default_dir), "set-pin"]
            os.chdir(PROJECT)
            os.execve(sys.executable, argv, staff_env(lang))
        finally:
            os._exit(127)
    output = b""
    try:
        for prompt, answer in answers:
            while prompt not in output:
                chunk = os.read(fd, 1024)
                assert chunk, output
                output += chunk
            output = output.replace(prompt, b"<" + prompt.strip() + b">", 1)
            os.write(fd, answer + b"\r")
        while True:
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # EIO: the child has closed the terminal
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(fd)
        _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_set_pin_asks_twice_on_the_terminal_in_german(tmp_path: Path) -> None:
    code, output = in_terminal(
        tmp_path, [(b"Neue PIN: ", b"2580"), (b"PIN wiederholen: ", b"2580")], "de_DE.UTF-8"
    )
    assert code == 0, output
    assert "<Neue PIN:>" in output and "<PIN wiederholen:>" in output
    assert "2580" not in output  # no echo
    assert "PIN gespeichert" in output
    assert PinStore(tmp_path).check("2580").ok  # the default data dir from the parser


def test_set_pin_in_english_and_a_mismatch_changes_nothing(tmp_path: Path) -> None:
    PinStore(tmp_path).set_pin(GOOD_PIN)
    code, output = in_terminal(
        tmp_path, [(b"New PIN: ", b"7391"), (b"Repeat the PIN: ", b"7392")], "C.UTF-8"
    )
    assert code == 1
    assert "The two entries differ; the PIN is unchanged." in output
    assert PinStore(tmp_path).check(GOOD_PIN).ok


def test_set_pin_refuses_a_weak_pin_on_the_terminal(tmp_path: Path) -> None:
    code, output = in_terminal(
        tmp_path, [(b"Neue PIN: ", b"1111"), (b"PIN wiederholen: ", b"1111")], "de_DE.UTF-8"
    )
    assert code == 1
    assert "lauter gleichen Ziffern" in output
    assert not PinStore(tmp_path).is_set


def test_set_pin_from_a_script(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = set_pin_command(tmp_path / "unused", "--data-dir", data, "--stdin", stdin="2580\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"PIN gespeichert in {data / PIN_FILE_NAME}."
    assert PinStore(data).check("2580").ok
    assert not (tmp_path / "unused").exists()


@pytest.mark.parametrize(
    ("stdin", "lang", "message"),
    [
        ("1234\n", "de_DE.UTF-8", "Die PIN darf keine durchgehende Zahlenfolge sein"),
        ("12\n", "en_GB.UTF-8", "The PIN must be 4 to 12 digits long."),
        ("12x4\n", "de_DE.UTF-8", "Die PIN darf nur aus Ziffern bestehen."),
        ("", "de_DE.UTF-8", "Abgebrochen; die PIN bleibt unverändert."),
    ],
)
def test_set_pin_from_a_script_refuses_with_one_plain_line(
    tmp_path: Path, stdin: str, lang: str, message: str
) -> None:
    done = set_pin_command(tmp_path, "--stdin", stdin=stdin, lang=lang)
    assert done.returncode == 1
    assert done.stderr.strip() == message or message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not PinStore(tmp_path).is_set


def test_set_pin_where_the_data_dir_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")
    done = set_pin_command(tmp_path, "--data-dir", blocker, "--stdin", stdin="2580\n", lang="C")
    assert done.returncode == 1
    assert done.stderr.startswith("Could not save the PIN")
    assert len(done.stderr.strip().splitlines()) == 1


def test_set_pin_remove(tmp_path: Path) -> None:
    PinStore(tmp_path).set_pin(GOOD_PIN)
    done = set_pin_command(tmp_path, "--remove")
    assert done.returncode == 0
    assert "PIN gelöscht" in done.stdout
    assert not PinStore(tmp_path).is_set
