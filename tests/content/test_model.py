"""The content model: texts, offer validity, map projection, catalog look-ups, immutability."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

import pytest

from kiosk.content.loader import EMBEDDED_CONTENT_DIR, load_catalog
from kiosk.content.model import (
    Catalog,
    Coordinates,
    LocationKind,
    MapBounds,
    Offer,
    Partner,
    Text,
)
from kiosk.content.parse import text_from_json
from tests.content.test_validation import read_json


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(EMBEDDED_CONTENT_DIR)


@pytest.fixture(scope="module")
def raw() -> dict[str, list[dict[str, Any]]]:
    """The embedded content as plain JSON, to check the catalog against."""
    return {
        key: read_json(EMBEDDED_CONTENT_DIR, f"{key}.json")[key]
        for key in ("topics", "locations", "offers")
    }


# Text


def test_text_in_the_asked_language() -> None:
    text = Text.of(de="Kinderbetreuung", en="Childcare")

    assert text.get("en") == "Childcare"
    assert text.get("de") == "Kinderbetreuung"
    assert text.has("en")


def test_text_falls_back_to_german() -> None:
    text = Text.of(de="Kinderbetreuung", en="Childcare")

    assert text.get("tr") == "Kinderbetreuung"
    assert not text.has("tr")


def test_empty_translation_falls_back_to_german() -> None:
    assert Text.of(de="Kinderbetreuung", en="").get("en") == "Kinderbetreuung"


def test_blank_translation_from_a_file_falls_back_to_german() -> None:
    text = text_from_json({"de": "Kinderbetreuung", "en": "   "})

    assert text.get("en") == "Kinderbetreuung"
    assert not text.has("en")


def test_every_text_of_the_embedded_content_is_never_empty(catalog: Catalog) -> None:
    texts: list[Text] = [catalog.settings.kiosk_name]
    for topic in catalog.topics:
        texts += [topic.title, topic.summary, topic.body]
    for location in catalog.locations:
        texts.append(location.name)
        texts += [t for t in (location.description,) if t is not None]
        if location.accessibility and location.accessibility.notes:
            texts.append(location.accessibility.notes)
    for offer in catalog.offers:
        texts += [offer.title, offer.description]
        texts += [t for t in (offer.audience, offer.cost) if t is not None]

    for language in (*catalog.settings.languages, "tr", "ar"):
        for text in texts:
            assert text.get(language).strip(), (language, dict(text.values))


# Offer


def _offer(**changes: Any) -> Offer:
    base = Offer(
        id="babytreff",
        partner=Partner(name="Beispielverein e. V.", url="https://www.siegen.de/verein"),
        title=Text.of(de="Babytreff"),
        description=Text.of(de="Treffen für Eltern mit Babys"),
        topic_ids=("elterninformationen",),
    )
    return dataclasses.replace(base, **changes)


def test_offer_is_valid_from_and_until_inclusive() -> None:
    offer = _offer(valid_from=date(2026, 3, 1), valid_until=date(2026, 3, 31))

    assert not offer.is_valid_on(date(2026, 2, 28))
    assert offer.is_valid_on(date(2026, 3, 1))
    assert offer.is_valid_on(date(2026, 3, 15))
    assert offer.is_valid_on(date(2026, 3, 31))
    assert not offer.is_valid_on(date(2026, 4, 1))


def test_offer_valid_on_a_single_day() -> None:
    offer = _offer(valid_from=date(2026, 6, 20), valid_until=date(2026, 6, 20))

    assert offer.is_valid_on(date(2026, 6, 20))
    assert not offer.is_valid_on(date(2026, 6, 19))
    assert not offer.is_valid_on(date(2026, 6, 21))


def test_offer_open_ended() -> None:
    assert _offer().is_valid_on(date(1999, 1, 1))
    assert _offer(valid_from=date(2026, 3, 1)).is_valid_on(date(2099, 12, 31))
    assert not _offer(valid_from=date(2026, 3, 1)).is_valid_on(date(2026, 2, 28))
    assert _offer(valid_until=date(2026, 3, 31)).is_valid_on(date(2000, 1, 1))
    assert not _offer(valid_until=date(2026, 3, 31)).is_valid_on(date(2026, 4, 1))


def test_offer_link_is_its_own_url_else_the_partners() -> None:
    assert _offer().link == "https://www.siegen.de/verein"
    own = "https://www.siegen.de/angebote/babytreff"
    assert _offer(url=own).link == own


# MapBounds

SIEGEN = MapBounds(north=50.935, south=50.82, west=7.905, east=8.13)


def test_map_projects_corners_and_centre() -> None:
    assert SIEGEN.project(Coordinates(lat=50.82, lon=7.905)) == pytest.approx((0.0, 0.0))
    assert SIEGEN.project(Coordinates(lat=50.935, lon=8.13)) == pytest.approx((1.0, 1.0))
    centre = Coordinates(lat=(50.935 + 50.82) / 2, lon=(7.905 + 8.13) / 2)
    assert SIEGEN.project(centre) == pytest.approx((0.5, 0.5))


def test_map_projection_is_from_the_left_and_from_the_bottom() -> None:
    north_west = SIEGEN.project(Coordinates(lat=50.93, lon=7.91))

    assert north_west is not None
    x, y = north_west
    assert x < 0.1
    assert y > 0.9


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(50.95, 8.0), (50.80, 8.0), (50.87, 7.90), (50.87, 8.14), (52.52, 13.40)],
    ids=["north", "south", "west", "east", "berlin"],
)
def test_map_projection_outside_is_none(lat: float, lon: float) -> None:
    assert SIEGEN.project(Coordinates(lat=lat, lon=lon)) is None


def test_every_office_of_the_embedded_content_is_on_the_map(catalog: Catalog) -> None:
    assert catalog.settings.map is not None
    offices = [loc for loc in catalog.locations if loc.kind is LocationKind.OFFICE]

    assert offices
    for office in offices:
        assert office.coordinates is not None
        assert catalog.settings.map.bounds.project(office.coordinates) is not None, office.id


# Catalog look-ups on the real content, checked against the raw JSON


def test_topic_location_and_offer_by_id(
    catalog: Catalog, raw: dict[str, list[dict[str, Any]]]
) -> None:
    for entry in raw["topics"]:
        assert catalog.topic(entry["id"]).title.get("de") == entry["title"]["de"]
    for entry in raw["locations"]:
        assert catalog.location(entry["id"]).name.get("de") == entry["name"]["de"]
    for entry in raw["offers"]:
        assert catalog.offer(entry["id"]).title.get("de") == entry["title"]["de"]
    with pytest.raises(KeyError):
        catalog.topic("gibt-es-nicht")


def test_locations_for_topic(catalog: Catalog, raw: dict[str, list[dict[str, Any]]]) -> None:
    for topic in raw["topics"]:
        expected = [loc["id"] for loc in raw["locations"] if topic["id"] in loc["topic_ids"]]
        found = [loc.id for loc in catalog.locations_for_topic(topic["id"])]
        assert found == expected, topic["id"]
    assert catalog.locations_for_topic("gibt-es-nicht") == ()


def test_topics_at_a_location(catalog: Catalog, raw: dict[str, list[dict[str, Any]]]) -> None:
    for location in raw["locations"]:
        topics = catalog.topics_at(catalog.location(location["id"]))
        assert [t.id for t in topics] == location["topic_ids"]


def _raw_valid_on(offer: dict[str, Any], day: date) -> bool:
    # ISO dates compare correctly as strings: an independent reading of the inclusive rule.
    iso = day.isoformat()
    return bool(
        offer.get("valid_from", "0000-00-00") <= iso <= offer.get("valid_until", "9999-99-99")
    )


def _interesting_days(offers: list[dict[str, Any]]) -> list[date]:
    days = {date(2020, 1, 1), date(2026, 6, 15), date(2030, 1, 1)}
    for offer in offers:
        for key in ("valid_from", "valid_until"):
            if key in offer:
                edge = date.fromisoformat(offer[key])
                days |= {edge - timedelta(days=1), edge, edge + timedelta(days=1)}
    return sorted(days)


def test_offers_valid_on(catalog: Catalog, raw: dict[str, list[dict[str, Any]]]) -> None:
    days = _interesting_days(raw["offers"])
    counts = set()
    for day in days:
        expected = [o["id"] for o in raw["offers"] if _raw_valid_on(o, day)]
        assert [o.id for o in catalog.offers_valid_on(day)] == expected, day
        counts.add(len(expected))
    # The content has offers that start and end, so the days above do not all agree.
    assert len(counts) > 1


def test_offers_valid_on_for_a_topic(
    catalog: Catalog, raw: dict[str, list[dict[str, Any]]]
) -> None:
    seen_any = False
    for day in _interesting_days(raw["offers"]):
        for topic in raw["topics"]:
            expected = [
                o["id"]
                for o in raw["offers"]
                if topic["id"] in o["topic_ids"] and _raw_valid_on(o, day)
            ]
            found = [o.id for o in catalog.offers_valid_on(day, topic["id"])]
            assert found == expected, (day, topic["id"])
            seen_any = seen_any or bool(expected)
    assert seen_any
    assert catalog.offers_valid_on(date(2026, 6, 15), "gibt-es-nicht") == ()


def test_outreach_has_no_directions_and_offices_do(catalog: Catalog) -> None:
    for location in catalog.locations:
        if location.kind is LocationKind.OUTREACH:
            assert location.directions_url is None
        else:
            assert location.coordinates is not None
            assert location.directions_url is not None
            assert location.directions_url.startswith("https://www.openstreetmap.org/?mlat=")
            assert f"{location.coordinates.lat:.5f}" in location.directions_url


# Immutability


def test_catalog_fields_cannot_be_reassigned(catalog: Catalog) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        catalog.offers = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        catalog.topics[0].title = Text.of(de="Überschrieben")  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        catalog.settings.idle_timeout_seconds = 5  # type: ignore[misc]


def test_catalog_collections_cannot_be_changed(catalog: Catalog) -> None:
    assert isinstance(catalog.topics, tuple)
    assert isinstance(catalog.locations[0].topic_ids, tuple)
    assert isinstance(catalog.settings.languages, tuple)
    with pytest.raises(TypeError):
        catalog.topics[0].title.values["de"] = "Überschrieben"  # type: ignore[index]
    with pytest.raises(TypeError):
        catalog._topics_by_id["neu"] = catalog.topics[0]  # type: ignore[index]
    topic_id = catalog.topics[0].id
    with pytest.raises(AttributeError):
        catalog.locations_for_topic(topic_id).append(catalog.locations[0])  # type: ignore[attr-defined]
