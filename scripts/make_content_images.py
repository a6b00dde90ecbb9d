"""Draw the topic icons and the schematic map of the default content.

Run from the repository root:

    python scripts/make_content_images.py

Reads the theme colour and the map bounds from content/settings.json and the topic ids from
content/topics.json, then writes content/images/<topic-id>.png (256x256) and
content/images/map.png. The output is deterministic: the same inputs give the same files.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
IMAGES = CONTENT / "images"

ICON_SIZE = 256
SS = 4  # supersampling factor for smooth edges
WHITE = (255, 255, 255, 255)

Point = tuple[float, float]
RGBA = tuple[int, int, int, int]
Color = RGBA | tuple[int, int, int]


def hex_rgb(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def save_png(img: Image.Image, path: Path, colors: int) -> None:
    """Reduce to a small palette (no dithering: deterministic and small) and save optimised.
    RGBA images keep their transparency in the palette (PNG tRNS chunk)."""
    if img.mode == "RGBA":
        out = img.quantize(
            colors=colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
    else:
        out = img.convert("RGB").quantize(
            colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    out.save(path, optimize=True)


# --------------------------------------------------------------------------- icons


def heart_points(cx: float, cy: float, width: float, steps: int = 120) -> list[Point]:
    """Classic parametric heart, `width` wide, centred on (cx, cy)."""
    scale = width / 34.0
    pts = []
    for i in range(steps):
        t = 2 * math.pi * i / steps
        x = 16 * math.sin(t) ** 3
        y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        pts.append((cx + x * scale, cy - (y + 2.5) * scale))
    return pts


def thick_line(d: ImageDraw.ImageDraw, pts: Sequence[Point], width: float, fill: Color) -> None:
    """A polyline with round caps and joins."""
    d.line(list(pts), fill=fill, width=int(width), joint="curve")
    r = width / 2
    for x, y in pts:
        d.ellipse((x - r, y - r, x + r, y + r), fill=fill)


def icon_familie_beruf(d: ImageDraw.ImageDraw, bg: RGBA) -> None:
    # briefcase with a heart on it
    d.rounded_rectangle((372, 214, 652, 400), radius=70, outline=WHITE, width=60)
    d.rounded_rectangle((188, 326, 836, 810), radius=80, fill=WHITE)
    d.polygon(heart_points(512, 580, 330), fill=bg)


def icon_kinderbetreuung(d: ImageDraw.ImageDraw, bg: RGBA) -> None:
    # a child with raised arms
    d.ellipse((412, 150, 612, 350), fill=WHITE)  # head
    thick_line(d, [(430, 430), (330, 360), (250, 250)], 78, WHITE)  # left arm
    thick_line(d, [(594, 430), (694, 360), (774, 250)], 78, WHITE)  # right arm
    d.polygon([(420, 390), (604, 390), (690, 700), (334, 700)], fill=WHITE)  # dress
    d.rounded_rectangle((392, 380, 632, 480), radius=50, fill=WHITE)  # shoulders
    thick_line(d, [(456, 690), (448, 850)], 84, WHITE)  # legs
    thick_line(d, [(568, 690), (576, 850)], 84, WHITE)


def icon_elterninformationen(d: ImageDraw.ImageDraw, bg: RGBA) -> None:
    # speech bubble with an information sign
    d.rounded_rectangle((170, 180, 854, 700), radius=130, fill=WHITE)
    d.polygon([(300, 650), (268, 870), (480, 690)], fill=WHITE)
    d.ellipse((457, 262, 567, 372), fill=bg)
    d.rounded_rectangle((462, 418, 562, 622), radius=36, fill=bg)


def arc_points(
    cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, steps: int = 40
) -> list[Point]:
    return [
        (
            cx + rx * math.cos(math.radians(a0 + (a1 - a0) * i / steps)),
            cy + ry * math.sin(math.radians(a0 + (a1 - a0) * i / steps)),
        )
        for i in range(steps + 1)
    ]


def icon_pflege_angehoerige(d: ImageDraw.ImageDraw, bg: RGBA) -> None:
    # two cupped hands holding a heart
    d.polygon(heart_points(512, 430, 340), fill=WHITE)
    thick_line(d, arc_points(512, 520, 300, 260, 200, 90), 100, WHITE)  # left hand
    thick_line(d, arc_points(512, 520, 300, 260, -20, 90), 100, WHITE)  # right hand
    d.line([(512, 700), (512, 850)], fill=bg, width=24)  # gap between hands


def icon_finanzielle_hilfen(d: ImageDraw.ImageDraw, bg: RGBA) -> None:
    # two stacks of coins and one coin standing on top
    bar, gap = 62, 18
    for x0, x1, n in ((160, 480, 5), (544, 864, 2)):
        for i in range(n):
            y1 = 830 - i * (bar + gap)
            d.rounded_rectangle((x0, y1 - bar, x1, y1), radius=bar // 2, fill=WHITE)
    cx, cy, r = 704, 500, 150
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=WHITE)
    d.ellipse((cx - 92, cy - 92, cx + 92, cy + 92), outline=bg, width=24)


def icon_vernetzung(d: ImageDraw.ImageDraw, bg: RGBA) -> None:
    # a network of connected dots
    cx, cy, rad = 512, 512, 300
    outer = [
        (cx + rad * math.cos(math.radians(a)), cy + rad * math.sin(math.radians(a)))
        for a in range(-90, 270, 60)
    ]
    for i, p in enumerate(outer):
        d.line([(cx, cy), p], fill=WHITE, width=34)
        d.line([p, outer[(i + 1) % len(outer)]], fill=WHITE, width=22)
    for x, y in outer:
        d.ellipse((x - 72, y - 72, x + 72, y + 72), fill=WHITE)
    d.ellipse((cx - 100, cy - 100, cx + 100, cy + 100), fill=WHITE)
    d.ellipse((cx - 50, cy - 50, cx + 50, cy + 50), fill=bg)


ICONS: dict[str, Callable[[ImageDraw.ImageDraw, RGBA], None]] = {
    "familie-beruf": icon_familie_beruf,
    "kinderbetreuung": icon_kinderbetreuung,
    "elterninformationen": icon_elterninformationen,
    "pflege-angehoerige": icon_pflege_angehoerige,
    "finanzielle-hilfen": icon_finanzielle_hilfen,
    "vernetzung-qualifizierung": icon_vernetzung,
}


def make_icon(topic_id: str, primary: tuple[int, int, int], path: Path) -> None:
    big = ICON_SIZE * SS
    bg = (*primary, 255)
    img = Image.new("RGBA", (big, big), (*primary, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.2, fill=bg)
    ICONS[topic_id](d, bg)
    img = img.resize((ICON_SIZE, ICON_SIZE), Image.Resampling.LANCZOS)
    save_png(img, path, colors=64)


# --------------------------------------------------------------------------- map

MAP_WIDTH = 1200
KM_PER_DEG_LAT = 111.2

FONT_DIRS = [
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
    Path("/Library/Fonts"),
    Path("C:/Windows/Fonts"),
]


def font(size: int, style: str = "") -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (has umlauts and the en dash); Pillow's built-in font as a last resort."""
    name = f"DejaVuSans{('-' + style) if style else ''}.ttf"
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default(size=size)


def ascii_fallback(text: str, fnt: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> str:
    if isinstance(fnt, ImageFont.FreeTypeFont) and "DejaVu" in (fnt.getname()[0] or ""):
        return text
    table = {"–": "-", "ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
    return "".join(table.get(c, c) for c in text)


# Approximate, simplified courses (lat, lon). Schematic only: roads that follow a valley are
# drawn a little beside their river so both stay visible.
SIEG = [
    (50.940, 8.100),
    (50.928, 8.083),
    (50.918, 8.066),
    (50.909, 8.050),
    (50.902, 8.038),
    (50.895, 8.031),
    (50.886, 8.025),
    (50.877, 8.019),
    (50.867, 8.015),
    (50.855, 8.008),
    (50.845, 7.999),
    (50.837, 7.989),
    (50.831, 7.978),
    (50.833, 7.966),
    (50.829, 7.953),
    (50.823, 7.940),
    (50.818, 7.925),
    (50.814, 7.900),
]
FERNDORF = [
    (50.945, 7.982),
    (50.934, 7.996),
    (50.925, 8.008),
    (50.914, 8.019),
    (50.904, 8.027),
    (50.896, 8.031),
]
WEISS = [
    (50.860, 8.140),
    (50.865, 8.100),
    (50.870, 8.072),
    (50.872, 8.052),
    (50.871, 8.038),
    (50.869, 8.027),
    (50.868, 8.016),
]
MOTORWAY = [
    (50.945, 7.930),
    (50.915, 7.940),
    (50.885, 7.952),
    (50.862, 7.962),
    (50.846, 7.972),
    (50.836, 7.988),
    (50.830, 8.010),
    (50.826, 8.040),
    (50.822, 8.075),
    (50.817, 8.110),
    (50.812, 8.140),
]
MAIN_ROADS = [
    # valley road through Geisweid, Weidenau, the centre and Eiserfeld
    [
        (50.945, 7.976),
        (50.930, 7.992),
        (50.918, 8.004),
        (50.906, 8.015),
        (50.896, 8.022),
        (50.886, 8.017),
        (50.876, 8.011),
        (50.862, 8.002),
        (50.849, 7.993),
        (50.840, 7.981),
        (50.835, 7.968),
        (50.832, 7.950),
        (50.826, 7.925),
        (50.822, 7.900),
    ],
    # east along the Sieg towards Netphen
    [
        (50.896, 8.022),
        (50.897, 8.036),
        (50.904, 8.048),
        (50.912, 8.061),
        (50.921, 8.078),
        (50.933, 8.098),
        (50.942, 8.112),
    ],
    # east along the Weiß towards Kaan-Marienborn
    [
        (50.876, 8.011),
        (50.877, 8.026),
        (50.877, 8.040),
        (50.876, 8.056),
        (50.873, 8.078),
        (50.867, 8.108),
        (50.862, 8.140),
    ],
    # west towards Trupbach and Freudenberg
    [
        (50.876, 8.011),
        (50.882, 7.998),
        (50.888, 7.982),
        (50.893, 7.960),
        (50.897, 7.930),
        (50.900, 7.900),
    ],
    # south from the centre
    [
        (50.871, 8.019),
        (50.860, 8.030),
        (50.847, 8.036),
        (50.835, 8.040),
        (50.826, 8.041),
        (50.812, 8.048),
    ],
]
# built-up areas: (lat, lon, radius east-west km, radius north-south km)
SETTLEMENTS = [
    (50.875, 8.020, 1.4, 1.1),
    (50.882, 8.028, 0.9, 0.8),
    (50.866, 8.012, 0.8, 0.8),
    (50.899, 8.030, 1.2, 1.0),
    (50.910, 8.016, 0.8, 0.7),
    (50.922, 8.004, 1.1, 1.0),
    (50.931, 7.993, 0.7, 0.6),
    (50.836, 7.985, 1.1, 0.8),
    (50.846, 7.997, 0.7, 0.6),
    (50.874, 8.055, 1.0, 0.5),
    (50.886, 7.982, 0.7, 0.5),
    (50.889, 8.060, 0.6, 0.5),
    (50.906, 7.989, 0.6, 0.5),
    (50.825, 7.948, 0.8, 0.4),
    (50.884, 8.003, 0.8, 0.5),
    (50.858, 8.033, 0.6, 0.5),
]
# district labels: (text, lat, lon, important, below) -- "below" puts the name under the
# point, otherwise above it. Office districts get their name below, clear of the pins.
LABELS = [
    ("Siegen-Mitte", 50.8738, 8.0252, True, True),
    ("Weidenau", 50.8962, 8.0268, True, True),
    ("Geisweid", 50.9228, 7.9990, True, True),
    ("Eiserfeld", 50.8322, 7.9912, True, True),
    ("Kaan-Marienborn", 50.8760, 8.0590, False, False),
    ("Trupbach", 50.8890, 7.9790, False, False),
    ("Bürbach", 50.8905, 8.0620, False, False),
    ("Birlenbach", 50.9080, 7.9880, False, False),
    ("Niederschelden", 50.8250, 7.9480, False, True),
]


class Projection:
    def __init__(self, bounds: dict[str, float], width: int) -> None:
        self.n, self.s = bounds["north"], bounds["south"]
        self.w, self.e = bounds["west"], bounds["east"]
        mid = math.radians((self.n + self.s) / 2)
        self.km_per_deg_lon = KM_PER_DEG_LAT * math.cos(mid)
        width_km = (self.e - self.w) * self.km_per_deg_lon
        height_km = (self.n - self.s) * KM_PER_DEG_LAT
        self.width = width
        self.height = round(width * height_km / width_km)  # true scale in both directions
        self.px_per_km = width / width_km

    def xy(self, lat: float, lon: float, k: float = 1.0) -> Point:
        x = (lon - self.w) / (self.e - self.w) * self.width
        y = (self.n - lat) / (self.n - self.s) * self.height
        return (x * k, y * k)


def make_map(bounds: dict[str, float], primary: tuple[int, int, int], path: Path) -> None:
    proj = Projection(bounds, MAP_WIDTH)
    k = 2  # supersample the shapes; text is drawn at final size
    W, H = proj.width * k, proj.height * k
    land = (233, 239, 227)
    town = (247, 245, 238)
    water = (139, 184, 216)
    road_casing = (196, 190, 178)
    road = (255, 255, 255)
    motorway = (243, 226, 172)
    img = Image.new("RGB", (W, H), land)
    d = ImageDraw.Draw(img)

    towns = Image.new("L", (W, H), 0)
    td = ImageDraw.Draw(towns)
    for lat, lon, rx, ry in SETTLEMENTS:
        x, y = proj.xy(lat, lon, k)
        rxp, ryp = rx * proj.px_per_km * k, ry * proj.px_per_km * k
        td.ellipse((x - rxp, y - ryp, x + rxp, y + ryp), fill=255)
    towns = towns.filter(ImageFilter.GaussianBlur(14 * k))
    img.paste(Image.new("RGB", (W, H), town), (0, 0), towns.point(lambda v: min(255, v * 2)))

    def line(coords: Sequence[tuple[float, float]], width: float, fill: Color) -> None:
        thick_line(d, [proj.xy(a, b, k) for a, b in coords], width * k, fill)

    for coords in MAIN_ROADS:
        line(coords, 9, road_casing)
    line(MOTORWAY, 13, road_casing)
    for coords in MAIN_ROADS:
        line(coords, 6, road)
    line(MOTORWAY, 9, motorway)
    for coords, width in ((FERNDORF, 6), (WEISS, 6), (SIEG, 11)):
        line(coords, width, water)

    img = img.resize((proj.width, proj.height), Image.Resampling.LANCZOS)
    d = ImageDraw.Draw(img)
    text_dark = (40, 40, 40)
    halo = (255, 255, 255)

    # district names sit just below their point so the kiosk's pins do not hide them
    for text, lat, lon, important, below in LABELS:
        fnt = font(24 if important else 18, "Bold" if important else "")
        x, y = proj.xy(lat, lon)
        d.text(
            (x, y + 18) if below else (x, y - 6),
            ascii_fallback(text, fnt),
            font=fnt,
            fill=text_dark,
            anchor="mt" if below else "mb",
            stroke_width=3,
            stroke_fill=halo,
        )

    # river name
    river_font = font(20, "Oblique")
    x, y = proj.xy(50.853, 8.010)
    d.text(
        (x + 10, y),
        "Sieg",
        font=river_font,
        fill=(46, 101, 145),
        anchor="lm",
        stroke_width=3,
        stroke_fill=land,
    )

    # north arrow (top right)
    ax, ay = proj.width - 56, 40
    d.polygon([(ax, ay), (ax - 16, ay + 44), (ax, ay + 34), (ax + 16, ay + 44)], fill=primary)
    nf = font(20, "Bold")
    d.text((ax, ay + 50), "N", font=nf, fill=primary, anchor="mt")

    # scale bar (bottom right)
    km = proj.px_per_km
    sx1, sy = proj.width - 40, proj.height - 40
    sx0 = sx1 - km
    d.rectangle((sx0, sy - 4, sx1, sy + 4), fill=text_dark)
    d.rectangle((sx0 + km / 2, sy - 2, sx1 - 2, sy + 2), fill=(255, 255, 255))
    sf = font(18)
    d.text(
        ((sx0 + sx1) / 2, sy - 10),
        "1 km",
        font=sf,
        fill=text_dark,
        anchor="mb",
        stroke_width=2,
        stroke_fill=halo,
    )

    # caption (top left)
    cf = font(20)
    caption = ascii_fallback("Schematische Karte – kein Stadtplan", cf)
    left, top, right, bottom = d.textbbox((0, 0), caption, font=cf)
    pad = 10
    bx, by = 20, 20
    d.rounded_rectangle(
        (bx, by, bx + right - left + 2 * pad, by + bottom - top + 2 * pad),
        radius=8,
        fill=(255, 255, 255),
        outline=(190, 190, 190),
    )
    d.text((bx + pad - left, by + pad - top), caption, font=cf, fill=text_dark)

    save_png(img, path, colors=128)


def main() -> None:
    settings = json.loads((CONTENT / "settings.json").read_text(encoding="utf-8-sig"))
    topics = json.loads((CONTENT / "topics.json").read_text(encoding="utf-8-sig"))["topics"]
    primary = hex_rgb(settings["theme"]["primary"])
    IMAGES.mkdir(parents=True, exist_ok=True)
    for topic in topics:
        if topic["id"] not in ICONS:
            raise SystemExit(f"no icon drawing for topic {topic['id']!r}")
        target = CONTENT / topic["icon"]
        make_icon(topic["id"], primary, target)
        print(f"{target.relative_to(ROOT)}  {target.stat().st_size} bytes")
    map_path = CONTENT / settings["map"]["image"]
    make_map(settings["map"]["bounds"], primary, map_path)
    print(f"{map_path.relative_to(ROOT)}  {map_path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
