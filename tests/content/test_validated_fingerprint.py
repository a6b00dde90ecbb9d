"""Unchanged content that passed validation loads without re-checking; changes are checked."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.content.loader import EMBEDDED_CONTENT_DIR, content_fingerprint, load_catalog
from kiosk.content.problems import ContentError
from kiosk.content.validation import validate_folder
from kiosk.store.state import open_state
from kiosk.ui.services import VALIDATED_CONTENT_SETTING, build_services


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return Path(shutil.copytree(EMBEDDED_CONTENT_DIR, tmp_path / "content"))


def test_validation_reports_the_fingerprint_of_content_that_passed(content: Path) -> None:
    seen: list[str] = []
    load_catalog(content, on_validated=seen.append)
    assert seen == [content_fingerprint(content)]


def test_invalid_content_is_never_fingerprinted(content: Path) -> None:
    (content / "topics.json").write_text("{", encoding="utf-8")
    seen: list[str] = []
    with pytest.raises(ContentError):
        load_catalog(content, on_validated=seen.append)
    assert seen == []


def test_trusted_content_loads_the_same_catalog_without_jsonschema(content: Path) -> None:
    fingerprint = content_fingerprint(content)
    code = (
        "import sys; from pathlib import Path; from kiosk.content.loader import load_catalog; "
        f"c = load_catalog(Path({str(content)!r}), trusted_fingerprint={fingerprint!r}); "
        "print(len(c.topics), len(c.offers), 'jsonschema' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    catalog = validate_folder(content).catalog
    assert catalog is not None
    assert out == [str(len(catalog.topics)), str(len(catalog.offers)), "False"]
    assert load_catalog(content, trusted_fingerprint=fingerprint) == catalog


def _break_image(content: Path) -> None:
    (content / "images" / "map.png").write_bytes(b"not a png")


def _break_offers(content: Path) -> None:
    (content / "offers.json").write_text("[]", encoding="utf-8")


@pytest.mark.parametrize("change", [_break_image, _break_offers], ids=["image", "json"])
def test_a_broken_change_after_validation_is_caught(
    content: Path, change: Callable[[Path], None]
) -> None:
    trusted = content_fingerprint(content)
    change(content)
    assert content_fingerprint(content) != trusted
    with pytest.raises(ContentError):
        load_catalog(content, trusted_fingerprint=trusted)


def test_a_harmless_change_is_validated_again_and_accepted(content: Path) -> None:
    trusted = content_fingerprint(content)
    (content / "images" / "notes.txt").write_text("x", encoding="utf-8")
    seen: list[str] = []
    catalog = load_catalog(content, trusted_fingerprint=trusted, on_validated=seen.append)
    assert seen == [content_fingerprint(content)] != [trusted]
    assert len(catalog.topics) == 6


def test_the_kiosk_remembers_validated_content_across_starts(content: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = build_services(content, data)
    first.state.close()
    with open_state(data) as state:
        assert state.get_setting(VALIDATED_CONTENT_SETTING) == content_fingerprint(content)

    topics = json.loads((content / "topics.json").read_text(encoding="utf-8"))
    topics["topics"][0]["title"]["de"] = "Geändert"
    (content / "topics.json").write_text(json.dumps(topics, ensure_ascii=False), encoding="utf-8")
    second = build_services(content, data)
    assert second.catalog.topics[0].title.get("de") == "Geändert"
    second.state.close()
    with open_state(data) as state:
        assert state.get_setting(VALIDATED_CONTENT_SETTING) == content_fingerprint(content)
