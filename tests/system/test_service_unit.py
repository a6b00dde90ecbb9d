"""The systemd files for both display modes, written to a temp root and checked by the real
`systemd-analyze verify` (Debian package: systemd)."""

from __future__ import annotations

import argparse
import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.system.service_unit import (
    AUTOSTART_ENTRY,
    BACKLIGHT_RULE,
    JOURNALD_DROPIN,
    SYSTEM_UNIT,
    UDEV_RULE,
    USB_MOUNT_HELPER,
    USER_UNIT,
    ServiceConfig,
    add_install_service_parser,
    cmd_install_service,
    display_mode_from_environ,
    install_service,
    kivy_input_options,
    render_journald_dropin,
    render_unit,
)

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_systemd_analyze = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None,
    reason="systemd-analyze is missing: apt-get install systemd",
)
# A real executable, so `verify` can check ExecStart: this venv's kiosk script.
KIOSK_SCRIPT = Path(os.path.abspath(sys.executable)).parent / "kiosk"


def parse_unit(text: str) -> dict[str, list[tuple[str, str]]]:
    """Sections of a unit file as (key, value) lists: keys like Environment= repeat."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        key, _, value = line.partition("=")
        current.append((key, value))
    return sections


def values(section: list[tuple[str, str]], key: str) -> list[str]:
    return [value for found, value in section if found == key]


def one(section: list[tuple[str, str]], key: str) -> str:
    found = values(section, key)
    assert len(found) == 1, f"{key}= appears {len(found)} times"
    return found[0]


def environment(section: list[tuple[str, str]]) -> dict[str, str]:
    return dict(entry.split("=", 1) for entry in values(section, "Environment"))


def verify(unit: Path, *, user: bool, tmp_path: Path) -> None:
    """Run the real `systemd-analyze verify`; it must accept the unit without a word about it."""
    assert SYSTEMD_ANALYZE is not None
    command = [SYSTEMD_ANALYZE, *(["--user"] if user else []), "verify", str(unit)]
    env = dict(os.environ)
    if user:
        runtime = tmp_path / "xdg-runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        env["XDG_RUNTIME_DIR"] = str(runtime)  # the user manager needs one to load units
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    complaints = [line for line in output.splitlines() if unit.name in line]
    assert complaints == [], output


@pytest.fixture
def kms(tmp_path: Path) -> tuple[Path, ServiceConfig]:
    config = ServiceConfig(mode="kms", exec_start=KIOSK_SCRIPT, rotation=90)
    root = tmp_path / "root"
    install_service(config, root)
    return root, config


@pytest.fixture
def wayland(tmp_path: Path) -> tuple[Path, ServiceConfig]:
    config = ServiceConfig(mode="wayland", user="pi", exec_start=KIOSK_SCRIPT)
    root = tmp_path / "root"
    install_service(config, root)
    return root, config


@needs_systemd_analyze
def test_kms_unit_passes_systemd_analyze(kms: tuple[Path, ServiceConfig], tmp_path: Path) -> None:
    root, _config = kms
    verify(root / SYSTEM_UNIT, user=False, tmp_path=tmp_path)


@needs_systemd_analyze
def test_wayland_user_unit_passes_systemd_analyze(
    wayland: tuple[Path, ServiceConfig], tmp_path: Path
) -> None:
    root, _config = wayland
    verify(root / USER_UNIT, user=True, tmp_path=tmp_path)


def test_kms_unit_supervises_and_confines_the_kiosk(kms: tuple[Path, ServiceConfig]) -> None:
    root, config = kms
    unit = parse_unit((root / SYSTEM_UNIT).read_text(encoding="utf-8"))
    service, head = unit["Service"], unit["Unit"]

    # Supervision: ready after the first frame, heartbeats, restarts forever.
    assert one(service, "Type") == "notify"
    assert one(service, "NotifyAccess") == "main"
    assert one(service, "WatchdogSec") == "30"
    assert one(service, "Restart") == "always"
    assert one(service, "RestartSec") == "2s"
    assert one(head, "StartLimitIntervalSec") == "0"
    assert one(service, "ExecStart") == f"{KIOSK_SCRIPT} run --data-dir {config.data_dir}"

    # The display and the touchscreen, on tty1, as an unprivileged user.
    assert one(service, "User") == "kiosk"
    assert one(service, "SupplementaryGroups").split() == ["video", "render", "input"]
    assert one(head, "Conflicts") == "getty@tty1.service"
    assert "systemd-user-sessions.service" in one(head, "After").split()
    env = environment(service)
    assert env["SDL_VIDEODRIVER"] == "kmsdrm"
    assert env["KIOSK_DATA_DIR"] == str(config.data_dir)
    assert env["KIOSK_DISPLAY_MODE"] == "kms"
    assert env["KCFG_GRAPHICS_ROTATION"] == "90"
    assert env["LANG"] == "de_DE.UTF-8"
    assert env["KIVY_HOME"].startswith("%t/familienbuero-kiosk/")
    assert one(service, "RuntimeDirectory") == "familienbuero-kiosk"

    # Read-only root: the data dir is the one writable place (plus mounted sticks).
    assert one(service, "ProtectSystem") == "strict"
    writable = values(service, "ReadWritePaths")
    assert writable[0] == str(config.data_dir)
    assert writable[1:] == ["-/media -/run/media -/mnt"]
    assert one(service, "StateDirectory") == "familienbuero-kiosk"
    assert one(service, "PrivateTmp") == "yes"
    assert one(service, "NoNewPrivileges") == "yes"
    assert one(service, "ProtectHome") == "read-only"
    assert one(unit["Install"], "WantedBy") == "multi-user.target"


def test_wayland_unit_uses_only_what_user_units_can(
    wayland: tuple[Path, ServiceConfig],
) -> None:
    root, config = wayland
    unit = parse_unit((root / USER_UNIT).read_text(encoding="utf-8"))
    service, head = unit["Service"], unit["Unit"]
    assert one(service, "Type") == "notify"
    assert one(service, "WatchdogSec") == "30"
    assert one(service, "Restart") == "always"
    assert one(head, "StartLimitIntervalSec") == "0"
    assert one(head, "ConditionUser") == "pi"
    # A user manager cannot switch users or groups; StateDirectory= would mean ~/.local/state;
    # a private /tmp would hide Xwayland's socket.
    for key in ("User", "SupplementaryGroups", "StateDirectory", "PrivateTmp", "Conflicts"):
        assert values(service, key) == [] and values(head, key) == [], key
    env = environment(service)
    assert env["SDL_VIDEODRIVER"] == "wayland,x11"
    assert env["KIOSK_DISPLAY_MODE"] == "wayland"
    assert values(service, "ReadWritePaths")[0] == str(config.data_dir)
    assert one(unit["Install"], "WantedBy") == "graphical-session.target"

    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read_string((root / AUTOSTART_ENTRY).read_text(encoding="utf-8"))
    command = entry["Desktop Entry"]["Exec"]
    assert "import-environment WAYLAND_DISPLAY DISPLAY" in command
    assert "start familienbuero-kiosk.service" in command
    assert not (root / UDEV_RULE).exists()  # the desktop mounts sticks itself


def test_journal_is_bounded(kms: tuple[Path, ServiceConfig]) -> None:
    root, _config = kms
    parser = configparser.ConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((root / JOURNALD_DROPIN).read_text(encoding="utf-8"))
    journal = parser["Journal"]
    assert journal["SystemMaxUse"] == "64M"
    assert journal["RuntimeMaxUse"] == "16M"
    assert journal["MaxRetentionSec"] == "1month"
    assert (root / JOURNALD_DROPIN).read_text(encoding="utf-8") == render_journald_dropin()


def test_usb_sticks_are_mounted_writable_for_the_kiosk(kms: tuple[Path, ServiceConfig]) -> None:
    root, _config = kms
    rule = (root / UDEV_RULE).read_text(encoding="utf-8")
    assert 'ACTION=="add"' in rule and 'SUBSYSTEMS=="usb"' in rule
    assert 'ENV{ID_FS_USAGE}=="filesystem"' in rule
    assert f"/{USB_MOUNT_HELPER} $devnode %k $env{{ID_FS_TYPE}}" in rule

    helper = root / USB_MOUNT_HELPER
    assert os.access(helper, os.X_OK)
    subprocess.run(["sh", "-n", str(helper)], check=True)  # the real shell parses it
    text = helper.read_text(encoding="utf-8")
    assert "systemd-mount --no-block --automount=no --collect" in text
    assert '"/media/kiosk-usb-$name"' in text  # where the kiosk looks: one level under /media
    assert 'uid=$(id -u "$user")' in text and "user=kiosk" in text
    assert "nosuid,nodev,noexec" in text


def test_switching_modes_leaves_one_service(tmp_path: Path) -> None:
    root = tmp_path / "root"
    install_service(ServiceConfig(mode="kms", exec_start=KIOSK_SCRIPT), root)
    written = install_service(
        ServiceConfig(mode="wayland", user="pi", exec_start=KIOSK_SCRIPT), root
    )
    assert not (root / SYSTEM_UNIT).exists()
    assert not (root / UDEV_RULE).exists() and not (root / USB_MOUNT_HELPER).exists()
    expected = (USER_UNIT, JOURNALD_DROPIN, BACKLIGHT_RULE, AUTOSTART_ENTRY)
    assert sorted(written) == sorted(root / p for p in expected)

    install_service(ServiceConfig(mode="kms", exec_start=KIOSK_SCRIPT), root)
    assert not (root / USER_UNIT).exists() and not (root / AUTOSTART_ENTRY).exists()
    assert (root / SYSTEM_UNIT).exists()
    assert (root / BACKLIGHT_RULE).exists() and (root / JOURNALD_DROPIN).exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"rotation": 45},
        {"mode": "x11"},
        {"data_dir": Path("relative/dir")},
        {"data_dir": Path("/var/lib/with space")},
        {"exec_start": Path("/opt/kiosk%i/bin/kiosk")},  # a systemd specifier
        {"user": "Kiosk User"},
        {"watchdog_seconds": 1},
    ],
)
def test_bad_configs_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ServiceConfig(**changes)  # type: ignore[arg-type]


def test_one_input_provider_per_mode() -> None:
    """Kivy's Linux default (mouse + probesysfs) gives two touches per tap: exactly one."""
    assert kivy_input_options("kms") == {"touchscreen": "probesysfs,provider=mtdev"}
    assert kivy_input_options("wayland") == {"mouse": "mouse,disable_multitouch"}
    assert display_mode_from_environ({"KIOSK_DISPLAY_MODE": "kms"}) == "kms"
    assert display_mode_from_environ({"KIOSK_DISPLAY_MODE": "wayland"}) == "wayland"
    assert display_mode_from_environ({}) is None
    assert display_mode_from_environ({"KIOSK_DISPLAY_MODE": "x11"}) is None


def command_line(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="kiosk")
    add_install_service_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["install-service", *argv])


def test_install_service_command_into_a_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    staged_script = root / "opt/familienbuero-kiosk/bin/kiosk"
    args = command_line(
        "--root",
        str(root),
        "--rotation",
        "180",
        "--exec-start",
        str(staged_script),
    )
    assert cmd_install_service(args) == 0
    unit = parse_unit((root / SYSTEM_UNIT).read_text(encoding="utf-8"))
    # The unit names the program where it will be on the real system, not in the stage.
    exec_start = one(unit["Service"], "ExecStart")
    assert exec_start.startswith("/opt/familienbuero-kiosk/bin/kiosk run ")
    assert environment(unit["Service"])["KCFG_GRAPHICS_ROTATION"] == "180"


def test_install_service_print(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    args = command_line(
        "--print", "--mode", "wayland", "--user", "pi", "--data-dir", str(tmp_path / "data")
    )
    assert cmd_install_service(args) == 0
    printed = capsys.readouterr().out
    config = ServiceConfig(
        mode="wayland", user="pi", exec_start=KIOSK_SCRIPT, data_dir=tmp_path / "data"
    )
    assert printed == render_unit(config)
    assert not (tmp_path / "root").exists()


def test_install_service_refuses_a_bad_user(capsys: pytest.CaptureFixture[str]) -> None:
    assert cmd_install_service(command_line("--print", "--user", "no such user")) == 2
    assert "not a valid user name" in capsys.readouterr().err


@pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None,
    reason="desktop-file-validate is missing: apt-get install desktop-file-utils",
)
def test_autostart_entry_is_a_valid_desktop_file(wayland: tuple[Path, ServiceConfig]) -> None:
    root, _config = wayland
    result = subprocess.run(
        ["desktop-file-validate", str(root / AUTOSTART_ENTRY)], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr
