#!/usr/bin/env bash
# Familienbüro-Kiosk: turn a fresh Raspberry Pi OS (Bookworm or Trixie, Lite or Desktop) into
# the kiosk. Run it once from the kiosk folder; running it again is fine (it updates in place):
#
#   sudo bash kiosk/system/setup-pi.sh --key /media/STICK/buero.pub [--mode kms|wayland] [--rotation 90]
#
# For tests: --root DIR stages everything below DIR (no apt, no users, no systemctl).
set -euo pipefail

SERVICE=familienbuero-kiosk
DEST_VENV=/opt/$SERVICE
DATA_DIR=/var/lib/$SERVICE
MODE=kms
ROTATION=0
KEY=""
KIOSK_USER=""
ROOT=""
NO_APT=0
SOURCE=""
PYTHON="${PYTHON:-python3}"

usage() {
    cat <<'EOF'
Aufruf / usage:
  sudo bash setup-pi.sh --key BUERO.pub [--mode kms|wayland] [--rotation 0|90|180|270]
                        [--user NAME] [--data-dir DIR] [--source DIR] [--no-apt] [--root DIR]

  --key       der öffentliche Schlüssel des Büros / the office's public key (buero.pub)
  --mode      kms: Raspberry Pi OS Lite (Standard / default); wayland: mit Desktop / Desktop
  --rotation  Bild im Uhrzeigersinn drehen / turn the picture clockwise (degrees)
  --user      wer den Kiosk ausführt / who runs the kiosk (kms: kiosk; wayland: you)
  --data-dir  Datenordner / data folder (default /var/lib/familienbuero-kiosk)
  --source    Kiosk-Ordner mit pyproject.toml / kiosk folder (default: found from this script)
  --no-apt    keine Pakete installieren / install no packages
  --root      alles unter DIR ablegen, für Tests / stage everything below DIR, for tests
EOF
}

# Every message twice: German for staff, English for the IT.
say() { printf '==> %s\n    %s\n' "$1" "$2"; }
die() {
    printf 'FEHLER: %s\nERROR:  %s\n' "$1" "$2" >&2
    exit 1
}
trap 'printf "FEHLER: Einrichtung abgebrochen in Zeile %s: %s\nERROR:  setup failed at line %s: %s\n" "$LINENO" "$BASH_COMMAND" "$LINENO" "$BASH_COMMAND" >&2' ERR

need_value() {
    # Option $1 takes the next argument $2 as its value.
    if [ $# -lt 2 ] || [ -z "$2" ]; then
        die "$1 braucht einen Wert." "$1 needs a value."
    fi
}

while [ $# -gt 0 ]; do
    case "$1" in
        --key) need_value "$@"; KEY="$2"; shift 2 ;;
        --key=*) KEY="${1#*=}"; shift ;;
        --mode) need_value "$@"; MODE="$2"; shift 2 ;;
        --mode=*) MODE="${1#*=}"; shift ;;
        --rotation) need_value "$@"; ROTATION="$2"; shift 2 ;;
        --rotation=*) ROTATION="${1#*=}"; shift ;;
        --user) need_value "$@"; KIOSK_USER="$2"; shift 2 ;;
        --user=*) KIOSK_USER="${1#*=}"; shift ;;
        --data-dir) need_value "$@"; DATA_DIR="$2"; shift 2 ;;
        --data-dir=*) DATA_DIR="${1#*=}"; shift ;;
        --source) need_value "$@"; SOURCE="$2"; shift 2 ;;
        --source=*) SOURCE="${1#*=}"; shift ;;
        --root) need_value "$@"; ROOT="$2"; shift 2 ;;
        --root=*) ROOT="${1#*=}"; shift ;;
        --no-apt) NO_APT=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "Unbekannte Angabe: $1" "unknown option: $1" ;;
    esac
done

# ---- check what we were given ----------------------------------------------------------------
case "$MODE" in
    kms | wayland) ;;
    *) die "--mode muss kms oder wayland sein, nicht '$MODE'." "--mode must be kms or wayland." ;;
esac
case "$ROTATION" in
    0 | 90 | 180 | 270) ;;
    *) die "--rotation muss 0, 90, 180 oder 270 sein." "--rotation must be 0, 90, 180 or 270." ;;
esac
if [ -z "$KEY" ]; then
    usage >&2
    die "Bitte den Büroschlüssel angeben: --key …/buero.pub" "--key is required"
fi
if [ ! -f "$KEY" ] || [ ! -r "$KEY" ]; then
    die "Schlüsseldatei nicht lesbar: $KEY" "cannot read key file: $KEY"
fi
case "$DATA_DIR" in
    /*) ;;
    *) die "--data-dir muss mit / beginnen." "--data-dir must be an absolute path." ;;
esac

if [ -n "$ROOT" ]; then
    ROOT="$(realpath -m "$ROOT")"
    [ "$ROOT" != "/" ] || ROOT=""
fi
STAGED=0
[ -z "$ROOT" ] || STAGED=1
if [ "$STAGED" = 0 ] && [ "$(id -u)" != 0 ]; then
    die "Bitte mit sudo starten: sudo bash $0 …" "run as root: sudo bash $0 …"
fi

if [ -z "$SOURCE" ]; then
    SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fi
if [ ! -f "$SOURCE/pyproject.toml" ] || [ ! -d "$SOURCE/kiosk" ] || [ ! -d "$SOURCE/content" ]; then
    die "Kein Kiosk-Ordner: $SOURCE (--source angeben)." "not a kiosk folder: $SOURCE (use --source)"
fi

if [ -z "$KIOSK_USER" ]; then
    if [ "$MODE" = kms ]; then
        KIOSK_USER=kiosk
    else
        KIOSK_USER="${SUDO_USER:-$(id -un)}"
    fi
fi
if [ "$MODE" = wayland ] && [ "$STAGED" = 0 ] && [ "$KIOSK_USER" = root ]; then
    die "Im Desktop-Modus läuft der Kiosk als Desktop-Benutzer: --user NAME angeben." \
        "wayland mode runs as the desktop user: pass --user NAME."
fi

VENV="$ROOT$DEST_VENV"
DATA="$ROOT$DATA_DIR"

# ---- 1. packages -----------------------------------------------------------------------------
apt_knows() {
    # Output captured first: with pipefail, `… | grep -q` may fail when grep quits early.
    local policy
    policy="$(apt-cache policy "$1" 2>/dev/null || true)"
    [[ "$policy" == *"Candidate:"* && "$policy" != *"Candidate: (none)"* ]]
}

# The first name apt knows: Trixie renamed some libraries for 64-bit time_t (…t64).
candidate() {
    local name
    for name in "$@"; do
        if apt_knows "$name"; then
            printf '%s' "$name"
            return
        fi
    done
    printf '%s' "$1"
}

if [ "$STAGED" = 1 ] || [ "$NO_APT" = 1 ]; then
    say "Schritt 1/6: Pakete übersprungen." "step 1/6: packages skipped."
else
    say "Schritt 1/6: Pakete installieren (dauert einige Minuten)." "step 1/6: installing packages."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    # Kivy's wheel brings SDL2; SDL loads EGL/GLES, libdrm and libgbm at run time, Mesa's DRI
    # drivers (vc4/v3d) do the drawing, libmtdev reads the touchscreen.
    packages=(python3-venv python3-pip locales libgl1 libegl1 libgles2 libgl1-mesa-dri
        "$(candidate libgbm1 libgbm1t64)" "$(candidate libdrm2 libdrm2t64)"
        "$(candidate libmtdev1t64 libmtdev1)")
    if [ "$MODE" = wayland ]; then
        # Switching the screen off outside the display hours, where no backlight can.
        for name in wlopm wlr-randr; do
            if apt_knows "$name"; then
                packages+=("$name")
            fi
        done
    fi
    apt-get install -y --no-install-recommends "${packages[@]}"
    locales="$(locale -a 2>/dev/null || true)"
    if ! grep -qiE '^de_DE\.utf-?8$' <<<"$locales"; then
        if grep -qE '^#? *de_DE\.UTF-8 UTF-8' /etc/locale.gen; then
            sed -i -E 's/^# *(de_DE\.UTF-8 UTF-8)/\1/' /etc/locale.gen
        else
            echo 'de_DE.UTF-8 UTF-8' >>/etc/locale.gen
        fi
        locale-gen
    fi
fi

# ---- 2. the user that runs the kiosk ---------------------------------------------------------
if [ "$STAGED" = 1 ]; then
    say "Schritt 2/6: Benutzer $KIOSK_USER (übersprungen)." "step 2/6: user $KIOSK_USER (skipped)."
elif [ "$MODE" = kms ]; then
    say "Schritt 2/6: Benutzer $KIOSK_USER einrichten." "step 2/6: setting up user $KIOSK_USER."
    if ! id "$KIOSK_USER" >/dev/null 2>&1; then
        useradd --system --user-group --home-dir "$DATA_DIR" --no-create-home \
            --shell /usr/sbin/nologin "$KIOSK_USER"
    fi
    # video/render: the display (/dev/dri), input: the touchscreen (/dev/input).
    for group in video render input; do
        if getent group "$group" >/dev/null; then
            usermod -aG "$group" "$KIOSK_USER"
        fi
    done
else
    say "Schritt 2/6: Desktop-Benutzer $KIOSK_USER." "step 2/6: desktop user $KIOSK_USER."
    id "$KIOSK_USER" >/dev/null 2>&1 || die "Benutzer $KIOSK_USER gibt es nicht." "no user $KIOSK_USER"
    usermod -aG video "$KIOSK_USER"  # the backlight switch (udev rule for group video)
fi

# ---- 3. the program --------------------------------------------------------------------------
say "Schritt 3/6: Kiosk-Programm nach $DEST_VENV installieren." "step 3/6: installing to $DEST_VENV."
mkdir -p "$VENV"
if ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    # Missing, or broken by a Python upgrade: build it anew.
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
fi
# The kiosk runs from its own copy of the folder (the embedded content lives beside the code),
# so the stick or home folder it came from may go away. Swapped in whole, old copy removed.
rm -rf "$VENV/src.new" "$VENV/src.old"
mkdir -p "$VENV/src.new"
tar -C "$SOURCE" -cf - --exclude=.git --exclude=.venv --exclude=venv --exclude=build \
    --exclude=dist --exclude='*.egg-info' --exclude=__pycache__ --exclude=.mypy_cache \
    --exclude=.pytest_cache --exclude=.ruff_cache --exclude=./tests --exclude=./screenshots-out . \
    | tar -C "$VENV/src.new" -xf -
if [ -d "$VENV/src" ]; then
    mv "$VENV/src" "$VENV/src.old"
fi
mv "$VENV/src.new" "$VENV/src"
rm -rf "$VENV/src.old"
"$VENV/bin/python" -m pip install --disable-pip-version-check --editable "$VENV/src"
# Compiled once now: under the service the root filesystem is read-only.
"$VENV/bin/python" -m compileall -q "$VENV/src/kiosk" >/dev/null

# ---- 4. the data folder and the office key ---------------------------------------------------
say "Schritt 4/6: Datenordner $DATA_DIR und Büroschlüssel." "step 4/6: data folder and office key."
mkdir -p "$DATA"
key_copy="$(mktemp)"
install -m 0644 "$KEY" "$key_copy"  # readable for the kiosk user, wherever the key came from
if [ "$STAGED" = 1 ]; then
    LANG=de_DE.UTF-8 "$VENV/bin/kiosk" trust "$key_copy" --data-dir "$DATA"
else
    chown "$KIOSK_USER:$(id -gn "$KIOSK_USER")" "$DATA"
    chmod 0750 "$DATA"
    LANG=de_DE.UTF-8 runuser -u "$KIOSK_USER" -- "$VENV/bin/kiosk" trust "$key_copy" --data-dir "$DATA"
fi
rm -f "$key_copy"

# ---- 5. the service --------------------------------------------------------------------------
say "Schritt 5/6: Dienst $SERVICE einrichten ($MODE)." "step 5/6: installing service ($MODE)."
service_args=(--mode "$MODE" --user "$KIOSK_USER" --data-dir "$DATA_DIR" --rotation "$ROTATION"
    --exec-start "$DEST_VENV/bin/kiosk")
if [ "$STAGED" = 1 ]; then
    service_args+=(--root "$ROOT")
fi
"$VENV/bin/python" -m kiosk.system.service_unit install-service "${service_args[@]}"

# ---- 6. start at boot ------------------------------------------------------------------------
if [ "$STAGED" = 1 ]; then
    say "Schritt 6/6: Systemstart (übersprungen)." "step 6/6: boot settings (skipped)."
elif [ "$MODE" = wayland ]; then
    say "Schritt 6/6: Desktop startet ohne Anmeldung." "step 6/6: desktop autologin."
    if command -v raspi-config >/dev/null; then
        raspi-config nonint do_boot_behaviour B4
    else
        say "raspi-config fehlt: automatische Anmeldung bitte selbst einschalten." \
            "raspi-config missing: enable desktop autologin yourself."
    fi
else
    say "Schritt 6/6: Kiosk startet beim Einschalten auf dem Bildschirm." \
        "step 6/6: the kiosk takes the screen at boot."
fi

say "Fertig. Jetzt die Admin-PIN setzen und neu starten (sudo reboot)." \
    "done. Now set the admin PIN and reboot (sudo reboot)."
