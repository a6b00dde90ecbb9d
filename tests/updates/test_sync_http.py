"""`kiosk sync` against a real web server on 127.0.0.1: good, broken, slow and lying servers.

No mocks: a ThreadingHTTPServer serves the office's release folder, a SimpleHTTPRequestHandler
subclass misbehaves on demand (500s, cut-off bodies, stalls, drip-feeding, an older release)
and counts every request and byte it sends, so the costs below are measured at the server.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image, ImageDraw

from kiosk.updates.fetchers import HttpFetcher
from kiosk.updates.history import read_attempts
from kiosk.updates.importer import HttpSource, UpdateResult, update_from
from kiosk.updates.layout import hashed_target_path
from kiosk.updates.refusal import UpdateRefused

from .conftest import Kiosk, Office

if TYPE_CHECKING:
    from typing_extensions import Buffer  # collections.abc.Buffer from Python 3.12 on

KIB = 1024
# Status line and headers of one answer from http.server: well below this.
HEADER_ALLOWANCE = 512
RELEASE_WAIT_SECONDS = 60.0  # the longest a misbehaving handler holds its thread


@dataclass(frozen=True)
class Served:
    """One answered request, as the server saw it."""

    path: str
    status: int
    bytes_sent: int  # status line, headers and body


class CountingWriter(io.BufferedIOBase):
    """The handler's output stream, counting every byte written to the socket."""

    def __init__(self, out: io.BufferedIOBase) -> None:
        super().__init__()
        self.out = out
        self.count = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Buffer, /) -> int:
        size = memoryview(data).nbytes
        self.out.write(data)
        self.count += size
        return size

    def flush(self) -> None:
        self.out.flush()

    def close(self) -> None:
        try:
            self.out.close()
        finally:
            super().close()


class ReleaseServer(ThreadingHTTPServer):
    """Serves `root` (switchable) and misbehaves as `mode` says on paths below `affects`."""

    daemon_threads = True
    block_on_close = False  # a stalled handler must never hold up server_close()

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), ReleaseHandler)
        self.root = root
        self.mode = "good"  # good | error500 | truncate | stall | drip
        self.affects = "/"  # path prefix the misbehaviour applies to
        self.release = threading.Event()  # set at teardown: stalled handlers return
        self.drip_seconds = 6.0  # then a dripping handler hangs up
        self._lock = threading.Lock()
        self._requested: list[str] = []
        self._served: list[Served] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def arrived(self, path: str) -> None:
        with self._lock:
            self._requested.append(path)

    def requested(self) -> list[str]:
        """Every request path, recorded on arrival (a stalled one is answered only at teardown)."""
        with self._lock:
            return list(self._requested)

    def record(self, served: Served) -> None:
        with self._lock:
            self._served.append(served)

    def served(self) -> list[Served]:
        with self._lock:
            return list(self._served)

    def forget(self) -> None:
        with self._lock:
            self._requested.clear()
            self._served.clear()

    def bytes_sent(self, prefix: str = "/") -> int:
        return sum(s.bytes_sent for s in self.served() if s.path.startswith(prefix))

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up on a stalled or cut-off answer is what these tests do."""


class ReleaseHandler(SimpleHTTPRequestHandler):
    server: ReleaseServer

    def __init__(self, request: Any, client_address: Any, server: ReleaseServer) -> None:
        self._status = 0
        super().__init__(request, client_address, server, directory=str(server.root))

    def setup(self) -> None:
        super().setup()
        self.wfile = CountingWriter(self.wfile)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_response(self, code: int, message: str | None = None) -> None:
        self._status = code
        super().send_response(code, message)

    def do_GET(self) -> None:
        counter = self.wfile
        assert isinstance(counter, CountingWriter)
        before = counter.count
        path = self.path.split("?", 1)[0]
        self.server.arrived(path)
        try:
            self._answer()
            self.wfile.flush()
        except OSError:  # the client hung up (after its timeout): nothing more to send
            self.close_connection = True
        finally:
            self.server.record(Served(path, self._status, counter.count - before))

    def _answer(self) -> None:
        mode = self.server.mode
        if mode == "good" or not self.path.startswith(self.server.affects):
            super().do_GET()
            return
        if mode == "error500":
            self.send_error(500, "Internal Server Error")
            return
        file = Path(self.translate_path(self.path))
        if not file.is_file():
            self.send_error(404, "File not found")
            return
        body = file.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        if mode == "truncate":  # announce the whole file, send half, hang up
            self.wfile.write(body[: len(body) // 2])
        elif mode == "stall":  # headers, then silence
            self.server.release.wait(RELEASE_WAIT_SECONDS)
        elif mode == "drip":  # one byte every 0.2 s
            deadline = time.monotonic() + self.server.drip_seconds
            for offset in range(len(body)):
                if self.server.release.wait(0.2) or time.monotonic() > deadline:
                    return
                self.wfile.write(body[offset : offset + 1])
                self.wfile.flush()
        else:
            raise AssertionError(f"unknown mode {mode!r}")


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy configured on the test machine must not stand between kiosk and 127.0.0.1."""
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")


@pytest.fixture
def server(office: Office) -> Iterator[ReleaseServer]:
    office.stick.mkdir(parents=True, exist_ok=True)
    httpd = ReleaseServer(office.stick)
    thread = threading.Thread(
        target=httpd.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="release-server",
        daemon=True,
    )
    thread.start()
    try:
        yield httpd
    finally:
        httpd.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def sync(url: str, kiosk: Kiosk, **fetcher_options: float) -> UpdateResult:
    options: dict[str, float] = {"socket_timeout": 5.0, **fetcher_options}
    source = HttpSource(url, fetcher=HttpFetcher(**options))
    return update_from(source, kiosk.data_dir, lock_timeout=30)


def synced_one_published_two(office: Office, kiosk: Kiosk, server: ReleaseServer) -> None:
    """The kiosk synced version 1 ("Eins"); the office then published version 2 ("Zwei")."""
    office.edit_topic_title("Eins")
    office.publish(version=1)
    sync(server.url, kiosk)
    office.edit_topic_title("Zwei")
    office.publish(version=2)


def refused(url: str, kiosk: Kiosk, **fetcher_options: float) -> UpdateRefused:
    with pytest.raises(UpdateRefused) as caught:
        sync(url, kiosk, **fetcher_options)
    return caught.value


def assert_refused_and_recorded(kiosk: Kiosk, refusal: UpdateRefused, code: str) -> None:
    assert refusal.code == code, refusal.text("en")
    last = read_attempts(kiosk.layout.history)[0]
    assert (last.result, last.reason_code, last.kind) == ("refused", code, "network")


def assert_active(kiosk: Kiosk, version: int, title: str) -> None:
    assert kiosk.active_version() == version
    assert kiosk.active_title() == title


def draw_png(path: Path, size: tuple[int, int] = (640, 480)) -> bytes:
    """A valid PNG, unlike any image of the shipped content (a crude map with a marker)."""
    image = Image.new("RGB", size, (230, 236, 222))
    draw = ImageDraw.Draw(image)
    for step in range(0, size[0], 40):
        draw.line([(step, 0), (size[0] - step, size[1])], fill=(150, 150, 170), width=3)
    draw.ellipse([300, 200, 340, 240], fill=(200, 30, 30))
    image.save(path, format="PNG")
    return path.read_bytes()


def test_good_server_activates_and_an_unchanged_poll_costs_one_small_request(
    office: Office, kiosk: Kiosk, server: ReleaseServer
) -> None:
    office.edit_topic_title("Vom Server")
    office.publish(version=1)

    result = sync(server.url, kiosk)

    assert (result.result, result.version) == ("activated", 1)
    assert result.files_fetched == len(result.release.files) > 5
    assert result.files_reused == 0
    assert_active(kiosk, 1, "Vom Server")
    assert read_attempts(kiosk.layout.history)[0].result == "activated"

    server.forget()
    again = sync(server.url, kiosk)

    assert (again.result, again.version) == ("current", 1)
    polls = server.served()
    assert [(s.path, s.status) for s in polls] == [("/metadata/timestamp.json", 200)]
    assert 0 < polls[0].bytes_sent <= 16 * KIB
    assert read_attempts(kiosk.layout.history)[0].result == "current"
    assert_active(kiosk, 1, "Vom Server")


def test_one_changed_image_fetches_only_that_image_and_metadata(
    office: Office, kiosk: Kiosk, server: ReleaseServer
) -> None:
    office.publish(version=1)
    first = sync(server.url, kiosk)
    assert first.result == "activated"
    map_png = draw_png(office.content / "images" / "map.png")
    office.publish(version=2)
    server.forget()

    result = sync(server.url, kiosk)

    assert (result.result, result.version) == ("activated", 2)
    assert result.files_fetched == 1
    assert result.files_reused == len(result.release.files) - 1 == len(first.release.files) - 1
    active = kiosk.releases.active()
    assert active is not None
    assert (active.content_dir / "images" / "map.png").read_bytes() == map_png
    targets = [s for s in server.served() if s.path.startswith("/targets/")]
    map_url = "/targets/" + hashed_target_path(
        "images/map.png", hashlib.sha256(map_png).hexdigest()
    )
    assert [(s.path, s.status) for s in targets] == [(map_url, 200)]
    assert len(map_png) < targets[0].bytes_sent <= len(map_png) + HEADER_ALLOWANCE
    assert server.bytes_sent("/metadata/") <= 64 * KIB
    assert server.bytes_sent() == targets[0].bytes_sent + server.bytes_sent("/metadata/")
    # what the kiosk counted (bodies only) is what the server sent, minus the headers
    assert len(map_png) < result.bytes_transferred < server.bytes_sent()


def test_server_errors_refuse_and_keep_the_active_release(
    office: Office, kiosk: Kiosk, server: ReleaseServer
) -> None:
    synced_one_published_two(office, kiosk, server)
    server.mode = "error500"
    server.forget()

    refusal = refused(server.url, kiosk)

    assert_refused_and_recorded(kiosk, refusal, "http_error")
    assert refusal.params["status"] == 500
    assert server.served() and {s.status for s in server.served()} == {500}
    assert_active(kiosk, 1, "Eins")


def test_cut_off_file_refuses_then_a_clean_sync_succeeds(
    office: Office, kiosk: Kiosk, server: ReleaseServer
) -> None:
    office.edit_topic_title("Eins")
    office.publish(version=1)
    sync(server.url, kiosk)
    office.edit_topic_title("Zwei")
    draw_png(office.content / "images" / "map.png")
    office.publish(version=2)
    server.mode, server.affects = "truncate", "/targets/"

    refusal = refused(server.url, kiosk)

    assert refusal.code in ("network", "file_mismatch"), refusal.text("en")
    assert_refused_and_recorded(kiosk, refusal, refusal.code)
    cut = [s for s in server.served() if s.path.startswith("/targets/")]
    assert cut and all(s.status == 200 for s in cut)
    assert_active(kiosk, 1, "Eins")
    assert not list(kiosk.layout.releases.glob(".incoming-*"))

    server.mode = "good"
    result = sync(server.url, kiosk)

    # topics.json (new title) and images/map.png; the rest is reused from version 1
    assert (result.result, result.version, result.files_fetched) == ("activated", 2, 2)
    assert_active(kiosk, 2, "Zwei")


@pytest.mark.parametrize("where", ["/metadata/", "/targets/"])
def test_stalled_server_is_given_up_after_the_socket_timeout(
    office: Office, kiosk: Kiosk, server: ReleaseServer, where: str
) -> None:
    office.edit_topic_title("Eins")
    office.publish(version=1)
    if where == "/targets/":  # metadata arrives, then a content file stalls
        server.mode, server.affects = "stall", where
    else:  # the very first request stalls
        server.mode, server.affects = "stall", "/"

    started = time.monotonic()
    refusal = refused(server.url, kiosk, socket_timeout=1.0)
    elapsed = time.monotonic() - started

    assert_refused_and_recorded(kiosk, refusal, "stalled")
    assert 0.9 < elapsed < 10
    assert kiosk.active_version() is None
    assert any(path.startswith(where) for path in server.requested())


def test_drip_fed_server_is_given_up_after_the_grace_time(
    office: Office, kiosk: Kiosk, server: ReleaseServer
) -> None:
    synced_one_published_two(office, kiosk, server)
    server.mode = "drip"

    started = time.monotonic()
    refusal = refused(
        server.url, kiosk, socket_timeout=5.0, grace_seconds=1.0, min_bytes_per_second=1000
    )
    elapsed = time.monotonic() - started

    assert_refused_and_recorded(kiosk, refusal, "stalled")
    assert 1.0 < elapsed < 10
    assert_active(kiosk, 1, "Eins")


def test_older_release_is_refused_even_without_the_tuf_cache(
    tmp_path: Path, office: Office, kiosk: Kiosk, server: ReleaseServer
) -> None:
    office.edit_topic_title("Eins")
    office.publish(version=1)
    old_release = tmp_path / "old-server" / "kiosk-content"
    shutil.copytree(office.stick, old_release)
    office.edit_topic_title("Zwei")
    office.publish(version=2)
    assert sync(server.url, kiosk).version == 2
    server.root = old_release

    refusal = refused(server.url, kiosk)

    assert_refused_and_recorded(kiosk, refusal, "rollback")
    assert str(refusal.params["version"]) == "1"
    assert_active(kiosk, 2, "Zwei")

    shutil.rmtree(kiosk.layout.tuf_cache)
    refusal = refused(server.url, kiosk)

    assert_refused_and_recorded(kiosk, refusal, "rollback")
    assert (str(refusal.params["version"]), refusal.params["floor"]) == ("1", 2)
    assert_active(kiosk, 2, "Zwei")
    assert [r.version for r in kiosk.releases.complete()] == [2]


def test_unreachable_server_is_refused_as_network(office: Office, kiosk: Kiosk) -> None:
    office.publish(version=1)
    # Bound but not listening: connecting is refused, and no other process can take the port.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{taken.getsockname()[1]}/"

        started = time.monotonic()
        refusal = refused(url, kiosk)

    assert_refused_and_recorded(kiosk, refusal, "network")
    assert time.monotonic() - started < 10
    assert kiosk.active_version() is None
    assert read_attempts(kiosk.layout.history)[0].source == url
