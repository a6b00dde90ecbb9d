"""Render and install the files that make a Raspberry Pi a kiosk: the systemd service, a
journald size bound, and (Pi OS Lite) a udev rule that mounts USB sticks.

Two display modes:

* ``kms`` (Pi OS Lite, no desktop): a system service as user ``kiosk`` on tty1. SDL2 draws
  straight to the display through KMS/DRM. The SDL 2.30.7 bundled in Kivy 2.3.1's manylinux
  wheels has the KMSDRM backend: Kivy builds SDL with CMake defaults
  (tools/build_linux_dependencies.sh), the x86_64 library lists the video drivers x11, KMSDRM,
  offscreen, dummy, evdev, and the aarch64 one (cp311 and cp313) carries the same KMSDRM_*
  code and dlopens libdrm.so.2/libgbm.so.1; kivy/kivy#7922 was closed as fixed by "aarch64
  builds with self-built SDL2 (with KMSDRM)". Kivy's egl_rpi window needs the legacy firmware
  driver (DISPMANX), gone since Bullseye (piwheels/packages#289): it is no fallback.
* ``wayland`` (Pi OS Desktop, labwc/wayfire): a systemd *user* service in the desktop session.
  The wheels' SDL has no Wayland backend (no Wayland_* code; SDL_VIDEODRIVER=wayland fails
  with "wayland not available", as with pygame's manylinux wheels, pygame/pygame#2529), so
  SDL_VIDEODRIVER lists ``wayland,x11``: SDL tries each in turn, native Wayland where an SDL
  with it is installed, else X11 through Xwayland.

Touch input, one touch per tap: Kivy's SDL2 window drops SDL finger events on Linux
(window_sdl2.py passes them on only for iOS/Android), and SDL's evdev input under KMSDRM
reports touches without a window, so SDL synthesizes no mouse events from them either
(SDL_touch.c only does so for a window). Under KMSDRM the touchscreen therefore reaches Kivy
only through its own ``probesysfs``/``mtdev`` provider. Under a compositor SDL gets window
touches and turns them into mouse events, which Kivy's ``mouse`` provider delivers. Both
providers at once is Kivy's default on Linux (``mouse`` plus ``probesysfs``) and gives two
touches per tap (kivy/kivy#1903, #4724, #8494); `kivy_input_options` picks exactly one.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import grp
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

SERVICE_NAME = "familienbuero-kiosk"
UNIT_NAME = f"{SERVICE_NAME}.service"
DEFAULT_VENV = Path("/opt/familienbuero-kiosk")
DEFAULT_DATA_DIR = Path("/var/lib/familienbuero-kiosk")
DEFAULT_USER = "kiosk"
MODE_ENV = "KIOSK_DISPLAY_MODE"
# Where the kiosk looks for a `kiosk-content` folder on a stick; it also writes a CSV there.
REMOVABLE_MEDIA = ("/media", "/run/media", "/mnt")

Mode = Literal["kms", "wayland"]
MODES: tuple[Mode, ...] = ("kms", "wayland")
ROTATIONS = (0, 90, 180, 270)

# Paths relative to the install root.
SYSTEM_UNIT = Path("etc/systemd/system") / UNIT_NAME
USER_UNIT = Path("etc/systemd/user") / UNIT_NAME
JOURNALD_DROPIN = Path("etc/systemd/journald.conf.d") / f"{SERVICE_NAME}.conf"
UDEV_RULE = Path("etc/udev/rules.d") / f"80-{SERVICE_NAME}-usb.rules"
USB_MOUNT_HELPER = Path("usr/local/lib") / SERVICE_NAME / "usb-mount"
AUTOSTART_ENTRY = Path("etc/xdg/autostart") / f"{SERVICE_NAME}.desktop"
# Both modes: group video may switch the backlight (kiosk.system.display's rule).
BACKLIGHT_RULE = Path("etc/udev/rules.d/70-kiosk-backlight.rules")

_USER_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
# Unit files split on whitespace, treat quotes and backslashes specially and expand "%"
# specifiers: paths with any of them are refused rather than escaped.
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9._+/-]*")


@dataclass(frozen=True)
class ServiceConfig:
    """Everything that differs between two kiosks' service files."""

    user: str = DEFAULT_USER
    exec_start: Path = DEFAULT_VENV / "bin" / "kiosk"  # the venv's `kiosk` script
    data_dir: Path = DEFAULT_DATA_DIR
    mode: Mode = "kms"
    rotation: int = 0  # degrees clockwise; Kivy rotates drawing and touches alike
    watchdog_seconds: int = 30
    groups: tuple[str, ...] = ("video", "render", "input")  # kms: /dev/dri and /dev/input
    journal_system_max_use: str = "64M"
    journal_runtime_max_use: str = "16M"
    journal_max_retention: str = "1month"
    language: str = "de_DE.UTF-8"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.rotation not in ROTATIONS:
            raise ValueError(f"rotation must be 0, 90, 180 or 270, not {self.rotation}")
        if self.watchdog_seconds < 5:
            raise ValueError("watchdog_seconds must be at least 5")
        if not _USER_NAME.fullmatch(self.user):
            raise ValueError(f"{self.user!r} is not a valid user name")
        for name, path in (("exec_start", self.exec_start), ("data_dir", self.data_dir)):
            if not _PLAIN_PATH.fullmatch(str(path)) or ".." in path.parts:
                raise ValueError(
                    f"{name} must be an absolute path of letters, digits and ._+-/ only: {path}"
                )
        for group in self.groups:
            if not _USER_NAME.fullmatch(group):
                raise ValueError(f"{group!r} is not a valid group name")

    @property
    def unit_path(self) -> Path:
        return SYSTEM_UNIT if self.mode == "kms" else USER_UNIT

    @property
    def state_directory(self) -> str | None:
        """`StateDirectory=` name when the data dir is systemd's own /var/lib/<name>."""
        if self.mode == "kms" and self.data_dir.parent == Path("/var/lib"):
            return self.data_dir.name
        return None


def kivy_input_options(mode: Mode) -> dict[str, str]:
    """The complete Kivy `[input]` section for a mode: one provider, so one tap is one touch.

    kms: Kivy reads the touchscreen itself (mtdev, needs libmtdev1 and group `input`);
    SDL's own touch events never reach Kivy there. wayland: SDL gets the touches from the
    compositor (rotated and scaled to the window) and hands them over as mouse events.
    """
    if mode == "kms":
        return {"touchscreen": "probesysfs,provider=mtdev"}
    return {"mouse": "mouse,disable_multitouch"}


def display_mode_from_environ(environ: Mapping[str, str] = os.environ) -> Mode | None:
    """The mode the service unit set in `KIOSK_DISPLAY_MODE`; None outside the service."""
    value = environ.get(MODE_ENV, "")
    return value if value in MODES else None


# ---- rendering ------------------------------------------------------------------------------
def _environment(config: ServiceConfig) -> list[str]:
    runtime = f"%t/{SERVICE_NAME}"  # %t: /run for the system, $XDG_RUNTIME_DIR for a user
    values = {
        "KIOSK_DATA_DIR": str(config.data_dir),
        MODE_ENV: config.mode,
        "SDL_VIDEODRIVER": "kmsdrm" if config.mode == "kms" else "wayland,x11",
        "KIVY_WINDOW": "sdl2",
        # Kivy writes into KIVY_HOME at import, Mesa its shader cache into XDG_CACHE_HOME:
        # both go to the runtime directory (RAM), never to the root filesystem.
        "KIVY_HOME": f"{runtime}/kivy",
        "XDG_CACHE_HOME": f"{runtime}/cache",
        # Kivy maps KCFG_<section>_<key> onto its config at import.
        "KCFG_GRAPHICS_ROTATION": str(config.rotation),
        "LANG": config.language,
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return [f"Environment={key}={value}" for key, value in values.items()]


def render_unit(config: ServiceConfig) -> str:
    """The `familienbuero-kiosk.service` file for `config.mode`."""
    kms = config.mode == "kms"
    lines = [
        f"# Familienbüro-Kiosk ({config.mode}), written by `kiosk install-service`.",
        "# Reinstalling overwrites this file: put local changes in a drop-in",
        f"# (`systemctl{'' if kms else ' --user'} edit {UNIT_NAME}`).",
        "[Unit]",
        "Description=Familienbüro touchscreen kiosk",
    ]
    if kms:
        lines += [
            # tty1 belongs to the kiosk: no login prompt fighting it for the display.
            "Conflicts=getty@tty1.service",
            "After=systemd-user-sessions.service plymouth-quit-wait.service getty@tty1.service",
        ]
    else:
        lines += [
            # Only the desktop user's session runs the kiosk, even though the unit is global.
            f"ConditionUser={config.user}",
            "PartOf=graphical-session.target",
            "After=graphical-session.target",
        ]
    lines += [
        # Restart forever: nobody is there to type `systemctl reset-failed`.
        "StartLimitIntervalSec=0",
        "",
        "[Service]",
        "Type=notify",
        "NotifyAccess=main",
        f"ExecStart={config.exec_start} run --data-dir {config.data_dir}",
        # The first start after boot imports Kivy from the SD card; READY follows the first frame.
        "TimeoutStartSec=180",
        f"WatchdogSec={config.watchdog_seconds}",
        "Restart=always",
        "RestartSec=2s",
        "TimeoutStopSec=15s",
    ]
    if kms:
        lines += [f"User={config.user}"]
        if config.groups:
            lines += ["SupplementaryGroups=" + " ".join(config.groups)]
    lines += _environment(config)
    # 0755: `kiosk status` of other users reads the app's heartbeat file there.
    lines += [f"RuntimeDirectory={SERVICE_NAME}", "RuntimeDirectoryMode=0755"]
    if config.state_directory:
        lines += [f"StateDirectory={config.state_directory}", "StateDirectoryMode=0750"]
    # The read-only root, enforced: only the data dir and mounted sticks are writable.
    # In a user unit these need user namespaces: systemd >= 253 (Trixie) then implies
    # PrivateUsers=yes; systemd 252 (Bookworm) ignores them for user units.
    lines += [
        "ProtectSystem=strict",
        f"ReadWritePaths={config.data_dir}",
        "ReadWritePaths=" + " ".join(f"-{path}" for path in REMOVABLE_MEDIA),
        "NoNewPrivileges=yes",
    ]
    if kms:
        # Not for the desktop user: Xwayland's socket lives in /tmp, and it is their own home.
        lines += ["PrivateTmp=yes", "ProtectHome=read-only"]
    lines += [
        "StandardOutput=journal",
        "StandardError=journal",
        f"SyslogIdentifier={SERVICE_NAME}",
        "",
        "[Install]",
        f"WantedBy={'multi-user.target' if kms else 'graphical-session.target'}",
        "",
    ]
    return "\n".join(lines)


def render_journald_dropin(config: ServiceConfig | None = None) -> str:
    """journald bounds: months of kiosk logs must never fill the SD card."""
    config = config or ServiceConfig()
    return "\n".join(
        [
            "# Familienbüro-Kiosk: bounded journal, written by `kiosk install-service`.",
            "[Journal]",
            "Storage=persistent",
            f"SystemMaxUse={config.journal_system_max_use}",
            f"RuntimeMaxUse={config.journal_runtime_max_use}",
            f"MaxRetentionSec={config.journal_max_retention}",
            "",
        ]
    )


def render_udev_rule() -> str:
    """Pi OS Lite has no desktop automounter: mount each USB filesystem read-write below /media.

    udev runs RUN programs in its own mount namespace (systemd-udevd.service has
    PrivateMounts=yes), so a `mount` here would be invisible; systemd-mount asks PID 1 to
    mount instead, and --no-block keeps udev from waiting on it. The mount unit is bound to
    the device and stops when the stick is pulled; --collect removes it afterwards.
    """
    helper = "/" + str(USB_MOUNT_HELPER)
    return "\n".join(
        [
            "# Familienbüro-Kiosk: mount USB sticks for the kiosk (written by"
            " `kiosk install-service`).",
            'ACTION=="add", SUBSYSTEM=="block", SUBSYSTEMS=="usb", '
            'ENV{ID_FS_USAGE}=="filesystem", '
            f'RUN{{program}}+="{helper} $devnode %k $env{{ID_FS_TYPE}}"',
            "",
        ]
    )


def render_usb_mount_helper(config: ServiceConfig) -> str:
    """The program the udev rule runs: read-write, owned by the kiosk user, never executable."""
    return f"""#!/bin/sh
# Familienbüro-Kiosk: mount one USB partition for the kiosk. Called by udev with
# DEVNODE KERNEL-NAME FS-TYPE; written by `kiosk install-service`.
set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin
devnode="$1"
name="$2"
fstype="${{3:-}}"
user={config.user}

# Never a partition the system mounts itself (a Pi that boots from a USB drive).
if findmnt --source "$devnode" >/dev/null 2>&1; then
    exit 0
fi
for tag in PARTUUID UUID; do
    value="$(blkid -o value -s "$tag" "$devnode" 2>/dev/null || true)"
    if [ -n "$value" ] && grep -Fqs "$tag=$value" /etc/fstab; then
        exit 0
    fi
done

options=nosuid,nodev,noexec,noatime
case "$fstype" in
    # FAT and exFAT have no owners: the mount options make the kiosk user the owner, so the
    # kiosk can write its CSV. flush: write FAT data early, sticks get pulled without warning.
    vfat)
        options="$options,flush,uid=$(id -u "$user"),gid=$(id -g "$user"),umask=0022" ;;
    exfat|ntfs3)
        options="$options,uid=$(id -u "$user"),gid=$(id -g "$user"),umask=0022" ;;
esac

exec systemd-mount --no-block --automount=no --collect --options="$options" \\
    "$devnode" "/media/kiosk-usb-$name"
"""


def render_autostart_entry() -> str:
    """Desktop mode: Pi OS's labwc/wayfire sessions never reach graphical-session.target
    (raspberrypi/bookworm-feedback#96), but they run XDG autostart entries. This one hands the
    session's display variables to the user manager and starts the kiosk service."""
    command = (
        "systemctl --user import-environment WAYLAND_DISPLAY DISPLAY XDG_SESSION_TYPE; "
        f"exec systemctl --user --no-block start {UNIT_NAME}"
    )
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Name=Familienbüro-Kiosk",
            "Comment=Starts the kiosk service in this desktop session",
            f'Exec=/bin/sh -c "{command}"',
            "NoDisplay=true",
            "Terminal=false",
            "",
        ]
    )


# ---- installing -----------------------------------------------------------------------------
def _mode_files(config: ServiceConfig) -> list[tuple[Path, str, int]]:
    files = [(config.unit_path, render_unit(config), 0o644)]
    files.append((JOURNALD_DROPIN, render_journald_dropin(config), 0o644))
    from kiosk.system.display import backlight_udev_rule  # the display helper's own rule

    files.append((BACKLIGHT_RULE, backlight_udev_rule(), 0o644))
    if config.mode == "kms":
        files.append((UDEV_RULE, render_udev_rule(), 0o644))
        files.append((USB_MOUNT_HELPER, render_usb_mount_helper(config), 0o755))
    else:
        files.append((AUTOSTART_ENTRY, render_autostart_entry(), 0o644))
    return files


def enable_commands(config: ServiceConfig) -> list[list[str]]:
    """What makes the installed files take effect on a running system."""
    if config.mode == "kms":
        systemd = [["systemctl", "daemon-reload"], ["systemctl", "enable", UNIT_NAME]]
    else:
        # --global: the user unit is enabled for every user; ConditionUser= picks the one.
        systemd = [["systemctl", "--global", "enable", UNIT_NAME]]
    udev = [
        ["udevadm", "control", "--reload"],
        ["udevadm", "trigger", "--action=add", "--subsystem-match=backlight"],
    ]
    return systemd + udev


def disable_command(config: ServiceConfig) -> list[str]:
    scope = [] if config.mode == "kms" else ["--global"]
    return ["systemctl", *scope, "disable", UNIT_NAME]


def _write(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text, encoding="utf-8")
    temp.chmod(mode)
    os.replace(temp, path)


def install_service(
    config: ServiceConfig, root: Path = Path("/"), enable: bool = True
) -> list[Path]:
    """Write the mode's files under `root` and return their paths; files of the other mode are
    removed, so a kiosk switched from kms to wayland does not start twice. Only for the real
    root (`/`) and `enable` are systemd and udev told (daemon-reload, enable, reload)."""
    live = root == Path("/") and enable
    other = replace(config, mode="wayland" if config.mode == "kms" else "kms")
    if (root / other.unit_path).exists():
        if live:
            _run(disable_command(other))
        for relative, _text, _mode in _mode_files(other):
            if relative not in (JOURNALD_DROPIN, BACKLIGHT_RULE):
                with contextlib.suppress(FileNotFoundError):
                    (root / relative).unlink()
    written = []
    for relative, text, mode in _mode_files(config):
        _write(root / relative, text, mode)
        written.append(root / relative)
    if live:
        for command in enable_commands(config):
            _run(command)
    return written


def _run(command: Sequence[str]) -> None:
    subprocess.run(list(command), check=True)


# ---- the `kiosk install-service` command -----------------------------------------------------
def add_install_service_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    parser = subparsers.add_parser(
        "install-service", help="install the systemd service that runs the kiosk at boot"
    )
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="kms",
        help="kms: Pi OS Lite, straight to the display (default); "
        "wayland: Pi OS Desktop, a user service in the desktop session",
    )
    parser.add_argument(
        "--user",
        default=None,
        help="who runs the kiosk (default: kiosk; wayland: the desktop user)",
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, metavar="DIR")
    parser.add_argument(
        "--rotation",
        type=int,
        choices=ROTATIONS,
        default=0,
        help="turn the picture clockwise by this many degrees",
    )
    parser.add_argument(
        "--exec-start",
        type=Path,
        default=None,
        metavar="PATH",
        help="the kiosk program (default: `kiosk` beside this Python)",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path("/"),
        metavar="DIR",
        help="install below this folder instead of / (nothing is enabled)",
    )
    parser.add_argument(
        "--no-enable", action="store_true", help="write the files only; no systemctl or udevadm"
    )
    parser.add_argument(
        "--print", action="store_true", help="print the service unit instead of installing anything"
    )


def config_from_args(args: argparse.Namespace) -> ServiceConfig:
    mode: Mode = args.mode
    root = Path(os.path.abspath(args.root))
    user = args.user or (
        DEFAULT_USER if mode == "kms" else os.environ.get("SUDO_USER") or getpass.getuser()
    )
    exec_start = args.exec_start or Path(os.path.abspath(sys.executable)).parent / "kiosk"
    if root != Path("/") and exec_start.is_relative_to(root):
        exec_start = Path("/") / exec_start.relative_to(root)  # the path on the real system
    groups = ServiceConfig.groups
    if root == Path("/") and not args.print:
        groups = tuple(group for group in groups if _group_exists(group))
    return ServiceConfig(
        user=user,
        exec_start=exec_start,
        data_dir=Path(os.path.abspath(args.data_dir)),
        mode=mode,
        rotation=args.rotation,
        groups=groups,
    )


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        print(f"Gruppe {name} fehlt, ausgelassen / group {name} missing, skipped", file=sys.stderr)
        return False
    return True


def cmd_install_service(args: argparse.Namespace) -> int:
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"kiosk install-service: {exc}", file=sys.stderr)
        return 2
    if args.print:
        sys.stdout.write(render_unit(config))
        return 0
    try:
        written = install_service(
            config, Path(os.path.abspath(args.root)), enable=not args.no_enable
        )
    except PermissionError as exc:
        print(
            f"Keine Berechtigung, bitte mit sudo ausführen / permission denied, run with "
            f"sudo: {exc}",
            file=sys.stderr,
        )
        return 1
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"Installation fehlgeschlagen / install failed: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m kiosk.system.service_unit install-service …`, for setup-pi.sh."""
    parser = argparse.ArgumentParser(prog="python -m kiosk.system.service_unit")
    add_install_service_parser(parser.add_subparsers(dest="command", required=True))
    return cmd_install_service(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
