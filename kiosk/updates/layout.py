"""Where things are: in a published release folder and in the kiosk's data dir."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# A published release (what `kiosk publish` writes and a stick or web server carries).
METADATA_DIR = "metadata"
TARGETS_DIR = "targets"
STICK_FOLDER_NAME = "kiosk-content"
PUBLISHED_FIELD = "x-kiosk-published"

# Names must survive FAT sticks, web servers and ext4 with a 65-character hash prefix.
_COMPONENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,150}")
MAX_PATH_DEPTH = 4


def unsafe_path_reason(path: str) -> str | None:
    """Why `path` may not name a file of a release, or None when it is a plain relative path."""
    if not path or path.startswith("/") or "\\" in path:
        return "not a plain relative path"
    parts = path.split("/")
    if len(parts) > MAX_PATH_DEPTH:
        return f"more than {MAX_PATH_DEPTH} folders deep"
    for part in parts:
        if part in ("", ".", ".."):
            return 'contains an empty, "." or ".." part'
        if not _COMPONENT.fullmatch(part):
            return f'"{part}" has characters other than letters, digits, "_", ".", "+", "-"'
    return None


def hashed_target_path(path: str, sha256: str) -> str:
    """The file name under targets/: the content hash before the name (TUF consistent snapshot)."""
    folder, slash, name = path.rpartition("/")
    return f"{folder}{slash}{sha256}.{name}"


@dataclass(frozen=True)
class DataDirLayout:
    """The kiosk's writable data dir. Everything about updates lives below `updates/`."""

    root: Path

    @property
    def updates(self) -> Path:
        return self.root / "updates"

    @property
    def trust(self) -> Path:
        return self.updates / "trust"

    @property
    def trusted_keys(self) -> Path:
        return self.trust / "keys"

    @property
    def trusted_root(self) -> Path:
        """Our fsynced copy of the newest verified TUF root: the bootstrap of every update."""
        return self.trust / "root.json"

    @property
    def version_floor(self) -> Path:
        return self.trust / "floor.json"

    @property
    def tuf_cache(self) -> Path:
        """python-tuf's own metadata folder (not fsynced by it; we never rely on it alone)."""
        return self.updates / "tuf"

    @property
    def releases(self) -> Path:
        return self.updates / "releases"

    @property
    def active_link(self) -> Path:
        return self.releases / "active"

    @property
    def withdrawn(self) -> Path:
        """The newest version staff went back from: it and older ones are not re-activated."""
        return self.updates / "withdrawn.json"

    @property
    def history(self) -> Path:
        return self.updates / "history.json"

    @property
    def lock(self) -> Path:
        return self.updates / "lock"
