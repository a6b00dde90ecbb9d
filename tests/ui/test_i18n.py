"""Every UI string exists in every language, with the same placeholders."""

from __future__ import annotations

import string

import pytest

from kiosk.ui.i18n import BASE_LANGUAGE, Translator, available_languages, catalogue

DATE_FIELDS = {"day", "month", "month_name", "year"}


def placeholders(value: object) -> set[str]:
    if not isinstance(value, str):
        return set()
    return {name for _, name, _, _ in string.Formatter().parse(value) if name}


@pytest.mark.parametrize("language", available_languages())
def test_every_language_has_every_string_with_the_same_placeholders(language: str) -> None:
    base, strings = catalogue(BASE_LANGUAGE), catalogue(language)
    assert set(base) - set(strings) == set()
    for key, value in base.items():
        if key == "date.format":  # each language picks its own date fields
            assert placeholders(strings[key]) <= DATE_FIELDS, key
            continue
        assert placeholders(strings[key]) == placeholders(value), key
        if isinstance(value, list):
            assert len(strings[key]) == len(value), key


def test_a_missing_string_falls_back_to_german_never_to_nothing() -> None:
    tr = Translator("xx")  # no catalogue at all
    assert tr("nav.back") == "Zurück"
    assert tr("offers.count", count=3) == "3 Angebote"
