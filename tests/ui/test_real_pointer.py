"""A real pointer click (xdotool, Xvfb) on a topic tile of `main.py` shows a readable QR."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import zxingcpp

from .driver import KioskDriver
from .xserver import HEIGHT, WIDTH, grab, kiosk_window, start_kiosk, wait_for, x_display

pytestmark = pytest.mark.ui
__all__ = ["x_display"]  # the fixture


def test_a_real_click_on_a_topic_tile_shows_a_qr_code_a_phone_can_read(
    kiosk: KioskDriver, x_display: str, tmp_path: Path
) -> None:
    # Where the tile is, from the same layout at the same size (found by id, not guessed).
    kiosk.resize(WIDTH, HEIGHT)
    topic = kiosk.app.services.catalog.topic("kinderbetreuung")
    tile = kiosk.find(lambda w: getattr(w, "topic_id", None) == topic.id)
    x, y = tile.to_window(*tile.center)
    click_x, click_y = int(x), int(HEIGHT - y)  # X11 counts rows from the top

    env = {**os.environ, "DISPLAY": x_display}
    app = start_kiosk(x_display, tmp_path / "data")
    try:
        window = kiosk_window(x_display, app)
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
