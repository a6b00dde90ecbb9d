"""settings.json: the screen schedule (display.on_hours) and the usage report (sync.report_url)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kiosk.content.hours import OpenState
from kiosk.content.loader import EMBEDDED_CONTENT_DIR, content_fingerprint, load_catalog
from kiosk.content.problems import Problem
from kiosk.content.validation import validate_folder
from tests.content.test_validation import edit_json, read_json

BERLIN = ZoneInfo("Europe/Berlin")
SYNC = {"url": "https://www.example.org/kiosk-content/", "interval_minutes": 30}


def errors_on(folder: Path, field: str) -> list[Problem]:
    report = validate_folder(folder)
    assert report.catalog is None
    return [p for p in report.errors if p.file == "settings.json" and p.field == field]


def test_embedded_settings_have_office_display_hours() -> None:
    raw = read_json(EMBEDDED_CONTENT_DIR, "settings.json")["display"]["on_hours"]

    display = load_catalog(EMBEDDED_CONTENT_DIR).settings.display

    assert display is not None
    assert display.on_hours.expression == raw
    assert "PH off" in raw


def test_without_display_the_screen_has_no_schedule(content_copy: Path) -> None:
    edit_json(content_copy, "settings.json", lambda s: s.pop("display"))

    report = validate_folder(content_copy)

    assert report.ok, [str(p) for p in report.problems]
    assert report.catalog is not None
    assert report.catalog.settings.display is None


def test_display_hours_know_nrw_holidays(content_copy: Path) -> None:
    edit_json(
        content_copy,
        "settings.json",
        lambda s: s.update(display={"on_hours": "Mo-Fr 07:00-19:00; PH off"}),
    )

    display = load_catalog(content_copy).settings.display

    assert display is not None
    # Fronleichnam (a Thursday) is a holiday in NRW only; a Thursday a week later is not.
    assert display.on_hours.state_at(_berlin("2026-06-04T10:00")) is OpenState.CLOSED
    assert display.on_hours.state_at(_berlin("2026-06-11T10:00")) is OpenState.OPEN


def test_unreadable_display_hours_name_file_field_and_fix(content_copy: Path) -> None:
    edit_json(content_copy, "settings.json", lambda s: s.update(display={"on_hours": "Mo-Fr 7-19"}))

    [problem] = errors_on(content_copy, "display.on_hours")

    text = str(problem)
    assert text.startswith('settings.json, field "display.on_hours": error: the opening hours')
    assert "cannot be read" in text
    assert 'Fix: Use OpenStreetMap syntax, e.g. "Mo-Fr 07:00-19:00' in text
    assert 'remove "display"' in text


def test_bad_display_hours_do_not_hide_other_settings_problems(content_copy: Path) -> None:
    def change(settings: dict[str, Any]) -> None:
        settings["display"] = {"on_hours": "Mo-Fr 08:00-"}
        settings["default_language"] = "tr"

    edit_json(content_copy, "settings.json", change)

    report = validate_folder(content_copy)

    fields = {p.field for p in report.errors}
    assert fields == {"display.on_hours", "default_language"}


@pytest.mark.parametrize(
    ("display", "field", "fragment"),
    [
        ({"on_hours": ""}, "display.on_hours", "must not be empty"),
        ({"on_hours": "   "}, "display.on_hours", "the opening hours are empty"),
        ({"on_hours": 7}, "display.on_hours", "must be a text in quotes, but is a whole number"),
        ({}, "display.on_hours", "this field is missing"),
        (
            {"on_hours": "24/7", "off_hours": "22:00-06:00"},
            "display.off_hours",
            "unknown field (a typo?)",
        ),
        ("Mo-Fr 07:00-19:00", "display", "must be an object in { }, but is a text in quotes"),
    ],
    ids=["empty", "blank", "number", "missing", "unknown-field", "string-not-object"],
)
def test_display_mistakes_are_reported(
    content_copy: Path, display: Any, field: str, fragment: str
) -> None:
    edit_json(content_copy, "settings.json", lambda s: s.update(display=display))

    problems = errors_on(content_copy, field)

    assert problems, [str(p) for p in validate_folder(content_copy).problems]
    assert fragment in str(problems[0])


def test_always_on_can_be_written_as_24_7(content_copy: Path) -> None:
    edit_json(content_copy, "settings.json", lambda s: s.update(display={"on_hours": "24/7"}))

    display = load_catalog(content_copy).settings.display

    assert display is not None
    assert display.on_hours.state_at(_berlin("2026-12-25T03:00")) is OpenState.OPEN


@pytest.mark.parametrize(
    "url", ["https://www.example.org/kiosk-report", "http://192.168.1.10:8080/report"]
)
def test_report_url_is_read(content_copy: Path, url: str) -> None:
    edit_json(content_copy, "settings.json", lambda s: s.update(sync={**SYNC, "report_url": url}))

    sync = load_catalog(content_copy).settings.sync

    assert sync is not None
    assert sync.report_url == url
    assert sync.interval_minutes == 30


def test_without_report_url_there_is_none(content_copy: Path) -> None:
    edit_json(content_copy, "settings.json", lambda s: s.update(sync=SYNC))

    sync = load_catalog(content_copy).settings.sync

    assert sync is not None
    assert sync.report_url is None


@pytest.mark.parametrize(
    "url", ["ftp://www.example.org/report", "www.example.org/report", "https://", ""]
)
def test_report_url_must_be_http_or_https(content_copy: Path, url: str) -> None:
    edit_json(content_copy, "settings.json", lambda s: s.update(sync={**SYNC, "report_url": url}))

    [problem] = errors_on(content_copy, "sync.report_url")

    assert "is not in the right form" in str(problem)
    assert "Fix: Write an http:// or https:// address" in str(problem)


def test_report_url_needs_the_sync_url(content_copy: Path) -> None:
    edit_json(
        content_copy,
        "settings.json",
        lambda s: s.update(sync={"report_url": "https://www.example.org/kiosk-report"}),
    )

    [problem] = errors_on(content_copy, "sync.url")

    assert "this field is missing" in str(problem)


def test_validated_fast_path_reads_the_same_settings(content_copy: Path) -> None:
    edit_json(
        content_copy,
        "settings.json",
        lambda s: s.update(sync={**SYNC, "report_url": "https://www.example.org/kiosk-report"}),
    )
    validated = load_catalog(content_copy)

    # A fingerprint that passed before: settings are built without validation.
    trusted = load_catalog(content_copy, trusted_fingerprint=content_fingerprint(content_copy))

    assert trusted.settings == validated.settings
    assert trusted.settings.display is not None
    assert trusted.settings.sync is not None
    assert trusted.settings.sync.report_url == "https://www.example.org/kiosk-report"


def _berlin(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)
