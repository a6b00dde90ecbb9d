"""Verify a published release (stick folder or web server) and activate it, or refuse it.

One path for both sources: python-tuf's ngclient verifies the metadata (signatures, versions,
expiry, lengths and hashes of the metadata files); then every content file is copied into a
new release folder while it is hashed, checked against the signed hash, validated like
`kiosk validate`, fsynced, marked complete and switched in by one rename. Anything that goes
wrong raises UpdateRefused and leaves the active content as it was.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from tuf.api import exceptions
from tuf.api.metadata import Metadata, Root, Targets
from tuf.api.serialization import DeserializationError
from tuf.ngclient import Updater, UpdaterConfig
from tuf.ngclient.fetcher import FetcherInterface

from kiosk.updates.fetchers import FOLDER_SCHEME, FolderFetcher, HttpFetcher, UnsafeFileError
from kiosk.updates.history import Attempt, record_attempt
from kiosk.updates.layout import (
    METADATA_DIR,
    PUBLISHED_FIELD,
    STICK_FOLDER_NAME,
    DataDirLayout,
    hashed_target_path,
    unsafe_path_reason,
)
from kiosk.updates.lock import update_lock
from kiosk.updates.refusal import Notice, UpdateRefused
from kiosk.updates.releases import CONTENT, Release, ReleaseStore
from kiosk.updates.revert import withdrawn_version
from kiosk.updates.trust import TrustStore

# (bytes done, bytes total): total is known once the signed file list is verified
Progress = Callable[[int, int], None]
SPACE_MARGIN_BYTES = 20 << 20


@dataclass(frozen=True)
class Limits:
    max_total_bytes: int = 512 << 20
    max_files: int = 5000


@dataclass(frozen=True)
class UpdateResult:
    result: str  # "activated" or "current"
    version: int
    release: Release
    bytes_transferred: int = 0
    files_fetched: int = 0
    files_reused: int = 0
    warnings: list[Notice] = field(default_factory=list)


class Source(Protocol):
    label: str
    kind: str
    metadata_url: str
    targets_url: str

    def fetcher(self) -> FetcherInterface: ...

    def bytes_transferred(self) -> int: ...


class FolderSource:
    """A published folder, e.g. /media/usb/kiosk-content (or the stick root holding one)."""

    kind = "usb"
    metadata_url = f"{FOLDER_SCHEME}{METADATA_DIR}/"
    targets_url = f"{FOLDER_SCHEME}targets/"

    def __init__(self, path: Path) -> None:
        path = Path(os.path.abspath(path))
        self.label = str(path)
        if path.is_symlink():
            raise UpdateRefused("not_regular_file", path=str(path), what="symlink")
        if path.is_file():
            if zipfile.is_zipfile(path) or path.suffix.lower() in (".zip", ".tar", ".gz", ".7z"):
                raise UpdateRefused("archive", source=str(path))
            raise UpdateRefused("not_a_release", source=str(path), detail="it is a file")
        if not (path / METADATA_DIR).is_dir() and (path / STICK_FOLDER_NAME).is_dir():
            path = path / STICK_FOLDER_NAME  # staff pointed at the stick, not the folder
        if not path.is_dir():
            raise UpdateRefused("not_a_release", source=str(path), detail="no such folder")
        if not (path / METADATA_DIR / "timestamp.json").exists():
            archives = sorted(p.name for p in path.glob("*.zip"))
            if archives:
                raise UpdateRefused("archive", source=str(path / archives[0]))
            raise UpdateRefused(
                "not_a_release", source=str(path), detail="metadata/timestamp.json is missing"
            )
        self.path = path
        self.label = str(path)
        self._fetcher = FolderFetcher(path)

    def fetcher(self) -> FetcherInterface:
        return self._fetcher

    def bytes_transferred(self) -> int:
        return self._fetcher.bytes_read


class HttpSource:
    """A published folder on a static web server."""

    kind = "network"

    def __init__(self, url: str, fetcher: HttpFetcher | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UpdateRefused("not_a_release", source=url, detail="not an http(s) address")
        base = url if url.endswith("/") else url + "/"
        self.label = url
        self.metadata_url = base + METADATA_DIR + "/"
        self.targets_url = base + "targets/"
        self._fetcher = fetcher or HttpFetcher()

    def fetcher(self) -> FetcherInterface:
        return self._fetcher

    def bytes_transferred(self) -> int:
        return self._fetcher.bytes_received


def update_from(
    source: Source,
    data_dir: Path,
    *,
    progress: Progress | None = None,
    limits: Limits = Limits(),
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    lock_timeout: float | None = 1800.0,
    on_wait: Callable[[], None] | None = None,
) -> UpdateResult:
    """Verify and activate the release at `source`; UpdateRefused (recorded) when refused."""
    layout = DataDirLayout(data_dir)
    started = now()
    with update_lock(layout, timeout=lock_timeout, on_wait=on_wait):
        store = ReleaseStore(layout.releases)
        store.clean_leftovers()

        def record(
            refusal: UpdateRefused | None = None, result: UpdateResult | None = None
        ) -> None:
            _record(
                layout,
                source.label,
                source.kind,
                started,
                now(),
                refusal=refusal,
                result=result,
                bytes_transferred=source.bytes_transferred(),
            )

        try:
            result = _Update(source, layout, store, limits, now, progress).run()
        except UpdateRefused as refusal:
            record(refusal=refusal)
            raise
        record(result=result)
        return result


def record_refusal(data_dir: Path, label: str, kind: str, refusal: UpdateRefused) -> None:
    """Record a source refused before it could be read (an archive, not a release folder)."""
    moment = datetime.now(UTC)
    _record(DataDirLayout(data_dir), label, kind, moment, moment, refusal=refusal)


def _record(
    layout: DataDirLayout,
    label: str,
    kind: str,
    started: datetime,
    finished: datetime,
    *,
    refusal: UpdateRefused | None = None,
    result: UpdateResult | None = None,
    bytes_transferred: int = 0,
) -> None:
    attempt = Attempt(
        source=label,
        kind=kind,
        started=started.isoformat(timespec="seconds"),
        finished=finished.isoformat(timespec="seconds"),
        result=result.result if result else "refused",
        version=result.version if result else None,
        reason_code=refusal.code if refusal else None,
        reason=refusal.text("de") if refusal else None,
        reason_en=refusal.text("en") if refusal else None,
        bytes_transferred=bytes_transferred,
    )
    with contextlib.suppress(OSError):  # a full disk must not hide the real outcome
        record_attempt(layout.history, attempt)


class _Update:
    def __init__(
        self,
        source: Source,
        layout: DataDirLayout,
        store: ReleaseStore,
        limits: Limits,
        now: Callable[[], datetime],
        progress: Progress | None,
    ) -> None:
        self.source = source
        self.layout = layout
        self.store = store
        self.trust = TrustStore(layout)
        self.limits = limits
        self.now = now
        self.progress = progress or (lambda _done, _total: None)
        self.fetcher = source.fetcher()

    def run(self) -> UpdateResult:
        bootstrap = self.trust.bootstrap_root(self._first_root)
        current = self._unchanged_since_last_check()
        if current is not None:
            return current
        self.layout.tuf_cache.mkdir(parents=True, exist_ok=True)
        updater = Updater(
            metadata_dir=str(self.layout.tuf_cache),
            metadata_base_url=self.source.metadata_url,
            target_base_url=self.source.targets_url,
            fetcher=self.fetcher,
            config=UpdaterConfig(
                max_root_rotations=32,
                snapshot_max_length=64 << 10,
                targets_max_length=4 << 20,
                app_user_agent="familienbuero-kiosk",
            ),
            bootstrap=bootstrap,
        )
        try:
            updater.refresh()
        except (exceptions.RepositoryError, exceptions.DownloadError) as exc:
            raise self._refusal(exc, updater) from exc
        # ngclient has no public call for "every target"; the verified set is what we need.
        trusted = updater._trusted_set
        targets: Targets = trusted.targets
        return self._activate(targets, trusted.root)

    # ---- steps -------------------------------------------------------------------------------
    def _first_root(self) -> bytes | None:
        try:
            return self.fetcher.download_bytes(self.source.metadata_url + "1.root.json", 512_000)
        except exceptions.DownloadHTTPError as exc:
            if exc.status_code == 404:
                return None
            raise self._refusal(exc, None) from exc
        except exceptions.DownloadError as exc:
            raise self._refusal(exc, None) from exc

    def _remote_timestamp(self) -> bytes:
        return self.fetcher.download_bytes(self.source.metadata_url + "timestamp.json", 16384)

    def _unchanged_since_last_check(self) -> UpdateResult | None:
        """An unchanged source costs one small request: its timestamp equals the one we hold."""
        active = self.store.active()
        try:
            cached = (self.layout.tuf_cache / "timestamp.json").read_bytes()
            version = Metadata.from_bytes(cached).signed.version
        except (OSError, DeserializationError):
            return None
        if active is None or active.version != version:
            return None
        try:
            remote = self._remote_timestamp()
        except exceptions.DownloadError as exc:
            raise self._refusal(exc, None) from exc
        if remote != cached:
            return None
        return UpdateResult("current", active.version, active, self.source.bytes_transferred())

    def _activate(self, targets: Targets, root: Root) -> UpdateResult:
        version = targets.version
        floor = max([self.trust.floor()] + [r.version for r in self.store.complete()])
        active = self.store.active()
        files = {path: info.hashes.get("sha256", "") for path, info in targets.targets.items()}
        if active is not None and active.version == version:
            if active.files == files:
                return UpdateResult("current", version, active, self.source.bytes_transferred())
            raise UpdateRefused("same_version_differs", version=version, next=floor + 1)
        if version < floor:
            raise UpdateRefused("rollback", version=version, floor=floor)
        if active is not None and version <= withdrawn_version(self.layout):
            # Staff went back from this version on the admin screen: it stays withdrawn.
            return UpdateResult(
                "current",
                active.version,
                active,
                self.source.bytes_transferred(),
                warnings=[Notice("withdrawn", {"version": version})],
            )
        self._check_file_list(targets)
        warnings = self._clock_warnings(targets)
        staging = self.store.new_staging()
        try:
            fetched, reused = self._copy_files(targets, staging / CONTENT)
            self._validate(staging / CONTENT)
            marker = {
                "version": version,
                "files": files,
                "source": self.source.label,
                "published": targets.unrecognized_fields.get(PUBLISHED_FIELD),
                "imported_at": self.now().isoformat(timespec="seconds"),
            }
            release = self.store.commit(staging, marker)
            self.trust.raise_floor(version)
            self.store.activate(release)
        except OSError as exc:
            raise UpdateRefused("write_failed", detail=str(exc)) from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self._keep_root(root)
        self.store.prune()
        return UpdateResult(
            "activated",
            version,
            release,
            bytes_transferred=self.source.bytes_transferred(),
            files_fetched=fetched,
            files_reused=reused,
            warnings=warnings,
        )

    def _check_file_list(self, targets: Targets) -> None:
        count = len(targets.targets)
        if count > self.limits.max_files:
            raise UpdateRefused("too_many_files", count=count, limit=self.limits.max_files)
        total = sum(info.length for info in targets.targets.values())
        if total > self.limits.max_total_bytes:
            raise UpdateRefused(
                "too_large", size=_mb(total), limit=_mb(self.limits.max_total_bytes)
            )
        for path, info in targets.targets.items():
            reason = unsafe_path_reason(path)
            if reason or "sha256" not in info.hashes:
                raise UpdateRefused("unsafe_path", path=path)
        self.layout.releases.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(self.layout.releases).free
        if free < total + SPACE_MARGIN_BYTES:
            raise UpdateRefused("no_space", need=_mb(total + SPACE_MARGIN_BYTES), free=_mb(free))

    def _clock_warnings(self, targets: Targets) -> list[Notice]:
        """A clock behind the publish date (a Pi without RTC that booted into 1970) does not stop
        a correctly signed release, but staff should set the clock."""
        published = targets.unrecognized_fields.get(PUBLISHED_FIELD)
        if not isinstance(published, str):
            return []
        with contextlib.suppress(ValueError):
            when = datetime.fromisoformat(published.replace("Z", "+00:00"))
            clock = self.now()
            if clock < when:
                shown = {"clock": f"{clock:%Y-%m-%d %H:%M}", "published": f"{when:%Y-%m-%d %H:%M}"}
                return [Notice("clock_behind", shown)]
        return []

    def _copy_files(self, targets: Targets, content: Path) -> tuple[int, int]:
        """Copy every signed file into `content`, hashing as it is written; reuse local copies."""
        have = self._local_files_by_hash()
        total = sum(info.length for info in targets.targets.values())
        done = fetched = reused = 0
        self.progress(0, total)
        for path, info in sorted(targets.targets.items()):
            sha256 = info.hashes["sha256"]
            destination = content / path
            destination.parent.mkdir(parents=True, exist_ok=True)
            local = have.get(sha256)
            if local is not None and _link_or_copy(local, destination, info.length):
                reused += 1
            else:
                url = self.source.targets_url + hashed_target_path(path, sha256)
                self._download(url, path, info.length, sha256, destination)
                fetched += 1
            done += info.length
            self.progress(done, total)
        return fetched, reused

    def _local_files_by_hash(self) -> dict[str, Path]:
        have: dict[str, Path] = {}
        for release in self.store.complete():
            for path, sha256 in release.files.items():
                have.setdefault(sha256, release.content_dir / path)
        return have

    def _download(self, url: str, path: str, length: int, sha256: str, destination: Path) -> None:
        digest = hashlib.sha256()
        received = 0
        fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        with os.fdopen(fd, "wb") as handle:
            try:
                for chunk in self.fetcher.fetch(url):
                    received += len(chunk)
                    if received > length:
                        raise UpdateRefused("file_too_large", path=path, length=length)
                    digest.update(chunk)
                    handle.write(chunk)
            except UnsafeFileError as exc:  # named by the content path, not the hashed name
                raise UpdateRefused("not_regular_file", path=path, what=exc.what) from exc
            except exceptions.DownloadHTTPError as exc:
                if exc.status_code == 404:
                    raise UpdateRefused("file_missing", path=path) from exc
                raise self._refusal(exc, None) from exc
            except exceptions.DownloadError as exc:
                raise self._refusal(exc, None) from exc
            # The copy is what we check and keep: the source is never read a second time.
            if received != length or digest.hexdigest() != sha256:
                raise UpdateRefused("file_mismatch", path=path)
            handle.flush()
            os.fsync(handle.fileno())

    def _validate(self, content: Path) -> None:
        from kiosk.content.validation import validate_folder

        report = validate_folder(content)
        if report.errors:
            more = len(report.errors) - 1
            text = str(report.errors[0]) + (f" (+{more} more)" if more else "")
            raise UpdateRefused("content_invalid", problem=text)

    def _keep_root(self, root: Root) -> None:
        """Store the verified root when the release rotated to a newer one."""
        with contextlib.suppress(OSError, DeserializationError):
            data = (self.layout.tuf_cache / "root.json").read_bytes()
            if Metadata[Root].from_bytes(data).signed == root:
                self.trust.save_root(data)

    # ---- reasons -----------------------------------------------------------------------------
    def _refusal(self, exc: Exception, updater: Updater | None) -> UpdateRefused:
        if isinstance(exc, UnsafeFileError):
            return UpdateRefused("not_regular_file", path=exc.path, what=exc.what)
        if isinstance(exc, exceptions.DownloadHTTPError):
            if exc.status_code == 404 and self.source.kind == "usb":
                return UpdateRefused("file_missing", path=_name_in(str(exc)))
            return UpdateRefused("http_error", status=exc.status_code, url=self.source.label)
        if isinstance(exc, exceptions.DownloadLengthMismatchError):
            # a signature file larger than any real one: the endless-data attack
            return UpdateRefused("metadata_invalid", detail=str(exc))
        if isinstance(exc, exceptions.SlowRetrievalError):
            return UpdateRefused("stalled", detail=str(exc) or "no data")
        if isinstance(exc, exceptions.DownloadError):
            cause = exc.__cause__ or exc
            return UpdateRefused("network", detail=str(cause))
        if isinstance(exc, exceptions.UnsignedMetadataError):
            return self._signature_refusal(str(exc))
        if isinstance(exc, exceptions.ExpiredMetadataError):
            return UpdateRefused(
                "expired",
                expires=self._expiry(updater),
                clock=self.now().strftime("%Y-%m-%d %H:%M"),
            )
        if isinstance(exc, exceptions.BadVersionNumberError):
            older = re.search(r"(?:timestamp|snapshot) version (?:must be >= )?(\d+)", str(exc))
            if "must be >=" in str(exc):
                version = older[1] if older else "?"
                return UpdateRefused("rollback", version=version, floor=self.trust.floor())
            return UpdateRefused("mix", detail=str(exc))
        if isinstance(exc, exceptions.LengthOrHashMismatchError):
            return UpdateRefused("mix", detail=str(exc))
        if isinstance(exc, DeserializationError):
            return UpdateRefused("metadata_invalid", detail=str(exc))
        return UpdateRefused("metadata_invalid", detail=str(exc))

    def _signature_refusal(self, detail: str) -> UpdateRefused:
        """Unsigned, signed by a stranger, or tampered: tell which, from the signatures present."""
        try:
            raw = self._remote_timestamp()
            keyids = [s.get("keyid", "") for s in json.loads(raw).get("signatures", [])]
        except (exceptions.DownloadError, ValueError, AttributeError):
            return UpdateRefused("bad_signature", detail=detail)
        if not keyids:
            return UpdateRefused("unsigned")
        trusted = self.trust.keys()
        if not any(keyid in trusted for keyid in keyids):
            return UpdateRefused("untrusted_key", keys=", ".join(k[:16] for k in keyids))
        return UpdateRefused("bad_signature", detail=detail)

    @staticmethod
    def _expiry(updater: Updater | None) -> str:
        """The earliest expiry among the roles loaded so far (the one that failed is loaded)."""
        if updater is None:
            return "?"
        trusted = updater._trusted_set
        dates = [trusted[r].expires for r in ("timestamp", "snapshot", "targets") if r in trusted]
        return f"{min(dates):%Y-%m-%d}" if dates else "?"


def _link_or_copy(source: Path, destination: Path, length: int) -> bool:
    """Reuse a file of an earlier release: a hard link (no bytes written), else a copy."""
    try:
        if source.stat().st_size != length:
            return False
        os.link(source, destination)
        return True
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            return False
    try:
        shutil.copyfile(source, destination)
        return True
    except OSError:
        return False


def _name_in(message: str) -> str:
    return message.removesuffix(" not found")


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f}"
