"""Every check on a content folder: schema, ids, references, links, hours, images, texts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from PIL import Image, UnidentifiedImageError

from kiosk.content.hours import HoursError, OpeningSchedule
from kiosk.content.loader import SCHEMA_DIR
from kiosk.content.model import BASE_LANGUAGE, Catalog, Location, Offer, Settings, Topic
from kiosk.content.parse import (
    JsonReadError,
    location_from_json,
    offer_from_json,
    read_json_document,
    settings_from_json,
    topic_from_json,
)
from kiosk.content.problems import Problem, Severity
from kiosk.qr import LinkPolicy

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_SIDE = 4096
MIN_IMAGE_SIDE = 16

# file name -> (list key, singular word for messages, field shown as the entry's name)
ENTITY_FILES: Mapping[str, tuple[str, str]] = {
    "topics.json": ("topics", "topic"),
    "locations.json": ("locations", "location"),
    "offers.json": ("offers", "offer"),
}
SETTINGS_FILE = "settings.json"

_TYPE_WORDS = {
    "string": "a text in quotes",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list in [ ]",
    "object": "an object in { }",
    "null": "null",
}


@dataclass
class ValidationReport:
    """The outcome of checking a folder: problems, and the catalog when there are no errors."""

    folder: Path
    problems: list[Problem] = field(default_factory=list)
    catalog: Catalog | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors


@cache
def _schema_documents() -> dict[str, Any]:
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(SCHEMA_DIR.glob("*.schema.json"))
    }


def _inline_refs(node: Any, document: str, documents: Mapping[str, Any]) -> Any:
    """Replace every $ref with the schema it points to.

    The format has no recursive definitions, so this terminates; it makes validating
    10,000 offers about ten times faster than letting jsonschema resolve references
    for every entry (measured with `kiosk bench`).
    """
    if isinstance(node, list):
        return [_inline_refs(item, document, documents) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target_file, _, pointer = node["$ref"].partition("#")
        target_document = target_file or document
        target = documents[target_document]
        for part in filter(None, pointer.split("/")):
            target = target[part]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return {**_inline_refs(target, target_document, documents), **siblings}
    return {key: _inline_refs(value, document, documents) for key, value in node.items()}


@cache
def schema_validator(file_name: str) -> Draft202012Validator:
    """The validator for one content file, e.g. `topics.json`."""
    schema_name = file_name.replace(".json", ".schema.json")
    documents = _schema_documents()
    schema = _inline_refs(documents[schema_name], schema_name, documents)
    schema.pop("$defs", None)
    return Draft202012Validator(schema)


def _describe(value: Any) -> str:
    for name, word in _TYPE_WORDS.items():
        if Draft202012Validator.TYPE_CHECKER.is_type(value, name):
            return word
    return type(value).__name__


def _field_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _schema_message(error: ValidationError) -> tuple[str, str | None, str | None]:
    """(message, hint, extra field name) in plain words for one schema error."""
    v, schema, instance = error.validator, error.schema, error.instance
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        return "this field is missing.", f'Add "{missing}".', missing
    if v == "additionalProperties":
        allowed = ", ".join(sorted(schema.get("properties", {})))
        extras = sorted(set(instance) - set(schema.get("properties", {})))
        name = extras[0] if extras else "?"
        return (
            "unknown field (a typo?).",
            f"Remove it or correct the name; allowed here: {allowed}.",
            name,
        )
    if v == "type":
        wanted = schema["type"]
        wanted_words = " or ".join(_TYPE_WORDS.get(t, t) for t in _as_list(wanted))
        return f"must be {wanted_words}, but is {_describe(instance)}.", None, None
    if v == "pattern":
        described = schema.get("description")
        hint = f"Write {described}." if described else f"It must match {schema['pattern']}."
        return f"{json.dumps(instance, ensure_ascii=False)} is not in the right form.", hint, None
    if v == "minLength":
        return "must not be empty.", None, None
    if v == "maxLength":
        return f"is too long (at most {schema['maxLength']} characters).", "Shorten it.", None
    if v in ("minimum", "maximum"):
        low, high = schema.get("minimum"), schema.get("maximum")
        return f"{instance} is out of range ({low} to {high}).", None, None
    if v in ("enum", "const"):
        options = schema.get("enum") or [schema.get("const")]
        return (
            f"{json.dumps(instance, ensure_ascii=False)} is not allowed here.",
            "Use one of: " + ", ".join(json.dumps(o) for o in options) + ".",
            None,
        )
    if v == "uniqueItems":
        return "contains the same value twice.", "Remove the duplicate.", None
    if v == "minItems":
        return "must not be an empty list.", None, None
    if v == "not" and error.absolute_path and error.absolute_path[0] == "locations":
        return (
            'an "outreach" entry has no address or coordinates (it has no site).',
            'Remove them, or use "kind": "office".',
            None,
        )
    if v == "propertyNames":
        return f"{json.dumps(instance, ensure_ascii=False)} is not a language code.", None, None
    return error.message + ".", None, None


def _is_real_date(value: str | None) -> bool:
    if value is None:
        return True
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _lower_first(text: str) -> str:
    """Messages follow "error:", so they start in lower case."""
    return text[:1].lower() + text[1:]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _entry_label(kind: str, index: int, raw: Any) -> str:
    entry_id = raw.get("id") if isinstance(raw, dict) else None
    if isinstance(entry_id, str) and entry_id:
        return f'{kind} "{entry_id}"'
    return f"{kind} #{index + 1}"


def _schema_problems(
    file_name: str, document: Any, list_key: str | None, kind: str | None
) -> tuple[list[Problem], set[int]]:
    """Schema problems of one document and the indexes of the entries that have any."""
    problems: list[Problem] = []
    broken: set[int] = set()
    errors = sorted(
        schema_validator(file_name).iter_errors(document), key=lambda e: list(e.absolute_path)
    )
    for error in errors:
        path = list(error.absolute_path)
        entry: str | None = None
        if list_key and kind and len(path) >= 2 and path[0] == list_key:
            index = path[1]
            if isinstance(index, int):
                broken.add(index)
                entry = _entry_label(kind, index, document[list_key][index])
                path = path[2:]
        message, hint, extra = _schema_message(error)
        if extra:
            path.append(extra)
        problems.append(
            Problem(file_name, message, entry=entry, field=_field_path(path) or None, hint=hint)
        )
    return problems, broken


class _ImageChecker:
    """Checks image files once each, however many entries name them."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()
        self._seen: dict[str, str | None] = {}

    def problem(self, relative: str) -> str | None:
        if relative not in self._seen:
            self._seen[relative] = self._check(relative)
        return self._seen[relative]

    def _check(self, relative: str) -> str | None:
        path = (self._root / relative).resolve()
        if not path.is_relative_to(self._root):
            return f'"{relative}" points outside the content folder.'
        if not path.is_file():
            return f'the image "{relative}" does not exist.'
        size = path.stat().st_size
        if size > MAX_IMAGE_BYTES:
            return f'the image "{relative}" is {size / 1e6:.1f} MB; at most 5 MB are allowed.'
        try:
            with Image.open(path) as image:
                width, height = image.size
                image_format = image.format
                if max(width, height) > MAX_IMAGE_SIDE or min(width, height) < MIN_IMAGE_SIDE:
                    return (
                        f'the image "{relative}" is {width}x{height} pixels; allowed are '
                        f"{MIN_IMAGE_SIDE} to {MAX_IMAGE_SIDE} pixels per side."
                    )
                if image_format not in ("PNG", "JPEG"):
                    return f'"{relative}" is a {image_format} image; use PNG or JPEG.'
                image.verify()
        except Image.DecompressionBombError:
            return (
                f'the image "{relative}" has far too many pixels; at most '
                f"{MAX_IMAGE_SIDE}x{MAX_IMAGE_SIDE} are allowed."
            )
        except UnidentifiedImageError:
            return f'"{relative}" is not a PNG or JPEG image (or it is damaged).'
        except (OSError, SyntaxError, ValueError):
            return f'the image "{relative}" is damaged and cannot be shown.'
        return None


@dataclass
class _Checker:
    """Collects problems for one folder while entries are checked and built."""

    root: Path
    problems: list[Problem] = field(default_factory=list)

    def add(
        self,
        file: str,
        message: str,
        entry: str | None = None,
        field_name: str | None = None,
        hint: str | None = None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        self.problems.append(Problem(file, message, entry, field_name, hint, severity))

    def read(self, file_name: str) -> Any:
        try:
            return read_json_document(self.root / file_name, file_name)
        except JsonReadError as exc:
            self.problems.append(exc.problem)
            return None

    def check_link(
        self, policy: LinkPolicy | None, file: str, entry: str, field_name: str, url: str | None
    ) -> None:
        if url is None or policy is None:
            return
        reason = policy.problem(url)
        if reason:
            self.add(
                file,
                _lower_first(reason),
                entry,
                field_name,
                "Use an https link on an allowed host, or add the host to "
                "settings.json allowed_link_hosts.",
            )

    def check_texts(
        self, file: str, entry: str, texts: Mapping[str, Any], languages: Sequence[str]
    ) -> None:
        for name, text in texts.items():
            if text is None:
                continue
            if not text.has(BASE_LANGUAGE):
                self.add(file, "the German text is blank.", entry, f"{name}.de", "Write it.")
                continue
            for language in languages:
                if not text.has(language):
                    self.add(
                        file,
                        f'there is no "{language}" text; visitors will see the German one.',
                        entry,
                        f"{name}.{language}",
                        severity=Severity.WARNING,
                    )


def _check_settings(checker: _Checker) -> Settings | None:
    raw = checker.read(SETTINGS_FILE)
    if raw is None:
        return None
    problems, _ = _schema_problems(SETTINGS_FILE, raw, None, None)
    checker.problems.extend(problems)
    if problems:
        return None
    display = raw.get("display")
    if display is not None:
        try:
            OpeningSchedule.parse(display["on_hours"])
        except HoursError as exc:
            checker.add(
                SETTINGS_FILE,
                _lower_first(str(exc)),
                None,
                "display.on_hours",
                'Use OpenStreetMap syntax, e.g. "Mo-Fr 07:00-19:00; Sa 08:00-13:00; PH off", '
                'or remove "display" to keep the screen on all the time.',
            )
            # Reported; the rest of the settings are still worth checking.
            raw = {key: value for key, value in raw.items() if key != "display"}
    settings = settings_from_json(raw)
    if BASE_LANGUAGE not in settings.languages:
        checker.add(SETTINGS_FILE, 'German ("de") must be one of the languages.', None, "languages")
    if settings.default_language not in settings.languages:
        checker.add(
            SETTINGS_FILE,
            f'the default language "{settings.default_language}" is not in "languages".',
            None,
            "default_language",
            "Add it to languages or choose one of them.",
        )
    if settings.map is not None:
        bounds = settings.map.bounds
        if bounds.north <= bounds.south or bounds.east <= bounds.west:
            checker.add(
                SETTINGS_FILE,
                "the map's north must be greater than south and east greater than west.",
                None,
                "map.bounds",
            )
    checker.check_texts(SETTINGS_FILE, "settings", {"kiosk_name": settings.kiosk_name}, [])
    return settings


def _valid_entries(
    checker: _Checker, file_name: str
) -> tuple[list[tuple[str, Any]], set[str] | None]:
    """Schema-valid raw entries with their labels, and every id named in the file.

    The ids are None when the file has no readable list, so nothing is known about them.
    """
    list_key, kind = ENTITY_FILES[file_name]
    document = checker.read(file_name)
    if document is None:
        return [], None
    problems, broken = _schema_problems(file_name, document, list_key, kind)
    checker.problems.extend(problems)
    entries = document.get(list_key) if isinstance(document, dict) else None
    if not isinstance(entries, list):
        return [], None
    all_ids = {e["id"] for e in entries if isinstance(e, dict) and isinstance(e.get("id"), str)}
    seen: dict[str, int] = {}
    valid: list[tuple[str, Any]] = []
    for index, raw in enumerate(entries):
        label = _entry_label(kind, index, raw)
        if index in broken:
            continue
        if raw["id"] in seen:
            checker.add(
                file_name,
                f"the id is already used by {kind} #{seen[raw['id']] + 1}.",
                label + f" (#{index + 1})",
                "id",
                "Give every entry its own id.",
            )
            continue
        seen[raw["id"]] = index
        valid.append((label, raw))
    return valid, all_ids


def _check_references(
    checker: _Checker, file: str, entry: str, ids: Sequence[str], known: set[str] | None
) -> None:
    if known is None:
        return  # topics.json is unreadable and reported; every id would look dangling
    for topic_id in ids:
        if topic_id not in known:
            checker.add(
                file,
                f'the topic "{topic_id}" does not exist in topics.json.',
                entry,
                "topic_ids",
                "Correct the id or remove it from the list.",
            )


def _check_image(
    checker: _Checker, images: _ImageChecker, file: str, entry: str, name: str, rel: str | None
) -> None:
    if rel is None:
        return
    reason = images.problem(rel)
    if reason:
        checker.add(file, reason, entry, name, "Put a PNG or JPEG file there, or fix the path.")


def validate_folder(root: Path) -> ValidationReport:
    """Check a whole content folder; the report holds a Catalog only when nothing is wrong."""
    root = Path(root)
    report = ValidationReport(folder=root)
    if not root.is_dir():
        report.problems.append(
            Problem(str(root), "this is not a folder.", hint="Give the content folder's path.")
        )
        return report
    checker = _Checker(root=root)
    images = _ImageChecker(root)
    settings = _check_settings(checker)
    policy = LinkPolicy(settings.allowed_link_hosts) if settings else None
    languages = settings.languages if settings else ()
    if settings and settings.map:
        _check_image(checker, images, SETTINGS_FILE, "settings", "map.image", settings.map.image)

    raw_topics, topic_ids = _valid_entries(checker, "topics.json")
    topics: list[Topic] = []
    for label, raw in raw_topics:
        topic = topic_from_json(raw)
        texts = {"title": topic.title, "summary": topic.summary, "body": topic.body}
        checker.check_texts("topics.json", label, texts, languages)
        checker.check_link(policy, "topics.json", label, "booking_url", topic.booking_url)
        _check_image(checker, images, "topics.json", label, "icon", topic.icon)
        topics.append(topic)

    locations = _check_locations(checker, policy, settings, topic_ids, languages)
    offers = _check_offers(checker, policy, topic_ids, languages)
    _check_topic_coverage(checker, topics, locations)

    report.problems = checker.problems
    if settings is not None and report.ok:
        report.catalog = Catalog(
            root=root,
            settings=settings,
            topics=tuple(topics),
            locations=tuple(locations),
            offers=tuple(offers),
        )
    return report


def _check_locations(
    checker: _Checker,
    policy: LinkPolicy | None,
    settings: Settings | None,
    topic_ids: set[str] | None,
    languages: Sequence[str],
) -> list[Location]:
    file = "locations.json"
    raw_locations, _ = _valid_entries(checker, file)
    locations: list[Location] = []
    for label, raw in raw_locations:
        hours: OpeningSchedule | None = None
        if "opening_hours" in raw:
            try:
                hours = OpeningSchedule.parse(raw["opening_hours"])
            except HoursError as exc:
                checker.add(
                    file,
                    _lower_first(str(exc)),
                    label,
                    "opening_hours",
                    'Use OpenStreetMap syntax, e.g. "Mo-Fr 08:30-12:00; PH off".',
                )
        location = location_from_json(raw, hours)
        texts = {
            "name": location.name,
            "description": location.description,
            "accessibility.notes": location.accessibility.notes if location.accessibility else None,
        }
        checker.check_texts(file, label, texts, languages)
        checker.check_link(policy, file, label, "booking_url", location.booking_url)
        _check_references(checker, file, label, location.topic_ids, topic_ids)
        bounds = settings.map.bounds if settings and settings.map else None
        # Bounds without extent are reported for settings.json; projecting on them divides by 0.
        if (
            location.coordinates
            and bounds
            and bounds.north > bounds.south
            and bounds.east > bounds.west
        ):
            if bounds.project(location.coordinates) is None:
                checker.add(
                    file,
                    "the coordinates lie outside the map, so no pin can be shown.",
                    label,
                    "coordinates",
                    "Check lat/lon (lat is about 50.9 in Siegen, lon about 8.0).",
                    Severity.WARNING,
                )
        if location.directions_url and policy and not policy.allows(location.directions_url):
            checker.add(
                file,
                'the "way there" QR code cannot be shown: www.openstreetmap.org is not allowed.',
                label,
                "coordinates",
                "Add www.openstreetmap.org to settings.json allowed_link_hosts.",
                Severity.WARNING,
            )
        locations.append(location)
    return locations


def _check_offers(
    checker: _Checker,
    policy: LinkPolicy | None,
    topic_ids: set[str] | None,
    languages: Sequence[str],
) -> list[Offer]:
    file = "offers.json"
    raw_offers, _ = _valid_entries(checker, file)
    offers: list[Offer] = []
    for label, raw in raw_offers:
        bad_dates = [
            key for key in ("valid_from", "valid_until") if not _is_real_date(raw.get(key))
        ]
        for key in bad_dates:
            checker.add(
                file,
                f"{raw[key]} does not exist in the calendar (the schema only checks its form).",
                label,
                key,
                "Write a real date as YYYY-MM-DD.",
            )
        if bad_dates:
            continue
        offer = offer_from_json(raw)
        texts = {
            "title": offer.title,
            "description": offer.description,
            "audience": offer.audience,
            "cost": offer.cost,
        }
        checker.check_texts(file, label, texts, languages)
        checker.check_link(policy, file, label, "partner.url", offer.partner.url)
        checker.check_link(policy, file, label, "url", offer.url)
        _check_references(checker, file, label, offer.topic_ids, topic_ids)
        if offer.valid_from and offer.valid_until and offer.valid_from > offer.valid_until:
            checker.add(
                file,
                "valid_from is after valid_until, so the offer is never shown.",
                label,
                "valid_until",
                "Swap or correct the dates.",
            )
        offers.append(offer)
    return offers


def _check_topic_coverage(
    checker: _Checker, topics: Sequence[Topic], locations: Sequence[Location]
) -> None:
    offered = {t for loc in locations for t in loc.topic_ids}
    for topic in topics:
        if topic.id not in offered:
            checker.add(
                "topics.json",
                "no location offers this topic, so its page shows no place to go.",
                f'topic "{topic.id}"',
                None,
                "Add the id to topic_ids of a location in locations.json.",
                Severity.WARNING,
            )
