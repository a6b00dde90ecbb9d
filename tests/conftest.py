"""Kivy must be configured before its first import, for every test module that uses it.

Also shared fixtures: `mount` puts real (tmpfs) USB sticks where the kiosk looks for them.
"""

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

for key in ("KIVY_NO_ARGS", "KIVY_NO_CONFIG", "KIVY_NO_FILELOG", "KIVY_NO_CONSOLELOG"):
    os.environ.setdefault(key, "1")
# Mesa EGL renders offscreen; no X server needed. ("dummy" makes Kivy fall back to X11.)
os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_METRICS_DENSITY", "1")

Mount = Callable[..., Path]


@pytest.fixture
def mount(tmp_path: Path) -> Iterator[Mount]:
    """Mount a real tmpfs as a stick: (relative path, tmpfs options) -> the mount point."""
    mounted: list[Path] = []

    def mount_tmpfs(relative: str, options: str = "size=1m") -> Path:
        point = tmp_path / relative
        point.mkdir(parents=True, exist_ok=True)
        if shutil.which("mount") is None:
            pytest.skip("no mount command")
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "stick", str(point)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount_tmpfs
    for point in reversed(mounted):
        subprocess.run(["umount", str(point)], check=True)
