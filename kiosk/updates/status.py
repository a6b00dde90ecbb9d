"""What content a kiosk shows and how its last updates went: for `kiosk status` and staff."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from kiosk.updates.history import read_attempts
from kiosk.updates.layout import DataDirLayout
from kiosk.updates.releases import ReleaseStore
from kiosk.updates.trust import TrustStore


def update_status(data_dir: Path, embedded_dir: Path) -> dict[str, Any]:
    layout = DataDirLayout(data_dir)
    store = ReleaseStore(layout.releases)
    trust = TrustStore(layout)
    active = store.active()
    attempts = read_attempts(layout.history)
    return {
        "content_version": active.version if active else None,
        "content_path": str(active.content_dir if active else embedded_dir),
        "content_source": active.source if active else "embedded",
        "content_published": active.published if active else None,
        "content_imported_at": active.imported_at if active else None,
        "releases": [release.version for release in store.complete()],
        "version_floor": trust.floor(),
        "trusted_keys": sorted(trust.keys()),
        "last_attempt": asdict(attempts[0]) if attempts else None,
        "last_success": next((asdict(a) for a in attempts if a.ok), None),
    }


def describe_status(status: dict[str, Any]) -> list[str]:
    """The same for people, one fact a line."""
    lines = []
    if status["content_version"] is None:
        lines.append(f"Content: embedded sample content ({status['content_path']})")
    else:
        lines.append(
            f"Content: version {status['content_version']} from {status['content_source']}, "
            f"published {status['content_published'] or '?'}, "
            f"imported {status['content_imported_at'] or '?'}"
        )
        lines.append(f"Folder: {status['content_path']}")
    kept = ", ".join(str(v) for v in status["releases"]) or "none"
    lines.append(f"Releases kept for fallback: {kept}")
    keys = ", ".join(k[:16] for k in status["trusted_keys"]) or "none (run `kiosk trust`)"
    lines.append(f"Trusted keys: {keys}")
    attempt = status["last_attempt"]
    if attempt is None:
        lines.append("Last update attempt: none")
    else:
        outcome = {
            "activated": f"version {attempt['version']} activated",
            "current": f"already current (version {attempt['version']})",
            "refused": f"REFUSED: {attempt['reason_en']}",
        }.get(attempt["result"], attempt["result"])
        lines.append(
            f"Last update attempt: {attempt['finished']} ({attempt['kind']}, "
            f"{attempt['source']}): {outcome}"
        )
    return lines
