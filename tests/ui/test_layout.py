"""Every screen, in both languages, at the four display sizes: no text that does not fit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .driver import KioskDriver

pytestmark = pytest.mark.ui

SIZES = [(800, 480), (1280, 800), (1920, 1080), (720, 1280)]
# Screenshots are kept for people to look at (CI artefacts, README); where, is configurable.
SCREENSHOT_SIZES = {(800, 480), (1920, 1080)}


def routes(kiosk: KioskDriver) -> list[tuple[str, str | None]]:
    catalog = kiosk.app.services.catalog
    return [
        ("home", None),
        *[("topic", t.id) for t in catalog.topics],
        ("locations", None),
        *[("location", loc.id) for loc in catalog.locations],
        ("offers", None),
        *[("offer", o.id) for o in catalog.offers],
    ]


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_no_text_is_clipped_and_every_target_is_big_enough(
    kiosk: KioskDriver, size: tuple[int, int], language: str, tmp_path: Path
) -> None:
    kiosk.resize(*size)
    kiosk.app.set_language(language)
    out = Path(os.environ.get("KIOSK_SCREENSHOT_DIR", tmp_path))
    problems: list[str] = []
    for screen, target in routes(kiosk):
        kiosk.app.open(screen, target)
        kiosk.frames(3)
        where = f"{screen} {target or ''} {size[0]}x{size[1]} {language}"
        problems += [f"{where}: {p}" for p in kiosk.overflowing_labels()]
        problems += [f"{where}: small target {p}" for p in kiosk.small_targets()]
        if size in SCREENSHOT_SIZES and target in (None, "kinderbetreuung", "standort-mitte"):
            name = f"{screen}-{size[0]}x{size[1]}-{language}.png"
            assert kiosk.save_screenshot(out / name).stat().st_size > 0
        kiosk.app.home()
    assert problems == []
