"""The update commands as staff run them: real processes, exit status, plain words, no traceback."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

from kiosk.content.loader import EMBEDDED_CONTENT_DIR
from kiosk.updates.layout import DataDirLayout
from kiosk.updates.lock import update_lock

PROJECT = Path(__file__).resolve().parents[2]


def kiosk(*args: str | Path, lang: str = "de_DE.UTF-8") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, LANG=lang, LC_ALL=lang, LC_MESSAGES=lang)
    result = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        env=env,
        timeout=120,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_keygen_writes_a_private_key_only_the_owner_can_read(tmp_path: Path) -> None:
    done = kiosk("keygen", tmp_path / "keys")
    assert done.returncode == 0
    private, public = tmp_path / "keys" / "buero.key", tmp_path / "keys" / "buero.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in private.read_bytes() and b"PUBLIC KEY" in public.read_bytes()
    assert "key id " in done.stdout
    again = kiosk("keygen", tmp_path / "keys")
    assert again.returncode == 1 and "already exists" in again.stderr
    assert b"PRIVATE KEY" in private.read_bytes()


def test_the_whole_path_from_keygen_to_status(tmp_path: Path) -> None:
    keys, data, stick = tmp_path / "keys", tmp_path / "data", tmp_path / "stick" / "kiosk-content"
    kiosk("keygen", keys)
    content = Path(shutil.copytree(EMBEDDED_CONTENT_DIR, tmp_path / "content"))

    published = kiosk("publish", content, "--key", keys / "buero.key", "--out", stick)
    assert published.returncode == 0, published.stderr
    assert "version 1 published, 11 files" in published.stdout

    untrusted = kiosk("import", stick, "--data-dir", data)
    assert untrusted.returncode == 1
    assert "vertraut noch keinem Schlüssel" in untrusted.stderr

    private_as_public = kiosk("trust", keys / "buero.key", "--data-dir", data)
    assert private_as_public.returncode == 1 and "private key" in private_as_public.stderr
    trusted = kiosk("trust", keys / "buero.pub", "--data-dir", data)
    assert trusted.returncode == 0 and "jetzt vertrauenswürdig" in trusted.stdout

    imported = kiosk("import", stick.parent, "--data-dir", data)  # the stick root works too
    assert imported.returncode == 0, imported.stderr
    assert "Inhalt aktualisiert auf Version 1" in imported.stdout
    again = kiosk("import", stick, "--data-dir", data)
    assert again.returncode == 0 and "Version 1 ist bereits aktiv" in again.stdout

    status = json.loads(kiosk("status", "--data-dir", data, "--json").stdout)
    assert status["content_version"] == 1
    assert Path(status["content_path"], "topics.json").is_file()
    assert status["last_attempt"]["result"] == "current"
    assert status["last_attempt"]["source"] == str(stick)
    people = kiosk("status", "--data-dir", data, lang="C").stdout
    assert "Content: version 1" in people and "already current" in people

    english = kiosk("import", tmp_path / "nothing-here", "--data-dir", data, lang="C")
    assert english.returncode == 1 and english.stderr.startswith("Refused: ")


def test_publish_refuses_invalid_content_and_writes_nothing(tmp_path: Path) -> None:
    kiosk("keygen", tmp_path / "keys")
    content = Path(shutil.copytree(EMBEDDED_CONTENT_DIR, tmp_path / "content"))
    topics = content / "topics.json"
    topics.write_text(topics.read_text(encoding="utf-8").replace('"id"', '"idd"', 1), "utf-8")
    out = tmp_path / "stick" / "kiosk-content"
    refused = kiosk("publish", content, "--key", tmp_path / "keys" / "buero.key", "--out", out)
    assert refused.returncode == 1
    assert "topics.json" in refused.stderr and "not published" in refused.stderr
    assert not out.exists()
    wrong_key = kiosk("publish", content, "--key", tmp_path / "keys" / "buero.pub", "--out", out)
    assert wrong_key.returncode == 1 and "public part" in wrong_key.stderr


def test_versions_count_on_across_sticks(tmp_path: Path) -> None:
    """A new, empty stick continues from the last version the key signed."""
    key = tmp_path / "keys" / "buero.key"
    kiosk("keygen", key.parent)
    content = EMBEDDED_CONTENT_DIR
    first, second = tmp_path / "a" / "kiosk-content", tmp_path / "b" / "kiosk-content"
    assert "version 1 " in kiosk("publish", content, "--key", key, "--out", first).stdout
    assert "version 2 " in kiosk("publish", content, "--key", key, "--out", first).stdout
    assert "version 3 " in kiosk("publish", content, "--key", key, "--out", second).stdout
    lower = kiosk("publish", content, "--key", key, "--out", second, "--version", "2")
    assert lower.returncode == 1 and "--version 4" in lower.stderr
    jump = kiosk("publish", content, "--key", key, "--out", first, "--version", "10")
    assert jump.returncode == 0 and "version 10 " in jump.stdout


def test_an_archive_is_refused_in_plain_words(tmp_path: Path) -> None:
    archive = tmp_path / "kiosk-content.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr("kiosk-content/metadata/timestamp.json", "{}")
    refused = kiosk("import", archive, "--data-dir", tmp_path / "data")
    assert refused.returncode == 1 and "ist ein Archiv" in refused.stderr
    status = json.loads(kiosk("status", "--data-dir", tmp_path / "data", "--json").stdout)
    assert status["last_attempt"]["reason_code"] == "archive"
    assert status["content_version"] is None
    assert status["content_path"] == str(EMBEDDED_CONTENT_DIR)


def test_sync_from_an_unreachable_server(tmp_path: Path) -> None:
    kiosk("keygen", tmp_path / "keys")
    kiosk("trust", tmp_path / "keys" / "buero.pub", "--data-dir", tmp_path / "data")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{taken.getsockname()[1]}/kiosk-content/"
        refused = kiosk("sync", url, "--data-dir", tmp_path / "data")
    assert refused.returncode == 1 and "nicht erreichbar" in refused.stderr


def test_an_import_waits_for_a_running_update(tmp_path: Path) -> None:
    key = tmp_path / "keys" / "buero.key"
    kiosk("keygen", key.parent)
    stick = tmp_path / "stick" / "kiosk-content"
    kiosk("publish", EMBEDDED_CONTENT_DIR, "--key", key, "--out", stick)
    data = tmp_path / "data"
    kiosk("trust", key.with_suffix(".pub"), "--data-dir", data)
    held = threading.Event()

    def hold_the_lock() -> None:
        with update_lock(DataDirLayout(data)):
            held.set()
            time.sleep(2.0)

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    held.wait(5)
    started = time.monotonic()
    waited = kiosk("import", stick, "--data-dir", data)
    holder.join()
    assert waited.returncode == 0
    assert "Eine andere Aktualisierung läuft" in waited.stderr
    assert time.monotonic() - started >= 1.0


def test_update_commands_never_import_kivy(tmp_path: Path) -> None:
    """They run on the office computer and over SSH on a kiosk: no window, no Kivy."""
    script = (
        "import sys; from kiosk.cli import main; "
        f"main(['keygen', {str(tmp_path / 'k')!r}]); "
        f"main(['trust', {str(tmp_path / 'k' / 'buero.pub')!r}, '--data-dir', {str(tmp_path)!r}]); "
        f"main(['status', '--data-dir', {str(tmp_path)!r}]); "
        "assert not [m for m in sys.modules if m.startswith('kivy')], 'kivy imported'"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=PROJECT
    )
    assert done.returncode == 0, done.stderr
