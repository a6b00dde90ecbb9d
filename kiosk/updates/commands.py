"""The update commands of `kiosk`: keygen, publish, trust, import, sync, revert, status.

Staff run these; every refusal is one plain sentence (German on a German desktop) and a
non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.updates.refusal import UpdateRefused, staff_language

if TYPE_CHECKING:
    from kiosk.updates.importer import Source

EXIT_REFUSED = 1
EXIT_UNHEALTHY = 2
EXIT_BUSY = 3


def _say(de: str, en: str) -> str:
    return de if staff_language() == "de" else en


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return EXIT_REFUSED


def cmd_keygen(args: argparse.Namespace) -> int:
    from kiosk.updates.keys import KeyFileError, generate_key, load_public_key, short_keyid

    try:
        private_path, public_path = generate_key(args.folder, args.name)
    except (KeyFileError, OSError) as exc:
        return _fail(str(exc))
    keyid = short_keyid(load_public_key(public_path).keyid)
    print(f"{private_path}  (private: keep it in the office, never on a kiosk or stick)")
    print(f"{public_path}  (public: `kiosk trust {public_path.name}` on each kiosk)")
    print(f"key id {keyid}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from kiosk.updates.keys import KeyFileError
    from kiosk.updates.publish import PublishError, publish

    try:
        release = publish(
            args.content,
            args.key,
            args.out,
            version=args.version,
            expires_days=args.expires_days,
        )
    except PublishError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return EXIT_REFUSED
    except (KeyFileError, OSError) as exc:
        return _fail(str(exc))
    print(
        f"{release.out_dir}: version {release.version} published, {release.files} files "
        f"({release.total_bytes / 1e6:.1f} MB, {release.new_files} new), "
        f"signed with key {release.keyid[:16]}"
    )
    return 0


def cmd_trust(args: argparse.Namespace) -> int:
    from kiosk.updates.keys import KeyFileError, short_keyid
    from kiosk.updates.layout import DataDirLayout
    from kiosk.updates.trust import TrustStore

    try:
        keyid, reset = TrustStore(DataDirLayout(args.data_dir)).add_key(args.public_key)
    except (KeyFileError, OSError) as exc:
        return _fail(str(exc))
    print(
        _say(
            f"Schlüssel {short_keyid(keyid)} ist jetzt vertrauenswürdig.",
            f"Key {short_keyid(keyid)} is now trusted.",
        )
    )
    if reset:
        print(
            _say(
                "Neuer Büroschlüssel: die nächste Aktualisierung beginnt mit diesem Schlüssel.",
                "New office key: the next update starts from this key.",
            )
        )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from kiosk.updates.importer import FolderSource

    try:
        source = FolderSource(args.source)
    except UpdateRefused as refusal:
        return _report_refusal(args.data_dir, refusal, str(args.source), "usb")
    return _run_update(source, args.data_dir)


def cmd_sync(args: argparse.Namespace) -> int:
    from kiosk.updates.importer import HttpSource

    try:
        source = HttpSource(args.url)
    except UpdateRefused as refusal:
        return _report_refusal(args.data_dir, refusal, args.url, "network")
    return _run_update(source, args.data_dir)


def cmd_revert(args: argparse.Namespace) -> int:
    from kiosk.updates.lock import UpdateBusy
    from kiosk.updates.revert import revert_to_previous

    try:
        reverted = revert_to_previous(args.data_dir)
    except UpdateRefused as refusal:
        return _fail(refusal.text(staff_language()))
    except UpdateBusy:
        print(_say("Eine Aktualisierung läuft gerade.", "An update is running."), file=sys.stderr)
        return EXIT_BUSY
    print(
        _say(
            f"Version {reverted.release.version} ist wieder aktiv; Version "
            f"{reverted.withdrawn_version} ist zurückgenommen. Der Kiosk zeigt sie nach dem "
            "nächsten Leerlauf.",
            f"Version {reverted.release.version} is active again; version "
            f"{reverted.withdrawn_version} is withdrawn. The kiosk shows it after its next idle "
            "reset.",
        )
    )
    return 0


def _report_refusal(data_dir: Path, refusal: UpdateRefused, label: str, kind: str) -> int:
    from kiosk.updates.importer import record_refusal

    with contextlib.suppress(OSError):
        record_refusal(data_dir, label, kind, refusal)
    return _fail(_say("Abgelehnt: ", "Refused: ") + refusal.text(staff_language()))


def _run_update(source: Source, data_dir: Path) -> int:
    from kiosk.updates.importer import update_from
    from kiosk.updates.lock import UpdateBusy

    try:
        result = update_from(
            source,
            data_dir,
            on_wait=lambda: print(
                _say(
                    "Eine andere Aktualisierung läuft; warte …",
                    "Another update is running; waiting …",
                ),
                file=sys.stderr,
            ),
        )
    except UpdateRefused as refusal:
        return _fail(_say("Abgelehnt: ", "Refused: ") + refusal.text(staff_language()))
    except UpdateBusy:
        return _fail(_say("Eine andere Aktualisierung läuft noch.", "Another update is running."))
    for warning in result.warnings:
        print(warning.text(staff_language()), file=sys.stderr)
    if result.result == "current":
        print(
            _say(
                f"Version {result.version} ist bereits aktiv.",
                f"Version {result.version} is already active.",
            )
        )
    else:
        print(
            _say(
                f"Inhalt aktualisiert auf Version {result.version} "
                f"({result.files_fetched} Dateien kopiert, {result.files_reused} übernommen).",
                f"Content updated to version {result.version} "
                f"({result.files_fetched} files copied, {result.files_reused} reused).",
            )
        )
    print(result.release.content_dir)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from kiosk.content.loader import EMBEDDED_CONTENT_DIR
    from kiosk.system.health import check_health
    from kiosk.system.heartbeat import runtime_dir
    from kiosk.updates.status import describe_status, update_status

    status = update_status(args.data_dir, EMBEDDED_CONTENT_DIR)
    health = check_health(
        args.data_dir, status, now=datetime.now().astimezone(), runtime=runtime_dir()
    )
    language = staff_language()
    if args.json:
        print(json.dumps({**status, **health.as_json(language)}, indent=2, ensure_ascii=False))
    else:
        print("\n".join(health.describe(language) + describe_status(status)))
    # For monitoring: 0 healthy, 2 not (1 stays "refused" for the update commands).
    return 0 if health.healthy else EXIT_UNHEALTHY
