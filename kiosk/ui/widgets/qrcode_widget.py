"""A QR code drawn crisp from a cached matrix: setting `data` is all a screen does."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from kivy.graphics.texture import Texture
from kivy.lang import Builder
from kivy.properties import ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.qr import LinkNotAllowed, QrCache


class QrTextures:
    """Textures for QR matrices, one per link, bounded (GPU memory on a Pi is small)."""

    def __init__(self, matrices: QrCache, maxsize: int = 64) -> None:
        self.matrices = matrices
        self._textures: OrderedDict[str, Texture] = OrderedDict()
        self._maxsize = maxsize

    def texture_for(self, url: str) -> Texture:
        """The texture for an allowed link; raises LinkNotAllowed otherwise."""
        texture = self._textures.get(url)
        if texture is not None:
            self._textures.move_to_end(url)
            return texture
        matrix = self.matrices.matrix_for(url)
        # One texel per module, scaled up with nearest filtering: sharp edges at any size.
        texture = Texture.create(size=(matrix.size, matrix.size), colorfmt="luminance")
        texture.mag_filter = "nearest"
        texture.min_filter = "nearest"
        texture.blit_buffer(matrix.to_luminance(1), colorfmt="luminance", bufferfmt="ubyte")
        texture.flip_vertical()  # matrix rows run top to bottom, GL rows bottom to top
        self._textures[url] = texture
        while len(self._textures) > self._maxsize:
            self._textures.popitem(last=False)
        return texture


class QrCodeWidget(Widget):
    """Shows `data` as a QR code, as large as fits, in whole pixels per module."""

    data = StringProperty("")
    textures = ObjectProperty(None, allownone=True)
    texture = ObjectProperty(None, allownone=True)
    refused_reason = StringProperty("")
    code_pos = ListProperty([0, 0])
    code_side = NumericProperty(0)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.bind(pos=self._place, size=self._place, texture=self._place)

    def on_data(self, _instance: object, url: str) -> None:
        self.refused_reason = ""
        if not url or self.textures is None:
            self.texture = None
            return
        try:
            self.texture = self.textures.texture_for(url)
        except LinkNotAllowed as exc:
            self.texture = None
            self.refused_reason = str(exc)

    def on_textures(self, _instance: object, _value: object) -> None:
        self.on_data(self, self.data)

    def _place(self, *_args: object) -> None:
        # Whole pixels per module keep the edges crisp for the phone camera.
        if self.texture is None:
            self.code_side = 0
            return
        modules = self.texture.width
        side = max(modules, (int(min(self.width, self.height)) // modules) * modules)
        self.code_side = side
        self.code_pos = [int(self.center_x - side / 2), int(self.center_y - side / 2)]


class QrCard(BoxLayout):
    """A heading, the QR code and the link as short text, for visitors without a camera."""

    heading = StringProperty("")
    hint = StringProperty("")
    url = StringProperty("")
    textures = ObjectProperty(None, allownone=True)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
