"""Everything the screens need, built without Kivy so tests and benchmarks can build it too."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.content.loader import EMBEDDED_CONTENT_DIR, load_catalog
from kiosk.content.model import Catalog
from kiosk.content.problems import ContentError
from kiosk.qr import LinkPolicy, QrCache
from kiosk.store.state import KioskState, open_state

log = logging.getLogger("kiosk")
BERLIN = ZoneInfo("Europe/Berlin")


def berlin_now() -> datetime:
    return datetime.now(BERLIN)


@dataclass
class KioskServices:
    """The content, the kiosk's state, the QR cache and the clock, wired once at start."""

    catalog: Catalog
    state: KioskState
    qr: QrCache
    now: Callable[[], datetime] = berlin_now
    problems: list[str] = field(default_factory=list)


VALIDATED_CONTENT_SETTING = "validated_content_fingerprint"


def load_content(content_dir: Path, state: KioskState) -> tuple[Catalog, list[str]]:
    """The requested content, or the embedded content when it is unusable (and why)."""

    def load(folder: Path) -> Catalog:
        trusted = state.get_setting(VALIDATED_CONTENT_SETTING)
        return load_catalog(
            folder,
            trusted_fingerprint=trusted if isinstance(trusted, str) else None,
            on_validated=lambda fingerprint: state.set_setting(
                VALIDATED_CONTENT_SETTING, fingerprint
            ),
        )

    try:
        return load(content_dir), []
    except ContentError as exc:
        log.error("%s", exc)
        for problem in exc.problems:
            log.error("  %s", problem)
        if Path(content_dir).resolve() == EMBEDDED_CONTENT_DIR.resolve():
            raise
        log.warning("falling back to the embedded content in %s", EMBEDDED_CONTENT_DIR)
        return load(EMBEDDED_CONTENT_DIR), [str(exc)]


def build_services(
    content_dir: Path, data_dir: Path, now: Callable[[], datetime] = berlin_now
) -> KioskServices:
    state = open_state(data_dir, clock=now)
    try:
        catalog, problems = load_content(content_dir, state)
    except ContentError:
        state.close()
        raise
    if state.recovered_from is not None:
        message = f"the state file was broken and was moved aside to {state.recovered_from}"
        log.warning(message)
        problems.append(message)
    policy = LinkPolicy(catalog.settings.allowed_link_hosts)
    return KioskServices(
        catalog=catalog, state=state, qr=QrCache(policy), now=now, problems=problems
    )
