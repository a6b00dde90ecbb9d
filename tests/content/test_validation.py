"""validate_folder on a copy of the real content with one realistic mistake each."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from kiosk.content.loader import EMBEDDED_CONTENT_DIR, load_catalog
from kiosk.content.problems import ContentError, Problem
from kiosk.content.validation import ValidationReport, validate_folder

CONTENT_FILES = ("settings.json", "topics.json", "locations.json", "offers.json")
LIST_KEYS = {"topics.json": "topics", "locations.json": "locations", "offers.json": "offers"}
KIND = {"topics.json": "topic", "locations.json": "location", "offers.json": "offer"}

# An edit makes one mistake in a content folder and returns the label of the entry it broke
# (as problems name it, e.g. 'offer "babytreff"'), or None for a mistake outside any entry.
Edit = Callable[[Path], str | None]
EntryEdit = Callable[[Path], str]


def copy_content(destination: Path) -> Path:
    """A copy of the embedded content folder at `destination`."""
    shutil.copytree(EMBEDDED_CONTENT_DIR, destination)
    return destination


def read_json(folder: Path, file_name: str) -> Any:
    return json.loads((folder / file_name).read_text(encoding="utf-8"))


def write_json(folder: Path, file_name: str, document: Any) -> None:
    text = json.dumps(document, ensure_ascii=False, indent=2)
    (folder / file_name).write_text(text, encoding="utf-8")


def edit_json(folder: Path, file_name: str, change: Callable[[Any], None]) -> None:
    """Read a content file, let `change` mutate the document in place, write it back."""
    document = read_json(folder, file_name)
    change(document)
    write_json(folder, file_name, document)


def save_image(path: Path, size: tuple[int, int], image_format: str = "PNG") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (27, 92, 135)).save(path, format=image_format)
    return path


def _any(_: dict[str, Any]) -> bool:
    return True


def _office(entry: dict[str, Any]) -> bool:
    return bool(entry["kind"] == "office")


def _outreach(entry: dict[str, Any]) -> bool:
    return bool(entry["kind"] == "outreach")


def _with_icon(entry: dict[str, Any]) -> bool:
    return "icon" in entry


def _label(file_name: str, index: int, entry: Any) -> str:
    entry_id = entry.get("id") if isinstance(entry, dict) else None
    if isinstance(entry_id, str):
        return f'{KIND[file_name]} "{entry_id}"'
    return f"{KIND[file_name]} #{index + 1}"


def on_entry(
    file_name: str,
    change: Callable[[dict[str, Any]], None],
    where: Callable[[dict[str, Any]], bool] = _any,
) -> EntryEdit:
    """Change the first entry of a file that matches `where`."""

    def edit(folder: Path) -> str:
        document = read_json(folder, file_name)
        items = document[LIST_KEYS[file_name]]
        index, item = next((i, e) for i, e in enumerate(items) if where(e))
        change(item)
        write_json(folder, file_name, document)
        return _label(file_name, index, item)

    return edit


def on_settings(change: Callable[[dict[str, Any]], None], entry: str | None = None) -> Edit:
    def edit(folder: Path) -> str | None:
        edit_json(folder, "settings.json", change)
        return entry

    return edit


def on_text(file_name: str, pattern: str, replacement: str) -> Edit:
    """Replace the first match of a regex in the file's text, as a hand edit would."""

    def edit(folder: Path) -> None:
        path = folder / file_name
        text, count = re.subn(pattern, replacement, path.read_text(encoding="utf-8"), count=1)
        assert count == 1, f"{pattern!r} not found in {file_name}: the content changed shape"
        path.write_text(text, encoding="utf-8")

    return edit


def on_bytes(file_name: str, change: Callable[[bytes], bytes]) -> Edit:
    def edit(folder: Path) -> None:
        path = folder / file_name
        path.write_bytes(change(path.read_bytes()))

    return edit


def set_field(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(item: dict[str, Any]) -> None:
        item[name] = value

    return change


def drop_field(name: str) -> Callable[[dict[str, Any]], None]:
    def change(item: dict[str, Any]) -> None:
        del item[name]

    return change


def rename_field(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    def change(item: dict[str, Any]) -> None:
        item[new] = item.pop(old)

    return change


def set_german(name: str, value: str) -> Callable[[dict[str, Any]], None]:
    def change(item: dict[str, Any]) -> None:
        item[name]["de"] = value

    return change


def on_icon(write: Callable[[Path], object]) -> EntryEdit:
    """Replace the image file of the first topic icon."""

    def edit(folder: Path) -> str:
        items = read_json(folder, "topics.json")["topics"]
        index, topic = next((i, t) for i, t in enumerate(items) if "icon" in t)
        write(folder / topic["icon"])
        return _label("topics.json", index, topic)

    return edit


def duplicate_id(file_name: str) -> Edit:
    """Copy the first entry to the end and forget to change its id."""

    def edit(folder: Path) -> str:
        document = read_json(folder, file_name)
        items = document[LIST_KEYS[file_name]]
        copy = json.loads(json.dumps(items[0]))
        copy["title" if "title" in copy else "name"]["de"] = "Kopie"
        items.append(copy)
        write_json(folder, file_name, document)
        return f'{KIND[file_name]} "{copy["id"]}" (#{len(items)})'

    return edit


def icon_outside_folder(folder: Path) -> str:
    save_image(folder.parent / "outside.png", (64, 64))
    return on_entry("topics.json", set_field("icon", "images/../../outside.png"), _with_icon)(
        folder
    )


def icon_symlink_outside(folder: Path) -> str:
    outside = save_image(folder.parent / "outside.png", (64, 64))
    (folder / "images" / "link.png").symlink_to(outside)
    return on_entry("topics.json", set_field("icon", "images/link.png"), _with_icon)(folder)


def icon_huge_jpeg(folder: Path) -> str:
    save_image(folder / "images" / "wide.jpg", (4097, 16), "JPEG")
    return on_entry("topics.json", set_field("icon", "images/wide.jpg"), _with_icon)(folder)


def map_image_deleted(folder: Path) -> str:
    image = read_json(folder, "settings.json")["map"]["image"]
    (folder / image).unlink()
    return "settings"


def offers_latin1(folder: Path) -> None:
    # Umlauts saved as latin-1 ("ANSI" in old Notepad) are not UTF-8.
    on_entry("offers.json", set_german("title", "Väter-Frühstück"))(folder)
    path = folder / "offers.json"
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1", errors="replace"))


def offers_utf16(folder: Path) -> None:
    # Notepad's "Unicode" encoding.
    path = folder / "offers.json"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))


def offers_as_list(folder: Path) -> None:
    write_json(folder, "offers.json", read_json(folder, "offers.json")["offers"])


def offers_is_folder(folder: Path) -> None:
    (folder / "offers.json").unlink()
    (folder / "offers.json").mkdir()


def stray_value_in_list(folder: Path) -> str:
    document = read_json(folder, "offers.json")
    document["offers"].append("babytreff")
    write_json(folder, "offers.json", document)
    return f"offer #{len(document['offers'])}"


def map_without_height(folder: Path) -> None:
    def change(settings: dict[str, Any]) -> None:
        settings["map"]["bounds"]["south"] = settings["map"]["bounds"]["north"]

    edit_json(folder, "settings.json", change)


def _half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _write_text_file(path: Path) -> None:
    path.write_text("Hier kommt noch ein Bild hin.\n", encoding="utf-8")


def _write_gif(path: Path) -> None:
    Image.new("RGB", (64, 64)).save(path, format="GIF")


def _truncate_file(path: Path) -> None:
    path.write_bytes(_half(path.read_bytes()))


def _pad_over_5mb(path: Path) -> None:
    path.write_bytes(path.read_bytes() + bytes(5 * 1024 * 1024 + 1))


@dataclass(frozen=True)
class Mistake:
    id: str
    edit: Edit
    file: str
    fragment: str
    field: str | None = None


MISTAKES = [
    # schema: missing, unknown, wrong type, pattern, empty, range, enum, conditional
    Mistake("missing-title", on_entry("offers.json", drop_field("title")), "offers.json",
            "this field is missing", "title"),
    Mistake("missing-setting", on_settings(drop_field("idle_timeout_seconds")), "settings.json",
            "this field is missing", "idle_timeout_seconds"),
    Mistake("office-without-hours", on_entry("locations.json", drop_field("opening_hours"),
            _office), "locations.json", "this field is missing", "opening_hours"),
    Mistake("typo-tittle", on_entry("topics.json", rename_field("title", "tittle")),
            "topics.json", "unknown field (a typo?)", "tittle"),
    Mistake("idle-as-text", on_settings(set_field("idle_timeout_seconds", "90")),
            "settings.json", "must be a whole number, but is a text in quotes",
            "idle_timeout_seconds"),
    Mistake("topic-ids-as-text", on_entry("offers.json", set_field("topic_ids", "kita")),
            "offers.json", "must be a list in [ ], but is a text in quotes", "topic_ids"),
    Mistake("id-with-capitals", on_entry("offers.json", set_field("id", "Baby Treff")),
            "offers.json", '"Baby Treff" is not in the right form', "id"),
    Mistake("empty-german", on_entry("topics.json", set_german("title", "")), "topics.json",
            "must not be empty", "title.de"),
    Mistake("blank-german", on_entry("topics.json", set_german("summary", "   ")),
            "topics.json", "the German text is blank", "summary.de"),
    Mistake("blank-kiosk-name", on_settings(set_german("kiosk_name", " "), "settings"),
            "settings.json", "the German text is blank", "kiosk_name.de"),
    Mistake("german-missing", on_entry("offers.json", set_field("title", {"en": "x"})),
            "offers.json", "this field is missing", "title.de"),
    Mistake("bad-colour", on_settings(lambda s: s["theme"].update(primary="blue")),
            "settings.json", '"blue" is not in the right form', "theme.primary"),
    Mistake("short-colour", on_settings(lambda s: s["theme"].update(accent="#F2B23")),
            "settings.json", '"#F2B23" is not in the right form', "theme.accent"),
    Mistake("idle-too-short", on_settings(set_field("idle_timeout_seconds", 5)),
            "settings.json", "5 is out of range (30 to 600)", "idle_timeout_seconds"),
    Mistake("idle-too-long", on_settings(set_field("idle_timeout_seconds", 601)),
            "settings.json", "601 is out of range (30 to 600)", "idle_timeout_seconds"),
    Mistake("kind-typo", on_entry("locations.json", set_field("kind", "buero"), _office),
            "locations.json", '"buero" is not allowed here', "kind"),
    Mistake("outreach-with-address", on_entry("locations.json", set_field("address",
            {"street": "Musterstraße 1", "postcode": "57072", "city": "Siegen"}), _outreach),
            "locations.json", 'an "outreach" entry has no address'),
    Mistake("outreach-with-coordinates", on_entry("locations.json", set_field("coordinates",
            {"lat": 50.87, "lon": 8.02}), _outreach),
            "locations.json", 'an "outreach" entry has no address'),
    Mistake("language-twice", on_settings(set_field("languages", ["de", "en", "de"])),
            "settings.json", "contains the same value twice", "languages"),
    Mistake("stray-value-in-list", stray_value_in_list, "offers.json",
            "must be an object in { }, but is a text in quotes"),
    # ids and references
    Mistake("duplicate-topic-id", duplicate_id("topics.json"), "topics.json",
            "the id is already used by topic #1", "id"),
    Mistake("duplicate-offer-id", duplicate_id("offers.json"), "offers.json",
            "the id is already used by offer #1", "id"),
    Mistake("location-topic-nowhere", on_entry("locations.json",
            set_field("topic_ids", ["kita-beratung"])), "locations.json",
            'the topic "kita-beratung" does not exist in topics.json', "topic_ids"),
    Mistake("offer-topic-nowhere", on_entry("offers.json",
            set_field("topic_ids", ["kinderbetreung"])), "offers.json",
            'the topic "kinderbetreung" does not exist in topics.json', "topic_ids"),
    # images
    Mistake("icon-missing", on_entry("topics.json", set_field("icon", "images/fehlt.png"),
            _with_icon), "topics.json", 'the image "images/fehlt.png" does not exist', "icon"),
    Mistake("map-image-deleted", map_image_deleted, "settings.json", "does not exist",
            "map.image"),
    Mistake("text-renamed-png", on_icon(_write_text_file), "topics.json",
            "is not a PNG or JPEG image", "icon"),
    Mistake("gif-renamed-png", on_icon(_write_gif), "topics.json",
            "is a GIF image; use PNG or JPEG", "icon"),
    Mistake("png-5000x10", on_icon(lambda p: save_image(p, (5000, 10))), "topics.json",
            "is 5000x10 pixels", "icon"),
    Mistake("png-tiny", on_icon(lambda p: save_image(p, (8, 8))), "topics.json",
            "is 8x8 pixels", "icon"),
    Mistake("jpeg-4097-wide", icon_huge_jpeg, "topics.json", "is 4097x16 pixels", "icon"),
    Mistake("png-cut-off", on_icon(_truncate_file), "topics.json", "damaged", "icon"),
    Mistake("png-over-5mb", on_icon(_pad_over_5mb), "topics.json", "at most 5 MB", "icon"),
    Mistake("icon-outside-folder", icon_outside_folder, "topics.json",
            "is not in the right form", "icon"),
    Mistake("icon-symlink-outside", icon_symlink_outside, "topics.json",
            "points outside the content folder", "icon"),
    # links
    Mistake("http-link", on_entry("topics.json", set_field("booking_url",
            "http://www.siegen.de/familienbuero")), "topics.json",
            '"http://www.siegen.de/familienbuero" is not in the right form', "booking_url"),
    Mistake("host-not-allowed", on_entry("offers.json", set_field("url",
            "https://www.beispielverein.de/babytreff")), "offers.json",
            "www.beispielverein.de is not in allowed_link_hosts", "url"),
    Mistake("partner-host-not-allowed", on_entry("offers.json", lambda o: o["partner"].update(
            url="https://verein.example.org/")), "offers.json",
            "verein.example.org is not in allowed_link_hosts", "partner.url"),
    Mistake("link-with-userinfo", on_entry("locations.json", set_field("booking_url",
            "https://www.siegen.de@evil.example/termin")), "locations.json",
            "user name before the host", "booking_url"),
    Mistake("link-with-port", on_entry("offers.json", set_field("url",
            "https://www.siegen.de:8443/angebote")), "offers.json", "port 8443", "url"),
    Mistake("link-with-space", on_entry("offers.json", set_field("url",
            "https://www.siegen.de/familien büro")), "offers.json", "contains a space", "url"),
    # opening hours, dates, languages
    Mistake("hours-in-words", on_entry("locations.json", set_field("opening_hours",
            "Mo-Fr 8.30 bis 12 Uhr"), _office), "locations.json",
            "the opening hours cannot be read", "opening_hours"),
    Mistake("hours-blank", on_entry("locations.json", set_field("opening_hours", "  "),
            _office), "locations.json", "the opening hours are empty", "opening_hours"),
    Mistake("valid-from-after-until", on_entry("offers.json", lambda o: o.update(
            valid_from="2027-01-01", valid_until="2026-12-31")), "offers.json",
            "valid_from is after valid_until", "valid_until"),
    Mistake("date-feb-30", on_entry("offers.json", set_field("valid_until", "2026-02-30")),
            "offers.json", "2026-02-30 does not exist in the calendar", "valid_until"),
    Mistake("date-german-style", on_entry("offers.json", set_field("valid_until",
            "31.12.2026")), "offers.json", '"31.12.2026" is not in the right form',
            "valid_until"),
    Mistake("default-language-not-offered", on_settings(set_field("default_language", "tr")),
            "settings.json", 'the default language "tr" is not in "languages"',
            "default_language"),
    Mistake("german-not-offered", on_settings(lambda s: s.update(languages=["en"],
            default_language="en")), "settings.json",
            'German ("de") must be one of the languages', "languages"),
    Mistake("map-bounds-flat", map_without_height, "settings.json",
            "north must be greater than south", "map.bounds"),
    # broken files
    Mistake("file-missing", lambda f: (f / "offers.json").unlink(), "offers.json",
            "the file is missing"),
    Mistake("file-empty", on_bytes("offers.json", lambda _: b""), "offers.json",
            "the file is empty"),
    Mistake("file-only-bom-and-crlf", on_bytes("offers.json", lambda _: b"\xef\xbb\xbf\r\n"),
            "offers.json", "the file is empty"),
    Mistake("file-is-folder", offers_is_folder, "offers.json", "this is a folder"),
    Mistake("file-cut-in-half", on_bytes("offers.json", _half), "offers.json",
            "the file ends too early"),
    Mistake("cut-inside-text", on_bytes("offers.json", lambda b: b[: b.index(b'"de": "') + 8]),
            "offers.json", "the file ends too early"),
    Mistake("latin1-umlauts", offers_latin1, "offers.json", "the file is not UTF-8 text"),
    Mistake("notepad-utf16", offers_utf16, "offers.json", "the file is not UTF-8 text"),
    Mistake("duplicate-key", on_text("offers.json", r'"topic_ids":',
            '"topic_ids": [], "topic_ids":'), "offers.json",
            'the key "topic_ids" appears twice'),
    Mistake("nan", on_text("locations.json", r'"lat": [0-9.]+', '"lat": NaN'),
            "locations.json", "NaN is not a valid JSON value"),
    Mistake("infinity", on_text("settings.json", r'"idle_timeout_seconds": [0-9]+',
            '"idle_timeout_seconds": Infinity'), "settings.json",
            "Infinity is not a valid JSON value"),
    Mistake("list-instead-of-object", offers_as_list, "offers.json",
            "must be an object in { }, but is a list in [ ]"),
    Mistake("missing-comma", on_text("topics.json", r'("id": "[a-z0-9-]+"),', r"\1"),
            "topics.json", "this is not valid JSON"),
    Mistake("trailing-comma", on_text("settings.json", r'("text": "#[0-9A-Fa-f]{6}")', r"\1,"),
            "settings.json", "there is a comma before a closing bracket"),
    Mistake("word-quotes", on_text("topics.json", r'"de": ', "“de”: "), "topics.json",
            "typographic quote"),
    Mistake("absurdly-nested", on_bytes("offers.json", lambda _: b"[" * 100_000),
            "offers.json", "far too deeply"),
]  # fmt: skip


def make_mistake(mistake: Mistake, tmp_path: Path) -> tuple[Path, str | None]:
    folder = copy_content(tmp_path / "content")
    return folder, mistake.edit(folder)


def matching(report: ValidationReport, mistake: Mistake) -> list[Problem]:
    return [p for p in report.errors if p.file == mistake.file and mistake.fragment in str(p)]


def test_every_mistake_id_is_unique() -> None:
    ids = [m.id for m in MISTAKES]
    assert len(ids) == len(set(ids))


def test_embedded_content_is_clean() -> None:
    report = validate_folder(EMBEDDED_CONTENT_DIR)
    assert [str(p) for p in report.problems] == []
    assert report.ok
    assert report.catalog is not None


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.id)
def test_mistake_is_reported_with_file_entry_and_field(mistake: Mistake, tmp_path: Path) -> None:
    folder, entry = make_mistake(mistake, tmp_path)

    report = validate_folder(folder)

    assert report.catalog is None
    assert not report.ok
    found = matching(report, mistake)
    assert found, f"no error in {mistake.file} saying {mistake.fragment!r}: " + "\n".join(
        str(p) for p in report.problems
    )
    problem = found[0]
    assert str(problem).startswith(mistake.file)
    assert problem.entry == entry
    assert problem.field == mistake.field
    # One mistake in one file: nothing is blamed on the files that are fine.
    assert {p.file for p in report.errors} == {mistake.file}
    # One line per problem, file first.
    for each in report.problems:
        assert "\n" not in str(each)
        assert str(each).startswith(each.file)


@pytest.mark.parametrize(
    "mistake",
    [m for m in MISTAKES if m.id in {"missing-title", "png-5000x10", "file-cut-in-half"}],
    ids=lambda m: m.id,
)
def test_load_catalog_refuses_a_folder_with_a_mistake(mistake: Mistake, tmp_path: Path) -> None:
    folder, _ = make_mistake(mistake, tmp_path)

    with pytest.raises(ContentError) as caught:
        load_catalog(folder)

    assert caught.value.folder == str(folder)
    assert any(mistake.fragment in str(p) for p in caught.value.problems)
    assert mistake.file in str(caught.value)


def test_problems_carry_line_and_column_for_broken_json(tmp_path: Path) -> None:
    folder = copy_content(tmp_path / "content")
    on_text("topics.json", r'("id": "[a-z0-9-]+"),', r"\1")(folder)
    expected_line = next(
        number
        for number, line in enumerate((folder / "topics.json").read_text().splitlines(), 1)
        if re.search(r'"id": "[a-z0-9-]+"$', line)
    )

    (problem,) = validate_folder(folder).errors

    # The missing comma is noticed where the next key starts, on the following line.
    assert problem.line == expected_line + 1
    assert f"line {expected_line + 1}" in str(problem)


def test_invalid_utf8_names_the_line_of_the_first_bad_byte(tmp_path: Path) -> None:
    folder = copy_content(tmp_path / "content")
    offers_latin1(folder)
    raw = (folder / "offers.json").read_bytes()
    bad_offset = next(i for i, byte in enumerate(raw) if byte >= 0x80)

    (problem,) = validate_folder(folder).errors

    assert problem.line == raw[:bad_offset].count(b"\n") + 1


def test_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "inhalt"

    report = validate_folder(missing)

    assert report.catalog is None
    (problem,) = report.errors
    assert str(problem).startswith(str(missing))
    assert "this is not a folder" in str(problem)


def test_a_file_instead_of_a_folder(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "content.zip"
    not_a_folder.write_bytes(b"PK\x03\x04")

    report = validate_folder(not_a_folder)

    assert report.catalog is None
    assert "this is not a folder" in str(report.errors[0])


@pytest.mark.parametrize("file_name", CONTENT_FILES)
def test_each_missing_file_is_named(file_name: str, content_copy: Path) -> None:
    (content_copy / file_name).unlink()

    report = validate_folder(content_copy)

    assert report.catalog is None
    assert any(p.file == file_name and "the file is missing" in str(p) for p in report.errors)
    # The other files are fine; a missing topics.json must not make every reference look broken.
    assert {p.file for p in report.errors} == {file_name}


@pytest.mark.parametrize("file_name", CONTENT_FILES)
def test_each_truncated_file_is_named(file_name: str, content_copy: Path) -> None:
    on_bytes(file_name, _half)(content_copy)

    report = validate_folder(content_copy)

    assert report.catalog is None
    assert any(p.file == file_name and "ends too early" in str(p) for p in report.errors)


def notepad_style(folder: Path) -> None:
    """Save every file the way Windows Notepad does: UTF-8 with BOM, CRLF line ends."""
    for file_name in CONTENT_FILES:
        path = folder / file_name
        text = path.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\n", "\r\n")
        path.write_bytes(text.encode("utf-8-sig"))


def test_notepad_bom_and_crlf_are_accepted(content_copy: Path) -> None:
    notepad_style(content_copy)
    assert (content_copy / "offers.json").read_bytes().startswith(b"\xef\xbb\xbf{")
    assert b"\r\n" in (content_copy / "offers.json").read_bytes()

    report = validate_folder(content_copy)

    assert [str(p) for p in report.problems] == []
    original = load_catalog(EMBEDDED_CONTENT_DIR)
    assert report.catalog is not None
    assert report.catalog.settings == original.settings
    assert report.catalog.topics == original.topics
    assert report.catalog.offers == original.offers
    assert report.catalog.locations == original.locations


def test_a_missing_translation_is_a_warning_not_an_error(content_copy: Path) -> None:
    def drop_english(offer: dict[str, Any]) -> None:
        del offer["title"]["en"]

    label = on_entry("offers.json", drop_english)(content_copy)

    report = validate_folder(content_copy)

    assert report.ok
    assert report.catalog is not None
    (warning,) = report.warnings
    assert warning.entry == label
    assert warning.field == "title.en"
    assert "visitors will see the German one" in str(warning)
    assert ": warning: " in str(warning)


def test_all_mistakes_at_once_are_all_reported(content_copy: Path) -> None:
    """Checking goes on after the first problem: staff fix everything in one round."""
    chosen = [
        m
        for m in MISTAKES
        if m.id in {"idle-too-short", "typo-tittle", "offer-topic-nowhere", "hours-in-words"}
    ]
    for mistake in chosen:
        mistake.edit(content_copy)

    report = validate_folder(content_copy)

    for mistake in chosen:
        assert matching(report, mistake), mistake.id


def test_a_typo_in_kind_gives_one_error_not_a_second_wrong_one(tmp_path: Path) -> None:
    content = copy_content(tmp_path / "content")

    def typo(document: Any) -> None:
        document["locations"][0]["kind"] = "ofice"

    edit_json(content, "locations.json", typo)
    errors = validate_folder(content).errors
    assert [(e.file, e.field) for e in errors] == [("locations.json", "kind")]
    assert '"ofice" is not allowed here' in str(errors[0])


def test_an_image_with_absurdly_many_pixels_says_so(tmp_path: Path) -> None:
    content = copy_content(tmp_path / "content")
    # A tiny file that claims 30000x30000 pixels: Pillow refuses it as a decompression bomb.
    Image.new("1", (30000, 30000)).save(content / "images" / "map.png", optimize=True)
    errors = validate_folder(content).errors
    assert len(errors) == 1
    assert "far too many pixels" in str(errors[0])
    assert "settings.json" in str(errors[0])
