"""Make the README screenshots from the real app, headless, one child process per window size.

    python scripts/screenshots.py              # 800x480 and 720x1280 into docs/screenshots
    python scripts/screenshots.py --all        # also 1280x800 and 1920x1080
    python scripts/screenshots.py --out /tmp/shots

Kivy reads the window size once, at import, so every size runs in its own process
(`--child WxH`). The clock is fixed, so opening hours and offer dates look the same on every run.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "docs" / "screenshots"
ALL_SIZES = ("800x480", "1280x800", "1920x1080", "720x1280")
DEFAULT_SIZES = ("800x480", "720x1280")
FIXED_NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
# (screen, target) in the order they are opened and photographed.
STEPS: tuple[tuple[str, str | None], ...] = (
    ("home", None),
    ("topic", "kinderbetreuung"),
    ("locations", None),
    ("location", "standort-mitte"),
    ("offers", None),
    ("offer", "babytreff"),
)
FIRST_FRAME_SECONDS = 0.5  # let the window show its first frame before the first step
SETTLE_SECONDS = 0.3  # layout, textures and QR codes of a freshly opened screen
CHILD_TIMEOUT_SECONDS = 120  # a window that never draws must not hang the run
MAX_PNG_BYTES = 60 * 1024  # README images: small enough for the repository
PALETTE_STEPS = (256, 128, 64)
CHILD_ENV = {
    "SDL_VIDEODRIVER": "offscreen",
    "KIVY_NO_ARGS": "1",
    "KIVY_NO_CONFIG": "1",
    "KIVY_NO_FILELOG": "1",
    "KIVY_METRICS_DENSITY": "1",
}


def parse_size(value: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{2,5})x(\d{2,5})", value)
    if not match:
        raise argparse.ArgumentTypeError(f'"{value}" is not a size like 800x480')
    return int(match[1]), int(match[2])


def shrink_png(source: Path, target: Path) -> None:
    """Save as a palette PNG: a flat UI loses nothing visible and shrinks a lot.

    256 colours first; fewer only when a busy screen (the map) stays over the size budget.
    """
    from PIL import Image

    with Image.open(source) as image:
        rgb = image.convert("RGB")
    data = b""
    for colors in PALETTE_STEPS:
        buffer = io.BytesIO()
        rgb.quantize(colors, dither=Image.Dither.NONE).save(buffer, "PNG", optimize=True)
        data = buffer.getvalue()
        if len(data) <= MAX_PNG_BYTES:
            break
    target.write_bytes(data)


def run_child(size: tuple[int, int], out: Path) -> int:
    """Runs inside the child process: one window size, every screen, then quit."""
    width, height = size
    from kiosk.ui.launch import configure_kivy

    configure_kivy(fullscreen=False, size=size, keep_input=False)
    # Kivy's console log would otherwise carry Pillow's chunk-by-chunk PNG debug lines.
    logging.getLogger("PIL").setLevel(logging.INFO)

    from kivy.clock import Clock
    from kivy.core.window import Window

    from kiosk.ui.app import KioskApp
    from kiosk.ui.services import build_services

    out.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="kiosk-shots-") as tmp:
        tmp_dir = Path(tmp)
        services = build_services(REPO / "content", tmp_dir / "data", now=lambda: FIXED_NOW)
        app = KioskApp(services=services)

        def snap(index: int) -> Callable[[float], None]:
            screen, _target = STEPS[index]

            def take(_dt: float) -> None:
                # Kivy appends a counter ("home0001.png"); use the path it reports.
                raw = Window.screenshot(name=str(tmp_dir / f"{screen}.png"))
                final = out / f"{screen}-{width}x{height}.png"
                if raw and Path(raw).is_file():
                    shrink_png(Path(raw), final)
                    print(f"{final} ({final.stat().st_size // 1024} KB)")
                else:
                    failures.append(screen)
                step(index + 1)

            return take

        def step(index: int) -> None:
            if index >= len(STEPS):
                app.stop()
                return
            screen, target = STEPS[index]
            app.open(screen, target)
            Clock.schedule_once(snap(index), SETTLE_SECONDS)

        Clock.schedule_once(lambda _dt: step(0), FIRST_FRAME_SECONDS)
        try:
            app.run()
        finally:
            services.state.usage.flush()
            services.state.close()
    if failures:
        print(f"no screenshot for: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


def run_parent(sizes: Sequence[str], out: Path) -> int:
    env = {**os.environ, **CHILD_ENV}
    status = 0
    for size in sizes:
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            size,
            "--out",
            str(out),
        ]
        try:
            result = subprocess.run(
                command, env=env, cwd=REPO, check=False, timeout=CHILD_TIMEOUT_SECONDS
            )
        except subprocess.TimeoutExpired:
            print(f"{size}: no result after {CHILD_TIMEOUT_SECONDS} s; the child was stopped")
            status = 1
            continue
        if result.returncode != 0:
            print(f"{size}: the child process failed with exit code {result.returncode}")
            status = 1
    return status


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="all sizes: " + ", ".join(ALL_SIZES))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR")
    parser.add_argument("--child", type=parse_size, metavar="WxH", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    if args.child is not None:
        return run_child(args.child, out)
    return run_parent(ALL_SIZES if args.all else DEFAULT_SIZES, out)


if __name__ == "__main__":
    sys.exit(main())
