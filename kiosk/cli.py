"""The `kiosk` command. Only `run` imports Kivy; every other command opens no window."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

DEFAULT_DATA_DIR = Path(os.environ.get("KIOSK_DATA_DIR", Path.home() / ".local/share/kiosk"))


UPDATE_COMMANDS = ("keygen", "publish", "trust", "import", "sync", "revert", "status")


def _size(value: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{2,5})x(\d{2,5})", value)
    if not match:
        raise argparse.ArgumentTypeError(f'"{value}" is not a size like 800x480')
    return int(match[1]), int(match[2])


def build_parser() -> argparse.ArgumentParser:
    from kiosk.content.loader import EMBEDDED_CONTENT_DIR

    parser = argparse.ArgumentParser(prog="kiosk", description="Familienbüro touchscreen kiosk")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="start the kiosk (fullscreen unless --windowed)")
    run.add_argument(
        "--content",
        type=Path,
        default=None,
        metavar="DIR",
        help="show this folder (default: the imported release, else the embedded content)",
    )
    run.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, metavar="DIR")
    run.add_argument("--lang", metavar="CODE", help="start language (default: from settings)")
    run.add_argument("--windowed", action="store_true", help="a window instead of fullscreen")
    run.add_argument("--size", type=_size, default=None, metavar="WxH", help="window size")

    validate = commands.add_parser("validate", help="check a content folder")
    validate.add_argument("folder", type=Path, metavar="DIR")
    validate.add_argument("--quiet", action="store_true", help="errors only, no warnings")

    keygen = commands.add_parser("keygen", help="create the office signing key pair")
    keygen.add_argument("folder", type=Path, metavar="DIR")
    keygen.add_argument("--name", default="buero", help="file name of the key (default: buero)")

    publish = commands.add_parser("publish", help="check, sign and write a content release")
    publish.add_argument("content", type=Path, metavar="CONTENT_DIR")
    publish.add_argument("--key", type=Path, required=True, metavar="KEYFILE")
    publish.add_argument("--out", type=Path, required=True, metavar="OUT_DIR")
    publish.add_argument("--version", type=int, default=None, metavar="N")
    publish.add_argument(
        "--expires-days",
        type=int,
        default=365,
        metavar="DAYS",
        help="how long kiosks accept this release (default: 365)",
    )

    trust = commands.add_parser("trust", help="make this kiosk trust a public key")
    trust.add_argument("public_key", type=Path, metavar="PUBFILE")
    trust.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, metavar="DIR")

    importing = commands.add_parser("import", help="verify and activate a published folder")
    importing.add_argument("source", type=Path, metavar="SOURCE")
    importing.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, metavar="DIR")

    sync = commands.add_parser("sync", help="verify and activate a release from a web server")
    sync.add_argument("url", metavar="URL")
    sync.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, metavar="DIR")

    revert = commands.add_parser("revert", help="go back to the previous content release")
    revert.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, metavar="DIR")

    status = commands.add_parser("status", help="active content and the last update attempt")
    status.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, metavar="DIR")
    status.add_argument("--json", action="store_true", help="machine-readable output")

    from kiosk.admin.commands import add_set_pin_parser
    from kiosk.system.service_unit import add_install_service_parser

    add_set_pin_parser(commands, DEFAULT_DATA_DIR)
    add_install_service_parser(commands)

    bench_updates = commands.add_parser(
        "bench-updates", help="measure import speed and sync transfer sizes"
    )
    bench_updates.add_argument("--json", action="store_true", help="print JSON")
    bench_updates.add_argument("--rounds", type=int, default=3, help="repeats of the import")
    bench_updates.add_argument("--images", type=int, default=200, help="images of ~1 MB")

    bench = commands.add_parser("bench", help="measure load time, start-up, memory, switches")
    bench.add_argument("--json", action="store_true", help="print JSON instead of a table")
    bench.add_argument("--content", type=Path, default=EMBEDDED_CONTENT_DIR, metavar="DIR")
    bench.add_argument("--rounds", type=int, default=3, help="repeats of each start-up run")
    return parser


def cmd_validate(folder: Path, quiet: bool) -> int:
    from kiosk.content.validation import validate_folder

    report = validate_folder(folder)
    shown = report.errors if quiet else report.problems
    for problem in shown:
        print(problem)
    errors, warnings = len(report.errors), len(report.warnings)
    if errors:
        print(f"{folder}: {errors} error(s), {warnings} warning(s): the kiosk will not show this.")
        return 1
    print(f"{folder}: OK, {warnings} warning(s).")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from kiosk.ui.launch import launch

    return launch(
        content_dir=args.content,
        data_dir=args.data_dir,
        language=args.lang,
        fullscreen=not args.windowed,
        size=args.size,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "validate":
        return cmd_validate(args.folder, args.quiet)
    if args.command in UPDATE_COMMANDS:
        from kiosk.updates import commands

        return int(getattr(commands, f"cmd_{args.command}")(args))
    if args.command == "install-service":
        from kiosk.system.service_unit import cmd_install_service

        return cmd_install_service(args)
    if args.command == "set-pin":
        from kiosk.admin.commands import cmd_set_pin

        return cmd_set_pin(args)
    if args.command == "bench-updates":
        from kiosk.updates.bench import run_update_bench

        return run_update_bench(as_json=args.json, rounds=args.rounds, images=args.images)
    if args.command == "bench":
        from kiosk.bench import run_bench

        return run_bench(content_dir=args.content, as_json=args.json, rounds=args.rounds)
    return cmd_run(args)


if __name__ == "__main__":
    sys.exit(main())
