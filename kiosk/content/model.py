"""The content model: immutable, typed, and free of any UI toolkit."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType

from kiosk.content.hours import OpeningSchedule

BASE_LANGUAGE = "de"


@dataclass(frozen=True, slots=True)
class Text:
    """A visible text in several languages; German is always present."""

    values: Mapping[str, str]

    def get(self, language: str) -> str:
        """The text in `language`, falling back to German, never empty."""
        return self.values.get(language) or self.values[BASE_LANGUAGE]

    def has(self, language: str) -> bool:
        """Whether the text is written in `language` (rather than falling back)."""
        return bool(self.values.get(language))

    @classmethod
    def of(cls, **values: str) -> Text:
        return cls(MappingProxyType(dict(values)))


@dataclass(frozen=True, slots=True)
class Topic:
    """One of the office's service topics."""

    id: str
    title: Text
    summary: Text
    body: Text
    icon: str | None = None
    booking_url: str | None = None


class LocationKind(enum.Enum):
    OFFICE = "office"
    OUTREACH = "outreach"


@dataclass(frozen=True, slots=True)
class Address:
    street: str
    postcode: str
    city: str

    def one_line(self) -> str:
        return f"{self.street}, {self.postcode} {self.city}"


@dataclass(frozen=True, slots=True)
class Coordinates:
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Accessibility:
    """What a visitor in a wheelchair or with a pram needs to know."""

    step_free: bool | None = None
    accessible_toilet: bool | None = None
    notes: Text | None = None


@dataclass(frozen=True, slots=True)
class Location:
    """A site of the office, or its outreach service (which has no address)."""

    id: str
    kind: LocationKind
    name: Text
    topic_ids: tuple[str, ...]
    description: Text | None = None
    address: Address | None = None
    coordinates: Coordinates | None = None
    hours: OpeningSchedule | None = None
    phone: str | None = None
    email: str | None = None
    accessibility: Accessibility | None = None
    booking_url: str | None = None

    @property
    def directions_url(self) -> str | None:
        """A link to a route to this site, for the "way there" QR code."""
        if self.coordinates is None:
            return None
        lat, lon = self.coordinates.lat, self.coordinates.lon
        return f"https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}#map=17/{lat:.5f}/{lon:.5f}"


@dataclass(frozen=True, slots=True)
class Partner:
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class Offer:
    """A partner offer of a local association or initiative."""

    id: str
    partner: Partner
    title: Text
    description: Text
    topic_ids: tuple[str, ...]
    audience: Text | None = None
    cost: Text | None = None
    languages: tuple[str, ...] = ()
    valid_from: date | None = None
    valid_until: date | None = None
    url: str | None = None

    @property
    def link(self) -> str:
        """Where the offer's QR code points: its own page, else the partner's."""
        return self.url or self.partner.url

    def is_valid_on(self, day: date) -> bool:
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.valid_until is None or day <= self.valid_until


@dataclass(frozen=True, slots=True)
class Theme:
    """Colours as #RRGGBB strings."""

    primary: str
    accent: str
    background: str
    text: str


@dataclass(frozen=True, slots=True)
class MapBounds:
    north: float
    south: float
    west: float
    east: float

    def project(self, where: Coordinates) -> tuple[float, float] | None:
        """Position on the map as fractions (0..1 from the left, 0..1 from the bottom).

        Equirectangular is exact enough at city scale. None when outside the map.
        """
        x = (where.lon - self.west) / (self.east - self.west)
        y = (where.lat - self.south) / (self.north - self.south)
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            return None
        return x, y


@dataclass(frozen=True, slots=True)
class MapInfo:
    image: str
    bounds: MapBounds


@dataclass(frozen=True, slots=True)
class SyncTarget:
    """A web server holding signed releases, checked every `interval_minutes`.

    `report_url`, when set, is where the kiosk posts its small anonymous usage report.
    """

    url: str
    interval_minutes: int = 60
    report_url: str | None = None


@dataclass(frozen=True, slots=True)
class DisplaySettings:
    """When the screen is on; outside `on_hours` it goes dark once no visitor is using it."""

    on_hours: OpeningSchedule


@dataclass(frozen=True, slots=True)
class Settings:
    """Kiosk-wide settings that come with the content."""

    kiosk_name: Text
    languages: tuple[str, ...]
    default_language: str
    idle_timeout_seconds: int
    allowed_link_hosts: tuple[str, ...]
    theme: Theme
    sample_content: bool
    map: MapInfo | None = None
    sync: SyncTarget | None = None
    display: DisplaySettings | None = None  # None: the screen is always on


@dataclass(frozen=True)
class Catalog:
    """A complete, validated content folder, with look-ups the screens need."""

    root: Path
    settings: Settings
    topics: tuple[Topic, ...]
    locations: tuple[Location, ...]
    offers: tuple[Offer, ...]
    _topics_by_id: Mapping[str, Topic] = field(init=False, repr=False, compare=False)
    _locations_by_id: Mapping[str, Location] = field(init=False, repr=False, compare=False)
    _offers_by_id: Mapping[str, Offer] = field(init=False, repr=False, compare=False)
    _offers_by_topic: Mapping[str, tuple[Offer, ...]] = field(init=False, repr=False, compare=False)
    _locations_by_topic: Mapping[str, tuple[Location, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        offers_by_topic: dict[str, list[Offer]] = {t.id: [] for t in self.topics}
        for offer in self.offers:
            for topic_id in offer.topic_ids:
                offers_by_topic.setdefault(topic_id, []).append(offer)
        locations_by_topic: dict[str, list[Location]] = {t.id: [] for t in self.topics}
        for location in self.locations:
            for topic_id in location.topic_ids:
                locations_by_topic.setdefault(topic_id, []).append(location)
        derived: dict[str, Mapping[str, object]] = {
            "_topics_by_id": {t.id: t for t in self.topics},
            "_locations_by_id": {loc.id: loc for loc in self.locations},
            "_offers_by_id": {o.id: o for o in self.offers},
            "_offers_by_topic": {k: tuple(v) for k, v in offers_by_topic.items()},
            "_locations_by_topic": {k: tuple(v) for k, v in locations_by_topic.items()},
        }
        for name, value in derived.items():
            object.__setattr__(self, name, MappingProxyType(dict(value)))

    def topic(self, topic_id: str) -> Topic:
        return self._topics_by_id[topic_id]

    def location(self, location_id: str) -> Location:
        return self._locations_by_id[location_id]

    def offer(self, offer_id: str) -> Offer:
        return self._offers_by_id[offer_id]

    def locations_for_topic(self, topic_id: str) -> tuple[Location, ...]:
        """Where a topic is offered."""
        return self._locations_by_topic.get(topic_id, ())

    def topics_at(self, location: Location) -> tuple[Topic, ...]:
        return tuple(self._topics_by_id[t] for t in location.topic_ids)

    def offers_valid_on(self, day: date | None, topic_id: str | None = None) -> tuple[Offer, ...]:
        """Offers valid on `day`, optionally only those related to one topic.

        `day` None: the date is not known (an implausible clock); every offer counts rather
        than none.
        """
        pool = self.offers if topic_id is None else self._offers_by_topic.get(topic_id, ())
        if day is None:
            return tuple(pool)
        return tuple(o for o in pool if o.is_valid_on(day))

    def image_path(self, relative: str) -> Path:
        return self.root / relative
