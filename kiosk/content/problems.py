"""Problems found in a content folder, phrased for the staff who fix them."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the content: where it is, what is wrong, how to fix it."""

    file: str
    message: str
    entry: str | None = None
    field: str | None = None
    hint: str | None = None
    severity: Severity = Severity.ERROR
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}" + (f", column {self.column}" if self.column else ""))
        if self.entry is not None:
            where.append(self.entry)
        if self.field is not None:
            where.append(f'field "{self.field}"')
        text = f"{', '.join(where)}: {self.severity.value}: {self.message}"
        if self.hint:
            text += f" Fix: {self.hint}"
        return text

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


class ContentError(Exception):
    """A content folder that must not be shown, with every reason why."""

    def __init__(self, folder: str, problems: Sequence[Problem]) -> None:
        self.folder = folder
        self.problems = tuple(problems)
        errors = [p for p in self.problems if p.is_error]
        first = str(errors[0]) if errors else "unknown problem"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"content in {folder} is not usable: {first}{more}")
