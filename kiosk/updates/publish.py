"""`kiosk publish`: turn a checked content folder into a signed, versioned release folder.

The release is a TUF repository with consistent snapshots, laid out as plain files:

    OUT/metadata/1.root.json        the office key, valid for years
    OUT/metadata/N.targets.json     every content file with length and SHA-256 (N = version)
    OUT/metadata/N.snapshot.json
    OUT/metadata/timestamp.json     written last: a reader sees the old or the new release
    OUT/targets/<sha256>.<name>     content files, named by their hash

Because files are named by hash, a web server can hold two versions at once (a kiosk in the
middle of a sync never mixes them) and a kiosk fetches only files it does not have yet.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from securesystemslib.signer import Signer
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization import DeserializationError
from tuf.api.serialization.json import JSONSerializer

from kiosk.store.atomic_storage import fsync_directory, write_file_atomically
from kiosk.updates.keys import load_signer, short_keyid
from kiosk.updates.layout import (
    METADATA_DIR,
    PUBLISHED_FIELD,
    TARGETS_DIR,
    hashed_target_path,
    unsafe_path_reason,
)

ROOT_EXPIRY = timedelta(days=5 * 365)
DEFAULT_EXPIRY_DAYS = 365
KEEP_PUBLISHED_VERSIONS = 3
_Role = TypeVar("_Role", Root, Targets, Snapshot, Timestamp)
_HASHED_NAME = re.compile(r"[0-9a-f]{64}\..+")


class PublishError(Exception):
    """Publishing was refused; the output folder is unchanged. `lines` says why, one per line."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = tuple(lines)
        super().__init__("\n".join(self.lines))


@dataclass(frozen=True)
class PublishedRelease:
    out_dir: Path
    version: int
    files: int
    total_bytes: int
    new_files: int
    keyid: str


def content_files(content_dir: Path) -> list[str]:
    """The relative paths a release carries: every regular file, hidden files left out."""
    paths: list[str] = []
    problems: list[str] = []
    for path in sorted(content_dir.rglob("*")):
        relative = path.relative_to(content_dir).as_posix()
        if any(part.startswith(".") for part in relative.split("/")):
            continue  # .DS_Store, .git, editor swap files: never content
        if path.is_symlink():
            problems.append(f"{relative}: is a symbolic link; copy the real file into the folder")
        elif path.is_file():
            reason = unsafe_path_reason(relative)
            if reason:
                problems.append(f"{relative}: file name {reason}; rename the file")
            else:
                paths.append(relative)
        elif not path.is_dir():
            problems.append(f"{relative}: is not a regular file")
    if problems:
        raise PublishError(problems)
    return paths


def publish(
    content_dir: Path,
    key_path: Path,
    out_dir: Path,
    *,
    version: int | None = None,
    expires_days: int = DEFAULT_EXPIRY_DAYS,
    now: datetime | None = None,
    check_content: bool = True,
) -> PublishedRelease:
    """Validate, sign and write a release; PublishError (and nothing written) when refused.

    `check_content=False` exists for tests that need correctly signed invalid content.
    """
    signer = load_signer(key_path)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    if expires_days < 1:
        raise PublishError(["--expires-days must be at least 1"])
    if not content_dir.is_dir():
        raise PublishError([f"{content_dir} is not a folder"])
    if check_content:
        from kiosk.content.validation import validate_folder

        report = validate_folder(content_dir)
        if report.errors:
            raise PublishError(
                [str(problem) for problem in report.errors]
                + [f"{content_dir}: not published; fix the errors above first."]
            )
    paths = content_files(content_dir)
    metadata_dir, targets_dir = out_dir / METADATA_DIR, out_dir / TARGETS_DIR
    root, in_folder = _existing_release(out_dir, signer)
    # Staff publish to several sticks and a server: the key remembers the last version it
    # signed, so a fresh stick does not start again at 1 (which every kiosk would refuse).
    remembered = _last_signed_version(key_path)
    previous_version = max(in_folder, remembered)
    if version is None:
        version = previous_version + 1
    elif version <= previous_version:
        where = f"{out_dir} already holds" if in_folder >= remembered else "this key already signed"
        raise PublishError(
            [
                f"{where} version {previous_version}; kiosks never go back, so the new "
                f"version must be higher (--version {previous_version + 1})."
            ]
        )
    expires = now + timedelta(days=expires_days)

    metadata_dir.mkdir(parents=True, exist_ok=True)
    targets_dir.mkdir(parents=True, exist_ok=True)
    if root is None:
        root = _new_root(signer, now)
        _write_metadata(metadata_dir / "1.root.json", root, signer)

    targets = Targets(version=version, expires=expires)
    targets.unrecognized_fields[PUBLISHED_FIELD] = now.isoformat().replace("+00:00", "Z")
    new_files = total_bytes = 0
    for relative in paths:
        source = content_dir / relative
        info = TargetFile.from_file(relative, str(source), ["sha256"])
        targets.targets[relative] = info
        total_bytes += info.length
        destination = targets_dir / hashed_target_path(relative, info.hashes["sha256"])
        if not destination.exists():
            destination.parent.mkdir(parents=True, exist_ok=True)
            write_file_atomically(destination, source.read_bytes())
            new_files += 1

    _write_metadata(metadata_dir / f"{version}.targets.json", targets, signer)
    snapshot = Snapshot(version=version, expires=expires)
    snapshot.meta["targets.json"] = MetaFile(version=version)
    snapshot_bytes = _write_metadata(metadata_dir / f"{version}.snapshot.json", snapshot, signer)
    timestamp = Timestamp(version=version, expires=expires)
    timestamp.snapshot_meta = MetaFile(
        version=version, length=len(snapshot_bytes), hashes=_sha256(snapshot_bytes)
    )
    # The timestamp is the commit point: until it is replaced, readers see the old release.
    _write_metadata(metadata_dir / "timestamp.json", timestamp, signer)
    _prune(metadata_dir, targets_dir, keep_from=version - KEEP_PUBLISHED_VERSIONS + 1)
    _remember_signed_version(key_path, version)
    return PublishedRelease(
        out_dir=out_dir,
        version=version,
        files=len(paths),
        total_bytes=total_bytes,
        new_files=new_files,
        keyid=signer.public_key.keyid,
    )


def _versions_file(key_path: Path) -> Path:
    return key_path.with_name(f"{key_path.stem}.versions.json")


def _last_signed_version(key_path: Path) -> int:
    try:
        return int(json.loads(_versions_file(key_path).read_bytes())["last_version"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def _remember_signed_version(key_path: Path, version: int) -> None:
    if version <= _last_signed_version(key_path):
        return
    with contextlib.suppress(OSError):  # a key on a read-only medium: the folder still counts
        write_file_atomically(
            _versions_file(key_path), json.dumps({"last_version": version}).encode()
        )


def _new_root(signer: Signer, now: datetime) -> Root:
    """Version 1 of the root: one key for all four roles (a small office has one key)."""
    root = Root(version=1, expires=now + ROOT_EXPIRY, consistent_snapshot=True)
    for role in (Root.type, Targets.type, Snapshot.type, Timestamp.type):
        root.add_key(signer.public_key, role)
    return root


def _existing_release(out_dir: Path, signer: Signer) -> tuple[Root | None, int]:
    """The newest root and version already in `out_dir`, refusing a folder that is not ours."""
    metadata_dir = out_dir / METADATA_DIR
    if not metadata_dir.is_dir():
        if out_dir.is_dir() and any(out_dir.iterdir()):
            raise PublishError(
                [
                    f"{out_dir} is not empty and holds no release; publish into an empty or new "
                    "folder (for a stick: /media/<stick>/kiosk-content)."
                ]
            )
        return None, 0
    roots = sorted(
        (int(path.name.split(".")[0]), path)
        for path in metadata_dir.glob("*.root.json")
        if path.name.split(".")[0].isdigit()
    )
    if not roots:
        raise PublishError([f"{metadata_dir} has no root metadata; use a new output folder"])
    try:
        root_md = Metadata[Root].from_bytes(roots[-1][1].read_bytes())
        timestamp = Metadata[Timestamp].from_bytes((metadata_dir / "timestamp.json").read_bytes())
    except (OSError, DeserializationError) as exc:
        raise PublishError(
            [f"{metadata_dir} is damaged ({exc}); use a new output folder"]
        ) from None
    root = root_md.signed
    keyid = signer.public_key.keyid
    if keyid not in root.roles[Root.type].keyids:
        known = ", ".join(short_keyid(k) for k in root.roles[Root.type].keyids)
        raise PublishError(
            [
                f"{out_dir} was published with another key ({known}), not with this one "
                f"({short_keyid(keyid)}). Use the office key, or a new output folder."
            ]
        )
    return root, timestamp.signed.version


def _write_metadata(path: Path, signed: _Role, signer: Signer) -> bytes:
    metadata = Metadata(signed)
    metadata.sign(signer)
    data = metadata.to_bytes(JSONSerializer(compact=True))
    write_file_atomically(path, data)
    return data


def _sha256(data: bytes) -> dict[str, str]:
    return {"sha256": hashlib.sha256(data).hexdigest()}


def _prune(metadata_dir: Path, targets_dir: Path, *, keep_from: int) -> None:
    """Drop metadata and files only older releases use; the last few stay for kiosks mid-sync."""
    referenced: set[str] = set()
    for path in metadata_dir.glob("*.targets.json"):
        number = path.name.split(".")[0]
        if not number.isdigit():
            continue
        if int(number) < keep_from:
            for stale in (path, metadata_dir / f"{number}.snapshot.json"):
                with contextlib.suppress(FileNotFoundError):
                    stale.unlink()
            continue
        for relative, info in json.loads(path.read_bytes())["signed"]["targets"].items():
            referenced.add(hashed_target_path(relative, info["hashes"]["sha256"]))
    for path in sorted(targets_dir.rglob("*")):
        relative = path.relative_to(targets_dir).as_posix()
        if path.is_file() and _HASHED_NAME.fullmatch(path.name) and relative not in referenced:
            path.unlink()
    for folder in sorted((p for p in targets_dir.rglob("*") if p.is_dir()), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only empty ones go
    fsync_directory(targets_dir)
