"""`kiosk bench` reports every figure, plausibly; the targets are the benchmark's business."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kiosk import PROJECT_DIR
from kiosk.bench import make_synthetic_content, render
from kiosk.content.loader import EMBEDDED_CONTENT_DIR, load_catalog

POSITIVE_FIGURES = [
    "load_shipped_ms",
    "load_10k_offers_ms",
    "bare_first_frame_ms",
    "first_frame_ms",
    "first_frame_10k_offers_ms",
    "bare_pss_mib",
    "pss_mib",
    "pss_after_switches_mib",
    "pss_10k_offers_mib",
    "bare_peak_rss_mib",
    "peak_rss_mib",
    "peak_rss_10k_offers_mib",
    "switch_p50_ms",
    "switch_p95_ms",
    "switch_p50_10k_offers_ms",
    "switch_p95_10k_offers_ms",
    "qr_matrix_cold_ms",
    "qr_matrix_cached_ms",
    "qr_texture_cold_ms",
    "qr_texture_cached_ms",
    "first_frame_ratio",
]
VERDICTS = {
    "first_frame",
    "pss",
    "switch_p95",
    "switch_p95_10k_offers",
    "qr_matrix_cached",
    "qr_texture_cached",
}
SCREENS = {"home", "topic", "locations", "location", "offers", "offer"}


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    script = Path(sys.executable).with_name("kiosk")  # the installed `kiosk` command
    command = [str(script)] if script.exists() else [sys.executable, "-m", "kiosk.cli"]
    done = subprocess.run(
        [*command, "bench", "--json", "--rounds", "1"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


@pytest.mark.slow
def test_json_holds_every_figure_and_verdict(report: dict[str, Any]) -> None:
    for key in POSITIVE_FIGURES:
        assert isinstance(report[key], float), key
        assert report[key] > 0, key
    assert set(report["passed"]) == VERDICTS
    assert all(isinstance(v, bool) for v in report["passed"].values())
    assert report["rounds"] == 1
    assert set(report["switch_p50_by_screen_10k_offers_ms"]) == SCREENS


@pytest.mark.slow
def test_figures_are_plausible(report: dict[str, Any]) -> None:
    assert report["switch_p95_ms"] >= report["switch_p50_ms"]
    assert report["switch_p95_10k_offers_ms"] >= report["switch_p50_10k_offers_ms"]
    assert report["load_10k_offers_ms"] > report["load_shipped_ms"]
    assert report["qr_matrix_cold_ms"] > report["qr_matrix_cached_ms"]
    assert report["qr_texture_cold_ms"] > report["qr_texture_cached_ms"]
    # The first frame of a process that must start Python and open a window; well under a
    # minute, or the spawn time was passed wrongly.
    assert 10 < report["bare_first_frame_ms"] < 60_000
    assert report["peak_rss_mib"] >= report["pss_mib"] * 0.5
    assert sum(report["first_frame_phases_ms"].values()) == pytest.approx(
        report["first_frame_ms"], rel=0.01
    )


@pytest.mark.slow
def test_table_names_every_metric(report: dict[str, Any]) -> None:
    figures = {k: v for k, v in report.items() if k != "passed"}
    table = render(figures, as_json=False)
    for name in [
        "content load+validate, shipped",
        "content load+validate, 10,000 offers",
        "first frame, bare Kivy window",
        "first frame, kiosk",
        "PSS, bare Kivy window",
        "PSS after first frame, kiosk",
        "peak RSS, kiosk",
        "screen switch p50",
        "screen switch p95, 10,000 offers",
        "QR matrix, cold",
        "QR matrix, cached",
        "QR texture, cold",
        "QR texture, cached",
    ]:
        assert name in table
    assert "PASS" in table or "FAIL" in table
    for screen in SCREENS:
        assert screen in table


def test_synthetic_content_is_valid_and_shown_today(tmp_path: Path) -> None:
    folder = make_synthetic_content(EMBEDDED_CONTENT_DIR, tmp_path / "content", offers=40)
    catalog = load_catalog(folder)
    assert len(catalog.offers) == 40
    assert len(catalog.offers_valid_on(date.today())) == 40
    shipped = load_catalog(EMBEDDED_CONTENT_DIR)
    assert {t.id for t in catalog.topics} == {t.id for t in shipped.topics}
    # Every topic gets offers, so the topic screens list them too.
    assert all(catalog.offers_valid_on(date.today(), t.id) for t in catalog.topics)


def test_update_bench_measures_a_real_import_and_real_syncs() -> None:
    from kiosk.updates.bench import measure, verdicts

    figures = measure(images=4, rounds=1)
    assert figures["release_files"] == 11 + 4
    assert figures["import_mb_per_s"] > 0
    # one changed image: that image and some metadata travel, nothing else
    assert figures["change_sync_files_fetched"] == 1
    assert 0 < figures["change_metadata_bytes"] < figures["full_sync_bytes"]
    assert figures["change_sync_bytes"] > figures["changed_image_bytes"]
    assert figures["poll_requests"] == 1 and 0 < figures["poll_bytes"] < 2048
    assert [name for name, *_ in verdicts(figures)][0] == "import from a local folder"
