"""Facts for the admin screen: the real machine, a real signed release, real broken inputs."""

from __future__ import annotations

import json
import logging
import shutil
import socket
import stat
from datetime import datetime
from pathlib import Path

import pytest

from kiosk.admin.facts import (
    KioskFacts,
    describe_facts,
    facts_as_json,
    format_bytes,
    format_duration,
    gather_facts,
    ip_addresses,
    parse_ip_json,
)
from kiosk.content.loader import EMBEDDED_CONTENT_DIR
from kiosk.updates.history import Attempt, record_attempt
from kiosk.updates.importer import FolderSource, update_from
from kiosk.updates.keys import generate_key
from kiosk.updates.layout import DataDirLayout
from kiosk.updates.publish import publish
from kiosk.updates.trust import TrustStore

NOW = datetime(2026, 3, 10, 14, 5, 0)


class Monotonic:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def fake_ip(tmp_path: Path, output: str, status: int = 0) -> str:
    """A real executable standing in for `ip`, printing what a given machine would."""
    script = tmp_path / "ip"
    (tmp_path / "ip-output").write_text(output)
    script.write_text(f"#!/bin/sh\ncat '{tmp_path / 'ip-output'}'\nexit {status}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


IP_OUTPUT = json.dumps(
    [
        {
            "ifname": "lo",
            "addr_info": [
                {"family": "inet", "local": "127.0.0.1", "scope": "host"},
                {"family": "inet6", "local": "::1", "scope": "host"},
            ],
        },
        {
            "ifname": "eth0",
            "addr_info": [
                {"family": "inet", "local": "192.168.178.40", "prefixlen": 24, "scope": "global"},
                {"family": "inet6", "local": "2001:db8:1::40", "scope": "global"},
                {"family": "inet6", "local": "fe80::ba27:ebff:fe00:1", "scope": "link"},
                {
                    "family": "inet6",
                    "local": "2001:db8:1::bad",
                    "scope": "global",
                    "dadfailed": True,
                },
            ],
        },
        {
            "ifname": "wlan0",
            "addr_info": [{"family": "inet", "local": "10.0.0.7", "scope": "global"}],
        },
        {"ifname": "can0", "addr_info": [{"family": "can"}]},
        {"ifname": "down0"},
    ]
)


# ---- gathering -----------------------------------------------------------------------------------
def test_facts_of_a_fresh_kiosk(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    proc_uptime = tmp_path / "uptime"
    proc_uptime.write_text("273845.17 1061234.90\n")

    facts = gather_facts(
        data,
        NOW,
        app_started=500.0,
        monotonic=Monotonic(3_500.0),
        proc_uptime=proc_uptime,
        ip_commands=[fake_ip(tmp_path, IP_OUTPUT)],
    )

    assert facts.kiosk_clock == NOW
    assert facts.hostname == socket.gethostname()
    assert facts.ip_addresses == ("192.168.178.40", "2001:db8:1::40", "10.0.0.7")
    usage = shutil.disk_usage(data)
    assert facts.disk_total_bytes == usage.total
    assert facts.disk_free_bytes is not None and 0 < facts.disk_free_bytes <= usage.total
    assert facts.system_uptime_seconds == 273845.17
    assert facts.app_uptime_seconds == 3_000.0
    assert facts.content_source == "embedded" and facts.content_version is None
    assert facts.last_attempt_result is None and facts.last_success_finished is None
    assert facts.trusted_keys == ()


def test_facts_with_a_signed_release_and_a_refused_update(tmp_path: Path) -> None:
    key, public_key = generate_key(tmp_path / "keys", "buero")
    content = Path(shutil.copytree(EMBEDDED_CONTENT_DIR, tmp_path / "content"))
    stick = tmp_path / "stick" / "kiosk-content"
    publish(content, key, stick, version=7)
    data = tmp_path / "data"
    keyid, _ = TrustStore(DataDirLayout(data)).add_key(public_key)
    update_from(FolderSource(stick), data)
    refused = Attempt(
        source="/media/pi/ALT",
        kind="usb",
        started="2026-03-10T13:00:00",
        finished="2026-03-10T13:00:02",
        result="refused",
        reason_code="unsigned",
        reason="Der Inhalt ist nicht signiert.",
        reason_en="The content is not signed.",
    )
    record_attempt(DataDirLayout(data).history, refused)

    facts = gather_facts(data, NOW)

    assert facts.content_version == 7 and facts.content_source == str(stick)
    assert facts.content_published and facts.content_imported_at
    assert facts.trusted_keys == (keyid,)
    assert facts.last_attempt_result == "refused"
    assert facts.last_attempt_finished == "2026-03-10T13:00:02"
    assert facts.last_attempt_reason_de == "Der Inhalt ist nicht signiert."
    assert facts.last_success_finished is not None  # the import before it
    assert facts.app_uptime_seconds is None  # no start time given
    lines = describe_facts(facts, "de")
    assert f"Inhalt: Version 7 ({stick})" in lines
    assert any(
        line.startswith("Letzte Aktualisierung: 2026-03-10T13:00:02: refused (Der")
        for line in lines
    )


def test_every_fact_degrades_to_none(tmp_path: Path) -> None:
    garbage = tmp_path / "uptime"
    garbage.write_text("not a number\n")
    data = tmp_path / "data"
    data.write_text("a file where the data dir should be")

    facts = gather_facts(
        data,
        NOW,
        app_started=None,
        proc_uptime=garbage,
        ip_commands=[fake_ip(tmp_path, "garbage {"), "/nonexistent/ip"],
    )

    assert facts.system_uptime_seconds is None
    assert facts.app_uptime_seconds is None
    assert gather_facts(data, NOW, proc_uptime=tmp_path / "missing").system_uptime_seconds is None
    # No usable `ip`: the routing table's answer, if this machine has a route at all.
    assert facts.ip_addresses is None or all(
        not a.startswith(("127.", "::1", "fe80")) for a in facts.ip_addresses
    )
    lines = describe_facts(facts, "en")
    assert len(lines) == 11
    assert "System up for: unknown" in lines
    json.dumps(facts_as_json(facts))


def test_the_disk_of_a_data_dir_not_made_yet_is_that_of_its_parent(tmp_path: Path) -> None:
    facts = gather_facts(tmp_path / "not" / "yet", NOW, ip_commands=[])
    assert facts.disk_total_bytes == shutil.disk_usage(tmp_path).total


def test_an_unreadable_update_state_leaves_the_other_facts(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "updates" / "releases").mkdir(parents=True)
    (data / "updates" / "releases" / "active").symlink_to(data / "updates" / "releases" / "active")
    (data / "updates" / "history.json").write_text("{broken")
    facts = gather_facts(data, NOW, ip_commands=[])
    assert facts.hostname == socket.gethostname()
    assert facts.disk_free_bytes is not None
    assert facts.last_attempt_result is None


def test_a_data_dir_the_os_cannot_take_gives_no_update_facts_and_a_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="kiosk.admin.facts"):
        facts = gather_facts(tmp_path / "da\0ta", NOW, ip_commands=[])
    assert facts.content_source is None and facts.trusted_keys is None
    assert facts.hostname == socket.gethostname()
    assert "update status" in caplog.text


# ---- addresses -----------------------------------------------------------------------------------
def test_parse_ip_json_keeps_only_useful_addresses() -> None:
    assert parse_ip_json(IP_OUTPUT) == ("192.168.178.40", "2001:db8:1::40", "10.0.0.7")
    assert parse_ip_json("[]") == ()
    for broken in ("", "{", '{"ifname": "eth0"}', "[1, 2]"):
        with pytest.raises(ValueError):
            parse_ip_json(broken)


def test_ip_addresses_from_the_real_ip_command() -> None:
    found = ip_addresses()
    if found is None:
        pytest.skip("no ip command and no route on this machine")
    assert all(a not in ("127.0.0.1", "::1") and not a.startswith("fe80") for a in found)


def test_ip_exit_status_failure_falls_back(tmp_path: Path) -> None:
    failing = fake_ip(tmp_path, IP_OUTPUT, status=1)
    found = ip_addresses([failing])
    assert found != ("192.168.178.40", "2001:db8:1::40", "10.0.0.7")


# ---- formatting --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("count", "german", "english"),
    [
        (0, "0 Bytes", "0 bytes"),
        (1, "1 Byte", "1 byte"),
        (999, "999 Bytes", "999 bytes"),
        (1000, "1,0 KB", "1.0 KB"),
        (65_536, "65,5 KB", "65.5 KB"),
        (999_499, "999 KB", "999 KB"),
        (999_500, "1,0 MB", "1.0 MB"),
        (12_345_678_901, "12,3 GB", "12.3 GB"),
        (150_000_000_000, "150 GB", "150 GB"),
        (2_000_000_000_000_000, "2000 TB", "2000 TB"),
    ],
)
def test_format_bytes(count: int, german: str, english: str) -> None:
    assert format_bytes(count) == german
    assert format_bytes(count, "en") == english


@pytest.mark.parametrize(
    ("seconds", "german", "english"),
    [
        (3 * 86400 + 4 * 3600 + 59 * 60, "3 Tage 4 Std.", "3 days 4 h"),
        (86400, "1 Tag 0 Std.", "1 day 0 h"),
        (5 * 3600 + 12 * 60 + 30, "5 Std. 12 Min.", "5 h 12 min"),
        (7 * 60 + 59.9, "7 Min.", "7 min"),
        (40.7, "40 Sek.", "40 s"),
        (-3, "0 Sek.", "0 s"),
    ],
)
def test_format_duration(seconds: float, german: str, english: str) -> None:
    assert format_duration(seconds) == german
    assert format_duration(seconds, "en") == english


def test_describe_facts_in_german(tmp_path: Path) -> None:
    facts = KioskFacts(
        kiosk_clock=NOW,
        hostname="kiosk-rathaus",
        ip_addresses=(),
        disk_free_bytes=12_300_000_000,
        disk_total_bytes=31_900_000_000,
        system_uptime_seconds=3 * 86400 + 4 * 3600,
        app_uptime_seconds=300,
        content_version=None,
        content_source="embedded",
        content_published=None,
        content_imported_at=None,
        last_attempt_finished=None,
        last_attempt_result=None,
        last_attempt_reason_de=None,
        last_attempt_reason_en=None,
        last_success_finished=None,
        trusted_keys=("a" * 64,),
    )
    assert describe_facts(facts) == [
        "Uhrzeit des Kiosks: 2026-03-10 14:05",
        "Rechnername: kiosk-rathaus",
        "IP-Adressen: keine",
        "Speicher: 12,3 GB frei von 31,9 GB",
        "System läuft seit: 3 Tage 4 Std.",
        "Kiosk läuft seit: 5 Min.",
        "Inhalt: eingebaute Beispielinhalte",
        "Veröffentlicht: unbekannt",
        "Letzte Aktualisierung: unbekannt",
        "Letzte erfolgreiche: unbekannt",
        "Vertrauenswürdige Schlüssel: " + "a" * 16,
    ]
    assert facts_as_json(facts)["kiosk_clock"] == "2026-03-10T14:05:00"
