"""Configure Kivy for a kiosk before its first import, then run the app."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

log = logging.getLogger("kiosk")


def configure_kivy(*, fullscreen: bool, size: tuple[int, int] | None, keep_input: bool) -> None:
    """Settings that Kivy reads once, at import: they must be set before `import kivy`."""
    # No ~/.kivy/config.ini (the root filesystem may be read-only) and no log files on the SD
    # card: logs go to stderr, which systemd hands to the journal.
    for key in ("KIVY_NO_ARGS", "KIVY_NO_CONFIG", "KIVY_NO_FILELOG"):
        os.environ.setdefault(key, "1")
    from kivy.config import Config

    from kiosk.system.service_unit import display_mode_from_environ, kivy_input_options

    # Kivy opens the root logger to every level; the journal gets INFO and up (no PIL chunk
    # dumps, no urllib3 chatter).
    logging.root.setLevel(logging.INFO)
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "pause_on_minimize", "0")
    Config.set("kivy", "keyboard_mode", "system")
    Config.set("graphics", "multisamples", "0")
    if fullscreen:
        Config.set("graphics", "fullscreen", "auto")
        Config.set("graphics", "show_cursor", "0")
    else:
        Config.set("graphics", "fullscreen", "0")
    if size is not None:
        Config.set("graphics", "width", str(size[0]))
        Config.set("graphics", "height", str(size[1]))
    if not keep_input:
        # Headless runs: no host device may inject touches into the test.
        for provider in list(Config.options("input")):
            Config.remove_option("input", provider)
    elif (mode := display_mode_from_environ()) is not None:
        # Under the service: exactly one input provider, so one tap is one touch (Kivy's
        # suggested mtdev + hidinput, or mouse + probesysfs, deliver every tap twice).
        for provider in list(Config.options("input")):
            Config.remove_option("input", provider)
        for key, value in kivy_input_options(mode).items():
            Config.set("input", key, value)


def launch(
    *,
    content_dir: Path | None,
    data_dir: Path,
    language: str | None,
    fullscreen: bool,
    size: tuple[int, int] | None,
) -> int:
    configure_kivy(fullscreen=fullscreen, size=size, keep_input=True)
    from kiosk.content.problems import ContentError
    from kiosk.ui.services import build_services

    try:
        services = build_services(content_dir, data_dir)
    except (ContentError, OSError) as exc:
        print(f"kiosk: {exc}")
        return 1
    from kivy.clock import Clock

    from kiosk.ui.app import KioskApp
    from kiosk.ui.lockdown import install_stop_signals

    app = KioskApp(services=services, start_language=language)
    # Before the window opens: SDL then leaves SIGTERM to us (see install_stop_signals).
    install_stop_signals(lambda: Clock.schedule_once(lambda _dt: app.stop_kiosk()))
    try:
        app.run()
    finally:
        services.state.usage.flush()
        services.state.close()
    if app.restart_requested:
        # Staff asked for a restart: the same command again, in the same process (systemd
        # keeps watching the same PID, a manual start stays in its terminal).
        log.info("restarting the kiosk")
        os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
    return 0
