"""Imported releases in the data dir, and the one atomic switch between them.

    updates/releases/00000012/content/...     a complete release: the content folder
    updates/releases/00000012/release.json    its marker, written and fsynced last
    updates/releases/active -> 00000012       the switch: replaced by one rename
    updates/releases/.incoming-*              an import in progress (removed at next start)

A release folder without its marker is a leftover of an interrupted import and never used.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.store.atomic_storage import fsync_directory, write_file_atomically
from kiosk.updates.layout import DataDirLayout
from kiosk.updates.lock import UpdateBusy, update_lock

MARKER = "release.json"
CONTENT = "content"
KEEP_PREVIOUS = 3
_INCOMING, _TRASH, _LINK_TEMP = ".incoming-", ".trash-", ".active-"


@dataclass(frozen=True)
class Release:
    """A complete, verified and validated release in the data dir."""

    version: int
    folder: Path
    files: dict[str, str]  # relative path -> sha256
    source: str
    published: str | None
    imported_at: str

    @property
    def content_dir(self) -> Path:
        return self.folder / CONTENT


def folder_name(version: int) -> str:
    return f"{version:08d}"


class ReleaseStore:
    def __init__(self, releases_dir: Path) -> None:
        self.dir = releases_dir

    @property
    def active_link(self) -> Path:
        return self.dir / "active"

    def read(self, folder: Path) -> Release | None:
        """The release in `folder`, or None when it is incomplete or its marker is unreadable."""
        try:
            data: dict[str, Any] = json.loads((folder / MARKER).read_bytes())
            release = Release(
                version=int(data["version"]),
                folder=folder,
                files={str(k): str(v) for k, v in data["files"].items()},
                source=str(data.get("source", "")),
                published=data.get("published"),
                imported_at=str(data.get("imported_at", "")),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        return release if (folder / CONTENT).is_dir() else None

    def active(self) -> Release | None:
        try:
            name = os.readlink(self.active_link)
        except OSError:
            return None
        if "/" in name:
            return None
        return self.read(self.dir / name)

    def complete(self) -> list[Release]:
        """Every complete release, newest version first."""
        if not self.dir.is_dir():
            return []
        found = [
            release
            for path in self.dir.iterdir()
            if path.name.isdigit() and path.is_dir() and not path.is_symlink()
            if (release := self.read(path)) is not None
        ]
        return sorted(found, key=lambda release: release.version, reverse=True)

    def candidates(self) -> list[Release]:
        """Releases in the order the kiosk tries them at start: active, then newest first."""
        active = self.active()
        rest = [r for r in self.complete() if active is None or r.folder != active.folder]
        return ([active] if active else []) + rest

    def new_staging(self) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        staging = self.dir / f"{_INCOMING}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        (staging / CONTENT).mkdir(parents=True)
        return staging

    def commit(self, staging: Path, marker: dict[str, Any]) -> Release:
        """Make a fully written staging folder a complete release (not yet active)."""
        _fsync_tree(staging / CONTENT)
        write_file_atomically(staging / MARKER, json.dumps(marker, indent=1).encode())
        fsync_directory(staging)
        final = self.dir / folder_name(int(marker["version"]))
        if final.exists():
            # The same version from an earlier import that was cut off before it was switched
            # in, or one staff went back from: the new copy is verified, so it wins.
            trash = self.dir / f"{_TRASH}{uuid.uuid4().hex[:8]}"
            os.rename(final, trash)
            os.rename(staging, final)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.rename(staging, final)
        fsync_directory(self.dir)
        release = self.read(final)
        if release is None:
            raise OSError(f"{final} could not be read back after writing")
        return release

    def activate(self, release: Release) -> None:
        """Switch to `release` with one atomic rename of the `active` link."""
        temp = self.dir / f"{_LINK_TEMP}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        os.symlink(release.folder.name, temp)
        try:
            os.replace(temp, self.active_link)
        except BaseException:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise
        fsync_directory(self.dir)

    def prune(self, keep_previous: int = KEEP_PREVIOUS) -> list[Path]:
        """Delete complete releases beyond the active one and `keep_previous` others."""
        keep = {r.folder for r in self.candidates()[: 1 + keep_previous]}
        removed = []
        for release in self.complete():
            if release.folder not in keep:
                shutil.rmtree(release.folder, ignore_errors=True)
                removed.append(release.folder)
        return removed

    def clean_leftovers(self) -> list[Path]:
        """Remove what interrupted imports left behind. Call only while holding the update lock."""
        if not self.dir.is_dir():
            return []
        removed = []
        for path in self.dir.iterdir():
            leftover = path.name.startswith((_INCOMING, _TRASH, _LINK_TEMP)) or (
                path.name.isdigit() and not path.is_symlink() and self.read(path) is None
            )
            if leftover:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        path.unlink()
                removed.append(path)
        return removed


def _fsync_tree(folder: Path) -> None:
    """fsync every folder below `folder` (files are fsynced as they are written)."""
    for dirpath, _dirs, _files in os.walk(folder):
        fsync_directory(Path(dirpath))


def clean_leftovers(data_dir: Path) -> list[Path]:
    """Remove leftovers of interrupted imports, unless an update is running right now."""
    layout = DataDirLayout(data_dir)
    try:
        with update_lock(layout, timeout=0):
            return ReleaseStore(layout.releases).clean_leftovers()
    except (UpdateBusy, OSError):
        return []
