"""The real app, headless, driven by taps: every screen, QR codes, language, idle reset."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from kivy.core.window import Window
from kivy.uix.dropdown import DropDown

from kiosk.bench import make_synthetic_content
from kiosk.content.loader import EMBEDDED_CONTENT_DIR
from kiosk.ui.navigation import HOME
from kiosk.ui.services import build_services

from .conftest import BERLIN
from .driver import KioskDriver, walk

pytestmark = pytest.mark.ui


def tile_titles(kiosk: KioskDriver) -> list[str]:
    tiles = kiosk.ids("tiles").children
    return [tile.title for tile in reversed(tiles)]


def test_home_shows_the_six_topics_and_the_sample_badge(kiosk: KioskDriver) -> None:
    catalog = kiosk.app.services.catalog
    assert kiosk.screen.name == HOME
    assert tile_titles(kiosk) == [t.title.get("de") for t in catalog.topics]
    assert len(tile_titles(kiosk)) == 6
    assert "Beispielinhalt" in kiosk.texts()


def test_tapping_a_topic_tile_shows_a_booking_qr_code_a_phone_can_read(
    kiosk: KioskDriver,
) -> None:
    topic = kiosk.app.services.catalog.topics[1]
    tile = kiosk.find(lambda w: getattr(w, "topic_id", None) == topic.id)
    kiosk.tap(tile)
    assert kiosk.screen.name == "topic"
    assert topic.title.get("de") in kiosk.texts()
    decoded = kiosk.decoded_qr_codes()
    assert decoded == [topic.booking_url]
    assert decoded[0].startswith("https://")


def test_every_screen_is_reachable_and_back_and_home_always_lead_out(
    kiosk: KioskDriver,
) -> None:
    catalog = kiosk.app.services.catalog
    topic = catalog.topic("kinderbetreuung")
    kiosk.tap(kiosk.find(lambda w: getattr(w, "topic_id", None) == topic.id))
    place = catalog.locations_for_topic(topic.id)[0]
    kiosk.tap_text(place.name.get("de"))
    assert (kiosk.screen.name, kiosk.screen.target) == ("location", place.id)
    assert kiosk.decoded_qr_codes() == [place.booking_url]
    kiosk.tap_text("Weg dorthin")
    assert kiosk.decoded_qr_codes() == [place.directions_url]

    kiosk.tap_text("‹ Zurück")
    assert (kiosk.screen.name, kiosk.screen.target) == ("topic", topic.id)
    kiosk.tap_text("Start")
    assert kiosk.screen.name == HOME

    kiosk.tap_text("Standorte und Öffnungszeiten")
    assert kiosk.screen.name == "locations"
    other = catalog.location("standort-geisweid")
    kiosk.tap_list_row(kiosk.ids("location_list"), other.name.get("de"))
    assert (kiosk.screen.name, kiosk.screen.target) == ("location", other.id)
    kiosk.tap_text("‹ Zurück")
    pin = kiosk.find(lambda w: type(w).__name__ == "MapPin" and w.text == "1")
    kiosk.tap(pin)
    assert (kiosk.screen.name, kiosk.screen.target) == ("location", catalog.locations[0].id)
    kiosk.tap_text("Start")

    kiosk.tap_text("Angebote von Partnern")
    assert kiosk.screen.name == "offers"
    offer = catalog.offer("babytreff")
    kiosk.tap_list_row(kiosk.ids("offer_list"), offer.title.get("de"))
    assert (kiosk.screen.name, kiosk.screen.target) == ("offer", offer.id)
    assert kiosk.decoded_qr_codes() == [offer.link]
    related = catalog.topic(offer.topic_ids[0])
    kiosk.tap_text(related.title.get("de"))
    assert (kiosk.screen.name, kiosk.screen.target) == ("topic", related.id)
    for _ in range(3):
        kiosk.tap_text("‹ Zurück")
    assert kiosk.screen.name == HOME


def test_offers_list_shows_only_offers_valid_today_and_filters_by_topic(
    kiosk: KioskDriver,
) -> None:
    catalog = kiosk.app.services.catalog
    kiosk.tap_text("Angebote von Partnern")
    shown = {row["title"] for row in kiosk.ids("offer_list").data}
    today = kiosk.app.services.now().date()
    assert shown == {o.title.get("de") for o in catalog.offers if o.is_valid_on(today)}
    assert "Eltern-Kind-Schwimmen" not in shown  # ended 2026-06-30
    assert len(shown) < len(catalog.offers)

    spinner = kiosk.ids("topic_filter")
    kiosk.tap(spinner)
    care = catalog.topic("pflege-angehoerige")
    option = kiosk.find(
        lambda w: getattr(w, "text", None) == care.title.get("de") and w is not spinner,
        root=spinner._dropdown,
    )
    kiosk.tap(option)
    filtered = {row["title"] for row in kiosk.ids("offer_list").data}
    expected = {o.title.get("de") for o in catalog.offers_valid_on(today, care.id)}
    assert filtered == expected
    assert 0 < len(filtered) < len(shown)


def status_by_name(kiosk: KioskDriver) -> dict[str, str]:
    rows = kiosk.ids("location_list").data
    return {row["title"].split("  ", 1)[-1]: row["line2"] for row in rows}


def test_locations_say_open_now_or_when_they_open(
    kiosk: KioskDriver, kiosk_now: list[datetime]
) -> None:
    kiosk.tap_text("Standorte und Öffnungszeiten")
    status = {
        row["title"].split("  ", 1)[-1]: row["line2"] for row in kiosk.ids("location_list").data
    }
    assert status["Familienbüro Siegen-Mitte"] == "Jetzt geöffnet – bis 12:00 Uhr"
    assert status["Familienbüro Eiserfeld"] == "Geschlossen – öffnet Freitag um 09:00 Uhr"

    kiosk_now[0] = datetime(2026, 11, 28, 10, 0, tzinfo=BERLIN)  # Saturday
    kiosk.app.current_screen.refresh()
    status = {
        row["title"].split("  ", 1)[-1]: row["line2"] for row in kiosk.ids("location_list").data
    }
    assert status["Familienbüro Siegen-Mitte"] == "Geschlossen – öffnet Montag um 08:30 Uhr"


def test_language_switch_changes_every_text_and_idle_reset_restores_german(
    kiosk: KioskDriver,
) -> None:
    catalog = kiosk.app.services.catalog
    kiosk.tap_text("English")
    assert tile_titles(kiosk) == [t.title.get("en") for t in catalog.topics]
    assert "How can we help? Tap a topic." in kiosk.texts()
    assert "Sample content" in kiosk.texts()
    kiosk.tap(kiosk.find(lambda w: getattr(w, "topic_id", None) == "kinderbetreuung"))
    assert catalog.topic("kinderbetreuung").body.get("en") in kiosk.texts()
    assert "‹ Back" in kiosk.texts()

    kiosk.idle_clock.advance(kiosk.app.idle.timeout + kiosk.app.idle.countdown + 1)
    kiosk.frames(1)
    kiosk.app._poll_idle(0)  # the warning phase is skipped by the jump; reset runs
    kiosk.app._poll_idle(0)
    kiosk.frames(3)
    assert kiosk.screen.name == HOME
    assert tile_titles(kiosk) == [t.title.get("de") for t in catalog.topics]


def test_idle_asks_are_you_still_there_then_resets_everything(kiosk: KioskDriver) -> None:
    app = kiosk.app
    kiosk.tap_text("English")
    kiosk.tap_text("Offers from partners")
    kiosk.tap_list_row(kiosk.ids("offer_list"), "Baby")
    assert kiosk.screen.name == "offer"

    kiosk.idle_clock.advance(app.idle.timeout + 1)
    app._poll_idle(0)
    kiosk.frames(3)
    assert "Are you still there?" in kiosk.texts()
    assert "The screen starts over in 14 seconds." in kiosk.texts()

    # A tap on "continue" keeps the visitor where they were.
    kiosk.tap_text("Yes, continue")
    app._poll_idle(0)
    assert "Are you still there?" not in kiosk.texts()
    assert kiosk.screen.name == "offer"

    kiosk.idle_clock.advance(app.idle.timeout + 1)
    app._poll_idle(0)
    kiosk.idle_clock.advance(app.idle.countdown)
    app._poll_idle(0)
    kiosk.frames(3)
    assert kiosk.screen.name == HOME
    assert app.language == "de"
    assert app.navigator.depth == 1
    assert "Are you still there?" not in kiosk.texts()
    # Nothing of the last visitor is left in any screen, shown or not.
    manager = app.manager
    assert manager is not None
    for name in ("topic", "location", "offer"):
        screen = manager.get_screen(name)
        chrome = set(walk(screen.ids.top_bar))
        leftovers = [w.text for w in walk(screen) if getattr(w, "text", "") and w not in chrome]
        assert leftovers == [], name
    assert manager.get_screen("offers").ids.offer_list.data == []

    # A kiosk nobody touches is not asked anything.
    kiosk.idle_clock.advance(app.idle.timeout * 5)
    app._poll_idle(0)
    assert "Sind Sie noch da?" not in kiosk.texts()


def test_usage_counts_what_was_shown_and_nothing_personal(kiosk: KioskDriver) -> None:
    kiosk.tap(kiosk.find(lambda w: getattr(w, "topic_id", None) == "kinderbetreuung"))
    usage = kiosk.app.services.state.usage
    assert usage.totals("topic") == {"kinderbetreuung": 1}
    assert usage.totals("qr") == {"kinderbetreuung": 1}
    assert usage.totals("screen")["topic"] == 1


@pytest.fixture
def many_offers(content_dir: Path) -> Path:
    """The content with 75 offers, so the list needs three pages."""
    return make_synthetic_content(EMBEDDED_CONTENT_DIR, content_dir.parent / "many", offers=75)


def test_a_long_offers_list_comes_in_pages_with_a_show_more_button(
    kiosk: KioskDriver, many_offers: Path, tmp_path: Path
) -> None:
    services = build_services(many_offers, tmp_path / "data2", now=kiosk.app.services.now)
    screen = kiosk.app.manager.get_screen("offers")
    screen.ctx.catalog = services.catalog  # the same app, the longer content
    kiosk.app.open("offers", None)
    kiosk.frames(3)
    data = kiosk.ids("offer_list").data
    assert [row["viewclass"] for row in data].count("ListRow") == 30
    assert data[-1]["text"] == "Weitere 30 Angebote zeigen (noch 45)"

    kiosk.ids("offer_list").scroll_y = 0  # the button is the last row
    kiosk.frames(3)
    more = kiosk.find(lambda w: type(w).__name__ == "MoreRow")
    kiosk.tap(more)
    data = kiosk.ids("offer_list").data
    assert [row["viewclass"] for row in data].count("ListRow") == 60
    assert data[-1]["text"] == "Weitere 15 Angebote zeigen (noch 15)"
    data[-1]["on_open"]()
    titles = [row["title"] for row in kiosk.ids("offer_list").data]
    today = kiosk.app.services.now().date()
    assert titles == [o.title.get("de") for o in services.catalog.offers_valid_on(today)]
    services.state.close()


def test_idle_reset_closes_an_open_filter_list(kiosk: KioskDriver) -> None:
    """Found by the soak: the offers filter's list hangs on the Window, outside any screen."""
    kiosk.tap_text("Angebote von Partnern")
    kiosk.tap(kiosk.ids("topic_filter"))
    assert [w for w in Window.children if isinstance(w, DropDown)]

    kiosk.idle_clock.advance(kiosk.app.idle.timeout + kiosk.app.idle.countdown + 1)
    kiosk.app._poll_idle(0)
    kiosk.app._poll_idle(0)
    kiosk.frames(3)
    assert kiosk.screen.name == HOME
    assert not [w for w in Window.children if isinstance(w, DropDown)]


def test_after_an_idle_reset_every_button_has_its_text_again(kiosk: KioskDriver) -> None:
    """Found by the soak: clear() blanked the top bar, whose kv texts never came back."""
    kiosk.tap(kiosk.find(lambda w: getattr(w, "topic_id", None) == "kinderbetreuung"))
    kiosk.idle_clock.advance(kiosk.app.idle.timeout + kiosk.app.idle.countdown + 1)
    kiosk.app._poll_idle(0)
    kiosk.app._poll_idle(0)
    kiosk.frames(3)
    kiosk.tap(kiosk.find(lambda w: getattr(w, "topic_id", None) == "kinderbetreuung"))
    bar = kiosk.screen.ids.top_bar
    assert bar.ids.back_button.text.endswith("Zurück")
    assert sorted(b.text for b in bar.ids.language_box.children) == ["Deutsch", "English"]


def test_the_tap_that_answers_still_there_presses_nothing_below(kiosk: KioskDriver) -> None:
    """Found by the soak: "Ja, weiter" also opened the topic tile under the finger."""
    app = kiosk.app
    kiosk.tap_text("English")  # a visitor is here
    tile = kiosk.find(lambda w: getattr(w, "topic_id", None) == "kinderbetreuung")
    kiosk.idle_clock.advance(app.idle.timeout + 1)
    app._poll_idle(0)
    assert app.idle_prompt is not None and app.idle_prompt.is_open
    kiosk.tap(tile)
    assert not app.idle_prompt.is_open
    assert app.manager.current == HOME
