"""A real X server (Xvfb) for tests that need real input events, and the kiosk as a process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageGrab

from kiosk import PROJECT_DIR

WIDTH, HEIGHT = 800, 480


@pytest.fixture
def x_display() -> Iterator[str]:
    for tool in ("Xvfb", "xdotool"):
        assert shutil.which(tool), f"{tool} is missing: install the xvfb and xdotool packages"
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write_fd),
            "-screen",
            "0",
            f"{WIDTH}x{HEIGHT}x24",
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    try:
        yield f":{number}"
    finally:
        server.kill()
        server.wait()


def grab(display: str) -> Image.Image:
    return ImageGrab.grab(xdisplay=display)


def wait_for(condition, seconds: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def start_kiosk(display: str, data_dir: Path, *extra: str) -> subprocess.Popen[bytes]:
    """`main.py` in a window on `display`, as a visitor would meet it."""
    env = {**os.environ, "DISPLAY": display, "SDL_VIDEODRIVER": "x11"}
    env.pop("KIVY_NO_CONSOLELOG", None)  # its log on stderr, as the journal gets it
    return subprocess.Popen(
        [
            sys.executable,
            "main.py",
            "--windowed",
            "--size",
            f"{WIDTH}x{HEIGHT}",
            "--data-dir",
            str(data_dir),
            *extra,
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def xdotool(display: str, *args: str) -> str:
    env = {**os.environ, "DISPLAY": display}
    return subprocess.run(
        ["xdotool", *args], env=env, capture_output=True, text=True, check=False
    ).stdout


def kiosk_window(display: str, app: subprocess.Popen[bytes]) -> str:
    """The X window id of the kiosk process, once it is shown."""
    found = wait_for(
        lambda: xdotool(display, "search", "--onlyvisible", "--pid", str(app.pid)).split(),
        30,
        "the kiosk window",
    )
    return str(found[0])
