"""The window half of `kiosk bench`: one headless run, its figures as JSON on stdout's last line.

Run by `kiosk bench` as `python -m kiosk.ui.bench_app MODE --spawn-time T ...`, never by hand.
`bare` opens a Kivy window with one Label (the yardstick); `kiosk` opens the real app, then
times QR textures and screen switches. Kivy is imported only after `configure_kivy`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

WINDOW_SIZE = (800, 480)
QR_COLD_SAMPLES = 30
QR_CACHED_SAMPLES = 1000
# Seconds before a run gives up (the parent waits a little longer): a hung child must not
# hang the benchmark.
WATCHDOG_SECONDS = 150.0


def memory_kib() -> dict[str, int]:
    """PSS (from smaps_rollup) and peak RSS (VmHWM) of this process, in KiB."""
    figures: dict[str, int] = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            figures["pss_kib"] = int(line.split()[1])
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            figures["peak_rss_kib"] = int(line.split()[1])
    return figures


def switch_route(index: int, ids: dict[str, list[str]]) -> tuple[str, str | None]:
    """The index-th step of home → topic → locations → location → offers → offer → home …"""
    cycle, step = divmod(index, 6)
    screen = ("home", "topic", "locations", "location", "offers", "offer")[step]
    topic = ids["topic"][cycle % len(ids["topic"])]
    if screen == "topic":
        return screen, topic
    if screen == "location":
        return screen, ids["location"][cycle % len(ids["location"])]
    if screen == "offers":
        # Every other visit unfiltered: the longest list the kiosk can show.
        return screen, topic if cycle % 2 else None
    if screen == "offer":
        return screen, ids["offer"][cycle % len(ids["offer"])]
    return screen, None


class FrameWatch:
    """Calls a function after each frame is on screen: after the swap and after the GPU is done.

    A bound `on_flip` handler runs before the window's own handler swaps the buffers, and under
    Mesa's software renderer the drawing happens at the swap (or later: swapping an offscreen
    pbuffer need not wait for it). So the watch wraps the window's `flip` and adds a glFinish.
    """

    def __init__(self, window: Any) -> None:
        from kivy.graphics.opengl import glFinish

        self._window = window
        self._original_flip: Callable[[], None] = window.flip
        self._gl_finish: Callable[[], None] = glFinish
        self.listener: Callable[[], None] | None = None
        window.flip = self._flip

    def _flip(self) -> None:
        self._original_flip()
        self._gl_finish()
        if self.listener is not None:
            self.listener()

    def close(self) -> None:
        self.listener = None
        self._window.flip = self._original_flip


class Phases:
    """Wall-clock marks from the parent's spawn to the first frame, as milliseconds per phase."""

    def __init__(self, spawn_time: float) -> None:
        self._last = spawn_time
        self.spans: dict[str, float] = {}

    def mark(self, name: str) -> None:
        now = time.time()
        self.spans[name] = (now - self._last) * 1000
        self._last = now


def run_bare(spawn_time: float, phases: Phases) -> dict[str, Any]:
    from kivy.app import App
    from kivy.core.window import Window
    from kivy.uix.label import Label

    phases.mark("imports")
    result: dict[str, Any] = {}
    watch = FrameWatch(Window)

    class BareApp(App):  # type: ignore[misc]
        def build(self) -> Any:
            return Label(text="Familienbüro Siegen")

        def on_start(self) -> None:
            phases.mark("build")
            watch.listener = first_frame

    def first_frame() -> None:
        result["first_frame_ms"] = (time.time() - spawn_time) * 1000
        phases.mark("first_draw")
        result["first_frame_phases_ms"] = phases.spans
        result.update(memory_kib())
        watch.close()
        App.get_running_app().stop()

    _run_with_watchdog(BareApp())
    return result


def run_kiosk(
    spawn_time: float,
    phases: Phases,
    content_dir: Path,
    switches: int,
    data_dir: Path | None = None,
) -> dict[str, Any]:
    from kivy.clock import Clock
    from kivy.core.window import Window

    from kiosk.ui.app import KioskApp
    from kiosk.ui.services import build_services

    phases.mark("imports")
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as scratch:
        # A given data dir is a restart: the kiosk has run (and validated this content) before.
        services = build_services(content_dir, data_dir or Path(scratch))
        phases.mark("content")
        catalog = services.catalog
        app = KioskApp(services=services)
        watch = FrameWatch(Window)
        today = services.now().date()
        ids = {
            "topic": [t.id for t in catalog.topics],
            "location": [loc.id for loc in catalog.locations],
            "offer": [o.id for o in catalog.offers_valid_on(today)],
        }
        timings: list[tuple[str, float]] = []
        targets: list[str | None] = []
        started = 0.0
        current = ""

        def first_frame() -> None:
            result["first_frame_ms"] = (time.time() - spawn_time) * 1000
            phases.mark("first_draw")
            result["first_frame_phases_ms"] = phases.spans
            result.update({f"first_frame_{k}": v for k, v in memory_kib().items()})
            watch.listener = None
            Clock.schedule_once(measure_qr_then_switch, 0)

        def measure_qr_then_switch(_dt: float) -> None:
            result.update(qr_texture_times(catalog.settings.allowed_link_hosts))
            Clock.schedule_once(next_switch, 0)

        def next_switch(_dt: float) -> None:
            nonlocal started, current
            if len(timings) >= switches:
                finish()
                return
            screen, target = switch_route(len(timings) + 1, ids)
            current = screen
            targets.append(target)
            watch.listener = switched
            started = time.perf_counter()
            app.open(screen, target)

        def switched() -> None:
            timings.append((current, (time.perf_counter() - started) * 1000))
            watch.listener = None
            Clock.schedule_once(next_switch, 0)

        def finish() -> None:
            watch.close()
            times = [ms for _, ms in timings]
            result["switches"] = len(times)
            if not times:  # a start-up measurement only
                app.stop()
                return
            result["switch_p50_ms"] = statistics.median(times)
            result["switch_p95_ms"] = percentile(times, 95)
            result["switch_max_ms"] = max(times)
            by_screen: dict[str, list[float]] = {}
            for screen, ms in timings:
                by_screen.setdefault(screen, []).append(ms)
            result["switch_p50_by_screen_ms"] = {
                s: statistics.median(v) for s, v in by_screen.items()
            }
            result["switch_max_by_screen_ms"] = {s: max(v) for s, v in by_screen.items()}
            # Every switch in order, for a closer look at the slow ones (the parent ignores it).
            result["switch_log"] = [
                [screen, target, round(ms, 2)]
                for (screen, ms), target in zip(timings, targets, strict=True)
            ]
            result.update({f"after_switches_{k}": v for k, v in memory_kib().items()})
            app.stop()

        def start(*_args: Any) -> None:
            phases.mark("build")
            watch.listener = first_frame

        app.bind(on_start=start)
        try:
            _run_with_watchdog(app)
        finally:
            services.state.close()

    return result


def qr_texture_times(hosts: Sequence[str]) -> dict[str, float]:
    """Median times of QrTextures.texture_for: a new cache per link, then one link again."""
    from kiosk.qr import LinkPolicy, QrCache
    from kiosk.ui.widgets.qrcode_widget import QrTextures

    url = f"https://{hosts[0]}/familienbuero/bench"
    cold = []
    for n in range(QR_COLD_SAMPLES):
        textures = QrTextures(QrCache(LinkPolicy(hosts)))
        began = time.perf_counter()
        textures.texture_for(f"{url}/{n}")
        cold.append((time.perf_counter() - began) * 1000)
    cached = []
    for _ in range(QR_CACHED_SAMPLES):
        began = time.perf_counter()
        textures.texture_for(f"{url}/0")
        cached.append((time.perf_counter() - began) * 1000)
    return {
        "qr_texture_cold_ms": statistics.median(cold),
        "qr_texture_cached_ms": statistics.median(cached),
    }


def percentile(values: Sequence[float], pct: int) -> float:
    """The pct-th percentile, interpolated between the closest ranks."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def _run_with_watchdog(app: Any) -> None:
    """Run the app; a hung run ends the process, so the parent sees a failure, not a hang."""

    def give_up() -> None:
        print(f"bench_app: no result after {WATCHDOG_SECONDS:.0f} s", file=sys.stderr, flush=True)
        os._exit(3)

    # A thread, not a Clock event: it fires even when a frame never ends.
    watchdog = threading.Timer(WATCHDOG_SECONDS, give_up)
    watchdog.daemon = True
    watchdog.start()
    try:
        app.run()
    finally:
        watchdog.cancel()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.ui.bench_app")
    parser.add_argument("mode", choices=("bare", "kiosk"))
    parser.add_argument("--spawn-time", type=float, required=True, help="parent's time.time()")
    parser.add_argument("--content", type=Path)
    parser.add_argument("--switches", type=int, default=200)
    parser.add_argument("--data-dir", type=Path, help="reuse this data dir (a restart)")
    args = parser.parse_args(argv)
    phases = Phases(args.spawn_time)
    phases.mark("interpreter")

    for key in ("KIVY_NO_ARGS", "KIVY_NO_CONFIG", "KIVY_NO_FILELOG", "KIVY_NO_CONSOLELOG"):
        os.environ.setdefault(key, "1")
    os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    os.environ.setdefault("KIVY_METRICS_DENSITY", "1")
    from kiosk.ui.launch import configure_kivy

    configure_kivy(fullscreen=False, size=WINDOW_SIZE, keep_input=False)
    if args.mode == "bare":
        result = run_bare(args.spawn_time, phases)
    else:
        if args.content is None:
            parser.error("kiosk mode needs --content")
        result = run_kiosk(args.spawn_time, phases, args.content, args.switches, args.data_dir)
    # The parent reads the last line; Kivy or SDL may have printed before it.
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
