"""What the admin screen offers staff, as plain calls: the Kivy screen only draws the results."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from kiosk.admin.facts import describe_facts, gather_facts
from kiosk.admin.pin import PinResult, PinStore
from kiosk.admin.statistics import ChartData, chart_data, export_csv, write_export_to_stick
from kiosk.store.usage import UsageCounter
from kiosk.updates.revert import Reverted, revert_to_previous
from kiosk.updates.service import MOUNT_ROOTS

CHART_DAYS = 30


@dataclass
class StaffConsole:
    """The staff side of one running kiosk.

    `extra_facts(language)` adds what only the running app knows (clock check, display
    schedule) to the machine facts.
    """

    data_dir: Path
    usage: UsageCounter
    pins: PinStore
    kiosk_name: Callable[[], str]
    now: Callable[[], datetime]
    mount_roots: tuple[Path, ...] = MOUNT_ROOTS
    started: float = field(default_factory=time.monotonic)
    extra_facts: Callable[[str], list[str]] = lambda _language: []

    @classmethod
    def create(
        cls,
        data_dir: Path,
        usage: UsageCounter,
        *,
        kiosk_name: Callable[[], str],
        now: Callable[[], datetime],
        mount_roots: Iterable[Path] = MOUNT_ROOTS,
        pin_clock: Callable[[], float] = time.monotonic,
    ) -> StaffConsole:
        return cls(
            data_dir=data_dir,
            usage=usage,
            pins=PinStore(data_dir, clock=pin_clock),
            kiosk_name=kiosk_name,
            now=now,
            mount_roots=tuple(mount_roots),
        )

    # ---- entry -------------------------------------------------------------------------------
    @property
    def can_open(self) -> bool:
        """Only with a PIN set (`kiosk set-pin`): there is no default PIN."""
        return self.pins.is_set

    def check_pin(self, pin: str) -> PinResult:
        return self.pins.check(pin)

    # ---- looking -----------------------------------------------------------------------------
    def fact_lines(self, language: str = "de") -> list[str]:
        facts = gather_facts(self.data_dir, self.now(), app_started=self.started)
        return describe_facts(facts, language) + self.extra_facts(language)

    def chart(self, days: int = CHART_DAYS) -> ChartData:
        return chart_data(self.usage, today=self.now().date(), days=days)

    # ---- acting (each may block on a slow stick or the update lock: call from a worker) ----
    def export_statistics(self) -> Path:
        """The anonymous daily counts as CSV on the inserted stick; raises ExportError."""
        self.usage.flush()
        today = self.now().date()
        return write_export_to_stick(
            export_csv(self.usage, today=today),
            kiosk_name=self.kiosk_name(),
            today=today,
            mount_roots=self.mount_roots,
        )

    def revert(self) -> Reverted:
        """Back to the previous release; raises UpdateRefused("no_previous") or UpdateBusy."""
        return revert_to_previous(self.data_dir, now=self.now)
