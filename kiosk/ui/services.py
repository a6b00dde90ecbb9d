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
from kiosk.updates.layout import DataDirLayout
from kiosk.updates.releases import Release, ReleaseStore, clean_leftovers

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
    data_dir: Path | None = None
    release: Release | None = None  # None: explicit --content or the embedded content
    follows_releases: bool = False  # started without --content: imports replace the content


VALIDATED_CONTENT_SETTING = "validated_content_fingerprint"


@dataclass(frozen=True)
class LoadedContent:
    catalog: Catalog
    release: Release | None
    problems: list[str]


def content_candidates(
    content_dir: Path | None, data_dir: Path
) -> list[tuple[Path, Release | None]]:
    """Folders to try, best first: the given one, or the active release and the releases kept
    for fallback; the embedded content always last."""
    if content_dir is not None:
        candidates: list[tuple[Path, Release | None]] = [(Path(content_dir), None)]
    else:
        store = ReleaseStore(DataDirLayout(data_dir).releases)
        candidates = [(release.content_dir, release) for release in store.candidates()]
    embedded = EMBEDDED_CONTENT_DIR.resolve()
    if all(Path(folder).resolve() != embedded for folder, _ in candidates):
        candidates.append((EMBEDDED_CONTENT_DIR, None))
    return candidates


def load_remembering_validation(folder: Path, state: KioskState) -> Catalog:
    """Load `folder`; content that passed validation before (same fingerprint) is not re-checked."""
    trusted = state.get_setting(VALIDATED_CONTENT_SETTING)
    return load_catalog(
        folder,
        trusted_fingerprint=trusted if isinstance(trusted, str) else None,
        on_validated=lambda fingerprint: state.set_setting(VALIDATED_CONTENT_SETTING, fingerprint),
    )


def load_content(candidates: list[tuple[Path, Release | None]], state: KioskState) -> LoadedContent:
    """The first usable candidate; why the ones before it were skipped goes into `problems`."""
    problems: list[str] = []
    for index, (folder, release) in enumerate(candidates):
        try:
            return LoadedContent(load_remembering_validation(folder, state), release, problems)
        except (ContentError, OSError) as exc:
            log.error("%s", exc)
            for problem in getattr(exc, "problems", ()):
                log.error("  %s", problem)
            if index == len(candidates) - 1:
                raise
            log.warning("falling back to %s", candidates[index + 1][0])
            problems.append(str(exc))
    raise ContentError("(no content)", [])


def build_services(
    content_dir: Path | None, data_dir: Path, now: Callable[[], datetime] = berlin_now
) -> KioskServices:
    """Services for `content_dir`, or (None) for the active release with its fallbacks."""
    state = open_state(data_dir, clock=now)
    if content_dir is None:
        clean_leftovers(data_dir)
    try:
        loaded = load_content(content_candidates(content_dir, data_dir), state)
    except (ContentError, OSError):
        state.close()
        raise
    problems = loaded.problems
    if state.recovered_from is not None:
        message = f"the state file was broken and was moved aside to {state.recovered_from}"
        log.warning(message)
        problems.append(message)
    policy = LinkPolicy(loaded.catalog.settings.allowed_link_hosts)
    return KioskServices(
        catalog=loaded.catalog,
        state=state,
        qr=QrCache(policy),
        now=now,
        problems=problems,
        data_dir=data_dir,
        release=loaded.release,
        follows_releases=content_dir is None,
    )
