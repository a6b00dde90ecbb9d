"""Display schedule, power backends on real files and processes, the controller through a day."""

from __future__ import annotations

import logging
import os
import shutil
import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.content.hours import HoursError
from kiosk.content.loader import EMBEDDED_CONTENT_DIR, load_catalog
from kiosk.system.clock import check_clock
from kiosk.system.display import (
    BacklightPower,
    DisplayController,
    DisplayPower,
    DisplaySchedule,
    NullPower,
    WlopmPower,
    WlrRandrPower,
    backlight_udev_rule,
    detect_display_power,
)

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE_HOURS = "Mo-Fr 07:00-19:00; Sa 08:00-13:00; PH off"
IDLE = 90.0
MONDAY = datetime(2026, 11, 30, tzinfo=BERLIN)  # an ordinary working Monday

WLR_RANDR_LISTING = """\
HDMI-A-1 "Philips Consumer Electronics Company PHL 243V7 (HDMI-A-1)"
  Enabled: no
  Modes:
    1920x1080 px, 60.000000 Hz (preferred)
DSI-1 "(null) (null) (DSI-1)"
  Enabled: yes
  Modes:
    720x1280 px, 60.000000 Hz (preferred, current)
  Position: 0,0
  Transform: 90
  Scale: 1.000000
"""


def at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return day.replace(hour=hour, minute=minute)


# The schedule


def test_schedule_follows_the_office_hours() -> None:
    schedule = DisplaySchedule(OFFICE_HOURS)

    assert not schedule.is_on_time(at(MONDAY, 6, 59))
    assert schedule.is_on_time(at(MONDAY, 7, 0))
    assert schedule.is_on_time(at(MONDAY, 18, 59))
    assert not schedule.is_on_time(at(MONDAY, 19, 0))
    saturday = MONDAY - timedelta(days=2)
    assert schedule.is_on_time(at(saturday, 12, 59))
    assert not schedule.is_on_time(at(saturday, 13, 0))
    assert not schedule.is_on_time(at(MONDAY - timedelta(days=1), 11, 0))  # Sunday


def test_ph_off_covers_nrw_only_holidays() -> None:
    schedule = DisplaySchedule(OFFICE_HOURS)

    assert not schedule.is_on_time(datetime(2026, 6, 4, 10, 0, tzinfo=BERLIN))  # Fronleichnam
    assert not schedule.is_on_time(datetime(2026, 12, 25, 10, 0, tzinfo=BERLIN))
    assert schedule.is_on_time(datetime(2026, 6, 11, 10, 0, tzinfo=BERLIN))


def test_without_hours_the_screen_is_always_on() -> None:
    schedule = DisplaySchedule(None)

    assert schedule.is_on_time(at(MONDAY, 3, 0))
    assert schedule.next_change(at(MONDAY, 3, 0)) is None
    assert schedule.expression is None


def test_next_change() -> None:
    schedule = DisplaySchedule(OFFICE_HOURS)

    assert schedule.next_change(at(MONDAY, 3, 0)) == at(MONDAY, 7, 0)
    assert schedule.next_change(at(MONDAY, 12, 0)) == at(MONDAY, 19, 0)
    saturday_evening = at(MONDAY - timedelta(days=2), 20, 0)
    assert schedule.next_change(saturday_evening) == at(MONDAY, 7, 0)
    # Christmas Eve evening: the 25th and 26th are holidays, Sunday the 27th is closed.
    assert schedule.next_change(datetime(2026, 12, 24, 20, 0, tzinfo=BERLIN)) == datetime(
        2026, 12, 28, 7, 0, tzinfo=BERLIN
    )
    assert DisplaySchedule("24/7").next_change(at(MONDAY, 3, 0)) is None


def test_unknown_counts_as_on() -> None:
    schedule = DisplaySchedule('Mo-Fr 07:00-19:00; Sa 09:00-12:00 unknown "nach Absprache"')

    assert schedule.is_on_time(at(MONDAY - timedelta(days=2), 10, 0))


def test_unreadable_hours_raise() -> None:
    with pytest.raises(HoursError):
        DisplaySchedule("Mo-Fr 7-19")


def test_schedule_from_the_embedded_settings() -> None:
    settings = load_catalog(EMBEDDED_CONTENT_DIR).settings
    assert settings.display is not None

    schedule = DisplaySchedule.from_settings(settings)

    assert schedule.expression == settings.display.on_hours.expression
    assert not schedule.is_on_time(at(MONDAY, 2, 0))
    assert schedule.is_on_time(at(MONDAY, 10, 0))


# Power backends, on files laid out as the kernel does and on real executables


def make_backlight(root: Path, name: str = "11-0045", maximum: int = 31) -> Path:
    """/sys/class/backlight/<name> as a link into /sys/devices, with the class attributes."""
    device = root / "devices" / "platform" / "i2c0mux" / "i2c-11" / name / "backlight" / name
    device.mkdir(parents=True)
    attributes = {
        "actual_brightness": maximum,
        "bl_power": 0,
        "brightness": maximum,
        "max_brightness": maximum,
        "scale": "unknown",
        "type": "raw",
        "uevent": "",
    }
    for attribute, value in attributes.items():
        (device / attribute).write_text(f"{value}\n", encoding="ascii")
    (device / "power").mkdir()
    class_dir = root / "class" / "backlight"
    class_dir.mkdir(parents=True, exist_ok=True)
    (class_dir / name).symlink_to(device, target_is_directory=True)
    return class_dir


def bl_power(class_dir: Path, name: str = "11-0045") -> str:
    return (class_dir / name / "bl_power").read_text(encoding="ascii").strip()


def install_tool(bin_dir: Path, name: str, listing: str, log: Path, fails_if: Path) -> Path:
    """A stand-in for wlr-randr or wlopm: lists outputs without arguments, records the rest."""
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / name
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$#" -eq 0 ]; then\n'
        "  cat <<'LISTING'\n"
        f"{listing}"
        "LISTING\n"
        "  exit 0\n"
        "fi\n"
        f"if [ -e '{fails_if}' ]; then\n"
        "  echo 'failed to apply configuration' >&2\n"
        "  exit 1\n"
        "fi\n"
        f"echo \"$*\" >> '{log}'\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


def broken_wlopm(bin_dir: Path) -> None:
    """wlopm on a compositor without the power-management protocol."""
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "wlopm"
    script.write_text(
        "#!/bin/sh\n"
        "echo 'ERROR: Wayland compositor does not support wlr-output-power-management-v1.' >&2\n"
        "exit 1\n",
        encoding="utf-8",
    )
    script.chmod(0o755)


@pytest.fixture
def wayland(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A Wayland session's environment with tmp_path/bin first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.delenv("KIOSK_DISPLAY_OUTPUT", raising=False)
    return dict(os.environ)


def calls(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def test_backlight_is_found_and_switched(tmp_path: Path) -> None:
    class_dir = make_backlight(tmp_path / "sys")

    power = detect_display_power({}, backlight_root=class_dir)

    assert isinstance(power, BacklightPower)
    assert power.description == "backlight 11-0045"
    power.set_on(False)
    assert bl_power(class_dir) == "4"
    power.set_on(True)
    assert bl_power(class_dir) == "0"
    # Brightness is left alone: staff may have dimmed the panel.
    assert (class_dir / "11-0045" / "brightness").read_text(encoding="ascii").strip() == "31"


def test_the_old_firmware_backlight_is_found_too(tmp_path: Path) -> None:
    class_dir = make_backlight(tmp_path / "sys", name="rpi_backlight", maximum=255)

    power = detect_display_power({"WAYLAND_DISPLAY": "wayland-0"}, backlight_root=class_dir)

    assert power.description == "backlight rpi_backlight"


def test_backlight_wins_over_wayland_tools(tmp_path: Path, wayland: dict[str, str]) -> None:
    class_dir = make_backlight(tmp_path / "sys")
    install_tool(tmp_path / "bin", "wlr-randr", WLR_RANDR_LISTING, tmp_path / "log", tmp_path / "x")

    assert isinstance(detect_display_power(wayland, backlight_root=class_dir), BacklightPower)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write any file")
def test_a_backlight_the_kiosk_may_not_write_is_skipped(tmp_path: Path) -> None:
    class_dir = make_backlight(tmp_path / "sys")
    (class_dir / "11-0045" / "bl_power").chmod(0o444)

    power = detect_display_power({}, backlight_root=class_dir)

    assert isinstance(power, NullPower)
    assert "backlight 11-0045 not writable: install the udev rule" in power.description


def test_wlopm_is_preferred_and_picks_the_dsi_output(
    tmp_path: Path, wayland: dict[str, str]
) -> None:
    log = tmp_path / "calls"
    install_tool(tmp_path / "bin", "wlopm", "HDMI-A-1 on\nDSI-1 on\n", log, tmp_path / "x")
    install_tool(tmp_path / "bin", "wlr-randr", WLR_RANDR_LISTING, log, tmp_path / "x")

    power = detect_display_power(wayland, backlight_root=tmp_path / "no-backlight")

    assert isinstance(power, WlopmPower)
    assert power.description == "wlopm DSI-1"
    power.set_on(False)
    power.set_on(True)
    assert calls(log) == ["--off DSI-1", "--on DSI-1"]


def test_wlr_randr_when_wlopm_cannot_help(tmp_path: Path, wayland: dict[str, str]) -> None:
    log = tmp_path / "calls"
    broken_wlopm(tmp_path / "bin")
    install_tool(tmp_path / "bin", "wlr-randr", WLR_RANDR_LISTING, log, tmp_path / "x")

    power = detect_display_power(wayland, backlight_root=tmp_path / "no-backlight")

    assert isinstance(power, WlrRandrPower)
    assert power.description == "wlr-randr DSI-1"  # enabled, and a DSI panel
    power.set_on(False)
    power.set_on(True)
    assert calls(log) == ["--output DSI-1 --off", "--output DSI-1 --on"]


def test_the_panel_is_chosen_even_when_a_crash_left_it_off(
    tmp_path: Path, wayland: dict[str, str]
) -> None:
    install_tool(
        tmp_path / "bin", "wlopm", "HDMI-A-1 on\nDSI-2 off\n", tmp_path / "log", tmp_path / "x"
    )

    power = detect_display_power(wayland, backlight_root=tmp_path / "no-backlight")

    assert power.description == "wlopm DSI-2"


def test_the_output_can_be_named(tmp_path: Path, wayland: dict[str, str]) -> None:
    install_tool(tmp_path / "bin", "wlr-randr", WLR_RANDR_LISTING, tmp_path / "log", tmp_path / "x")

    power = detect_display_power(
        {**wayland, "KIOSK_DISPLAY_OUTPUT": "HDMI-A-1"}, backlight_root=tmp_path / "none"
    )

    assert power.description == "wlr-randr HDMI-A-1"


def test_nothing_to_switch_means_a_black_screen(tmp_path: Path) -> None:
    power = detect_display_power({}, backlight_root=tmp_path / "none", which=shutil.which)

    assert isinstance(power, NullPower)
    assert power.description.startswith("none: black screen only")
    power.set_on(False)  # does nothing, and does not fail


def test_wayland_without_tools_means_a_black_screen(tmp_path: Path) -> None:
    def nothing_installed(name: str) -> str | None:
        return None

    power = detect_display_power(
        {"WAYLAND_DISPLAY": "wayland-0"}, backlight_root=tmp_path / "none", which=nothing_installed
    )

    assert power.description == (
        "none: black screen only (neither wlopm nor wlr-randr is installed)"
    )


def test_udev_rule_gives_group_video_the_backlight() -> None:
    rule = backlight_udev_rule()

    lines = [line for line in rule.splitlines() if line and not line.startswith("#")]
    assert len(lines) == 2
    for line in lines:
        assert line.startswith('ACTION=="add", SUBSYSTEM=="backlight", RUN+="/bin/')
        assert "/sys/class/backlight/%k/bl_power" in line
    assert "chgrp video" in lines[0]
    assert "chmod g+w" in lines[1]


# The controller through a day


class Clocks:
    """Wall clock and monotonic clock, advanced together by the test."""

    def __init__(self, start: datetime) -> None:
        self.wall = start
        self.mono = 1000.0

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds


def run_until(controller: DisplayController, clocks: Clocks, until: datetime) -> None:
    """Tick every 10 s, as the UI timer would, up to `until`."""
    while clocks.wall < until:
        clocks.advance(min(10.0, (until - clocks.wall).total_seconds()))
        controller.tick(clocks.wall, clocks.mono)


@pytest.fixture
def randr(tmp_path: Path) -> tuple[WlrRandrPower, Path, Path]:
    """wlr-randr as a real executable; its log, and a file whose presence makes it fail."""
    log, broken = tmp_path / "calls", tmp_path / "broken"
    script = install_tool(tmp_path / "bin", "wlr-randr", WLR_RANDR_LISTING, log, broken)
    return WlrRandrPower("DSI-1", command=str(script)), log, broken


def controller_for(
    power: DisplayPower, trusted: Callable[[], bool] = lambda: True
) -> DisplayController:
    return DisplayController(DisplaySchedule(OFFICE_HOURS), power, IDLE, trusted)


def test_a_day_at_the_office(randr: tuple[WlrRandrPower, Path, Path]) -> None:
    power, log, _ = randr
    clocks = Clocks(at(MONDAY, 5, 0))  # the kiosk boots before opening
    controller = controller_for(power)

    controller.tick(clocks.wall, clocks.mono)
    assert not controller.is_dark  # whoever switched it on sees it come up
    assert calls(log) == ["--output DSI-1 --on"]  # a screen left dark by a crash comes back

    run_until(controller, clocks, at(MONDAY, 5, 2))
    assert controller.is_dark  # dark once the idle timeout has passed

    run_until(controller, clocks, at(MONDAY, 6, 0))
    assert calls(log) == ["--output DSI-1 --on", "--output DSI-1 --off"]  # once, not every tick

    assert controller.on_touch(clocks.mono) is True  # only wakes: swallowed
    assert not controller.is_dark
    clocks.advance(5)
    assert controller.on_touch(clocks.mono) is False  # the visitor can see now: it passes
    run_until(controller, clocks, at(MONDAY, 6, 1))
    assert not controller.is_dark  # 55 s after the last touch
    run_until(controller, clocks, at(MONDAY, 6, 2))
    assert controller.is_dark  # the idle timeout has passed again

    run_until(controller, clocks, at(MONDAY, 7, 0))
    assert not controller.is_dark  # opening time
    run_until(controller, clocks, at(MONDAY, 18, 59))
    assert controller.on_touch(clocks.mono) is False  # a visitor shortly before closing
    run_until(controller, clocks, at(MONDAY, 19, 0))
    assert not controller.is_dark  # still in their session
    run_until(controller, clocks, at(MONDAY, 19, 0) + timedelta(seconds=40))
    assert controller.is_dark  # 100 s after their last touch

    run_until(controller, clocks, at(MONDAY, 23, 59))
    assert calls(log) == ["--output DSI-1 --on", "--output DSI-1 --off"] * 3


def test_a_quick_second_tap_is_swallowed_too(randr: tuple[WlrRandrPower, Path, Path]) -> None:
    power, _, _ = randr
    clocks = Clocks(at(MONDAY, 22, 0))
    controller = controller_for(power)
    run_until(controller, clocks, at(MONDAY, 22, 5))
    assert controller.is_dark

    assert controller.on_touch(clocks.mono) is True
    assert controller.on_touch(clocks.mono + 0.4) is True  # tapped twice on a dark screen
    assert controller.on_touch(clocks.mono + 2.0) is False


def test_never_dark_with_an_untrusted_clock(randr: tuple[WlrRandrPower, Path, Path]) -> None:
    power, log, _ = randr
    # After a power cut without network the Pi thinks it is 1970, at night.
    clocks = Clocks(datetime(1970, 1, 1, 1, 0, tzinfo=BERLIN))
    controller = controller_for(power, lambda: check_clock(clocks.wall, None).trusted)

    run_until(controller, clocks, datetime(1970, 1, 1, 3, 0, tzinfo=BERLIN))

    assert not controller.is_dark
    assert calls(log) == ["--output DSI-1 --on"]


def test_dark_once_the_clock_becomes_trustworthy(randr: tuple[WlrRandrPower, Path, Path]) -> None:
    power, log, _ = randr
    published = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    clocks = Clocks(datetime(2026, 11, 13, 23, 0, tzinfo=BERLIN))  # last shutdown time
    controller = controller_for(power, lambda: check_clock(clocks.wall, published).trusted)
    run_until(controller, clocks, datetime(2026, 11, 13, 23, 30, tzinfo=BERLIN))
    assert not controller.is_dark

    clocks.wall = at(MONDAY, 23, 30)  # NTP sets the clock; monotonic time runs on
    run_until(controller, clocks, at(MONDAY, 23, 31))

    assert controller.is_dark
    assert calls(log) == ["--output DSI-1 --on", "--output DSI-1 --off"]


def test_close_leaves_the_screen_on(randr: tuple[WlrRandrPower, Path, Path]) -> None:
    power, log, _ = randr
    clocks = Clocks(at(MONDAY, 22, 0))
    controller = controller_for(power)
    run_until(controller, clocks, at(MONDAY, 22, 5))

    controller.close()

    assert not controller.is_dark
    assert calls(log)[-1] == "--output DSI-1 --on"


def test_new_content_without_hours_switches_the_screen_on(
    randr: tuple[WlrRandrPower, Path, Path],
) -> None:
    power, log, _ = randr
    clocks = Clocks(at(MONDAY, 22, 0))
    controller = controller_for(power)
    run_until(controller, clocks, at(MONDAY, 22, 5))
    assert controller.is_dark

    controller.reconfigure(DisplaySchedule(None), IDLE)
    run_until(controller, clocks, at(MONDAY, 22, 6))

    assert not controller.is_dark
    assert calls(log) == ["--output DSI-1 --on", "--output DSI-1 --off", "--output DSI-1 --on"]


def test_the_backlight_through_a_night(tmp_path: Path) -> None:
    class_dir = make_backlight(tmp_path / "sys")
    clocks = Clocks(at(MONDAY, 20, 0))
    controller = controller_for(detect_display_power({}, backlight_root=class_dir))

    run_until(controller, clocks, at(MONDAY, 20, 5))
    assert bl_power(class_dir) == "4"
    assert controller.on_touch(clocks.mono)
    assert bl_power(class_dir) == "0"


def test_a_failing_backend_is_logged_once_and_never_crashes(
    randr: tuple[WlrRandrPower, Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    power, log, broken = randr
    clocks = Clocks(at(MONDAY, 22, 0))
    controller = controller_for(power)
    run_until(controller, clocks, at(MONDAY, 22, 5))
    assert calls(log) == ["--output DSI-1 --on", "--output DSI-1 --off"]
    broken.touch()

    with caplog.at_level(logging.WARNING, logger="kiosk.system"):
        assert controller.on_touch(clocks.mono)  # waking fails: the screen may still be off
        run_until(controller, clocks, at(MONDAY, 22, 10))
        assert controller.is_dark  # drawn black from now on
        controller.on_touch(clocks.mono)  # tries once more, fails quietly

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "switching the screen on failed" in warnings[0].getMessage()
    assert "failed to apply configuration" in warnings[0].getMessage()
    assert controller.power_description == "wlr-randr DSI-1 (failed: black screen only)"

    broken.unlink()
    clocks.advance(60)
    controller.on_touch(clocks.mono)  # the next touch switches it on after all
    run_until(controller, clocks, at(MONDAY, 22, 20))
    assert calls(log) == ["--output DSI-1 --on", "--output DSI-1 --off", "--output DSI-1 --on"]
