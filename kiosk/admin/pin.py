"""The staff PIN that opens the admin screen: scrypt-hashed, rate-limited, with no default.

The PIN file holds the salt, the hash and the scrypt parameters, so the cost can be raised in a
later release: a PIN stored with weaker parameters is re-hashed with the current ones the next
time it is entered correctly. Wrong attempts are counted in a second small file, so switching
the kiosk off and on again does not give a guesser a fresh set of tries.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import math
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kiosk.admin import StaffError
from kiosk.store.atomic_storage import fsync_directory, write_file_atomically

__all__ = [
    "FAILURES_FILE_NAME",
    "LOCK_SECONDS",
    "MAX_ATTEMPTS",
    "PIN_FILE_NAME",
    "PinRejected",
    "PinResult",
    "PinStore",
    "ScryptParams",
    "validate_new_pin",
]

PIN_FILE_NAME = "admin-pin.json"
FAILURES_FILE_NAME = "admin-pin-failures.json"
MIN_DIGITS = 4
MAX_DIGITS = 12
MAX_ATTEMPTS = 5
LOCK_SECONDS = 300.0
SALT_BYTES = 16
HASH_BYTES = 32
FILE_FORMAT = 1

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScryptParams:
    """scrypt cost parameters; memory use is about 128 * r * n bytes."""

    n: int = 2**14
    r: int = 8
    p: int = 1

    @property
    def maxmem(self) -> int:
        # OpenSSL refuses anything above 32 MiB unless told; allow what these parameters need.
        return 128 * self.r * (self.n + self.p + 2) + (1 << 20)

    def is_sane(self) -> bool:
        """Whether a stored file may ask for this much work (a tampered file must not hang us)."""
        return (
            2**10 <= self.n <= 2**20
            and self.n & (self.n - 1) == 0
            and 1 <= self.r <= 32
            and 1 <= self.p <= 16
            and 128 * self.r * self.n <= 256 << 20
        )

    def weaker_than(self, other: ScryptParams) -> bool:
        return self.n < other.n or self.r < other.r or self.p < other.p


CURRENT_PARAMS = ScryptParams()


class PinRejected(StaffError):
    """A new PIN that is not accepted; the old PIN (if any) stays."""

    MESSAGES: ClassVar[Mapping[str, Mapping[str, str]]] = {
        "not_digits": {
            "de": "Die PIN darf nur aus Ziffern bestehen.",
            "en": "The PIN may contain digits only.",
        },
        "length": {
            "de": "Die PIN muss {min} bis {max} Ziffern lang sein.",
            "en": "The PIN must be {min} to {max} digits long.",
        },
        "all_same": {
            "de": "Die PIN darf nicht aus lauter gleichen Ziffern bestehen ({example}).",
            "en": "The PIN must not be one digit repeated ({example}).",
        },
        "straight_run": {
            "de": "Die PIN darf keine durchgehende Zahlenfolge sein (wie 1234 oder 4321).",
            "en": "The PIN must not be a straight run of digits (like 1234 or 4321).",
        },
    }


@dataclass(frozen=True)
class PinResult:
    """The outcome of one PIN entry."""

    ok: bool
    locked_seconds_left: int  # whole seconds, rounded up; 0 when not locked
    attempts_left: int  # wrong entries left before the lock

    @property
    def locked(self) -> bool:
        return self.locked_seconds_left > 0


def validate_new_pin(pin: str) -> None:
    """Raise PinRejected unless ``pin`` is 4-12 digits and not trivially guessable."""
    if not (pin.isascii() and pin.isdigit()):
        raise PinRejected("not_digits")
    if not MIN_DIGITS <= len(pin) <= MAX_DIGITS:
        raise PinRejected("length", min=MIN_DIGITS, max=MAX_DIGITS)
    if len(set(pin)) == 1:
        raise PinRejected("all_same", example=pin[0] * 4)
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:], strict=False)}
    # 1234, 4321, and their wrap-arounds 8901 and 2109 (the rows of a keypad read the same way)
    if steps in ({1}, {-1}, {1, -9}, {-1, 9}):
        raise PinRejected("straight_run")


@dataclass(frozen=True)
class _StoredPin:
    params: ScryptParams
    salt: bytes
    digest: bytes


class PinStore:
    """The admin PIN of one kiosk, kept hashed in ``<data_dir>/admin-pin.json``.

    ``clock`` is monotonic seconds; the lock after MAX_ATTEMPTS wrong entries is measured on it.
    Safe to call from several threads; check() takes about as long as one scrypt hash.
    """

    def __init__(self, data_dir: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.data_dir = data_dir
        self.path = data_dir / PIN_FILE_NAME
        self.failures_path = data_dir / FAILURES_FILE_NAME
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: tuple[tuple[int, int, int], _StoredPin | None] | None = None
        self._failures, self._failures_on_disk = self._read_failures()
        self._locked_until: float | None = None
        if self._failures >= MAX_ATTEMPTS:
            # Locked when the power went: the full lock again, from now (the clock restarted).
            self._locked_until = clock() + LOCK_SECONDS

    # ---- state -----------------------------------------------------------------------------
    @property
    def is_set(self) -> bool:
        """Whether a (readable) PIN exists; without one the admin screen cannot be opened."""
        with self._lock:
            return self._stored() is not None

    def status(self) -> PinResult:
        """The lock and the attempts left, without entering a PIN (for the keypad's hint)."""
        with self._lock:
            return self._result(ok=False)

    # ---- changes -----------------------------------------------------------------------------
    def set_pin(self, pin: str) -> None:
        """Store ``pin`` (after validate_new_pin) and clear wrong attempts and any lock."""
        validate_new_pin(pin)
        stored = _hash_new(pin, CURRENT_PARAMS)
        with self._lock:
            self._write_pin(stored)
            self._locked_until = None
            self._set_failures(0)

    def remove(self) -> None:
        """Delete the PIN: the admin screen stays shut until `kiosk set-pin` is run again."""
        with self._lock:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            _fsync_directory_quietly(self.data_dir)
            self._cache = None

    # ---- entry -------------------------------------------------------------------------------
    def check(self, pin: str) -> PinResult:
        """Compare ``pin`` with the stored PIN; refused without hashing while locked."""
        with self._lock:
            if self._lock_left() > 0:
                return self._result(ok=False)
            stored = self._stored()
            if stored is None:
                return self._result(ok=False)
            if self._locked_until is not None:
                # The lock has run out: a fresh set of attempts (persisted with the next entry).
                self._locked_until = None
                self._failures = 0
            if _well_formed(pin):
                digest = _scrypt(pin, stored.salt, stored.params, len(stored.digest))
                ok = hmac.compare_digest(digest, stored.digest)
            else:
                ok = False  # a keypad sends digits only; nothing to hide about the format
            if ok:
                self._set_failures(0)
                if stored.params.weaker_than(CURRENT_PARAMS):
                    self._upgrade(pin)
                return self._result(ok=True)
            self._set_failures(self._failures + 1)
            if self._failures >= MAX_ATTEMPTS:
                self._locked_until = self._clock() + LOCK_SECONDS
                _log.warning("admin PIN entered wrongly %d times: locked", self._failures)
            return self._result(ok=False)

    # ---- internals (called with self._lock held) -----------------------------------------------
    def _lock_left(self) -> float:
        if self._locked_until is None:
            return 0.0
        return max(0.0, self._locked_until - self._clock())

    def _result(self, *, ok: bool) -> PinResult:
        left = self._lock_left()
        attempts = 0 if left > 0 else MAX_ATTEMPTS - (0 if ok else self._failures_now())
        return PinResult(ok=ok, locked_seconds_left=math.ceil(left), attempts_left=attempts)

    def _failures_now(self) -> int:
        # After a lock has run out the next entry starts afresh, even before it resets the count.
        if self._locked_until is not None and self._lock_left() == 0:
            return 0
        return min(self._failures, MAX_ATTEMPTS)

    def _stored(self) -> _StoredPin | None:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            self._cache = None
            return None
        except OSError as exc:
            _log.error("admin PIN file %s cannot be read: %s", self.path, exc)
            return None
        identity = (info.st_ino, info.st_size, info.st_mtime_ns)
        if self._cache is not None and self._cache[0] == identity:
            return self._cache[1]
        stored: _StoredPin | None = None
        try:
            stored = _parse(self.path.read_bytes())
        except (OSError, ValueError) as exc:
            # The admin screen stays shut; `kiosk set-pin` writes a new file.
            _log.error("admin PIN file %s is unusable (%s): no PIN is set", self.path, exc)
        self._cache = (identity, stored)
        return stored

    def _write_pin(self, stored: _StoredPin) -> None:
        data = {
            "format": FILE_FORMAT,
            "kdf": "scrypt",
            "n": stored.params.n,
            "r": stored.params.r,
            "p": stored.params.p,
            "salt": stored.salt.hex(),
            "hash": stored.digest.hex(),
        }
        _write_private(self.path, (json.dumps(data, indent=1) + "\n").encode())
        self._cache = None

    def _upgrade(self, pin: str) -> None:
        try:
            self._write_pin(_hash_new(pin, CURRENT_PARAMS))
        except OSError as exc:
            _log.error("admin PIN could not be re-hashed with stronger parameters: %s", exc)

    def _read_failures(self) -> tuple[int, int | None]:
        """The persisted count of wrong entries, and what the file says (None: no usable file)."""
        try:
            raw = self.failures_path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return 0, 0
        except OSError as exc:
            _log.error(
                "admin PIN attempts file %s unreadable (%s): locked", self.failures_path, exc
            )
            return MAX_ATTEMPTS, None
        try:
            value = json.loads(raw)["failures"]
            if type(value) is not int or value < 0:
                raise ValueError(f"bad failure count {value!r}")
        except (ValueError, KeyError, TypeError) as exc:
            # Fail closed: a broken count must not hand out fresh attempts.
            _log.error("admin PIN attempts file %s unusable (%s): locked", self.failures_path, exc)
            return MAX_ATTEMPTS, None
        return value, value

    def _set_failures(self, failures: int) -> None:
        self._failures = failures
        if failures == self._failures_on_disk:
            return  # a correct PIN after a correct PIN costs no SD card write
        try:
            _write_private(self.failures_path, json.dumps({"failures": failures}).encode())
        except OSError as exc:
            # The count in memory still locks this session.
            _log.error("admin PIN attempts could not be saved: %s", exc)
            return
        self._failures_on_disk = failures


def _well_formed(pin: str) -> bool:
    return pin.isascii() and pin.isdigit() and MIN_DIGITS <= len(pin) <= MAX_DIGITS


def _hash_new(pin: str, params: ScryptParams) -> _StoredPin:
    salt = secrets.token_bytes(SALT_BYTES)
    return _StoredPin(params, salt, _scrypt(pin, salt, params, HASH_BYTES))


def _scrypt(pin: str, salt: bytes, params: ScryptParams, length: int) -> bytes:
    return hashlib.scrypt(
        pin.encode("ascii"),
        salt=salt,
        n=params.n,
        r=params.r,
        p=params.p,
        maxmem=params.maxmem,
        dklen=length,
    )


def _parse(raw: bytes) -> _StoredPin:
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    if data.get("format") != FILE_FORMAT or data.get("kdf") != "scrypt":
        raise ValueError(f"unknown format {data.get('format')!r}/{data.get('kdf')!r}")
    numbers = [data.get(name) for name in ("n", "r", "p")]
    if not all(type(value) is int for value in numbers):
        raise ValueError("scrypt parameters are not whole numbers")
    params = ScryptParams(n=data["n"], r=data["r"], p=data["p"])
    if not params.is_sane():
        raise ValueError(f"scrypt parameters out of range: {params}")
    salt, digest = data.get("salt"), data.get("hash")
    if not isinstance(salt, str) or not isinstance(digest, str):
        raise ValueError("salt or hash missing")
    salt_bytes, digest_bytes = bytes.fromhex(salt), bytes.fromhex(digest)
    if not (8 <= len(salt_bytes) <= 64 and 16 <= len(digest_bytes) <= 64):
        raise ValueError("salt or hash has an implausible length")
    return _StoredPin(params, salt_bytes, digest_bytes)


def _write_private(path: Path, data: bytes) -> None:
    """Write ``path`` atomically, readable by its owner only from the first byte on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temp, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)  # a leftover temp file may have had other bits
        if os.geteuid() == 0:
            # `sudo kiosk set-pin` must leave a file the kiosk user (owner of the folder) can read.
            folder = os.stat(path.parent)
            os.fchown(fd, folder.st_uid, folder.st_gid)
    finally:
        os.close(fd)
    write_file_atomically(path, data, temp=temp)


def _fsync_directory_quietly(directory: Path) -> None:
    try:
        fsync_directory(directory)
    except OSError as exc:
        _log.warning("cannot sync %s: %s", directory, exc)
