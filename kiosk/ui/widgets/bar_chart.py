"""A bar chart drawn straight on the canvas: staff would rather look than read."""

from __future__ import annotations

from kivy.clock import Clock
from kivy.graphics import Color, Rectangle
from kivy.metrics import dp, sp
from kivy.properties import BooleanProperty, ColorProperty, ListProperty
from kivy.uix.label import Label
from kivy.uix.widget import Widget


class BarChart(Widget):
    """`bars` is a list of (label, value); horizontal bars with their labels, or columns.

    Columns (horizontal=False) label only the first, middle and last bar (30 days do not fit
    30 labels at 800x480); the highest column carries its value.
    """

    bars = ListProperty([])
    horizontal = BooleanProperty(True)
    bar_color = ColorProperty("#1B5C87")
    text_color = ColorProperty("#1A1A1A")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._redraw = Clock.create_trigger(lambda _dt: self.draw())
        self.bind(bars=self._redraw, size=self._redraw, pos=self._redraw, horizontal=self._redraw)

    def draw(self) -> None:
        self.canvas.clear()
        self.clear_widgets()
        if not self.bars or self.width < 10 or self.height < 10:
            return
        peak = max(max(value for _, value in self.bars), 1)
        if self.horizontal:
            self._draw_rows(peak)
        else:
            self._draw_columns(peak)

    def _label(
        self, text: str, x: float, y: float, width: float, height: float, halign: str
    ) -> None:
        label = Label(
            text=text,
            font_size=sp(15),
            color=self.text_color,
            pos=(x, y),
            size=(width, height),
            text_size=(width, height),
            halign=halign,
            valign="middle",
            shorten=True,
            shorten_from="right",
        )
        self.add_widget(label)

    def _draw_rows(self, peak: int) -> None:
        rows = len(self.bars)
        row = self.height / rows
        label_width = self.width * 0.42
        value_width = dp(48)
        room = self.width - label_width - value_width - dp(12)
        for index, (label, value) in enumerate(self.bars):
            y = self.top - (index + 1) * row
            length = room * value / peak
            with self.canvas:
                Color(rgba=self.bar_color)
                Rectangle(
                    pos=(self.x + label_width + dp(6), y + row * 0.15),
                    size=(max(length, dp(2)), row * 0.7),
                )
            self._label(str(label), self.x, y, label_width, row, "right")
            self._label(
                str(value), self.x + label_width + dp(10) + length, y, value_width, row, "left"
            )

    def _draw_columns(self, peak: int) -> None:
        count = len(self.bars)
        axis = sp(22)
        top_room = sp(20)
        column = self.width / count
        height = self.height - axis - top_room
        highest = max(range(count), key=lambda i: self.bars[i][1])
        marked = {0, count // 2, count - 1}
        for index, (label, value) in enumerate(self.bars):
            x = self.x + index * column
            bar = height * value / peak
            with self.canvas:
                Color(rgba=self.bar_color)
                Rectangle(pos=(x + column * 0.15, self.y + axis), size=(column * 0.7, bar))
            if index in marked:
                # First and last flush with the chart's edges, the middle one centred.
                width = dp(72)
                if index == 0:
                    left, align = self.x, "left"
                elif index == count - 1:
                    left, align = self.right - width, "right"
                else:
                    left, align = x + column / 2 - width / 2, "center"
                self._label(str(label), left, self.y, width, axis, align)
            if index == highest and value > 0:
                self._label(
                    str(value), x - dp(20), self.y + axis + bar, column + dp(40), top_room, "center"
                )
