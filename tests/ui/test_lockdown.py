"""Lockdown: keys and close requests do not end the kiosk; errors take the visitor Home."""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import signal
import time
from pathlib import Path

import pytest
from kivy.base import EventLoop, ExceptionManager
from kivy.clock import Clock
from kivy.core.window import Window

from .driver import KioskDriver
from .xserver import grab, kiosk_window, start_kiosk, wait_for, x_display, xdotool

pytestmark = pytest.mark.ui
__all__ = ["x_display"]  # the fixture

CLIENT_MESSAGE = 33


class _ClientMessage(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class _XEvent(ctypes.Union):
    _fields_ = [("xclient", _ClientMessage), ("pad", ctypes.c_long * 24)]


def request_close(display: str, window: int) -> None:
    """What a window manager sends for Alt+F4 or the close button: WM_DELETE_WINDOW."""
    library = ctypes.util.find_library("X11")
    assert library, "libX11 is missing (it comes with the xvfb and xdotool packages)"
    xlib = ctypes.cdll.LoadLibrary(library)
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XInternAtom.restype = ctypes.c_ulong
    xlib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    xlib.XSendEvent.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_int,
        ctypes.c_long,
        ctypes.POINTER(_XEvent),
    ]
    xlib.XFlush.argtypes = [ctypes.c_void_p]
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    connection = xlib.XOpenDisplay(display.encode())
    assert connection, f"cannot open X display {display}"
    try:
        event = _XEvent()
        event.xclient.type = CLIENT_MESSAGE
        event.xclient.window = window
        event.xclient.message_type = xlib.XInternAtom(connection, b"WM_PROTOCOLS", 0)
        event.xclient.format = 32
        event.xclient.data[0] = xlib.XInternAtom(connection, b"WM_DELETE_WINDOW", 0)
        assert xlib.XSendEvent(connection, window, 0, 0, ctypes.byref(event))
        xlib.XFlush(connection)
    finally:
        xlib.XCloseDisplay(connection)


def test_keys_and_close_requests_do_not_end_the_kiosk_but_stopping_the_service_does(
    x_display: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    app = start_kiosk(x_display, data_dir)
    try:
        window = kiosk_window(x_display, app)
        xdotool(x_display, "windowfocus", "--sync", window)
        home = wait_for(lambda: _settled(x_display), 30, "the home screen to be drawn")

        for keys in ("Escape", "F1", "ctrl+q", "ctrl+w", "alt+F4", "F1"):
            xdotool(x_display, "key", "--window", window, keys)
        request_close(x_display, int(window))
        request_close(x_display, int(window))
        time.sleep(2)  # several frames: a quit or a settings panel would have happened

        assert app.poll() is None, "the kiosk ended"
        assert grab(x_display).tobytes() == home.tobytes(), "something other than Home shows"

        # `systemctl stop`: SIGTERM ends the kiosk cleanly and saves the usage counts.
        app.send_signal(signal.SIGTERM)
        assert app.wait(timeout=20) == 0
    finally:
        if app.poll() is None:
            app.kill()
        _, errors = app.communicate(timeout=10)
    log = errors.decode(errors="replace")
    assert "Traceback" not in log, log[-2000:]
    assert "close request" in log and "refused" in log
    state = json.loads((data_dir / "state.json").read_text())
    assert any(doc["key"] == "home" for doc in state["usage"].values())


def _settled(display: str):  # type: ignore[no-untyped-def]
    """The screen, once two grabs a moment apart are the same (the first frames are done)."""
    first = grab(display)
    time.sleep(0.5)
    second = grab(display)
    return second if first.tobytes() == second.tobytes() and second.getbbox() else None


def frame_like_the_main_loop() -> None:
    """One frame with Kivy's own error handling, as `EventLoop.mainloop` does it."""
    try:
        EventLoop.idle()
    except BaseException as error:
        if ExceptionManager.handle_exception(error) == ExceptionManager.RAISE:
            raise


def test_an_error_in_a_screen_is_logged_and_the_visitor_is_taken_home(
    kiosk: KioskDriver, caplog: pytest.LogCaptureFixture
) -> None:
    kiosk.tap(kiosk.find(lambda w: getattr(w, "topic_id", None) == "kinderbetreuung"))
    assert kiosk.app.manager.current == "topic"

    def broken_button(_dt: float) -> None:
        raise RuntimeError("a bug in a screen")

    Clock.schedule_once(broken_button)
    with caplog.at_level("ERROR", logger="kiosk"):
        frame_like_the_main_loop()
        frame_like_the_main_loop()
    assert kiosk.app.manager.current == "home"
    assert "a bug in a screen" in caplog.text
    # The kiosk goes on: the next tap works.
    kiosk.tap(kiosk.find(lambda w: getattr(w, "topic_id", None) == "familie-beruf"))
    assert kiosk.app.manager.current == "topic"


def test_a_burst_of_errors_that_home_does_not_cure_ends_the_kiosk_for_a_restart(
    kiosk: KioskDriver,
) -> None:
    def broken_every_frame(_dt: float) -> None:
        raise RuntimeError("broken on every frame")

    frames = 0
    with pytest.raises(RuntimeError, match="broken on every frame"):
        for frames in range(1, 51):  # noqa: B007 (counted for the check below)
            Clock.schedule_once(broken_every_frame)
            frame_like_the_main_loop()
    assert frames == 20  # MAX_ERRORS: Home did not help, so the process ends for systemd


def test_f1_and_escape_show_nothing_and_keep_the_screen(kiosk: KioskDriver) -> None:
    kiosk.tap(kiosk.find(lambda w: getattr(w, "topic_id", None) == "kinderbetreuung"))
    children_before = list(Window.children)
    for key, modifiers in ((282, []), (27, []), (113, ["ctrl"]), (285, ["alt"])):
        Window.dispatch("on_keyboard", key, 0, "", modifiers)
        kiosk.frames(2)
    assert list(Window.children) == children_before
    assert kiosk.app.manager.current == "topic"
    assert Window.dispatch("on_request_close") is True
