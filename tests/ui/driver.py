"""Drive the real kiosk app in a headless window: tap like a finger, advance frames, look."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import zxingcpp
from kivy.base import EventLoop
from kivy.core.window import Window
from kivy.graphics.opengl import GL_RGB, GL_UNSIGNED_BYTE, glReadPixels
from kivy.tests.common import UnitTestTouch
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget
from PIL import Image

from kiosk.ui.app import KioskApp


def walk(widget: Widget) -> Iterator[Widget]:
    yield widget
    for child in widget.children:
        yield from walk(child)


def is_shown(widget: Widget) -> bool:
    node: Widget | None = widget
    while node is not None and node is not node.parent:
        if getattr(node, "opacity", 1) == 0 or getattr(node, "disabled", False):
            return False
        node = node.parent
    return True


@dataclass
class FakeClock:
    """Monotonic seconds that only move when a test says so."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class KioskDriver:
    """The app under test, with the gestures and looks a test needs."""

    def __init__(self, app: KioskApp, idle_clock: FakeClock) -> None:
        self.app = app
        self.idle_clock = idle_clock

    # ---- time ------------------------------------------------------------------------------
    def frames(self, count: int = 3) -> None:
        for _ in range(count):
            EventLoop.idle()

    def wait_until(self, condition: Callable[[], bool], timeout: float = 30) -> None:
        """Frames until `condition` holds: for results that come back from a worker thread."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.frames(1)
            if condition():
                return
            time.sleep(0.05)
        raise AssertionError("timed out waiting for the kiosk")

    # ---- looking ---------------------------------------------------------------------------
    @property
    def screen(self) -> Widget:
        return self.app.current_screen

    def ids(self, name: str) -> Widget:
        return self.screen.ids[name]

    def texts(self) -> list[str]:
        """Every shown label text on the current screen and any open overlay."""
        roots = [self.screen, *[w for w in Window.children if w is not self.app.root]]
        return [w.text for r in roots for w in walk(r) if isinstance(w, Label) and w.text]

    def find(self, predicate: Callable[[Widget], bool], root: Widget | None = None) -> Widget:
        # The whole window by default: overlays such as the idle prompt are not in the screen.
        matches = [w for w in walk(root or Window) if is_shown(w) and predicate(w)]
        if not matches:
            raise LookupError("no shown widget matches")
        return matches[
            -1
        ]  # children are stored last-added-first: [-1] is the first in reading order

    def find_text(self, text: str, root: Widget | None = None) -> Widget:
        return self.find(lambda w: isinstance(w, Label) and w.text == text, root)

    def screenshot(self) -> Image.Image:
        """The window's pixels, as a phone camera pointed at the screen would see them."""
        self.frames(2)
        width, height = Window.size
        pixels = glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE)
        image = Image.frombytes("RGB", (width, height), bytes(pixels))
        return image.transpose(Image.Transpose.FLIP_TOP_BOTTOM)

    def save_screenshot(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        self.screenshot().save(buffer, format="PNG")
        path.write_bytes(buffer.getvalue())
        return path

    def decoded_qr_codes(self) -> list[str]:
        return [r.text for r in zxingcpp.read_barcodes(self.screenshot()) if r.valid]

    # ---- acting ----------------------------------------------------------------------------
    def tap(self, widget: Widget) -> None:
        """A finger's tap at the widget's centre, through Kivy's input pipeline."""
        self.frames(1)
        x, y = widget.to_window(*widget.center)
        assert 0 <= x < Window.width and 0 <= y < Window.height, f"{widget} is off screen"
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        touch.touch_up()
        self.frames(3)

    def tap_text(self, text: str) -> None:
        label = self.find_text(text)
        self.tap(label)

    def tap_list_row(self, list_view: Widget, title_part: str) -> None:
        rows = [w for w in walk(list_view) if getattr(w, "title", None) and title_part in w.title]
        assert rows, f"no list row shows {title_part!r}"
        self.tap(rows[0])

    def resize(self, width: int, height: int) -> None:
        Window.size = (width, height)
        self.frames(4)

    # ---- checks ----------------------------------------------------------------------------
    def overflowing_labels(self) -> list[str]:
        """Labels on the current screen whose text does not fit the space they are given."""
        problems = []
        for widget in walk(self.screen):
            if not isinstance(widget, Label) or not widget.text or not is_shown(widget):
                continue
            widget.texture_update()
            text_w, text_h = widget.texture_size
            wraps = widget.text_size[0] is not None
            too_wide = not wraps and text_w > widget.width + 1
            too_tall = text_h > widget.height + 1
            x, _ = widget.to_window(widget.x, widget.y)
            outside = not _inside_scroller(widget) and (
                x < -1 or x + widget.width > Window.width + 1
            )
            if too_wide or too_tall or outside:
                problems.append(
                    f"{type(widget).__name__} {widget.text[:40]!r}: text {text_w:.0f}x{text_h:.0f}"
                    f" in {widget.width:.0f}x{widget.height:.0f} at x={x:.0f}"
                )
        return problems

    def small_targets(self, minimum: float = 48) -> list[str]:
        from kivy.uix.behaviors import ButtonBehavior

        return [
            f"{type(w).__name__} {getattr(w, 'text', '')[:30]!r} {w.width:.0f}x{w.height:.0f}"
            for w in walk(self.screen)
            if isinstance(w, ButtonBehavior)
            and is_shown(w)
            and (w.width < minimum or w.height < minimum)
        ]


def _inside_scroller(widget: Widget) -> bool:
    node = widget.parent
    while node is not None and node is not node.parent:
        if isinstance(node, ScrollView):
            return True
        node = node.parent
    return False
