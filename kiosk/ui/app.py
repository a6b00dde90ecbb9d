"""The Kivy App: builds screens from services, routes navigation, runs the idle reset."""

from __future__ import annotations

import gc
import importlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.base import ExceptionManager
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ColorProperty, StringProperty
from kivy.uix.dropdown import DropDown
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager
from kivy.utils import get_color_from_hex

from kiosk.admin.console import StaffConsole
from kiosk.admin.gesture import CornerTaps
from kiosk.content.model import Catalog
from kiosk.idle import IdlePhase, IdleTimer
from kiosk.qr import LinkPolicy, QrCache
from kiosk.store.usage import FLUSH_INTERVAL_SECONDS
from kiosk.system.display import DisplayPower
from kiosk.ui import kivy_fixes
from kiosk.ui.context import ScreenContext, StaffActions
from kiosk.ui.i18n import RTL_LANGUAGES, Translator
from kiosk.ui.lockdown import KeepRunning, is_blocked_key
from kiosk.ui.navigation import HOME, Navigator, Route
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.services import KioskServices, load_remembering_validation
from kiosk.ui.upkeep import Upkeep
from kiosk.ui.widgets.idle_prompt import IdlePrompt
from kiosk.ui.widgets.qrcode_widget import QrTextures
from kiosk.ui.widgets.update_panel import UpdatePanel
from kiosk.updates.releases import Release, ReleaseStore
from kiosk.updates.service import MOUNT_ROOTS, UpdateEvent, UpdateService

log = logging.getLogger("kiosk")
kivy_fixes.apply()

# Screen modules (and their kv files) are imported when the screen is first built: only Home
# is needed for the first frame.
SCREENS: dict[str, str] = {
    "home": "kiosk.ui.screens.home:HomeScreen",
    "topic": "kiosk.ui.screens.topic:TopicScreen",
    "locations": "kiosk.ui.screens.locations:LocationsScreen",
    "location": "kiosk.ui.screens.location:LocationScreen",
    "offers": "kiosk.ui.screens.offers:OffersScreen",
    "offer": "kiosk.ui.screens.offer:OfferScreen",
}
# Staff only, opened by five taps in the top-left corner and the PIN; never in a visitor's way.
ADMIN_SCREENS: dict[str, str] = {
    "admin_pin": "kiosk.ui.screens.admin:AdminPinScreen",
    "admin": "kiosk.ui.screens.admin:AdminScreen",
}
ADMIN_CORNER_DP = 48
IDLE_POLL_SECONDS = 0.5
# A full garbage collection of the kiosk's ~150,000 objects takes 200 ms on the bench: run it
# when nobody has tapped for this long, never in the middle of a visitor's tap.
GC_QUIET_SECONDS = 2.0
GC_POLL_SECONDS = 1.0
GC_OLD_THRESHOLD_FACTOR = 10
# Which usage kind a screen's target is counted under ("topic": topic id, ...).
TARGET_KINDS = {"topic": "topic", "location": "location", "offer": "offer"}


def _blend(a: list[float], b: list[float], share: float) -> list[float]:
    return [x * (1 - share) + y * share for x, y in zip(a, b, strict=True)]


class KioskApp(App):
    """Wiring only: services in, screens out, timers started."""

    theme_primary = ColorProperty("#00589C")
    theme_accent = ColorProperty("#F2A900")
    theme_background = ColorProperty("#FFFFFF")
    theme_surface = ColorProperty("#F0F0F0")
    theme_text = ColorProperty("#1A1A1A")
    theme_on_primary = ColorProperty("#FFFFFF")
    language = StringProperty("de")
    rtl = BooleanProperty(False)
    # Kivy's settings panel (F1) is not for visitors; open_settings below never opens it.
    use_kivy_settings = False

    def __init__(
        self,
        services: KioskServices,
        start_language: str | None = None,
        idle_clock: Callable[[], float] = time.monotonic,
        mount_roots: Iterable[Path] = MOUNT_ROOTS,
        runtime: Path | None = None,
        display_power: DisplayPower | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)
        self.services = services
        self.start_language = start_language
        self.mount_roots = tuple(mount_roots)
        self.updates: UpdateService | None = None
        self.update_panel: UpdatePanel | None = None
        # New content waiting for an idle moment: (catalog, release)
        self.pending_content: tuple[Catalog, Release | None] | None = None
        settings = services.catalog.settings
        self.default_language = settings.default_language
        if start_language and start_language in settings.languages:
            self.default_language = start_language
        self.language = self.default_language
        self.idle = IdleTimer(timeout=float(settings.idle_timeout_seconds), clock=idle_clock)
        self.upkeep = Upkeep(
            services,
            self.idle,
            on_trust_change=self._clock_trust_changed,
            runtime=runtime,
            display_power=display_power,
        )
        self.navigator = Navigator()
        self.title = settings.kiosk_name.get(self.default_language)
        self.manager: ScreenManager | None = None
        self._timers: list[Any] = []
        self._gc_thresholds = gc.get_threshold()
        self._garbage_pending = False
        self._last_activity = idle_clock()
        self.idle_prompt: IdlePrompt | None = None
        # Lockdown: only stop_kiosk() (admin screen, SIGTERM) may end the app.
        self.exit_allowed = False
        self.restart_requested = False
        self._keep_running = KeepRunning(on_error=self._recover_from_error)
        self.corner_taps = CornerTaps(size=dp(ADMIN_CORNER_DP), clock=idle_clock)
        self.staff: StaffConsole | None = None
        if services.data_dir is not None:
            self.staff = StaffConsole.create(
                services.data_dir,
                services.state.usage,
                kiosk_name=lambda: self.services.catalog.settings.kiosk_name.get("de"),
                now=services.now,
                mount_roots=self.mount_roots,
                pin_clock=idle_clock,
            )

    # ---- building -------------------------------------------------------------------------
    def build(self) -> FloatLayout:
        self._apply_theme()
        services = self.services
        self.context = ScreenContext(
            catalog=services.catalog,
            qr=QrTextures(services.qr),
            now=services.now,
            open=self.open,
            back=self.back,
            home=self.home,
            set_language=self.set_language,
            record=services.state.usage.record,
            tr=Translator(self.language),
            clock_trusted=lambda: self.upkeep.clock_trusted,
        )
        if self.staff is not None:
            self.context.staff = StaffActions(
                console=self.staff,
                unlocked=lambda: self.open("admin"),
                close=self.reset_session,
                sync_now=self._sync_now,
                restart=lambda: self.stop_kiosk(restart=True),
                load_release=self._load_in_background,
            )
        self.manager = ScreenManager(transition=NoTransition())
        self._screen(HOME)
        root = FloatLayout()
        root.add_widget(self.manager)
        if self.staff is not None:
            self.staff.extra_facts = self.upkeep.fact_lines
        self.idle_prompt = IdlePrompt(on_continue=self._keep_session)
        self.update_panel = UpdatePanel()
        Window.bind(on_touch_down=self._on_any_input, on_key_down=self._on_any_input)
        Window.bind(on_request_close=self._on_request_close, on_keyboard=self._on_keyboard)
        ExceptionManager.add_handler(self._keep_running)
        if services.follows_releases and services.data_dir is not None:
            self.updates = UpdateService(
                services.data_dir,
                on_event=lambda event: Clock.schedule_once(lambda _dt: self.on_update(event)),
                sync=services.catalog.settings.sync,
                mount_roots=self.mount_roots,
            )
            self.updates.start()
        self._timers = [
            Clock.schedule_interval(self._poll_idle, IDLE_POLL_SECONDS),
            Clock.schedule_interval(lambda _dt: self.flush_usage(), FLUSH_INTERVAL_SECONDS),
            Clock.schedule_interval(self._collect_when_quiet, GC_POLL_SECONDS),
            Clock.schedule_once(self._build_next_screen, 0),
            *self.upkeep.start(),
        ]
        self._show(self.navigator.current)
        return root

    def _screen(self, name: str) -> KioskScreen:
        """The screen called `name`, built on first use."""
        assert self.manager is not None
        if self.manager.has_screen(name):
            screen: KioskScreen = self.manager.get_screen(name)
            return screen
        module_name, _, class_name = (SCREENS.get(name) or ADMIN_SCREENS[name]).partition(":")
        screen_class = getattr(importlib.import_module(module_name), class_name)
        screen = screen_class(name=name, ctx=self.context)
        self.manager.add_widget(screen)
        return screen

    def _build_next_screen(self, _dt: float) -> None:
        """After the first frame, build the other screens, one per frame."""
        missing = [
            name for name in SCREENS if not self.manager or not self.manager.has_screen(name)
        ]
        if missing:
            self._screen(missing[0])
            self._timers.append(Clock.schedule_once(self._build_next_screen, 0))
            return
        # Everything built so far lives as long as the app: keep it out of every collection.
        # Full collections run in quiet moments (see _collect_when_quiet); the automatic one
        # only runs a tenth as often as Python's default, as a bound on memory for a visitor
        # who never pauses.
        gc.collect()
        gc.freeze()
        young, middle, old = self._gc_thresholds
        gc.set_threshold(young, middle, old * GC_OLD_THRESHOLD_FACTOR)

    def _apply_theme(self) -> None:
        theme = self.services.catalog.settings.theme
        self.theme_primary = get_color_from_hex(theme.primary)
        self.theme_accent = get_color_from_hex(theme.accent)
        self.theme_background = get_color_from_hex(theme.background)
        self.theme_text = get_color_from_hex(theme.text)
        self.theme_surface = _blend(list(self.theme_background), list(self.theme_text), 0.07)
        Window.clearcolor = self.theme_background

    # ---- navigation -----------------------------------------------------------------------
    def open(self, screen: str, target: str | None = None) -> None:
        self._show(self.navigator.go(screen, target))

    def back(self) -> None:
        self._show(self.navigator.back())

    def home(self) -> None:
        self._show(self.navigator.home())

    def _show(self, route: Route) -> None:
        self._garbage_pending = True
        self._last_activity = self.idle.clock()
        try:
            screen = self._screen(route.screen)
            screen.show(route.target)
        except Exception:
            # A broken entry must never strand a visitor: log it and go Home.
            log.exception("cannot show %s %s", route.screen, route.target)
            if route.screen == HOME:
                raise
            self._show(self.navigator.home())
            return
        self.manager.current = route.screen
        if route.screen in ADMIN_SCREENS:
            return  # the statistics are about visitors
        usage = self.services.state.usage
        usage.record("screen", route.screen)
        kind = TARGET_KINDS.get(route.screen)
        if kind and route.target:
            usage.record(kind, route.target)

    @property
    def current_screen(self) -> KioskScreen:
        assert self.manager is not None
        screen: KioskScreen = self.manager.current_screen
        return screen

    def set_language(self, code: str) -> None:
        if code == self.language:
            return
        self._apply_language(code)
        self.services.state.usage.record("language", code)
        self.current_screen.refresh()

    def _apply_language(self, code: str) -> None:
        self.language = code
        self.rtl = code in RTL_LANGUAGES
        self.context.tr = Translator(code)

    # ---- lockdown -------------------------------------------------------------------------
    def open_settings(self, *_args: object) -> bool:
        return False  # Kivy's F1 settings panel: never on a public kiosk

    def _on_request_close(self, *_args: object, **kwargs: object) -> bool:
        """Alt+F4, the window's close button, a window manager's close: refused."""
        if self.exit_allowed:
            return False
        log.info("close request (%s) refused: the kiosk keeps running", kwargs.get("source"))
        return True

    def _on_keyboard(
        self, _window: object, key: int, _scancode: int, _codepoint: str, modifiers: list[str]
    ) -> bool:
        if is_blocked_key(key, modifiers):
            log.info("key %s %s ignored", key, modifiers)
            return True
        return False

    def _recover_from_error(self) -> None:
        """After an error in a frame: overlays closed, the visitor on Home."""
        for overlay in (self.idle_prompt, self.update_panel):
            if overlay is not None and overlay.is_open:
                overlay.close()
        self._close_dropdowns()
        self._show(self.navigator.home())

    def stop_kiosk(self, restart: bool = False) -> None:
        """The only way out: staff on the admin screen, or the service being stopped."""
        self.exit_allowed = True
        self.restart_requested = restart
        self.stop()

    def _clock_trust_changed(self) -> None:
        if not self.idle.in_session:
            self.current_screen.refresh()  # "open now" comes or goes

    # ---- staff ------------------------------------------------------------------------------
    def open_admin(self) -> None:
        """The hidden gesture was made: ask for the PIN (there is no way in without one)."""
        if self.staff is None or not self.staff.can_open:
            if self.update_panel is not None:
                tr = self.context.tr
                self.update_panel.show_result(tr("admin.no_pin_title"), tr("admin.no_pin"), False)
            return
        self.open("admin_pin")

    def _sync_now(self) -> bool:
        if self.updates is None or self.services.catalog.settings.sync is None:
            return False
        self.updates.sync_now()
        return True

    # ---- idle reset -----------------------------------------------------------------------
    def _on_any_input(self, _window: object, touch: object = None, *_args: object) -> bool:
        if hasattr(touch, "uid") and self.upkeep.on_touch():
            return True  # it only woke the screen: the button under the finger is not pressed
        if hasattr(touch, "x") and self.corner_taps.tap(touch.x, touch.y, Window.height):
            # After this touch is done, so the fifth tap does not land on the keypad.
            Clock.schedule_once(lambda _dt: self.open_admin())
        panel = self.update_panel
        if panel is not None and panel.is_open:
            # Staff at the panel are not a visitor: a tap on a result closes it and does
            # nothing else (no button under the finger, no session that delays new content).
            if panel.finished:
                panel.close()
            return True
        self.idle.touch()
        self._last_activity = self.idle.clock()
        if self.idle_prompt is not None and self.idle_prompt.is_open:
            # The tap answers "Sind Sie noch da?": it must not also press what lies below.
            self.idle_prompt.close()
            return hasattr(touch, "uid")
        return False  # the visitor's tap goes on to the button under the finger

    def _keep_session(self) -> None:
        self.idle.touch()

    def _poll_idle(self, _dt: float) -> None:
        phase = self.idle.poll()
        prompt = self.idle_prompt
        if prompt is None:
            return
        if phase is IdlePhase.WARNING:
            prompt.show(self.context.tr, self.idle.seconds_left())
        elif phase is IdlePhase.RESET:
            prompt.close()
            self.reset_session()
        self._apply_pending_when_idle()

    def reset_session(self) -> None:
        """Start fresh for the next family: Home, default language, nothing left behind."""
        assert self.manager is not None
        self.idle.end_session()
        self._close_dropdowns()
        if self.pending_content is not None:
            self._apply_pending_when_idle()
            return
        for screen in self.manager.screens:
            screen.clear()
        self._apply_language(self.default_language)
        self.services.state.usage.record("idle_reset", "reset")
        self.home()
        self.flush_usage()

    @staticmethod
    def _close_dropdowns() -> None:
        """An open list (the offers filter) lives on the Window, not in a screen: close it,
        or the next family finds the last one's choice hanging open (found by the soak)."""
        for child in list(Window.children):
            if isinstance(child, DropDown):
                child.dismiss()

    def _collect_when_quiet(self, _dt: float) -> None:
        quiet = self.idle.clock() - self._last_activity
        if self._garbage_pending and quiet >= GC_QUIET_SECONDS:
            self._garbage_pending = False
            gc.collect()

    # ---- content updates --------------------------------------------------------------------
    def on_update(self, event: UpdateEvent) -> None:
        """An event of the update worker, on the Kivy thread."""
        panel, tr = self.update_panel, self.context.tr
        if event.source == "usb" and panel is not None:
            if event.kind in ("started", "progress"):
                panel.show_progress(tr, event.done, event.total)
            elif event.kind in ("activated", "current"):
                notice = event.message_de if tr.language == "de" else event.message_en
                panel.show_result(
                    tr("update.activated_title"),
                    " ".join(
                        filter(None, [tr(f"update.{event.kind}", version=event.version), notice])
                    ),
                    ok=True,
                )
            elif event.kind == "refused":
                reason = event.message_de if tr.language == "de" else event.message_en
                panel.show_result(
                    tr("update.refused_title"), tr("update.refused", reason=reason), ok=False
                )
        if self.manager is not None and self.manager.current == "admin":
            self.current_screen.show_update(event)
        if event.kind == "activated" and event.content_dir is not None:
            self._load_in_background(event.content_dir)

    def _load_in_background(self, content_dir: Path) -> None:
        """Read and check the new release off the UI thread; swap it in when it is ready."""
        state = self.services.state

        def work() -> None:
            try:
                catalog = load_remembering_validation(content_dir, state)
            except Exception:
                log.exception(
                    "the new release in %s cannot be loaded; keeping the old", content_dir
                )
                return
            release = ReleaseStore(content_dir.parent.parent).read(content_dir.parent)
            Clock.schedule_once(lambda _dt: self._content_ready(catalog, release))

        threading.Thread(target=work, name="load-release", daemon=True).start()

    def _content_ready(self, catalog: Catalog, release: Release | None) -> None:
        self.pending_content = (catalog, release)
        self._apply_pending_when_idle()

    def _apply_pending_when_idle(self) -> None:
        """Swap in new content only while nobody uses the screen (never mid-visit)."""
        if self.pending_content is None or self.idle.in_session:
            return
        if self.idle_prompt is not None and self.idle_prompt.is_open:
            return
        catalog, release = self.pending_content
        self.pending_content = None
        self.apply_content(catalog, release)

    def apply_content(self, catalog: Catalog, release: Release | None) -> None:
        """Show `catalog` from now on: screens start fresh at Home, as after an idle reset."""
        services = self.services
        services.catalog, services.release = catalog, release
        services.qr = QrCache(LinkPolicy(catalog.settings.allowed_link_hosts))
        self.context.catalog = catalog
        self.context.qr = QrTextures(services.qr)
        settings = catalog.settings
        self.default_language = settings.default_language
        if self.start_language in settings.languages:
            self.default_language = self.start_language
        self.idle.timeout = float(settings.idle_timeout_seconds)
        self.upkeep.content_changed()
        self.title = settings.kiosk_name.get(self.default_language)
        self._apply_theme()
        assert self.manager is not None
        for screen in self.manager.screens:
            screen.clear()
            screen.forget_languages()
        self._apply_language(self.default_language)
        self.navigator = Navigator()
        self.home()
        if self.updates is not None:
            self.updates.set_sync(settings.sync)
        log.info("now showing %s", f"version {release.version}" if release else catalog.root)

    # ---- state ----------------------------------------------------------------------------
    def flush_usage(self) -> None:
        """Write batched counts in a worker: an fsync on a slow SD card must not stall a frame."""

        def work() -> None:
            try:
                self.services.state.usage.flush()
            except OSError:
                log.exception("cannot save usage counts; they stay in memory")

        threading.Thread(target=work, name="usage-flush", daemon=True).start()

    def on_stop(self) -> None:
        self.upkeep.stop()
        if self.updates is not None:
            self.updates.stop()
        if self.update_panel is not None:
            self.update_panel.close()
        for timer in self._timers:
            timer.cancel()
        gc.set_threshold(*self._gc_thresholds)
        gc.unfreeze()
        if self.idle_prompt is not None:
            self.idle_prompt.close()
        Window.unbind(on_touch_down=self._on_any_input, on_key_down=self._on_any_input)
        Window.unbind(on_request_close=self._on_request_close, on_keyboard=self._on_keyboard)
        if self._keep_running in ExceptionManager.handlers:
            ExceptionManager.remove_handler(self._keep_running)
