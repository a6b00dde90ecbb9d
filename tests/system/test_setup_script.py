"""setup-pi.sh, run for real into a staged root: a fresh venv with this repo pip-installed
(pip may use its cache and the package index), the unit checked by `systemd-analyze verify`,
the office key trusted in the data dir. Then run again: it must be idempotent."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kiosk import PROJECT_DIR
from kiosk.system.service_unit import SYSTEM_UNIT, UDEV_RULE

SCRIPT = PROJECT_DIR / "kiosk" / "system" / "setup-pi.sh"
DEV_KIOSK = Path(os.path.abspath(sys.executable)).parent / "kiosk"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
HOST_UNITS = Path("/usr/lib/systemd/system")


def run_setup(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHON": sys.executable, "LANG": "C.UTF-8"}
    for name in ("VIRTUAL_ENV", "PYTHONPATH"):
        env.pop(name, None)
    return subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, env=env, check=False
    )


def status_json(kiosk: Path, data_dir: Path) -> dict[str, Any]:
    result = subprocess.run(
        [str(kiosk), "status", "--json", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@pytest.fixture(scope="module")
def office_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("office")
    result = subprocess.run(
        [str(DEV_KIOSK), "keygen", str(folder)], capture_output=True, text=True, check=True
    )
    match = re.search(r"key id ([0-9a-f]{16})", result.stdout)
    assert match, result.stdout
    return folder / "buero.pub", match[1]


def test_usage_errors_are_explained_in_both_languages(office_key: tuple[Path, str]) -> None:
    result = run_setup("--root", "/nonexistent-stage", "--mode", "x11", "--key", str(office_key[0]))
    assert result.returncode != 0
    assert "FEHLER: --mode muss kms oder wayland sein" in result.stderr
    assert "ERROR:  --mode must be kms or wayland" in result.stderr

    missing = run_setup("--root", "/nonexistent-stage")
    assert missing.returncode != 0
    assert "--key" in missing.stderr and "FEHLER" in missing.stderr

    assert run_setup("--help").returncode == 0


def test_setup_stages_a_working_kiosk(office_key: tuple[Path, str], tmp_path: Path) -> None:
    public_key, keyid = office_key
    root = tmp_path / "root"

    first = run_setup("--root", str(root), "--no-apt", "--key", str(public_key), "--rotation", "90")
    assert first.returncode == 0, first.stdout + first.stderr

    # The program runs from the staged venv.
    kiosk = root / "opt/familienbuero-kiosk/bin/kiosk"
    subprocess.run([str(kiosk), "--help"], capture_output=True, check=True)

    # The unit is where systemd looks, names the real paths, and systemd accepts it.
    unit = root / SYSTEM_UNIT
    text = unit.read_text(encoding="utf-8")
    assert (
        "ExecStart=/opt/familienbuero-kiosk/bin/kiosk run --data-dir /var/lib/familienbuero-kiosk"
        in text
    )
    assert "Environment=KCFG_GRAPHICS_ROTATION=90" in text
    assert (root / UDEV_RULE).exists()
    # The office key is trusted in the staged data dir.
    data_dir = root / "var/lib/familienbuero-kiosk"
    # (`status` exits non-zero while no kiosk app runs: only its report matters here.)
    shown = subprocess.run(
        [str(kiosk), "status", "--data-dir", str(data_dir)], capture_output=True, text=True
    )
    assert f"Trusted keys: {keyid}" in shown.stdout, shown.stdout + shown.stderr
    trusted = status_json(kiosk, data_dir)["trusted_keys"]
    assert [key[:16] for key in trusted] == [keyid]

    # Idempotent: a second run updates in place and changes nothing that matters.
    second = run_setup(
        "--root", str(root), "--no-apt", "--key", str(public_key), "--rotation", "90"
    )
    assert second.returncode == 0, second.stdout + second.stderr
    assert unit.read_text(encoding="utf-8") == text
    assert status_json(kiosk, data_dir)["trusted_keys"] == trusted
    assert not (root / "opt/familienbuero-kiosk/src.old").exists()

    if SYSTEMD_ANALYZE is None:
        pytest.skip("systemd-analyze is missing: apt-get install systemd")
    # `verify --root` resolves ExecStart inside the stage, so it checks the staged venv's
    # script; the stage needs systemd's own units (sysinit.target, getty@.service, ...).
    shutil.copytree(HOST_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    verified = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", f"--root={root}", unit.name],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert unit.name not in verified.stdout + verified.stderr, verified.stderr
