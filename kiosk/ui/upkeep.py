"""What keeps a kiosk in shape for months: the clock check, the display schedule, signs of
life for systemd and `kiosk status`, and the optional usage report. Wired by the app."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.graphics import Color, Rectangle
from kivy.uix.widget import Widget

from kiosk.idle import IdleTimer
from kiosk.system.clock import ClockCheck, check_clock, parse_published
from kiosk.system.display import (
    DisplayController,
    DisplayPower,
    DisplaySchedule,
    detect_display_power,
)
from kiosk.system.heartbeat import HEARTBEAT_SECONDS, rss_mib, runtime_dir, write_heartbeat
from kiosk.system.notify import SystemdNotifier, watchdog_interval
from kiosk.ui.services import KioskServices

log = logging.getLogger("kiosk")
DISPLAY_POLL_SECONDS = 1.0
REPORT_POLL_SECONDS = 3600.0  # the report covers whole days; once an hour finds a new one


class Upkeep:
    """Timers on the main loop, so a frozen UI stops the watchdog and systemd restarts it."""

    def __init__(
        self,
        services: KioskServices,
        idle: IdleTimer,
        *,
        on_trust_change: Callable[[], None],
        runtime: Path | None = None,
        display_power: DisplayPower | None = None,
    ) -> None:
        self.services = services
        self.idle = idle
        self.on_trust_change = on_trust_change
        self.notifier = SystemdNotifier.from_environ()
        self.runtime = runtime if runtime is not None else runtime_dir()
        self._heartbeat_failed = False
        # No real-time clock on a Pi: "open now" and the display schedule need a plausible one.
        self.clock_check: ClockCheck = self._check_clock()
        power = display_power if display_power is not None else detect_display_power(os.environ)
        log.info("display power: %s", power.description)
        self.display = DisplayController(
            DisplaySchedule.from_settings(services.catalog.settings),
            power,
            self._dark_after_seconds(),
            clock_trusted=lambda: self.clock_check.trusted,
        )
        self.blackout = Widget()  # drawn over everything while the screen is dark
        with self.blackout.canvas:
            Color(0, 0, 0, 1)
            self._blackout_rect = Rectangle(size=Window.size)

    def start(self) -> list[Any]:
        """The timers, for the app to cancel at stop."""
        return [
            Clock.schedule_interval(lambda _dt: self.poll_display(), DISPLAY_POLL_SECONDS),
            Clock.schedule_once(lambda _dt: self._ready(), 0),
            Clock.schedule_interval(lambda _dt: self._beat(), self._beat_seconds()),
            Clock.schedule_interval(lambda _dt: self.send_report(), REPORT_POLL_SECONDS),
        ]

    def stop(self) -> None:
        self.display.close()
        self._show_blackout(False)
        if self.notifier is not None:
            self.notifier.stopping()

    # ---- clock and display ------------------------------------------------------------------
    @property
    def clock_trusted(self) -> bool:
        return self.clock_check.trusted

    def content_changed(self) -> None:
        """New content: another publish date, maybe other hours or another idle timeout."""
        self.clock_check = self._check_clock()
        schedule = DisplaySchedule.from_settings(self.services.catalog.settings)
        self.display.reconfigure(schedule, self._dark_after_seconds())

    def on_touch(self) -> bool:
        """True: the touch only woke the dark screen and must press nothing."""
        if self.display.on_touch(self.idle.clock()):
            self._show_blackout(self.display.is_dark)
            return True
        return False

    def poll_display(self) -> None:
        check = self._check_clock()
        if check.state != self.clock_check.state:
            log.warning("clock: %s", check.message_en)
            changed_trust = check.trusted != self.clock_check.trusted
            self.clock_check = check
            if changed_trust:
                self.on_trust_change()  # "open now" comes or goes
        if self.display.tick(self.services.now(), self.idle.clock()):
            self._show_blackout(self.display.is_dark)

    def fact_lines(self, language: str) -> list[str]:
        """Clock and screen, for the admin screen."""
        de = language == "de"
        clock = self.clock_check.message_de if de else self.clock_check.message_en
        screen = self.display.power_description
        hours = DisplaySchedule.from_settings(self.services.catalog.settings).expression
        if de:
            state = "aus" if self.display.is_dark else "an"
            return [f"Uhr: {clock}", f"Bildschirm: {state} ({hours or 'immer an'}; {screen})"]
        state = "off" if self.display.is_dark else "on"
        return [f"Clock: {clock}", f"Screen: {state} ({hours or 'always on'}; {screen})"]

    def _check_clock(self) -> ClockCheck:
        release = self.services.release
        published = parse_published(release.published if release else None)
        return check_clock(self.services.now(), published)

    def _dark_after_seconds(self) -> float:
        # Dark only once a visitor would have been reset: never in the middle of a visit.
        return self.idle.timeout + self.idle.countdown

    def _show_blackout(self, dark: bool) -> None:
        shown = self.blackout.parent is not None
        if dark and not shown:
            self._blackout_rect.size = Window.size
            Window.add_widget(self.blackout)
        elif not dark and shown:
            Window.remove_widget(self.blackout)

    # ---- signs of life ----------------------------------------------------------------------
    def _beat_seconds(self) -> float:
        watchdog = watchdog_interval()
        return min(HEARTBEAT_SECONDS, watchdog) if watchdog else HEARTBEAT_SECONDS

    def _ready(self) -> None:
        if self.notifier is not None:
            self.notifier.ready()
        self._beat()

    def _beat(self) -> None:
        if self.notifier is not None:
            self.notifier.heartbeat()
        if self.runtime is None:
            return
        release = self.services.release
        try:
            write_heartbeat(
                self.runtime,
                {
                    "content_version": release.version if release else None,
                    "rss_mib": rss_mib(),
                    "in_session": self.idle.in_session,
                    "clock_trusted": self.clock_check.trusted,
                    "display_dark": self.display.is_dark,
                },
            )
        except OSError:
            if not self._heartbeat_failed:  # once: tmpfs trouble must not flood the journal
                log.exception("cannot write the heartbeat to %s", self.runtime)
            self._heartbeat_failed = True

    # ---- usage report -----------------------------------------------------------------------
    def send_report(self) -> None:
        """The optional daily usage report, in a worker (the network may hang)."""
        sync = self.services.catalog.settings.sync
        if sync is None or not sync.report_url or not self.clock_check.trusted:
            return  # no target, or no idea which day it is
        state, url, release = self.services.state, sync.report_url, self.services.release
        today = self.services.now().date()

        def work() -> None:
            from kiosk.admin.report import ReportError, send_report_if_due

            try:
                sent = send_report_if_due(
                    state, url, content_version=release.version if release else None, today=today
                )
            except ReportError as error:
                log.warning("usage report not sent: %s", error.text("en"))
            except OSError:
                log.exception("usage report not sent")
            else:
                if sent is not None:
                    log.info("usage report sent up to %s", sent)

        threading.Thread(target=work, name="usage-report", daemon=True).start()
