"""All UI strings, one JSON catalogue per language in `locales/`. Imports no Kivy."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
BASE_LANGUAGE = "de"
# Scripts written right to left; layouts mirror for these (Arabic arrives with a later issue).
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})


@cache
def catalogue(language: str) -> Mapping[str, Any]:
    """The strings of one language, or an empty mapping when there is no catalogue."""
    path = LOCALES_DIR / f"{language}.json"
    if not path.is_file():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def available_languages() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in LOCALES_DIR.glob("*.json")))


class Translator:
    """Looks up UI strings in one language, falling back to German, never to an empty label."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._strings = catalogue(language)
        self._base = catalogue(BASE_LANGUAGE)

    def raw(self, key: str) -> Any:
        value = self._strings.get(key)
        if value is None:
            value = self._base[key]
        return value

    def __call__(self, key: str, **values: Any) -> str:
        template: str = self.raw(key)
        return template.format(**values) if values else template

    def weekday(self, day: date, long: bool = False) -> str:
        names: list[str] = self.raw("weekday.long" if long else "weekday.short")
        return names[day.weekday()]

    def time(self, moment: datetime) -> str:
        return f"{moment.hour:02d}:{moment.minute:02d}"

    def date(self, day: date) -> str:
        template: str = self.raw("date.format")
        months: list[str] = self._strings.get("month.short") or []
        month_name = months[day.month - 1] if months else str(day.month)
        return template.format(day=day.day, month=day.month, year=day.year, month_name=month_name)

    def language_name(self, code: str) -> str:
        names: Mapping[str, str] = self.raw("languages")
        return names.get(code) or self._base["languages"].get(code) or code

    @staticmethod
    def own_name(code: str) -> str:
        """A language's name in that language itself, as a language picker shows it."""
        name = catalogue(code).get("language.name")
        return str(name) if name else code
