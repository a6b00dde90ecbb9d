"""`kiosk set-pin`: set or remove the staff PIN of the admin screen, from a shell.

Asks twice without echo (getpass), or reads one line with --stdin for scripts. Every failure is
one plain line (German on a German desktop) and exit status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TextIO

from kiosk.admin.pin import MAX_DIGITS, MIN_DIGITS, PinRejected, PinStore
from kiosk.updates.refusal import staff_language

__all__ = ["EXIT_FAILED", "add_set_pin_parser", "cmd_set_pin"]

EXIT_FAILED = 1


def add_set_pin_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    default_data_dir: Path,
) -> argparse.ArgumentParser:
    """Add the `set-pin` command to the `kiosk` parser; dispatch on args.command == "set-pin"."""
    parser = subparsers.add_parser(
        "set-pin",
        help="set (or --remove) the staff PIN of the admin screen",
        description=(
            f"Set the staff PIN ({MIN_DIGITS}-{MAX_DIGITS} digits) that opens the admin screen. "
            "There is no default PIN: without one the admin screen cannot be opened."
        ),
    )
    parser.add_argument("--data-dir", type=Path, default=default_data_dir, metavar="DIR")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--stdin", action="store_true", help="read the PIN from one line of standard input"
    )
    mode.add_argument("--remove", action="store_true", help="delete the PIN (admin screen shut)")
    return parser


def cmd_set_pin(args: argparse.Namespace) -> int:
    """Run `kiosk set-pin` with the arguments of add_set_pin_parser; return the exit status."""
    store = PinStore(args.data_dir)
    if args.remove:
        try:
            store.remove()
        except OSError as exc:
            return _fail(_say("PIN konnte nicht gelöscht werden", "Could not delete the PIN"), exc)
        print(
            _say(
                "PIN gelöscht: der Verwaltungsbereich lässt sich nicht mehr öffnen.",
                "PIN deleted: the admin screen can no longer be opened.",
            )
        )
        return 0
    try:
        if args.stdin:
            pin = _read_line(sys.stdin)
        else:
            pin = getpass.getpass(_say("Neue PIN: ", "New PIN: "))
            again = getpass.getpass(_say("PIN wiederholen: ", "Repeat the PIN: "))
            if pin != again:
                print(
                    _say(
                        "Die beiden Eingaben stimmen nicht überein; die PIN bleibt unverändert.",
                        "The two entries differ; the PIN is unchanged.",
                    ),
                    file=sys.stderr,
                )
                return EXIT_FAILED
    except (EOFError, KeyboardInterrupt):
        print(
            _say("Abgebrochen; die PIN bleibt unverändert.", "Cancelled; the PIN is unchanged."),
            file=sys.stderr,
        )
        return EXIT_FAILED
    try:
        store.set_pin(pin)
    except PinRejected as rejected:
        print(rejected.text(staff_language()), file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:
        return _fail(_say("PIN konnte nicht gespeichert werden", "Could not save the PIN"), exc)
    print(_say(f"PIN gespeichert in {store.path}.", f"PIN saved in {store.path}."))
    return 0


def _read_line(stream: TextIO) -> str:
    line = stream.readline()
    if not line:
        raise EOFError
    return line.strip()


def _say(de: str, en: str) -> str:
    return de if staff_language() == "de" else en


def _fail(what: str, exc: OSError) -> int:
    detail = exc.strerror or str(exc)
    where = f" ({exc.filename})" if exc.filename else ""
    print(f"{what}{where}: {detail}", file=sys.stderr)
    return EXIT_FAILED
