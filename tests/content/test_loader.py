"""load_catalog: the whole folder, validated, or nothing at all."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from kiosk.content.loader import EMBEDDED_CONTENT_DIR, load_catalog
from kiosk.content.model import Catalog
from kiosk.content.problems import ContentError
from kiosk.content.validation import validate_folder
from tests.content.test_validation import edit_json, read_json, write_json

SYNTHETIC_OFFERS = 10_000


def test_embedded_content_loads_completely_in_file_order() -> None:
    catalog = load_catalog(EMBEDDED_CONTENT_DIR)

    for file_name, loaded in (
        ("topics.json", catalog.topics),
        ("locations.json", catalog.locations),
        ("offers.json", catalog.offers),
    ):
        raw = read_json(EMBEDDED_CONTENT_DIR, file_name)[file_name.removesuffix(".json")]
        assert [entry.id for entry in loaded] == [e["id"] for e in raw]
    settings = read_json(EMBEDDED_CONTENT_DIR, "settings.json")
    assert catalog.settings.languages == tuple(settings["languages"])
    assert catalog.settings.idle_timeout_seconds == settings["idle_timeout_seconds"]
    assert catalog.root == EMBEDDED_CONTENT_DIR


def test_every_image_the_catalog_names_exists() -> None:
    catalog = load_catalog(EMBEDDED_CONTENT_DIR)
    images = [t.icon for t in catalog.topics if t.icon]
    if catalog.settings.map:
        images.append(catalog.settings.map.image)

    assert images
    for relative in images:
        assert catalog.image_path(relative).is_file(), relative


def test_one_broken_offer_yields_no_catalog_at_all(content_copy: Path) -> None:
    def break_last_offer(document: dict[str, Any]) -> None:
        document["offers"][-1]["valid_until"] = "2026-02-30"

    edit_json(content_copy, "offers.json", break_last_offer)

    with pytest.raises(ContentError) as caught:
        load_catalog(content_copy)

    (problem,) = caught.value.problems
    assert problem.file == "offers.json"
    assert "does not exist in the calendar" in problem.message
    assert validate_folder(content_copy).catalog is None


def test_content_error_lists_every_problem(content_copy: Path) -> None:
    edit_json(content_copy, "settings.json", lambda s: s.update(idle_timeout_seconds=5))
    (content_copy / "offers.json").write_text("", encoding="utf-8")

    with pytest.raises(ContentError) as caught:
        load_catalog(content_copy)

    error = caught.value
    assert error.folder == str(content_copy)
    assert {p.file for p in error.problems} == {"settings.json", "offers.json"}
    assert str(error).startswith(f"content in {content_copy} is not usable: ")
    assert str(error).endswith("(and 1 more)")


def test_a_missing_folder_raises_content_error(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="this is not a folder"):
        load_catalog(tmp_path / "fehlt")


def _synthetic_offers(template: dict[str, Any], topic_ids: list[str]) -> list[dict[str, Any]]:
    first_day = date(2026, 1, 1)
    offers = []
    for number in range(SYNTHETIC_OFFERS):
        offer = json.loads(json.dumps(template))
        offer["id"] = f"angebot-{number:05d}"
        offer["title"] = {"de": f"Angebot {number}", "en": f"Offer {number}"}
        offer["topic_ids"] = [topic_ids[number % len(topic_ids)]]
        offer["valid_from"] = (first_day + timedelta(days=number % 365)).isoformat()
        offer["valid_until"] = (first_day + timedelta(days=365 + number % 365)).isoformat()
        offers.append(offer)
    return offers


def test_ten_thousand_offers_validate_and_load(content_copy: Path) -> None:
    document = read_json(content_copy, "offers.json")
    topic_ids = [t["id"] for t in read_json(content_copy, "topics.json")["topics"]]
    document["offers"] = _synthetic_offers(document["offers"][0], topic_ids)
    write_json(content_copy, "offers.json", document)

    report = validate_folder(content_copy)

    assert [str(p) for p in report.problems] == []
    catalog = report.catalog
    assert isinstance(catalog, Catalog)
    assert len(catalog.offers) == SYNTHETIC_OFFERS
    assert catalog.offer("angebot-09999").title.get("de") == "Angebot 9999"
    # Offer n starts on day n % 365 of 2026: on 2026-01-01 only those with n % 365 == 0 run.
    on_new_year = catalog.offers_valid_on(date(2026, 1, 1))
    assert len(on_new_year) == len(range(0, SYNTHETIC_OFFERS, 365))
    per_topic = sum(len(catalog.offers_valid_on(date(2026, 12, 31), t)) for t in topic_ids)
    assert per_topic == SYNTHETIC_OFFERS
