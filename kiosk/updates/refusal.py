"""Why an update was refused, in plain words for the staff who brought it (German and English)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

# One entry per reason. The German text is what the kiosk screen shows; both name the file or
# version concerned and, where staff can do something about it, what to do.
MESSAGES: dict[str, dict[str, str]] = {
    "no_trusted_key": {
        "de": "Dieser Kiosk vertraut noch keinem Schlüssel. Zuerst „kiosk trust SCHLÜSSEL.pub“ "
        "ausführen.",
        "en": "This kiosk trusts no key yet. Run `kiosk trust KEY.pub` first.",
    },
    "not_a_release": {
        "de": "{source} ist kein veröffentlichter Inhalt: {detail}. Inhalte mit „kiosk publish“ "
        "erzeugen.",
        "en": "{source} is not a published release: {detail}. Create one with `kiosk publish`.",
    },
    "archive": {
        "de": "{source} ist ein Archiv. Bitte nicht packen: „kiosk publish“ schreibt den Ordner "
        "direkt auf den Stick.",
        "en": "{source} is an archive. Do not pack it: `kiosk publish` writes the folder straight "
        "to the stick.",
    },
    "unsigned": {
        "de": "Der Inhalt ist nicht signiert. Nur mit „kiosk publish“ signierte Inhalte werden "
        "angenommen.",
        "en": "The content is not signed. Only content signed with `kiosk publish` is accepted.",
    },
    "untrusted_key": {
        "de": "Der Inhalt ist mit einem fremden Schlüssel signiert ({keys}). Dieser Kiosk vertraut "
        "nur dem Schlüssel des Büros.",
        "en": "The content is signed with a key this kiosk does not trust ({keys}).",
    },
    "bad_signature": {
        "de": "Die Signatur passt nicht: {detail}. Die Dateien wurden nach dem Signieren "
        "verändert.",
        "en": "The signature does not match: {detail}. The files were changed after signing.",
    },
    "rollback": {
        "de": "Version {version} ist älter als die Version {floor} auf diesem Kiosk. Ältere "
        "Inhalte werden nicht wieder eingespielt.",
        "en": "Version {version} is older than version {floor} on this kiosk. Older content is "
        "never brought back.",
    },
    "same_version_differs": {
        "de": "Version {version} ist hier schon aktiv, aber mit anderem Inhalt. Bitte mit einer "
        "höheren Versionsnummer veröffentlichen (--version {next}).",
        "en": "Version {version} is already active here with different content. Publish with a "
        "higher version (--version {next}).",
    },
    "mix": {
        "de": "Die Dateien gehören zu verschiedenen Veröffentlichungen ({detail}). Den Ordner "
        "vollständig neu kopieren.",
        "en": "The files belong to different releases ({detail}). Copy the whole folder again.",
    },
    "expired": {
        "de": "Die Signatur gilt nur bis {expires}, die Uhr des Kiosks zeigt {clock}. Stimmt die "
        "Uhr, bitte neu veröffentlichen; sonst die Uhr stellen.",
        "en": "The signature is valid until {expires}, the kiosk clock says {clock}. If the clock "
        "is right, publish again; otherwise set the clock.",
    },
    "file_mismatch": {
        "de": "Die Datei {path} stimmt nicht mit der Signatur überein: verändert oder "
        "ausgetauscht.",
        "en": "The file {path} does not match its signature: changed or replaced.",
    },
    "file_too_large": {
        "de": "Die Datei {path} ist größer als signiert ({length} Bytes erwartet).",
        "en": "The file {path} is larger than signed ({length} bytes expected).",
    },
    "file_missing": {
        "de": "Die Datei {path} fehlt. Den Ordner vollständig neu kopieren.",
        "en": "The file {path} is missing. Copy the whole folder again.",
    },
    "not_regular_file": {
        "de": "{path} ist {what}, keine normale Datei, und wird aus Sicherheitsgründen nicht "
        "gelesen.",
        "en": "{path} is {what}, not a regular file, and is not read, for safety.",
    },
    "unsafe_path": {
        "de": "Unzulässiger Dateiname in der Signatur: {path}.",
        "en": "Unsafe file name in the signed list: {path}.",
    },
    "too_large": {
        "de": "Das Update ist zu groß: {size} MB (erlaubt sind {limit} MB).",
        "en": "The update is too large: {size} MB (the limit is {limit} MB).",
    },
    "too_many_files": {
        "de": "Das Update hat zu viele Dateien: {count} (erlaubt sind {limit}).",
        "en": "The update has too many files: {count} (the limit is {limit}).",
    },
    "no_space": {
        "de": "Nicht genug Speicherplatz auf dem Kiosk: {need} MB nötig, {free} MB frei.",
        "en": "Not enough space on the kiosk: {need} MB needed, {free} MB free.",
    },
    "content_invalid": {
        "de": "Der Inhalt ist richtig signiert, aber fehlerhaft: {problem}",
        "en": "The content is correctly signed but not valid: {problem}",
    },
    "metadata_invalid": {
        "de": "Die Signaturdateien sind beschädigt: {detail}",
        "en": "The signature files are damaged: {detail}",
    },
    "http_error": {
        "de": "Der Server antwortete mit Fehler {status} ({url}).",
        "en": "The server answered with error {status} ({url}).",
    },
    "network": {
        "de": "Der Server ist nicht erreichbar: {detail}",
        "en": "The server cannot be reached: {detail}",
    },
    "stalled": {
        "de": "Die Verbindung ist stehen geblieben: {detail}",
        "en": "The connection stalled: {detail}",
    },
    "no_previous": {
        "de": "Es gibt keine frühere Version auf diesem Kiosk, zu der zurückgekehrt werden kann.",
        "en": "There is no earlier version on this kiosk to go back to.",
    },
    "withdrawn": {
        "de": "Version {version} wurde an diesem Kiosk zurückgenommen und wird nicht wieder "
        "eingespielt. Erst eine neuere Version (mit „kiosk publish“) wird übernommen.",
        "en": "Version {version} was withdrawn on this kiosk and is not activated again. "
        "Only a newer version (from `kiosk publish`) is taken.",
    },
    "clock_behind": {
        "de": "Hinweis: Die Uhr des Kiosks ({clock}) steht vor dem Veröffentlichungsdatum "
        "({published}). Die Uhr geht vermutlich falsch; bitte stellen.",
        "en": "Note: the kiosk clock ({clock}) is earlier than the publish date ({published}). "
        "The clock is probably wrong; please set it.",
    },
    "write_failed": {
        "de": "Schreiben auf die Speicherkarte des Kiosks ist fehlgeschlagen: {detail}",
        "en": "Writing to the kiosk's storage failed: {detail}",
    },
}


# What a file on a stick turned out to be, for "not_regular_file".
FILE_KINDS: dict[str, dict[str, str]] = {
    "symlink": {"de": "eine Verknüpfung (Symlink)", "en": "a symbolic link"},
    "fifo": {"de": "eine benannte Pipe (FIFO)", "en": "a named pipe (FIFO)"},
    "device": {"de": "ein Gerät", "en": "a device"},
    "socket": {"de": "ein Socket", "en": "a socket"},
    "folder": {"de": "ein Ordner", "en": "a folder"},
    "bad_name": {"de": "ein unzulässiger Name", "en": "an unsafe name"},
    "other": {"de": "etwas anderes", "en": "something else"},
}


def render(code: str, params: Mapping[str, object], language: str) -> str:
    template = MESSAGES[code].get(language) or MESSAGES[code]["en"]
    shown = dict(params)
    if code == "not_regular_file" and str(params.get("what")) in FILE_KINDS:
        shown["what"] = FILE_KINDS[str(params["what"])].get(language, params["what"])
    return template.format(**shown)


class UpdateRefused(Exception):
    """An update that was not activated; the active content is unchanged."""

    def __init__(self, code: str, **params: object) -> None:
        if code not in MESSAGES:
            raise ValueError(f"unknown refusal code {code!r}")
        self.code = code
        self.params = params
        super().__init__(self.text("en"))

    def text(self, language: str = "de") -> str:
        return render(self.code, self.params, language)


@dataclass(frozen=True)
class Notice:
    """Something staff should know about an update that was accepted (a wrong clock)."""

    code: str
    params: Mapping[str, object]

    def text(self, language: str = "de") -> str:
        return render(self.code, self.params, language)


def staff_language() -> str:
    """German on a German desktop (where staff publish), English otherwise."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "de" if value.lower().startswith("de") else "en"
    return "en"
