"""The daily usage report: a real state file and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kiosk.admin.report import (
    FIRST_REPORT_DAYS,
    KIOSK_ID_SETTING,
    REPORT_LAST_DAY_SETTING,
    ReportError,
    build_report,
    ensure_kiosk_id,
    mark_reported,
    report_body,
    report_due,
    report_since,
    send_report_if_due,
    upload_report,
)
from kiosk.store.state import KioskState, open_state

from .conftest import WallClock

TODAY = date(2026, 3, 10)
YESTERDAY = TODAY - timedelta(days=1)
KIOSK_ID = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def clock() -> WallClock:
    return WallClock(datetime(2026, 3, 10, 8, 0))


def count(state: KioskState, clock: WallClock, day: date, kind: str, key: str, n: int = 1) -> None:
    saved, clock.now = clock.now, datetime(day.year, day.month, day.day, 11, 5)
    for _ in range(n):
        state.usage.record(kind, key)
    clock.now = saved


# ---- a real server ----------------------------------------------------------------------------
@dataclass
class Received:
    path: str
    content_type: str | None
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class ReportServer:
    httpd: ThreadingHTTPServer
    status: int = 200
    location: str | None = None
    received: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/kiosk-report"


def make_handler(server: ReportServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            server.received.append(Received(self.path, self.headers.get("Content-Type"), body))
            self.send_response(server.status)
            if server.location:
                self.send_header("Location", server.location)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def server() -> Iterator[ReportServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    report_server = ReportServer(httpd)
    httpd.RequestHandlerClass = make_handler(report_server)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield report_server
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# ---- kiosk id and the days already sent --------------------------------------------------------
def test_the_kiosk_id_is_random_made_once_and_kept(tmp_path: Path, clock: WallClock) -> None:
    with open_state(tmp_path, clock=clock) as state:
        made = ensure_kiosk_id(state)
        assert ensure_kiosk_id(state) == made
    with open_state(tmp_path, clock=clock) as state:
        assert state.get_setting(KIOSK_ID_SETTING) == made
        assert ensure_kiosk_id(state) == made
    assert len(made) == 32 and int(made, 16) >= 0
    assert socket.gethostname() not in made
    with open_state(tmp_path / "other", clock=clock) as other:
        assert ensure_kiosk_id(other) != made


def test_a_mangled_kiosk_id_is_replaced(state: KioskState) -> None:
    state.set_setting(KIOSK_ID_SETTING, "kiosk-at-the-town-hall")
    fresh = ensure_kiosk_id(state)
    assert fresh != "kiosk-at-the-town-hall" and len(fresh) == 32


def test_each_day_is_due_once(state: KioskState) -> None:
    assert report_due(state, TODAY) and report_since(state, TODAY) is None
    mark_reported(state, YESTERDAY)
    assert state.get_setting(REPORT_LAST_DAY_SETTING) == "2026-03-09"
    assert not report_due(state, TODAY)
    assert report_due(state, TODAY + timedelta(days=1))
    assert report_since(state, TODAY + timedelta(days=1)) == YESTERDAY


@pytest.mark.parametrize("stored", ["2026-03-10", "2031-01-01", "gestern", 17, True])
def test_an_implausible_last_day_means_report_afresh(state: KioskState, stored: object) -> None:
    state.set_setting(REPORT_LAST_DAY_SETTING, stored)  # type: ignore[arg-type]
    assert report_since(state, TODAY) is None
    assert report_due(state, TODAY)


# ---- what the report holds ---------------------------------------------------------------------
def test_the_report_holds_complete_days_after_the_last_one_sent(
    state: KioskState, clock: WallClock
) -> None:
    count(state, clock, TODAY - timedelta(days=4), "qr", "kita", 9)  # already sent
    count(state, clock, TODAY - timedelta(days=3), "qr", "kita", 2)
    count(state, clock, TODAY - timedelta(days=3), "topic", "kita", 1)
    count(state, clock, YESTERDAY, "idle_reset", "reset", 5)
    count(state, clock, TODAY, "qr", "kita", 7)  # today is not complete yet
    state.usage.flush()
    count(state, clock, YESTERDAY, "language", "uk", 1)  # pending counts are included

    report = build_report(
        state.usage,
        kiosk_id=KIOSK_ID,
        content_version=4,
        since_day=TODAY - timedelta(days=4),
        today=TODAY,
    )

    assert report == {
        "format": 1,
        "kiosk_id": KIOSK_ID,
        "content_version": 4,
        "first_day": "2026-03-07",
        "last_day": "2026-03-09",
        "days": {
            "2026-03-07": {"qr": {"kita": 2}, "topic": {"kita": 1}},
            "2026-03-08": {},
            "2026-03-09": {"idle_reset": {"reset": 5}, "language": {"uk": 1}},
        },
    }


def test_the_first_report_covers_thirty_days(state: KioskState) -> None:
    report = build_report(
        state.usage, kiosk_id=KIOSK_ID, content_version=None, since_day=None, today=TODAY
    )
    assert len(report["days"]) == FIRST_REPORT_DAYS
    assert report["last_day"] == "2026-03-09"
    assert report["content_version"] is None


def test_nothing_due_is_an_empty_report(state: KioskState) -> None:
    report = build_report(
        state.usage, kiosk_id=KIOSK_ID, content_version=1, since_day=YESTERDAY, today=TODAY
    )
    assert report["days"] == {} and report["first_day"] is None and report["last_day"] is None


def test_thirty_busy_days_make_a_small_report(state: KioskState, clock: WallClock) -> None:
    topics = [
        "familie-beruf",
        "kinderbetreuung",
        "elterninformationen",
        "pflege-angehoerige",
        "finanzielle-hilfen",
        "vernetzung-qualifizierung",
    ]
    locations = [f"standort-{n}" for n in ("mitte", "weidenau", "geisweid", "eiserfeld")]
    offers = [f"angebot-{n:02d}" for n in range(12)]
    screens = ["home", "topic", "locations", "location", "offers", "offer"]
    languages = ["de", "en", "tr", "ar", "uk", "ru", "pl", "fa"]
    for back in range(1, 31):
        day = TODAY - timedelta(days=back)
        # every id on every day, with three-digit counts: more than a busy office ever sees
        for kind, keys in (
            ("topic", topics),
            ("location", locations),
            ("offer", offers),
            ("qr", topics + locations + offers),
            ("screen", screens),
            ("language", languages),
            ("idle_reset", ["reset"]),
        ):
            for key in keys:
                count(state, clock, day, kind, key, 150 + back)
    state.usage.flush()

    report = build_report(
        state.usage, kiosk_id=KIOSK_ID, content_version=12, since_day=None, today=TODAY
    )
    size = len(report_body(report))
    print(f"\nreport of 30 busy days: {size} bytes ({size / 1024:.1f} KiB)")
    assert len(report["days"]) == 30
    assert size < 64 * 1024


# ---- sending -----------------------------------------------------------------------------------
def test_upload_posts_json_the_server_can_read(server: ReportServer) -> None:
    report = {"format": 1, "kiosk_id": KIOSK_ID, "days": {"2026-03-09": {"qr": {"kita": 2}}}}
    upload_report(server.url, report)
    [got] = server.received
    assert got.path == "/kiosk-report"
    assert got.content_type == "application/json"
    assert got.json() == report


def test_a_server_error_is_a_report_error(server: ReportServer) -> None:
    server.status = 500
    with pytest.raises(ReportError) as caught:
        upload_report(server.url, {"format": 1})
    assert caught.value.code == "http_error"
    host = server.url.split("/")[2]
    assert caught.value.text("de") == (
        f"Der Server {host} hat den Nutzungsbericht abgelehnt (Fehler 500)."
    )
    assert len(server.received) == 1  # no retry


def test_a_redirect_is_not_followed(server: ReportServer) -> None:
    server.status, server.location = 302, server.url + "-elsewhere"
    with pytest.raises(ReportError, match="error 302"):
        upload_report(server.url, {"format": 1})
    assert [r.path for r in server.received] == ["/kiosk-report"]


def test_connection_refused(closed_port: int) -> None:
    with pytest.raises(ReportError) as caught:
        upload_report(f"http://127.0.0.1:{closed_port}/report", {"format": 1}, timeout=5)
    assert caught.value.code == "refused"
    assert caught.value.text("de") == (
        f"Der Server 127.0.0.1:{closed_port} nimmt keine Verbindung an."
    )


def test_a_server_that_never_answers_times_out() -> None:
    # The kernel completes the connection (backlog) but nobody ever reads or answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        with pytest.raises(ReportError) as caught:
            upload_report(f"http://127.0.0.1:{port}/", {"format": 1}, timeout=0.3)
    assert caught.value.code == "timeout"
    assert "0.3 Sekunden" in caught.value.text("de")


@pytest.mark.parametrize("url", ["ftp://example.org/x", "example.org/report", "http://", "::"])
def test_a_bad_address(url: str) -> None:
    with pytest.raises(ReportError) as caught:
        upload_report(url, {"format": 1})
    assert caught.value.code == "bad_url"


def test_send_when_due_then_not_again_until_the_next_day(
    state: KioskState, clock: WallClock, server: ReportServer
) -> None:
    count(state, clock, YESTERDAY, "qr", "kita", 3)
    assert send_report_if_due(state, server.url, content_version=2, today=TODAY) == YESTERDAY
    assert send_report_if_due(state, server.url, content_version=2, today=TODAY) is None
    [first] = server.received
    sent = first.json()
    assert sent["kiosk_id"] == state.get_setting(KIOSK_ID_SETTING)
    assert sent["days"]["2026-03-09"] == {"qr": {"kita": 3}}
    assert len(sent["days"]) == FIRST_REPORT_DAYS

    count(state, clock, TODAY, "qr", "kita", 1)
    tomorrow = TODAY + timedelta(days=1)
    assert send_report_if_due(state, server.url, content_version=2, today=tomorrow) == TODAY
    second = server.received[1].json()
    assert second["days"] == {"2026-03-10": {"qr": {"kita": 1}}}
    assert second["kiosk_id"] == sent["kiosk_id"]


def test_a_failed_send_is_tried_again_with_the_same_days(
    state: KioskState, clock: WallClock, server: ReportServer
) -> None:
    mark_reported(state, TODAY - timedelta(days=3))
    count(state, clock, TODAY - timedelta(days=2), "qr", "kita", 1)
    server.status = 503
    with pytest.raises(ReportError):
        send_report_if_due(state, server.url, content_version=None, today=TODAY)
    assert report_since(state, TODAY) == TODAY - timedelta(days=3)
    server.status = 204
    assert send_report_if_due(state, server.url, content_version=None, today=TODAY) == YESTERDAY
    failed, accepted = (r.json() for r in server.received)
    assert failed == accepted
    assert list(accepted["days"]) == ["2026-03-08", "2026-03-09"]
