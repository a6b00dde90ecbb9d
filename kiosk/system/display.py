"""The screen's schedule and power: dark outside the display hours once nobody uses it. No Kivy.

`DisplayController` is a plain state machine driven by the UI's timer and touches, with the
clock injected. It switches the screen through a `DisplayPower` backend (plyer-style facade):

- `BacklightPower`: the Linux backlight class, /sys/class/backlight/<name>/bl_power (0 = on,
  4 = off). The Raspberry Pi 7" displays: `rpi_backlight` with the old firmware driver,
  `10-0045` / `4-0045` (Touch Display 1) and `11-0045` (Touch Display 2) with KMS. Touch keeps
  working and the compositor does not notice, so this is the first choice.
- `WlopmPower`: `wlopm --off <output>` (wlr-output-power-management, DPMS); the output stays
  in the layout. Raspberry Pi OS's own screen blanking under labwc uses it.
- `WlrRandrPower`: `wlr-randr --output <output> --off` disables the output, which labwc answers
  by dropping the fullscreen state of windows on it; last resort before `NullPower`.
- `NullPower`: nothing to switch; the UI draws black.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from kiosk.content.hours import OpeningSchedule, OpenState
from kiosk.content.model import Settings

log = logging.getLogger("kiosk.system")

BACKLIGHT_ROOT = Path("/sys/class/backlight")
# Names the Wayland output to switch (e.g. HDMI-A-1) when the first DSI output is not the one.
OUTPUT_ENV = "KIOSK_DISPLAY_OUTPUT"
COMMAND_TIMEOUT_SECONDS = 5.0
# A visitor who taps a dark screen twice quickly must not press a button they have not seen.
WAKE_GUARD_SECONDS = 1.0
# bl_power takes the FB_BLANK_* values (Documentation/ABI/stable/sysfs-class-backlight).
_BL_POWER = {True: "0\n", False: "4\n"}
# Checked in this order: a DSI panel is the kiosk's touch screen; DPI panels come next.
_PREFERRED_OUTPUTS = ("DSI-", "DPI-")


class DisplaySchedule:
    """When the screen should be on: an opening hours expression, or always (None).

    Evaluated like the locations' hours (Europe/Berlin, NRW holidays for PH; naive datetimes are
    Berlin wall time). "unknown" rules and open ends ("Sa 10:00+") count as on.
    """

    def __init__(self, on_hours: str | OpeningSchedule | None) -> None:
        if isinstance(on_hours, str):
            on_hours = OpeningSchedule.parse(on_hours)  # raises HoursError
        self._hours = on_hours

    @classmethod
    def from_settings(cls, settings: Settings) -> DisplaySchedule:
        return cls(settings.display.on_hours if settings.display else None)

    @property
    def expression(self) -> str | None:
        return self._hours.expression if self._hours else None

    def is_on_time(self, now: datetime) -> bool:
        return self._hours is None or self._hours.state_at(now) is not OpenState.CLOSED

    def next_change(self, now: datetime) -> datetime | None:
        """When `is_on_time` next flips (within the next two weeks), or None."""
        if self._hours is None:
            return None
        on = self.is_on_time(now)
        moment = now
        # Neighbouring rules can share a state ("open" then "unknown"), so step until it flips.
        for _ in range(8):
            status = self._hours.status(moment)
            if status.state is OpenState.OPEN:
                candidate = status.closes_at
            elif status.state is OpenState.CLOSED:
                candidate = status.next_opening
            else:
                return None
            if candidate is None:
                return None
            if self.is_on_time(candidate) != on:
                return candidate
            moment = candidate
        return None


class DisplayPowerError(Exception):
    """Switching the screen failed; the message says what was tried and why it failed."""


class DisplayPower(Protocol):
    """Switches the physical screen on or off; raises DisplayPowerError when it cannot."""

    @property
    def description(self) -> str:
        """Short, for logs and the admin screen: "backlight rpi_backlight"."""
        ...

    def set_on(self, on: bool) -> None: ...


@dataclass(frozen=True)
class NullPower:
    """Nothing to switch: the UI draws black. `reason` says why no backend was found."""

    reason: str = ""

    @property
    def description(self) -> str:
        return "none: black screen only" + (f" ({self.reason})" if self.reason else "")

    def set_on(self, on: bool) -> None:
        pass


@dataclass(frozen=True)
class BacklightPower:
    """A Linux backlight device folder, e.g. /sys/class/backlight/11-0045."""

    path: Path

    @property
    def description(self) -> str:
        return f"backlight {self.path.name}"

    def set_on(self, on: bool) -> None:
        target = self.path / "bl_power"
        try:
            target.write_text(_BL_POWER[on], encoding="ascii")
        except OSError as exc:
            raise DisplayPowerError(f"cannot write {target}: {exc.strerror or exc}") from exc


@dataclass(frozen=True)
class WlopmPower:
    """`wlopm --on|--off OUTPUT`: display power management; the output keeps its windows."""

    output: str
    command: str = "wlopm"
    environ: Mapping[str, str] | None = field(default=None, compare=False, repr=False)

    @property
    def description(self) -> str:
        return f"wlopm {self.output}"

    def set_on(self, on: bool) -> None:
        _run([self.command, "--on" if on else "--off", self.output], self.environ)


@dataclass(frozen=True)
class WlrRandrPower:
    """`wlr-randr --output OUTPUT --on|--off`: disables the output (labwc, wayfire)."""

    output: str
    command: str = "wlr-randr"
    environ: Mapping[str, str] | None = field(default=None, compare=False, repr=False)

    @property
    def description(self) -> str:
        return f"wlr-randr {self.output}"

    def set_on(self, on: bool) -> None:
        _run([self.command, "--output", self.output, "--on" if on else "--off"], self.environ)


def _run(argv: Sequence[str], environ: Mapping[str, str] | None) -> str:
    try:
        done = subprocess.run(
            list(argv),
            env=dict(environ) if environ is not None else None,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise DisplayPowerError(f"{' '.join(argv)}: {exc}") from exc
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        detail = f": {said[0]}" if said else ""
        raise DisplayPowerError(f"{' '.join(argv)} exited with {done.returncode}{detail}")
    return done.stdout


def backlight_udev_rule() -> str:
    """/etc/udev/rules.d/70-kiosk-backlight.rules: group video may switch every backlight.

    bl_power and brightness belong to root (0644) after every boot; the kiosk user must be in
    group video (`usermod -aG video kiosk`). Apply without reboot with
    `udevadm control --reload && udevadm trigger --subsystem-match=backlight`.
    """
    files = "/sys/class/backlight/%k/bl_power /sys/class/backlight/%k/brightness"
    return (
        "# Let the kiosk (group video) switch the display backlight on and off.\n"
        f'ACTION=="add", SUBSYSTEM=="backlight", RUN+="/bin/chgrp video {files}"\n'
        f'ACTION=="add", SUBSYSTEM=="backlight", RUN+="/bin/chmod g+w {files}"\n'
    )


def detect_display_power(
    environ: Mapping[str, str],
    backlight_root: Path = BACKLIGHT_ROOT,
    which: Callable[[str], str | None] = shutil.which,
) -> DisplayPower:
    """The best way this machine offers to switch the screen; `.description` says which."""
    skipped: list[str] = []
    for device in sorted(backlight_root.iterdir()) if backlight_root.is_dir() else ():
        control = device / "bl_power"
        if not control.is_file():
            continue
        if os.access(control, os.W_OK):
            return BacklightPower(device)
        skipped.append(f"backlight {device.name} not writable: install the udev rule")
    if not environ.get("WAYLAND_DISPLAY"):
        skipped.append("no Wayland session")
        return NullPower("; ".join(skipped))
    wanted = environ.get(OUTPUT_ENV)
    installed = False
    for tool in ("wlopm", "wlr-randr"):
        command = which(tool)
        if command is None:
            continue
        installed = True
        output = wanted or _choose_output(_list_outputs(tool, command, environ))
        if output is None:
            skipped.append(f"{tool} lists no output")
            continue
        if tool == "wlopm":
            return WlopmPower(output, command, environ)
        return WlrRandrPower(output, command, environ)
    if not installed:
        skipped.append("neither wlopm nor wlr-randr is installed")
    return NullPower("; ".join(skipped))


def _list_outputs(tool: str, command: str, environ: Mapping[str, str]) -> list[tuple[str, bool]]:
    """(name, enabled) of every output the compositor reports, in its order."""
    try:
        text = _run([command], environ)
    except DisplayPowerError as exc:
        log.warning("cannot list the screen outputs: %s", exc)
        return []
    outputs: list[tuple[str, bool]] = []
    for line in text.splitlines():
        if tool == "wlopm":
            # One line per output: "DSI-1 on".
            parts = line.split()
            if len(parts) >= 2:
                outputs.append((parts[0], parts[1] == "on"))
        elif line[:1].strip():
            # wlr-randr: 'DSI-1 "make model (DSI-1)"' starts a block of indented details.
            outputs.append((line.split()[0], True))
        elif line.strip().startswith("Enabled:") and outputs:
            outputs[-1] = (outputs[-1][0], line.split(":", 1)[1].strip() == "yes")
    return outputs


def _choose_output(outputs: list[tuple[str, bool]]) -> str | None:
    # The panel first even when it is off: a kiosk that crashed while dark left it so.
    def rank(item: tuple[str, bool]) -> tuple[int, bool]:
        name, enabled = item
        kind = next((i for i, p in enumerate(_PREFERRED_OUTPUTS) if name.startswith(p)), 9)
        return kind, not enabled

    ranked = sorted(outputs, key=rank)
    return ranked[0][0] if ranked else None


class DisplayController:
    """Whether the screen is dark, switched through `power` only when that changes.

    Dark outside the display hours once nobody has touched it for `idle_timeout_seconds`;
    never dark while the clock is not trusted. A touch on a dark screen wakes it and must not
    reach the widget under the finger (`on_touch` returns True), nor may a second touch within
    `wake_guard_seconds`. Call `tick` from a UI timer (about once a second) and `on_touch` on
    every touch down; `close` at exit leaves the screen on.
    """

    def __init__(
        self,
        schedule: DisplaySchedule,
        power: DisplayPower,
        idle_timeout_seconds: float,
        clock_trusted: Callable[[], bool],
        wake_guard_seconds: float = WAKE_GUARD_SECONDS,
    ) -> None:
        self._schedule = schedule
        self._power = power
        self._idle_timeout = float(idle_timeout_seconds)
        self._clock_trusted = clock_trusted
        self._wake_guard = wake_guard_seconds
        self._dark = False
        self._last_touch: float | None = None
        self._woke_at: float | None = None
        self._sent_on: bool | None = None  # what the backend was last asked; None: nothing yet
        self._power_failed = False
        # A kiosk that crashed while dark leaves the screen off: unknown until the first call.
        self._maybe_off = True

    @property
    def is_dark(self) -> bool:
        return self._dark

    @property
    def power_description(self) -> str:
        failed = " (failed: black screen only)" if self._power_failed else ""
        return self._power.description + failed

    def tick(self, now_wall: datetime, now_monotonic: float) -> bool:
        """Re-evaluate; True when the screen went dark or came back on with this tick."""
        if self._last_touch is None:
            # Starting counts as a touch: whoever started the kiosk sees it come up.
            self._last_touch = now_monotonic
        return self._set_dark(self._should_be_dark(now_wall, now_monotonic))

    def on_touch(self, now_monotonic: float) -> bool:
        """A touch down. True: it only woke the screen; the UI must swallow the whole touch."""
        self._last_touch = now_monotonic
        if self._power_failed and self._maybe_off:
            self._retry_on()
        if self._dark:
            self._woke_at = now_monotonic
            self._set_dark(False)
            return True
        return self._woke_at is not None and now_monotonic - self._woke_at < self._wake_guard

    def reconfigure(self, schedule: DisplaySchedule, idle_timeout_seconds: float) -> None:
        """New content brought other hours or another idle timeout; used from the next tick."""
        self._schedule = schedule
        self._idle_timeout = float(idle_timeout_seconds)

    def close(self) -> None:
        """Switch the screen on for good (at exit: a stopped kiosk must not leave it dark)."""
        self._dark = False
        if self._sent_on is not True:
            self._send(True)

    def _should_be_dark(self, now_wall: datetime, now_monotonic: float) -> bool:
        if not self._clock_trusted() or self._schedule.is_on_time(now_wall):
            return False
        assert self._last_touch is not None
        return now_monotonic - self._last_touch >= self._idle_timeout

    def _set_dark(self, dark: bool) -> bool:
        changed = dark != self._dark
        self._dark = dark
        if changed:
            log.info("screen %s", "dark" if dark else "on")
        if self._sent_on is None or self._sent_on == dark:
            self._send(not dark)
        return changed

    def _send(self, on: bool) -> None:
        self._sent_on = on
        if self._power_failed:
            return
        try:
            self._power.set_on(on)
        except Exception as exc:  # the screen must never take the kiosk down
            self._power_failed = True
            self._maybe_off = self._maybe_off or on
            log.warning(
                "switching the screen %s failed (%s); from now on it is only drawn black",
                "on" if on else "off",
                exc,
            )
            return
        self._maybe_off = not on

    def _retry_on(self) -> None:
        # Only on touches, so a broken backend is not called every tick.
        try:
            self._power.set_on(True)
        except Exception:  # already logged once
            return
        self._maybe_off = False
        log.info("the screen could be switched on again with %s", self._power.description)
