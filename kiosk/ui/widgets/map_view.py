"""A content-supplied map image with numbered pins placed from coordinates."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import ListProperty, StringProperty
from kivy.uix.button import Button
from kivy.uix.floatlayout import FloatLayout

PIN_SIZE = 48  # dp: a pin is a touch target too


class MapPin(Button):
    """A numbered pin; `fraction` is its place on the image (0..1 from left and bottom)."""

    fraction = ListProperty([0.0, 0.0])


class MapView(FloatLayout):
    """The map image, scaled to fit, with pins that stay on their spot at any size."""

    source = StringProperty("")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._pins: list[MapPin] = []
        self.bind(pos=self._place_pins, size=self._place_pins)

    def set_pins(self, pins: Sequence[tuple[str, tuple[float, float], Callable[[], None]]]) -> None:
        """(label, fraction, on_tap) for each pin."""
        for pin in self._pins:
            self.remove_widget(pin)
        self._pins = []
        for label, fraction, on_tap in pins:
            pin = MapPin(text=label, fraction=list(fraction))
            pin.bind(on_release=lambda _p, tap=on_tap: tap())
            self._pins.append(pin)
            self.add_widget(pin)
        self._place_pins()

    def _place_pins(self, *_args: object) -> None:
        image = self.ids.get("image")
        if image is None:
            return
        width, height = image.norm_image_size
        left = image.center_x - width / 2
        bottom = image.center_y - height / 2
        size = dp(PIN_SIZE)
        for pin in self._pins:
            pin.size = (size, size)
            pin.center = (left + pin.fraction[0] * width, bottom + pin.fraction[1] * height)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
