"""The staff screens: a PIN keypad, then status, statistics charts and actions."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder

from kiosk.admin import StaffError
from kiosk.admin.pin import MAX_DIGITS
from kiosk.admin.statistics import ChartData
from kiosk.ui.context import StaffActions
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets.bar_chart import BarChart  # noqa: F401  (used in admin.kv)
from kiosk.updates.lock import UpdateBusy
from kiosk.updates.refusal import UpdateRefused
from kiosk.updates.service import UpdateEvent

log = logging.getLogger("kiosk")
CONFIRM_SECONDS = 5.0


class AdminPinScreen(KioskScreen):
    """A keypad for the staff PIN. Wrong entries count towards a five-minute lock."""

    def fill(self) -> None:
        tr = self.ctx.tr
        self.ids.title.text = tr("admin.title")
        self.ids.cancel_button.text = tr("admin.cancel")
        self.ids.delete_button.text = tr("admin.delete")
        self.entered = ""
        self._show_entry()
        self.ids.message.text = self._lock_text() or tr("admin.pin_prompt")

    @property
    def staff(self) -> StaffActions:
        assert self.ctx.staff is not None
        return self.ctx.staff

    def press_digit(self, digit: str) -> None:
        if len(self.entered) < MAX_DIGITS:
            self.entered += digit
            self._show_entry()

    def press_delete(self) -> None:
        self.entered = self.entered[:-1]
        self._show_entry()

    def press_ok(self) -> None:
        if not self.entered:
            return
        result = self.staff.console.check_pin(self.entered)
        self.entered = ""
        self._show_entry()
        if result.ok:
            self.staff.unlocked()
            return
        self.ids.message.text = self._lock_text() or self.ctx.tr(
            "admin.pin_wrong", attempts=result.attempts_left
        )

    def _lock_text(self) -> str:
        left = self.staff.console.pins.status().locked_seconds_left
        if left <= 0:
            return ""
        minutes, seconds = divmod(left, 60)
        return self.ctx.tr("admin.pin_locked", minutes=minutes, seconds=seconds)

    def _show_entry(self) -> None:
        self.ids.entry.text = " ".join("●" for _ in self.entered) or " "

    def clear(self) -> None:
        super().clear()
        self.entered = ""


class AdminScreen(KioskScreen):
    """Status, the last 30 days as charts, and the four staff actions."""

    def fill(self) -> None:
        tr = self.ctx.tr
        self._armed: str | None = None
        self._disarm: Any = None
        self.ids.title.text = tr("admin.title")
        self.ids.close_button.text = tr("admin.close")
        for name in ("sync", "export", "revert", "restart"):
            self.ids[f"{name}_button"].text = tr(f"admin.{name}")
        self.ids.message.text = ""
        self.refresh_facts()

    @property
    def staff(self) -> StaffActions:
        assert self.ctx.staff is not None
        return self.ctx.staff

    def refresh_facts(self) -> None:
        """Facts and charts are read in a worker: a year of counts takes seconds on a Pi."""
        console, language = self.staff.console, self.ctx.tr.language

        def gather() -> None:
            try:
                lines, chart = console.fact_lines(language), console.chart()
            except Exception:
                log.exception("cannot gather the admin facts")
                return
            Clock.schedule_once(lambda _dt: self._show_facts(lines, chart))

        threading.Thread(target=gather, name="admin-facts", daemon=True).start()

    def _show_facts(self, lines: list[str], chart: ChartData) -> None:
        if self.manager is None or self.manager.current != self.name:
            return
        tr = self.ctx.tr
        self.ids.facts.text = "\n".join(lines)
        taps = dict(chart.topic_taps)
        # Every topic, also those nobody tapped: a missing bar says as much as a long one.
        bars = [
            (topic.title.get(tr.language), taps.get(topic.id, 0))
            for topic in self.ctx.catalog.topics
        ]
        self.ids.topic_heading.text = tr("admin.taps_per_topic", days=chart.days)
        self.ids.topic_chart.bars = sorted(bars, key=lambda bar: -bar[1])
        self.ids.qr_heading.text = tr("admin.qr_per_day", days=chart.days, total=chart.qr_total)
        self.ids.qr_chart.bars = [(f"{day:%d.%m.}", count) for day, count in chart.qr_per_day]

    # ---- actions --------------------------------------------------------------------------
    def press(self, action: str) -> None:
        if action in ("revert", "restart") and self._armed != action:
            self._arm(action)  # these two ask once more
            return
        self._armed = None
        self.ids[f"{action}_button"].text = self.ctx.tr(f"admin.{action}")
        getattr(self, f"_do_{action}")()

    def _arm(self, action: str) -> None:
        if self._armed:
            self.ids[f"{self._armed}_button"].text = self.ctx.tr(f"admin.{self._armed}")
        self._armed = action
        self.ids[f"{action}_button"].text = self.ctx.tr("admin.confirm")
        if self._disarm is not None:
            self._disarm.cancel()
        self._disarm = Clock.schedule_once(lambda _dt: self._cancel_confirm(), CONFIRM_SECONDS)

    def _cancel_confirm(self) -> None:
        if self._armed:
            self.ids[f"{self._armed}_button"].text = self.ctx.tr(f"admin.{self._armed}")
            self._armed = None

    def _do_sync(self) -> None:
        started = self.staff.sync_now()
        self.ids.message.text = self.ctx.tr("admin.sync_started" if started else "admin.no_sync")

    def _do_export(self) -> None:
        tr = self.ctx.tr

        def export() -> str:
            return tr("admin.exported", path=self.staff.console.export_statistics())

        self._in_worker(export)

    def _do_revert(self) -> None:
        tr = self.ctx.tr

        def revert() -> str:
            reverted = self.staff.console.revert()
            self.staff.load_release(reverted.release.content_dir)
            return tr(
                "admin.reverted",
                version=reverted.release.version,
                withdrawn=reverted.withdrawn_version,
            )

        self._in_worker(revert, then=self.refresh_facts)

    def _do_restart(self) -> None:
        self.ids.message.text = self.ctx.tr("admin.restarting")
        self.staff.restart()

    def _in_worker(self, work: Callable[[], str], then: Callable[[], None] | None = None) -> None:
        """Sticks and the update lock can be slow: never on the UI thread."""
        tr = self.ctx.tr
        self.ids.message.text = tr("admin.working")

        def run() -> None:
            try:
                text = work()
            except (StaffError, UpdateRefused) as error:
                text = error.text(tr.language)
            except UpdateBusy:
                text = tr("admin.busy")
            except Exception as error:  # shown to staff, logged for the team
                log.exception("admin action failed")
                text = tr("admin.failed", detail=str(error))
            Clock.schedule_once(lambda _dt: self._done(text, then))

        threading.Thread(target=run, name="admin-action", daemon=True).start()

    def _done(self, text: str, then: Callable[[], None] | None) -> None:
        if self.manager is None or self.manager.current != self.name:
            return  # staff left (or the idle reset came) while it ran
        self.ids.message.text = text
        if then is not None:
            then()

    def show_update(self, event: UpdateEvent) -> None:
        """Results of `sync now` (and of a stick) while the admin screen is open."""
        if not event.finished:
            return
        text = event.message_de if self.ctx.tr.language == "de" else event.message_en
        version = event.version if event.version is not None else "?"
        result = self.ctx.tr(f"admin.update_{event.kind}", version=version)
        self.ids.message.text = " ".join(filter(None, [result, text]))
        self.refresh_facts()

    def clear(self) -> None:
        super().clear()
        self.ids.topic_chart.bars = []
        self.ids.qr_chart.bars = []


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
