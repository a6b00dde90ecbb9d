"""What a kiosk trusts: the office's public keys, the newest verified root, the version floor.

All three are written atomically and fsynced. python-tuf keeps its own metadata copies but
never fsyncs them; if a power cut destroys them, these files still hold the line: the root
bootstraps every update, and the floor refuses any release older than one already accepted.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

from securesystemslib.signer import Key, SSlibKey
from tuf.api.metadata import Metadata, Root
from tuf.api.serialization import DeserializationError

from kiosk.store.atomic_storage import write_file_atomically
from kiosk.updates.keys import load_public_key, short_keyid
from kiosk.updates.layout import DataDirLayout
from kiosk.updates.refusal import UpdateRefused


class TrustStore:
    def __init__(self, layout: DataDirLayout) -> None:
        self.layout = layout

    # ---- keys --------------------------------------------------------------------------------
    def keys(self) -> dict[str, SSlibKey]:
        """The trusted public keys by key id (unreadable files are skipped)."""
        found: dict[str, SSlibKey] = {}
        folder = self.layout.trusted_keys
        if folder.is_dir():
            for path in sorted(folder.glob("*.pub")):
                with contextlib.suppress(ValueError):
                    key = load_public_key(path)
                    found[key.keyid] = key
        return found

    def add_key(self, public_path: Path) -> tuple[str, bool]:
        """Trust the key in `public_path`; returns its key id and whether the root was reset.

        A key the stored root does not know means the office started over with a new key:
        the stored root and python-tuf's cache are dropped so the next import bootstraps from
        the new key. The version floor stays, so old releases remain refused.
        """
        key = load_public_key(public_path)
        self.layout.trusted_keys.mkdir(parents=True, exist_ok=True)
        write_file_atomically(
            self.layout.trusted_keys / f"{key.keyid}.pub", public_path.read_bytes()
        )
        root = self.stored_root()
        reset = root is not None and key.keyid not in root.roles[Root.type].keyids
        if reset:
            self.layout.trusted_root.unlink()
            shutil.rmtree(self.layout.tuf_cache, ignore_errors=True)
        return key.keyid, reset

    # ---- root --------------------------------------------------------------------------------
    def stored_root(self) -> Root | None:
        try:
            return Metadata[Root].from_bytes(self.layout.trusted_root.read_bytes()).signed
        except (OSError, DeserializationError):
            return None

    def bootstrap_root(self, first_root: Callable[[], bytes | None]) -> bytes:
        """The root every update starts from: our stored one, or the release's first root once
        it proves to be signed by trusted keys (what `kiosk trust` set up)."""
        keys = self.keys()
        if not keys:
            raise UpdateRefused("no_trusted_key")
        with contextlib.suppress(OSError):
            stored = self.layout.trusted_root.read_bytes()
            with contextlib.suppress(DeserializationError):
                Metadata[Root].from_bytes(stored)
                return stored
        data = first_root()
        if data is None:
            raise UpdateRefused(
                "not_a_release", source="the release", detail="metadata/1.root.json is missing"
            )
        self.check_signed_by_trusted_keys(data, keys)
        return data

    @staticmethod
    def check_signed_by_trusted_keys(data: bytes, keys: dict[str, SSlibKey]) -> None:
        try:
            metadata = Metadata[Root].from_bytes(data)
        except DeserializationError as exc:
            raise UpdateRefused("metadata_invalid", detail=f"1.root.json: {exc}") from None
        root = metadata.signed
        if not metadata.signatures:
            raise UpdateRefused("unsigned")
        role = root.roles[Root.type]
        # A root could name our key id next to another key's material; compare the material.
        genuine: dict[str, Key] = {
            keyid: root.keys[keyid]
            for keyid in role.keyids
            if keyid in keys and keyid in root.keys and _same_key(root.keys[keyid], keys[keyid])
        }
        result = root.get_verification_result(Root.type, metadata.signed_bytes, metadata.signatures)
        signed_by_trusted = [keyid for keyid in result.signed if keyid in genuine]
        if len(signed_by_trusted) < role.threshold:
            shown = ", ".join(short_keyid(k) for k in metadata.signatures) or "none"
            raise UpdateRefused("untrusted_key", keys=shown)

    def save_root(self, data: bytes) -> None:
        """Keep a newer verified root (after a key rotation in the release)."""
        current = self.stored_root()
        new = Metadata[Root].from_bytes(data).signed
        if current is None or new.version > current.version:
            self.layout.trust.mkdir(parents=True, exist_ok=True)
            write_file_atomically(self.layout.trusted_root, data)

    # ---- version floor -----------------------------------------------------------------------
    def floor(self) -> int:
        """The highest content version this kiosk ever accepted (0 before the first import)."""
        try:
            return int(json.loads(self.layout.version_floor.read_bytes())["version"])
        except (OSError, ValueError, KeyError, TypeError):
            return 0

    def raise_floor(self, version: int) -> None:
        if version > self.floor():
            self.layout.trust.mkdir(parents=True, exist_ok=True)
            write_file_atomically(
                self.layout.version_floor, json.dumps({"version": version}).encode()
            )


def _same_key(a: Key, b: Key) -> bool:
    return (a.keytype, a.scheme, a.keyval) == (b.keytype, b.scheme, b.keyval)
