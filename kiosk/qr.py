"""Link policy and QR matrices for links shown on the kiosk (no Kivy: the UI draws the matrix)."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import qrcode
import qrcode.constants

__all__ = [
    "LinkNotAllowed",
    "LinkPolicy",
    "QrCache",
    "QrMatrix",
    "short_link_text",
]

MAX_LINK_LENGTH = 512
SHORT_TEXT_LENGTH = 48
QUIET_ZONE = 4


class LinkNotAllowed(ValueError):
    """A link the policy refuses to show, with the policy's reason as message."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(reason)
        self.url = url
        self.reason = reason


class LinkPolicy:
    """Which links may be shown as QR codes: https on an allowed host, nothing that disguises it."""

    def __init__(self, allowed_hosts: Iterable[str]) -> None:
        hosts: list[str] = []
        for entry in allowed_hosts:
            host = entry.strip().lower()
            # An entry like "https://www.siegen.de" or "*.siegen.de" would silently match nothing;
            # say so where the settings are loaded instead of refusing every link later.
            if not host or any(c in host for c in "/:@*?#") or any(c.isspace() for c in host):
                raise ValueError(
                    f"allowed_link_hosts entry {entry!r} is not a plain host name "
                    "like www.siegen.de"
                )
            if host not in hosts:
                hosts.append(host)
        self._hosts = tuple(hosts)

    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        return self._hosts

    def allows(self, url: str) -> bool:
        return self.problem(url) is None

    def problem(self, url: str) -> str | None:
        if len(url) > MAX_LINK_LENGTH:
            return f"The link is {len(url)} characters long; at most {MAX_LINK_LENGTH} are allowed."
        # isprintable() is False for control and format characters (bidi overrides, zero-width
        # spaces), which can make a link read differently from where it goes, and for every
        # space but " ".
        if not url.isprintable() or " " in url:
            position = next(i for i, c in enumerate(url, 1) if c == " " or not c.isprintable())
            return (
                f"The link contains a space or invisible character at position {position}; "
                "write it without one."
            )
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return "The link is not a valid web address."
        if parts.scheme.lower() != "https":
            found = f"{parts.scheme}://" if parts.scheme else "no scheme"
            return f"The link must start with https:// (found {found})."
        if "@" in parts.netloc:
            return (
                "The link contains a user name before the host (…@), "
                "which can hide where it really goes."
            )
        host = parts.hostname or ""
        if not host:
            return "The link has no host name after https://."
        if port is not None and port != 443:
            return f"The link uses port {port}; only the standard https port 443 is allowed."
        if host not in self._hosts:
            listed = ", ".join(self._hosts) if self._hosts else "the list is empty"
            return f"The host {host} is not in allowed_link_hosts ({listed})."
        return None


@dataclass(frozen=True)
class QrMatrix:
    """A QR code as square rows of modules (1 = dark), quiet zone included."""

    size: int
    modules: bytes

    def __post_init__(self) -> None:
        if self.size <= 0 or len(self.modules) != self.size * self.size:
            raise ValueError(f"a {self.size}×{self.size} matrix needs {self.size**2} modules")

    @classmethod
    def encode(cls, text: str) -> QrMatrix:
        code = qrcode.QRCode(
            error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE, version=None
        )
        code.add_data(text)
        code.make(fit=True)
        rows: list[list[bool]] = code.get_matrix()
        return cls(len(rows), bytes(1 if dark else 0 for row in rows for dark in row))

    def to_luminance(self, scale: int) -> bytes:
        if scale < 1:
            raise ValueError("scale must be at least 1")
        dark, light = b"\x00" * scale, b"\xff" * scale
        lines: list[bytes] = []
        for row in range(self.size):
            cells = self.modules[row * self.size : (row + 1) * self.size]
            line = b"".join(dark if cell else light for cell in cells)
            lines.append(line * scale)
        return b"".join(lines)


class QrCache:
    """Bounded LRU of QR matrices for allowed links; safe to share with a worker thread."""

    def __init__(self, policy: LinkPolicy, maxsize: int = 256) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._policy = policy
        self._maxsize = maxsize
        self._matrices: OrderedDict[str, QrMatrix] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._matrices)

    def matrix_for(self, url: str) -> QrMatrix:
        reason = self._policy.problem(url)
        if reason is not None:
            raise LinkNotAllowed(url, reason)
        with self._lock:
            cached = self._matrices.get(url)
            if cached is not None:
                self._matrices.move_to_end(url)
                return cached
        # Encoding takes milliseconds; doing it outside the lock keeps the UI thread's cache hits
        # from waiting behind a worker's encode.
        matrix = QrMatrix.encode(url)
        with self._lock:
            existing = self._matrices.get(url)
            if existing is not None:
                self._matrices.move_to_end(url)
                return existing
            self._matrices[url] = matrix
            while len(self._matrices) > self._maxsize:
                self._matrices.popitem(last=False)
            return matrix


def short_link_text(url: str) -> str:
    """The link as short text for visitors who cannot scan: no https://, at most 48 characters."""
    text = url[len("https://") :] if url.lower().startswith("https://") else url
    text = text.removesuffix("/")
    if len(text) <= SHORT_TEXT_LENGTH:
        return text
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or not parts.netloc:
        return text[: SHORT_TEXT_LENGTH - 1] + "…"
    host = parts.netloc
    segments = [segment for segment in parts.path.split("/") if segment]
    if not segments:
        return host + "/…"
    last = segments[-1]
    if parts.query or parts.fragment:
        last += "…"
    head = host + "/…/" if len(segments) > 1 else host + "/"
    room = SHORT_TEXT_LENGTH - len(head)
    if room < 8:
        # Too little left for a recognisable segment; the host is the useful part.
        return host + "/…"
    if len(last) > room:
        last = last[: room - 1] + "…"
    return head + last


def link_lines(text: str, max_chars: int) -> str:
    """The link text broken into lines of at most `max_chars`, after a "/" where possible.

    A label would otherwise break "familienbuero" in the middle of the word, and a visitor
    typing the link from the screen would not know where the break is.
    """
    if max_chars < 8 or len(text) <= max_chars:
        return text
    lines: list[str] = []
    line = ""
    for part in re.split(r"(?<=[/.?&=-])", text):
        while len(part) > max_chars:  # a single part longer than a line: split it hard
            if line:
                lines.append(line)
                line = ""
            lines.append(part[:max_chars])
            part = part[max_chars:]
        if len(line) + len(part) > max_chars:
            lines.append(line)
            line = ""
        line += part
    if line:
        lines.append(line)
    return "\n".join(lines)
