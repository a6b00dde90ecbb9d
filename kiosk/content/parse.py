"""Strict JSON reading and conversion of schema-valid JSON into the model."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kiosk.content.hours import OpeningSchedule
from kiosk.content.model import (
    Accessibility,
    Address,
    Catalog,
    Coordinates,
    DisplaySettings,
    Location,
    LocationKind,
    MapBounds,
    MapInfo,
    Offer,
    Partner,
    Settings,
    SyncTarget,
    Text,
    Theme,
    Topic,
)
from kiosk.content.problems import Problem

# A content file larger than this is a mistake (a video renamed to .json, say), not content.
MAX_JSON_BYTES = 64 * 1024 * 1024


class JsonReadError(Exception):
    """A JSON file that cannot be read, with a Problem that says why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class _DuplicateKeyError(ValueError):
    pass


class _BadConstantError(ValueError):
    pass


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise _BadConstantError(name)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def read_json_document(path: Path, display_name: str | None = None) -> Any:
    """Read one JSON file as staff write it: BOM and CRLF are fine; anything odd is an error.

    Raises JsonReadError with a plain explanation (never a traceback) for a missing,
    oversized, non-UTF-8, truncated or otherwise broken file, duplicate keys and NaN.
    """
    name = display_name or path.name
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise JsonReadError(
                Problem(name, f"the file is {size // 1024 // 1024} MB, far too large for content.")
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise JsonReadError(
            Problem(name, "the file is missing.", hint=f"Create {name} (see the content format).")
        ) from None
    except IsADirectoryError:
        raise JsonReadError(Problem(name, "this is a folder, not a file.")) from None
    except OSError as exc:
        raise JsonReadError(Problem(name, f"the file cannot be read ({exc.strerror}).")) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        prefix = raw[: exc.start].decode("utf-8", errors="replace")
        line, column = _line_col(prefix, len(prefix))
        raise JsonReadError(
            Problem(
                name,
                "the file is not UTF-8 text.",
                hint="Save it as UTF-8 (in Notepad: Save as, Encoding: UTF-8).",
                line=line,
                column=column,
            )
        ) from None
    if not text.strip():
        raise JsonReadError(Problem(name, "the file is empty."))
    try:
        return json.loads(
            text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except _DuplicateKeyError as exc:
        raise JsonReadError(
            Problem(
                name,
                f'the key "{exc.args[0]}" appears twice in the same object.',
                hint="Keep one of them; the second would silently replace the first.",
            )
        ) from None
    except _BadConstantError as exc:
        raise JsonReadError(
            Problem(
                name,
                f"{exc.args[0]} is not a valid JSON value.",
                hint="Write a number, or leave the field out.",
            )
        ) from None
    except RecursionError:
        raise JsonReadError(
            Problem(name, "the file nests [ ] or { } far too deeply to be content.")
        ) from None
    except json.JSONDecodeError as exc:
        line, column = _line_col(text, exc.pos)
        # A string that never ends runs into the end of the file: cut off as well.
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            message = "the file ends too early: it looks cut off (a missing } or ]?)."
            hint = "Copy the file again, or add the missing closing brackets."
        elif text[exc.pos : exc.pos + 1] in "\u201c\u201d\u201e\u2018\u2019":
            message = "this is a typographic quote (as Word writes it), not a JSON quote."
            hint = 'Replace it with a straight double quote ".'
        elif text[: exc.pos].rstrip().endswith(",") and text[exc.pos : exc.pos + 1] in "}]":
            message = "there is a comma before a closing bracket."
            hint = "Remove the comma after the last entry."
        else:
            message = f"this is not valid JSON: {exc.msg}."
            hint = "Check for a missing comma or quote just before this place."
        raise JsonReadError(Problem(name, message, hint=hint, line=line, column=column)) from None


def text_from_json(raw: Mapping[str, str]) -> Text:
    return Text(MappingProxyType({k: v for k, v in raw.items() if v.strip()}))


def _optional_text(raw: Mapping[str, Any], key: str) -> Text | None:
    value = raw.get(key)
    return None if value is None else text_from_json(value)


def _optional_date(raw: Mapping[str, Any], key: str) -> date | None:
    value = raw.get(key)
    return None if value is None else date.fromisoformat(value)


def topic_from_json(raw: Mapping[str, Any]) -> Topic:
    return Topic(
        id=raw["id"],
        title=text_from_json(raw["title"]),
        summary=text_from_json(raw["summary"]),
        body=text_from_json(raw["body"]),
        icon=raw.get("icon"),
        booking_url=raw.get("booking_url"),
    )


def location_from_json(raw: Mapping[str, Any], hours: OpeningSchedule | None) -> Location:
    address = raw.get("address")
    coordinates = raw.get("coordinates")
    access = raw.get("accessibility")
    return Location(
        id=raw["id"],
        kind=LocationKind(raw["kind"]),
        name=text_from_json(raw["name"]),
        topic_ids=tuple(raw["topic_ids"]),
        description=_optional_text(raw, "description"),
        address=Address(**address) if address else None,
        coordinates=Coordinates(float(coordinates["lat"]), float(coordinates["lon"]))
        if coordinates
        else None,
        hours=hours,
        phone=raw.get("phone"),
        email=raw.get("email"),
        accessibility=Accessibility(
            step_free=access.get("step_free"),
            accessible_toilet=access.get("accessible_toilet"),
            notes=_optional_text(access, "notes"),
        )
        if access
        else None,
        booking_url=raw.get("booking_url"),
    )


def offer_from_json(raw: Mapping[str, Any]) -> Offer:
    return Offer(
        id=raw["id"],
        partner=Partner(name=raw["partner"]["name"], url=raw["partner"]["url"]),
        title=text_from_json(raw["title"]),
        description=text_from_json(raw["description"]),
        topic_ids=tuple(raw["topic_ids"]),
        audience=_optional_text(raw, "audience"),
        cost=_optional_text(raw, "cost"),
        languages=tuple(raw.get("languages", ())),
        valid_from=_optional_date(raw, "valid_from"),
        valid_until=_optional_date(raw, "valid_until"),
        url=raw.get("url"),
    )


def display_from_json(raw: Mapping[str, Any] | None) -> DisplaySettings | None:
    """The screen schedule; raises HoursError when `on_hours` cannot be read."""
    if raw is None:
        return None
    return DisplaySettings(on_hours=OpeningSchedule.parse(raw["on_hours"]))


def settings_from_json(raw: Mapping[str, Any]) -> Settings:
    """Settings from schema-valid JSON; raises HoursError for unreadable display hours."""
    map_raw = raw.get("map")
    sync_raw = raw.get("sync")
    return Settings(
        kiosk_name=text_from_json(raw["kiosk_name"]),
        languages=tuple(raw["languages"]),
        default_language=raw["default_language"],
        idle_timeout_seconds=int(raw["idle_timeout_seconds"]),
        allowed_link_hosts=tuple(h.lower() for h in raw["allowed_link_hosts"]),
        theme=Theme(**raw["theme"]),
        sample_content=bool(raw["sample_content"]),
        map=MapInfo(image=map_raw["image"], bounds=MapBounds(**map_raw["bounds"]))
        if map_raw
        else None,
        sync=SyncTarget(
            url=sync_raw["url"],
            interval_minutes=int(sync_raw.get("interval_minutes", 60)),
            report_url=sync_raw.get("report_url"),
        )
        if sync_raw
        else None,
        display=display_from_json(raw.get("display")),
    )


def build_catalog(root: Path) -> Catalog:
    """The catalog of a folder known to be valid (it passed validation unchanged).

    Skips every check, and with them the jsonschema import; only for content whose
    fingerprint matches one that validated (see loader.load_catalog).
    """

    def entries(file_name: str, key: str) -> list[Any]:
        document = read_json_document(root / file_name)
        return list(document[key])

    settings = settings_from_json(read_json_document(root / "settings.json"))
    locations = []
    for raw in entries("locations.json", "locations"):
        hours = raw.get("opening_hours")
        locations.append(location_from_json(raw, OpeningSchedule.parse(hours) if hours else None))
    return Catalog(
        root=root,
        settings=settings,
        topics=tuple(topic_from_json(raw) for raw in entries("topics.json", "topics")),
        locations=tuple(locations),
        offers=tuple(offer_from_json(raw) for raw in entries("offers.json", "offers")),
    )
