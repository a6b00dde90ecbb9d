"""Load a content folder into a Catalog: all of it, validated, or nothing."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

from kiosk import PROJECT_DIR, __version__
from kiosk.content.model import Catalog
from kiosk.content.parse import build_catalog
from kiosk.content.problems import ContentError

EMBEDDED_CONTENT_DIR = PROJECT_DIR / "content"
SCHEMA_DIR = Path(__file__).resolve().parent / "schema"

log = logging.getLogger("kiosk")


def content_fingerprint(folder: Path) -> str:
    """A digest that changes when any file of the folder, a schema or the kiosk version does."""
    digest = hashlib.sha256(f"kiosk {__version__}\0".encode())
    for base, paths in ((SCHEMA_DIR, SCHEMA_DIR.glob("*.json")), (folder, folder.rglob("*"))):
        for path in sorted(p for p in paths if p.is_file()):
            data = path.read_bytes()
            relative = path.relative_to(base).as_posix()
            digest.update(f"{relative}\0{len(data)}\0".encode())
            digest.update(data)
    return digest.hexdigest()


def load_catalog(
    folder: Path,
    *,
    trusted_fingerprint: str | None = None,
    on_validated: Callable[[str], None] | None = None,
) -> Catalog:
    """The folder's content, or ContentError listing every problem; never a partial catalog.

    Validation runs unless the folder's fingerprint equals `trusted_fingerprint`, one that
    passed validation before: the kiosk boots with unchanged content for months, and a Pi
    needs seconds to re-check large content. `on_validated` receives the fingerprint of
    content that just passed, for the next start.
    """
    fingerprint = None
    if trusted_fingerprint is not None or on_validated is not None:
        fingerprint = content_fingerprint(folder)
    if fingerprint is not None and fingerprint == trusted_fingerprint:
        try:
            return build_catalog(folder)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # The files changed between hashing and reading: check them properly.
            log.warning("validated content changed while loading (%s); validating again", exc)
    from kiosk.content.validation import validate_folder  # jsonschema: ~60 ms of imports

    report = validate_folder(folder)
    if report.catalog is None:
        raise ContentError(str(folder), report.problems)
    if on_validated is not None and fingerprint is not None:
        on_validated(fingerprint)
    return report.catalog
