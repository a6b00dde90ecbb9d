"""The running kiosk's update worker: notices sticks, polls the sync server, reports events.

One background thread does both, so a stick inserted during a network sync simply waits its
turn (and the update lock keeps `kiosk import` from another shell out as well). No Kivy: the
app passes a callback and moves events onto its own thread.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.content.model import SyncTarget
from kiosk.updates.layout import METADATA_DIR, STICK_FOLDER_NAME
from kiosk.updates.refusal import UpdateRefused

if TYPE_CHECKING:
    from kiosk.updates.importer import Source

log = logging.getLogger("kiosk.updates")

MOUNT_ROOTS = (Path("/media"), Path("/run/media"), Path("/mnt"))
STICK_POLL_SECONDS = 2.0
FIRST_SYNC_DELAY = (30.0, 300.0)  # after boot: spread kiosks that came up together
RETRY_BASE_SECONDS = 60.0
RETRY_CAP_SECONDS = 6 * 3600.0


def next_sync_delay(interval_minutes: int, failures: int, rng: random.Random) -> float:
    """Seconds until the next check of the sync server.

    Normally the interval plus up to a tenth more (many kiosks must not ask in step). After
    failures, exponential backoff from one minute, capped at six hours, with "equal jitter":
    a random point in the upper half of the backoff.
    """
    if failures <= 0:
        interval = interval_minutes * 60.0
        return interval + rng.uniform(0, interval / 10)
    backoff = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** (failures - 1))
    return rng.uniform(backoff / 2, backoff)


def find_stick_releases(roots: Iterable[Path] = MOUNT_ROOTS) -> list[Path]:
    """`kiosk-content` folders at the root of mounted media (/media/<stick>,
    /media/<user>/<stick>, /run/media/<user>/<stick>, /mnt/<stick> or /mnt itself)."""
    found: list[Path] = []
    for root in roots:
        for mount in _mount_points(root):
            candidate = mount / STICK_FOLDER_NAME
            with contextlib.suppress(OSError):
                if candidate.is_dir() and (candidate / METADATA_DIR).is_dir():
                    found.append(candidate)
    return found


def mount_points(roots: Iterable[Path] = MOUNT_ROOTS) -> list[Path]:
    """Where removable media may be mounted: each root, its folders and their folders."""
    return [point for root in roots for point in _mount_points(root)]


def _mount_points(root: Path) -> list[Path]:
    points = [root]
    with contextlib.suppress(OSError):
        for child in sorted(root.iterdir()):
            if child.is_dir():
                points.append(child)
                with contextlib.suppress(OSError):
                    points.extend(sorted(p for p in child.iterdir() if p.is_dir()))
    return points


@dataclass(frozen=True)
class UpdateEvent:
    kind: str  # "started", "progress", "activated", "current", "refused"
    source: str  # "usb" or "network"
    label: str = ""
    version: int | None = None
    done: int = 0
    total: int = 0
    message_de: str = ""
    message_en: str = ""
    content_dir: Path | None = None

    @property
    def finished(self) -> bool:
        return self.kind in ("activated", "current", "refused")


class UpdateService:
    def __init__(
        self,
        data_dir: Path,
        on_event: Callable[[UpdateEvent], None],
        *,
        sync: SyncTarget | None = None,
        mount_roots: Iterable[Path] = MOUNT_ROOTS,
        stick_poll_seconds: float = STICK_POLL_SECONDS,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.data_dir = data_dir
        self.on_event = on_event
        self.mount_roots = tuple(mount_roots)
        self.stick_poll_seconds = stick_poll_seconds
        self.rng = rng or random.Random()
        self.clock = clock
        self._sync = sync
        self._sync_failures = 0
        self._next_sync = clock() + self.rng.uniform(*FIRST_SYNC_DELAY)
        self._handled: dict[Path, tuple[int, int]] = {}  # stick folder -> its identity
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- control (any thread) ------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="kiosk-updates", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def set_sync(self, sync: SyncTarget | None) -> None:
        """New content may name another server or interval."""
        if sync != self._sync:
            self._sync = sync
            self._sync_failures = 0
            self._next_sync = self.clock() + self.rng.uniform(*FIRST_SYNC_DELAY)

    def sync_now(self) -> None:
        self._next_sync = self.clock()
        self._wake.set()

    # ---- one round (the worker thread; tests call it directly) ------------------------------
    def check_once(self) -> None:
        self._check_sticks()
        if self._sync is not None and self.clock() >= self._next_sync:
            self._run_sync(self._sync)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.check_once()
            except Exception:  # the worker must outlive any surprise
                log.exception("update check failed")
            self._wake.wait(self.stick_poll_seconds)
            self._wake.clear()

    def _check_sticks(self) -> None:
        present = {}
        for folder in find_stick_releases(self.mount_roots):
            with contextlib.suppress(OSError):
                stamp = (folder / METADATA_DIR / "timestamp.json").stat()
                present[folder] = (stamp.st_dev, stamp.st_mtime_ns)
        # A removed stick is forgotten, so putting it back in imports (or confirms) again.
        self._handled = {k: v for k, v in self._handled.items() if present.get(k) == v}
        for folder, identity in present.items():
            if self._handled.get(folder) != identity:
                self._handled[folder] = identity
                self._import_stick(folder)

    def _import_stick(self, folder: Path) -> None:
        from kiosk.updates.importer import FolderSource, record_refusal

        label = str(folder)
        self.on_event(UpdateEvent("started", "usb", label))
        try:
            source = FolderSource(folder)
        except UpdateRefused as refusal:
            with contextlib.suppress(OSError):
                record_refusal(self.data_dir, label, "usb", refusal)
            self._report_refusal("usb", label, refusal)
            return
        self._update(source, "usb", label)

    def _run_sync(self, target: SyncTarget) -> None:
        from kiosk.updates.importer import HttpSource

        try:
            ok = self._update(HttpSource(target.url), "network", target.url)
        except UpdateRefused as refusal:
            self._report_refusal("network", target.url, refusal)
            ok = False
        self._sync_failures = 0 if ok else self._sync_failures + 1
        delay = next_sync_delay(target.interval_minutes, self._sync_failures, self.rng)
        self._next_sync = self.clock() + delay
        log.info("next sync check in %.0f s", delay)

    def _update(self, source: Source, kind: str, label: str) -> bool:
        from kiosk.updates.importer import update_from
        from kiosk.updates.lock import UpdateBusy

        def progress(done: int, total: int) -> None:
            self.on_event(UpdateEvent("progress", kind, label, done=done, total=total))

        try:
            result = update_from(source, self.data_dir, progress=progress)
        except UpdateRefused as refusal:
            self._report_refusal(kind, label, refusal)
            return refusal.code not in _SOURCE_TROUBLE
        except UpdateBusy:
            log.warning("update of %s skipped: another update held the lock too long", label)
            return False
        except OSError as exc:  # e.g. the data dir itself is unwritable
            log.exception("update from %s failed", label)
            self._report_refusal(kind, label, UpdateRefused("write_failed", detail=str(exc)))
            return False
        self.on_event(
            UpdateEvent(
                result.result,
                kind,
                label,
                version=result.version,
                content_dir=result.release.content_dir,
                message_de=" ".join(w.text("de") for w in result.warnings),
                message_en=" ".join(w.text("en") for w in result.warnings),
            )
        )
        return True

    def _report_refusal(self, kind: str, label: str, refusal: UpdateRefused) -> None:
        log.warning("update from %s refused: %s", label, refusal.text("en"))
        self.on_event(
            UpdateEvent(
                "refused", kind, label, message_de=refusal.text("de"), message_en=refusal.text("en")
            )
        )


# Refusals that say the server or network is unwell (retry with backoff), as opposed to a
# release that is there and wrong (retrying sooner would not help either, but is no load).
_SOURCE_TROUBLE = frozenset({"http_error", "network", "stalled"})
