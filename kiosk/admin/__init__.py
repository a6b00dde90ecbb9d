"""The staff side of the kiosk: admin PIN, statistics, usage reports, machine facts. No Kivy.

Everything here returns values or raises a `StaffError`, whose text staff read on the admin
screen or in a shell, in German and English.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

__all__ = ["StaffError"]


class StaffError(Exception):
    """A failure staff can read: a code, its parameters and German/English text.

    Subclasses set MESSAGES (code -> {"de": ..., "en": ...}), as kiosk/updates/refusal.py does.
    """

    MESSAGES: ClassVar[Mapping[str, Mapping[str, str]]] = {}

    def __init__(self, code: str, **params: object) -> None:
        if code not in self.MESSAGES:
            raise ValueError(f"unknown {type(self).__name__} code {code!r}")
        self.code = code
        self.params = params
        super().__init__(self.text("en"))

    def text(self, language: str = "de") -> str:
        """The message in ``language`` ("de" or "en"; anything else gets English)."""
        templates = self.MESSAGES[self.code]
        template = templates.get(language) or templates["en"]
        return template.format(**self.params)
