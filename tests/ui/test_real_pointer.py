"""A real pointer click (xdotool, Xvfb) on a topic tile of `main.py` shows a readable QR."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageGrab

from kiosk import PROJECT_DIR

from .driver import KioskDriver

pytestmark = pytest.mark.ui
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


def test_a_real_click_on_a_topic_tile_shows_a_qr_code_a_phone_can_read(
    kiosk: KioskDriver, x_display: str, tmp_path: Path
) -> None:
    # Where the tile is, from the same layout at the same size (found by id, not guessed).
    kiosk.resize(WIDTH, HEIGHT)
    topic = kiosk.app.services.catalog.topic("kinderbetreuung")
    tile = kiosk.find(lambda w: getattr(w, "topic_id", None) == topic.id)
    x, y = tile.to_window(*tile.center)
    click_x, click_y = int(x), int(HEIGHT - y)  # X11 counts rows from the top

    env = {**os.environ, "DISPLAY": x_display, "SDL_VIDEODRIVER": "x11"}
    app = subprocess.Popen(
        [
            sys.executable,
            "main.py",
            "--windowed",
            "--size",
            f"{WIDTH}x{HEIGHT}",
            "--data-dir",
            str(tmp_path / "data"),
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        window = wait_for(
            lambda: subprocess.run(
                ["xdotool", "search", "--onlyvisible", "--pid", str(app.pid)],
                env=env,
                capture_output=True,
                text=True,
            ).stdout.split(),
            30,
            "the kiosk window",
        )[0]
        # The home screen is drawn when the tile's colour is at the click point.
        home_colour = kiosk.screenshot().getpixel((click_x, click_y - 40))
        geometry = subprocess.run(
            ["xdotool", "getwindowgeometry", "--shell", window],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        origin = dict(line.split("=") for line in geometry.split())
        left, top = int(origin["X"]), int(origin["Y"])
        wait_for(
            lambda: grab(x_display).getpixel((left + click_x, top + click_y - 40)) == home_colour,
            30,
            "the home screen",
        )
        assert zxingcpp.read_barcodes(grab(x_display)) == []

        subprocess.run(
            ["xdotool", "mousemove", str(left + click_x), str(top + click_y), "click", "1"],
            env=env,
            check=True,
        )
        codes = wait_for(
            lambda: [r.text for r in zxingcpp.read_barcodes(grab(x_display)) if r.valid],
            20,
            "a QR code on screen",
        )
        assert codes == [topic.booking_url]
        assert codes[0].startswith("https://")
    finally:
        app.kill()
        _, errors = app.communicate(timeout=10)
    assert b"Traceback" not in errors, errors.decode(errors="replace")[-2000:]
