"""`kiosk bench`: content load, start-up, memory, screen switches and QR codes, with targets.

Imports no Kivy: window figures come from child processes (`python -m kiosk.ui.bench_app`), each
run `rounds` times beside a bare Kivy window (one Label) as the yardstick, because absolute
figures drift on shared machines. Targets live here, never in timed unit tests; every figure
quoted is a median.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from kiosk.content.loader import load_catalog
from kiosk.content.problems import ContentError
from kiosk.qr import LinkPolicy, QrCache

SYNTHETIC_OFFERS = 10_000
SWITCHES = 200
LOAD_SAMPLES_SHIPPED = 5
LOAD_SAMPLES_SYNTHETIC = 3
QR_COLD_SAMPLES = 50
QR_CACHED_SAMPLES = 1000
CHILD_TIMEOUT_SECONDS = 180.0
WINDOW_SIZE = "800x480"

# Targets for a 2-core x86 machine, headless (Mesa's software renderer).
FIRST_FRAME_MAX_RATIO = 1.5  # kiosk first frame / bare window first frame
PSS_MAX_EXTRA_MIB = 30.0  # kiosk PSS - bare window PSS
SWITCH_P95_MAX_MS = 50.0
QR_CACHED_MAX_MS = 1.0

CHILD_ENV = {
    "KIVY_NO_ARGS": "1",
    "KIVY_NO_CONFIG": "1",
    "KIVY_NO_FILELOG": "1",
    "KIVY_NO_CONSOLELOG": "1",
    "KIVY_METRICS_DENSITY": "1",
}


class ChildFailed(RuntimeError):
    """A window run crashed, hung or printed no result."""

    def __init__(self, command: Sequence[str], reason: str, stderr: str) -> None:
        super().__init__(f"{' '.join(command)}: {reason}")
        self.stderr = stderr


@dataclass(frozen=True)
class Row:
    """One line of the table: a figure, its target in words, and whether it is met."""

    metric: str
    value: str
    target: str = ""
    result: str = "info"


# ---- synthetic content --------------------------------------------------------------------
def make_synthetic_content(src: Path, dst: Path, offers: int) -> Path:
    """A copy of the content folder `src` in `dst` whose offers.json holds `offers` offers.

    Settings, topics, locations and images are copied as they are; the offers cycle through
    the topics, link to the first allowed host and are valid from a month ago for a year, so
    the kiosk shows every one of them today.
    """
    src, dst = Path(src), Path(dst)
    shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("offers.json"))
    settings = json.loads((src / "settings.json").read_text(encoding="utf-8"))
    topic_ids = [
        t["id"] for t in json.loads((src / "topics.json").read_text(encoding="utf-8"))["topics"]
    ]
    languages: list[str] = settings["languages"]
    host: str = settings["allowed_link_hosts"][0]
    today = date.today()
    valid_from, valid_until = today - timedelta(days=30), today + timedelta(days=365)

    def text(de: str, en: str) -> dict[str, str]:
        # Every configured language, so the texts raise no "missing translation" warnings.
        return {code: de if code == "de" else en for code in {"de", *languages}}

    entries = []
    for n in range(offers):
        topics = [topic_ids[n % len(topic_ids)]]
        if n % 3 == 0 and len(topic_ids) > 1:
            topics.append(topic_ids[(n + 1) % len(topic_ids)])
        entries.append(
            {
                "id": f"angebot-{n:05d}",
                "partner": {
                    "name": f"Beispielverein {n % 97} e. V.",
                    "url": f"https://{host}/familienbuero/partner/verein-{n % 97}",
                },
                "title": text(f"Angebot Nummer {n}", f"Offer number {n}"),
                "description": text(
                    f"Ein Angebot zum Ausprobieren, Nummer {n}. Jede Woche, ohne Anmeldung.",
                    f"An offer to try out, number {n}. Every week, no registration.",
                ),
                "audience": text("Eltern mit Kindern", "Parents with children"),
                "cost": text("kostenlos", "free of charge"),
                "languages": ["de", "en"],
                "valid_from": valid_from.isoformat(),
                "valid_until": valid_until.isoformat(),
                "topic_ids": topics,
                "url": f"https://{host}/familienbuero/angebote/angebot-{n:05d}",
            }
        )
    document = {"$schema": "../kiosk/content/schema/offers.schema.json", "offers": entries}
    (dst / "offers.json").write_text(
        json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return dst


# ---- in-process measurements -------------------------------------------------------------
def median_ms(action: Callable[[], object], samples: int) -> float:
    times = []
    for _ in range(samples):
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def load_times(content_dir: Path, synthetic_dir: Path) -> dict[str, float]:
    return {
        "load_shipped_ms": median_ms(lambda: load_catalog(content_dir), LOAD_SAMPLES_SHIPPED),
        "load_10k_offers_ms": median_ms(
            lambda: load_catalog(synthetic_dir), LOAD_SAMPLES_SYNTHETIC
        ),
    }


def qr_times(allowed_hosts: Sequence[str]) -> dict[str, float]:
    """QrCache.matrix_for: a new cache and a new link each time, then one link again."""
    url = f"https://{allowed_hosts[0]}/familienbuero/bench"
    urls = iter(range(QR_COLD_SAMPLES))
    cold = median_ms(
        lambda: QrCache(LinkPolicy(allowed_hosts)).matrix_for(f"{url}/{next(urls)}"),
        QR_COLD_SAMPLES,
    )
    cache = QrCache(LinkPolicy(allowed_hosts))
    cache.matrix_for(url)
    cached = median_ms(lambda: cache.matrix_for(url), QR_CACHED_SAMPLES)
    return {"qr_matrix_cold_ms": cold, "qr_matrix_cached_ms": cached}


# ---- window runs ------------------------------------------------------------------------
def child_env() -> dict[str, str]:
    env = dict(os.environ) | CHILD_ENV
    # Mesa EGL without an X server; an explicit choice (a real display) is kept.
    env.setdefault("SDL_VIDEODRIVER", "offscreen")
    return env


def run_child(mode: str, *extra: str) -> dict[str, Any]:
    """One window run; the figures it printed as JSON on its last line."""
    spawned = time.time()
    command = [sys.executable, "-m", "kiosk.ui.bench_app", mode, "--spawn-time", repr(spawned)]
    command += extra
    try:
        done = subprocess.run(
            command,
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr or ""
        if isinstance(stderr, bytes):
            stderr = stderr.decode(errors="replace")
        raise ChildFailed(
            command, f"no result after {CHILD_TIMEOUT_SECONDS:.0f} s", stderr
        ) from exc
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise ChildFailed(command, f"exit status {done.returncode}", done.stderr)
    try:
        result: dict[str, Any] = json.loads(lines[-1])
    except json.JSONDecodeError as exc:
        raise ChildFailed(command, f"no JSON result: {lines[-1]!r}", done.stderr) from exc
    return result


def median_of(runs: Sequence[dict[str, Any]], key: str) -> float:
    return statistics.median(float(run[key]) for run in runs)


def median_by_key(runs: Sequence[dict[str, Any]], key: str) -> dict[str, float]:
    """Medians of a breakdown (per screen, per phase), in the order the first run lists it."""
    names = list(dict.fromkeys(name for run in runs for name in run[key]))
    return {n: statistics.median(run[key][n] for run in runs if n in run[key]) for n in names}


def window_figures(content_dir: Path, synthetic_dir: Path, rounds: int) -> dict[str, Any]:
    """Bare window, kiosk and kiosk with 10,000 offers, interleaved so drift hits all three."""
    bare: list[dict[str, Any]] = []
    shipped: list[dict[str, Any]] = []
    restart: list[dict[str, Any]] = []
    synthetic: list[dict[str, Any]] = []
    switches = ("--switches", str(SWITCHES))
    for _ in range(rounds):
        bare.append(run_child("bare"))
        with tempfile.TemporaryDirectory(prefix="kiosk-bench-data-") as data_dir:
            # First start: validates the content. Restart: a kiosk booting again, as it does
            # every morning, with content it validated before.
            kiosk = ("kiosk", "--content", str(content_dir), "--data-dir", data_dir)
            shipped.append(run_child(*kiosk, *switches))
            restart.append(run_child(*kiosk, "--switches", "0"))
        synthetic.append(run_child("kiosk", "--content", str(synthetic_dir), *switches))
    mib = 1024.0
    return {
        "bare_first_frame_ms": median_of(bare, "first_frame_ms"),
        "bare_first_frame_phases_ms": median_by_key(bare, "first_frame_phases_ms"),
        "bare_pss_mib": median_of(bare, "pss_kib") / mib,
        "bare_peak_rss_mib": median_of(bare, "peak_rss_kib") / mib,
        "first_frame_first_start_ms": median_of(shipped, "first_frame_ms"),
        "first_frame_first_start_phases_ms": median_by_key(shipped, "first_frame_phases_ms"),
        "first_frame_ms": median_of(restart, "first_frame_ms"),
        "first_frame_phases_ms": median_by_key(restart, "first_frame_phases_ms"),
        "pss_mib": median_of(shipped, "first_frame_pss_kib") / mib,
        "pss_after_switches_mib": median_of(shipped, "after_switches_pss_kib") / mib,
        "peak_rss_mib": median_of(shipped, "after_switches_peak_rss_kib") / mib,
        "switch_p50_ms": median_of(shipped, "switch_p50_ms"),
        "switch_p95_ms": median_of(shipped, "switch_p95_ms"),
        "switch_max_ms": median_of(shipped, "switch_max_ms"),
        "qr_texture_cold_ms": median_of(shipped, "qr_texture_cold_ms"),
        "qr_texture_cached_ms": median_of(shipped, "qr_texture_cached_ms"),
        "first_frame_10k_offers_ms": median_of(synthetic, "first_frame_ms"),
        "pss_10k_offers_mib": median_of(synthetic, "first_frame_pss_kib") / mib,
        "peak_rss_10k_offers_mib": median_of(synthetic, "after_switches_peak_rss_kib") / mib,
        "switch_p50_10k_offers_ms": median_of(synthetic, "switch_p50_ms"),
        "switch_p95_10k_offers_ms": median_of(synthetic, "switch_p95_ms"),
        "switch_max_10k_offers_ms": median_of(synthetic, "switch_max_ms"),
        "switch_p50_by_screen_ms": median_by_key(shipped, "switch_p50_by_screen_ms"),
        "switch_p50_by_screen_10k_offers_ms": median_by_key(synthetic, "switch_p50_by_screen_ms"),
        "switch_max_by_screen_10k_offers_ms": median_by_key(synthetic, "switch_max_by_screen_ms"),
    }


# ---- verdicts and output ----------------------------------------------------------------
def verdicts(figures: dict[str, Any]) -> dict[str, bool]:
    """Each target, met or not."""
    return {
        "first_frame": figures["first_frame_ratio"] <= FIRST_FRAME_MAX_RATIO,
        "pss": figures["pss_extra_mib"] <= PSS_MAX_EXTRA_MIB,
        "switch_p95": figures["switch_p95_ms"] <= SWITCH_P95_MAX_MS,
        "switch_p95_10k_offers": figures["switch_p95_10k_offers_ms"] <= SWITCH_P95_MAX_MS,
        "qr_matrix_cached": figures["qr_matrix_cached_ms"] <= QR_CACHED_MAX_MS,
        "qr_texture_cached": figures["qr_texture_cached_ms"] <= QR_CACHED_MAX_MS,
    }


def table_rows(figures: dict[str, Any], passed: dict[str, bool]) -> list[Row]:
    def verdict(name: str, detail: str = "") -> str:
        word = "PASS" if passed[name] else "FAIL"
        return f"{word} ({detail})" if detail else word

    f = figures
    ratio = f"{f['first_frame_ratio']:.2f}x bare"
    extra = f"{f['pss_extra_mib']:+.1f} MiB vs bare"
    p95 = f"≤ {SWITCH_P95_MAX_MS:.0f} ms"
    qr = f"≤ {QR_CACHED_MAX_MS:.0f} ms"
    return [
        Row("content load+validate, shipped", f"{f['load_shipped_ms']:.1f} ms"),
        Row("content load+validate, 10,000 offers", f"{f['load_10k_offers_ms']:.1f} ms"),
        Row("first frame, bare Kivy window", f"{f['bare_first_frame_ms']:.0f} ms", "yardstick"),
        Row(
            "first frame, kiosk, first start (validates)",
            f"{f['first_frame_first_start_ms']:.0f} ms",
            "",
            f"info ({f['first_frame_first_start_ms'] / f['bare_first_frame_ms']:.2f}x bare)",
        ),
        Row(
            "first frame, kiosk, restart (content validated before)",
            f"{f['first_frame_ms']:.0f} ms",
            f"≤ {FIRST_FRAME_MAX_RATIO}x bare",
            verdict("first_frame", ratio),
        ),
        Row("first frame, kiosk, 10,000 offers", f"{f['first_frame_10k_offers_ms']:.0f} ms"),
        Row("PSS, bare Kivy window", f"{f['bare_pss_mib']:.1f} MiB", "yardstick"),
        Row(
            "PSS after first frame, kiosk",
            f"{f['pss_mib']:.1f} MiB",
            f"≤ bare + {PSS_MAX_EXTRA_MIB:.0f} MiB",
            verdict("pss", extra),
        ),
        Row("PSS after 200 switches, kiosk", f"{f['pss_after_switches_mib']:.1f} MiB"),
        Row("PSS after first frame, kiosk, 10,000 offers", f"{f['pss_10k_offers_mib']:.1f} MiB"),
        Row("peak RSS, bare Kivy window", f"{f['bare_peak_rss_mib']:.1f} MiB"),
        Row("peak RSS, kiosk", f"{f['peak_rss_mib']:.1f} MiB"),
        Row("peak RSS, kiosk, 10,000 offers", f"{f['peak_rss_10k_offers_mib']:.1f} MiB"),
        Row("screen switch p50", f"{f['switch_p50_ms']:.1f} ms"),
        Row("screen switch p95", f"{f['switch_p95_ms']:.1f} ms", p95, verdict("switch_p95")),
        Row("screen switch p50, 10,000 offers", f"{f['switch_p50_10k_offers_ms']:.1f} ms"),
        Row(
            "screen switch p95, 10,000 offers",
            f"{f['switch_p95_10k_offers_ms']:.1f} ms",
            p95,
            verdict("switch_p95_10k_offers"),
        ),
        Row("QR matrix, cold", f"{f['qr_matrix_cold_ms']:.2f} ms"),
        Row(
            "QR matrix, cached",
            f"{f['qr_matrix_cached_ms']:.4f} ms",
            qr,
            verdict("qr_matrix_cached"),
        ),
        Row("QR texture, cold", f"{f['qr_texture_cold_ms']:.2f} ms"),
        Row(
            "QR texture, cached",
            f"{f['qr_texture_cached_ms']:.4f} ms",
            qr,
            verdict("qr_texture_cached"),
        ),
    ]


def format_table(rows: Sequence[Row], header: Sequence[str]) -> str:
    lines = [tuple(header), *((r.metric, r.value, r.target, r.result) for r in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(4)]

    def line(cells: Sequence[str]) -> str:
        return " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([line(lines[0]), rule, *(line(cells) for cells in lines[1:])])


def format_screens(figures: dict[str, Any]) -> str:
    shipped = figures["switch_p50_by_screen_ms"]
    p50 = figures["switch_p50_by_screen_10k_offers_ms"]
    worst = figures["switch_max_by_screen_10k_offers_ms"]
    rows = [
        Row(s, f"{shipped.get(s, 0.0):.1f} ms", f"{p50[s]:.1f} ms", f"{worst[s]:.1f} ms")
        for s in sorted(p50, key=p50.__getitem__, reverse=True)
    ]
    header = ("switch to", "p50 shipped", "p50 10,000 offers", "max 10,000 offers")
    return format_table(rows, header)


def format_phases(figures: dict[str, Any]) -> str:
    def spans(phases: dict[str, float]) -> str:
        return ", ".join(f"{name.replace('_', ' ')} {ms:.0f}" for name, ms in phases.items())

    return (
        "first frame, ms per phase:\n"
        f"  kiosk, restart:     {spans(figures['first_frame_phases_ms'])}\n"
        f"  kiosk, first start: {spans(figures['first_frame_first_start_phases_ms'])}\n"
        f"  bare window:        {spans(figures['bare_first_frame_phases_ms'])}"
    )


def measure(content_dir: Path, rounds: int) -> dict[str, Any]:
    began = time.perf_counter()
    settings = load_catalog(content_dir).settings
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-content-") as temp:
        synthetic_dir = make_synthetic_content(content_dir, Path(temp), SYNTHETIC_OFFERS)
        figures: dict[str, Any] = {"rounds": rounds, "switches": SWITCHES}
        figures |= load_times(content_dir, synthetic_dir)
        figures |= qr_times(settings.allowed_link_hosts)
        figures |= window_figures(content_dir, synthetic_dir, rounds)
    figures["first_frame_ratio"] = figures["first_frame_ms"] / figures["bare_first_frame_ms"]
    figures["pss_extra_mib"] = figures["pss_mib"] - figures["bare_pss_mib"]
    figures["bench_s"] = time.perf_counter() - began
    return figures


def run_bench(content_dir: Path, as_json: bool, rounds: int) -> int:
    if rounds < 1:
        print("kiosk bench: --rounds must be at least 1", file=sys.stderr)
        return 2
    try:
        figures = measure(Path(content_dir), rounds)
    except ContentError as exc:
        print(f"kiosk bench: {exc}", file=sys.stderr)
        return 1
    except ChildFailed as exc:
        print(f"kiosk bench: a window run failed: {exc}", file=sys.stderr)
        tail = exc.stderr.strip().splitlines()[-30:]
        print("\n".join(tail), file=sys.stderr)
        return 1
    print(render(figures, as_json))
    return 0


def render(figures: dict[str, Any], as_json: bool) -> str:
    """The report: JSON with every figure and verdict, or the tables for a person."""
    passed = verdicts(figures)
    if as_json:
        return json.dumps(figures | {"passed": passed}, indent=2, sort_keys=True)
    return "\n\n".join(
        [
            f"kiosk bench: medians of {figures['rounds']} round(s), {figures['switches']} "
            f"switches each, window {WINDOW_SIZE}, "
            f"SDL_VIDEODRIVER={child_env()['SDL_VIDEODRIVER']}",
            format_table(table_rows(figures, passed), ("metric", "value", "target", "result")),
            format_phases(figures),
            format_screens(figures),
            f"({figures['bench_s']:.0f} s)",
        ]
    )
