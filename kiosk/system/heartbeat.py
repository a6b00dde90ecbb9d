"""A sign of life from the running app, on tmpfs, for `kiosk status` and monitoring.

Written every HEARTBEAT_SECONDS into the service's runtime directory (/run/..., RAM): it
costs the SD card nothing. Ages are measured on CLOCK_MONOTONIC, which all processes of one
boot share and which does not jump when NTP sets the wall clock of a Pi without RTC.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

HEARTBEAT_FILE = "heartbeat.json"
HEARTBEAT_SECONDS = 15.0
STALE_SECONDS = 90.0  # three missed beats and some: the app is not running (or frozen)
RUNTIME_NAME = "familienbuero-kiosk"


def runtime_dir(environ: Mapping[str, str] = os.environ) -> Path | None:
    """Where the heartbeat lives: the service's RuntimeDirectory, else a per-user one."""
    if environ.get("KIOSK_RUNTIME_DIR"):
        return Path(environ["KIOSK_RUNTIME_DIR"])
    if environ.get("RUNTIME_DIRECTORY"):  # set by systemd for RuntimeDirectory=
        return Path(environ["RUNTIME_DIRECTORY"].split(":")[0])
    system = Path("/run") / RUNTIME_NAME
    if system.is_dir():
        return system
    if environ.get("XDG_RUNTIME_DIR"):
        return Path(environ["XDG_RUNTIME_DIR"]) / RUNTIME_NAME
    return None


def write_heartbeat(folder: Path, facts: Mapping[str, Any]) -> None:
    """Replace the heartbeat file (never fsynced: it lives in RAM and only matters now)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = {"pid": os.getpid(), "monotonic": time.monotonic(), **facts}
    temp = folder / f".{HEARTBEAT_FILE}.{os.getpid()}"
    temp.write_text(json.dumps(data), encoding="utf-8")
    os.chmod(temp, 0o644)  # `kiosk status` may run as another user
    os.replace(temp, folder / HEARTBEAT_FILE)


def read_heartbeat(folder: Path | None) -> dict[str, Any] | None:
    """The last heartbeat with its age in seconds (`age_seconds`), or None when there is none."""
    if folder is None:
        return None
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        data: dict[str, Any] = json.loads((folder / HEARTBEAT_FILE).read_text(encoding="utf-8"))
        data["age_seconds"] = max(0.0, time.monotonic() - float(data["monotonic"]))
        return data
    return None


def rss_mib() -> float | None:
    """Resident memory of this process in MiB (Linux)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
    return None
