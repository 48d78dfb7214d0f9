"""Frozen domain types shared by every part of the assistant.

Values are immutable: derive a changed copy with :func:`dataclasses.replace`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

AUDIENCES: tuple[str, ...] = ("tourist", "investor", "resident", "student")
Role = Literal["query", "passage"]
Status = Literal["answered", "abstained", "declined", "rejected", "notice"]
Offer = Literal["audience", "location"]
Method = Literal["bm25", "dense"]
Vector = NDArray[np.float32]

_EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True, slots=True)
class GeoPoint:
    """A WGS84 point."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not (-90.0 <= self.lat <= 90.0 and -180.0 <= self.lon <= 180.0):
            raise ValueError(f"not a valid coordinate: {self.lat}, {self.lon}")

    def distance_km(self, other: GeoPoint) -> float:
        """Great-circle (haversine) distance in kilometres."""
        p1, p2 = math.radians(self.lat), math.radians(other.lat)
        dp, dl = p2 - p1, math.radians(other.lon - self.lon)
        a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * _EARTH_RADIUS_KM * math.asin(math.sqrt(a))


@dataclass(frozen=True, slots=True)
class Place:
    """A named place of the territory resolved from a message."""

    name: str
    geo: GeoPoint
    code: str = ""
    population: int = 0


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One message from any channel, already translated from the platform's payload."""

    channel: str
    user_id: str
    text: str
    message_id: str = ""
    location: GeoPoint | None = None
    language_hint: str | None = None
    audience: str | None = None
    reply_to: str = ""  # the platform address a reply goes to, sealed by the channel: kept until delivery only
    raw: Mapping[str, Any] = field(default_factory=dict)
    feedback: int = 0  # +1 or -1: a vote on an earlier answer (``about``, else the person's last answer)
    about: str = ""  # the turn id a vote refers to
    voter: str = ""  # who pressed a vote button, when not the conversation's own key (a Slack channel thread)
    attachment: str = ""  # what was sent that the assistant does not read: photo, voice, sticker, document…
    quiet: bool = False  # a live location's update: remember the place, reply only when a question waits for it
    media: str = ""  # the channel's sealed reference to fetch the attachment (a voice note) from, in the worker
    media_type: str = ""  # its MIME type, when the platform says ("audio/ogg")
    media_seconds: float | None = None  # its length, when the platform says


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """One entry of the source registry (``sources.yaml``).

    ``location`` is what is fetched (a URL, or a local path for ``file`` sources); ``url`` is the
    public link cited for it. ``mapping`` names the fields of open-data records.
    """

    id: str
    kind: str
    location: str
    url: str
    owner: str | None = None
    audiences: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    geo: GeoPoint | None = None
    refresh_seconds: float = 86400.0
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_pages: int = 1000
    mapping: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Document:
    """A whole document fetched from a source, before chunking. ``text`` may hold Markdown headings.

    ``expires_at`` (unix time) is the end of an event or offer: from then on it is not retrieved.
    """

    id: str
    title: str
    text: str
    url: str
    language: str
    owner: str | None = None
    audiences: tuple[str, ...] = ()
    geo: GeoPoint | None = None
    expires_at: float | None = None


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrievable chunk of a document."""

    id: str
    doc_id: str
    title: str
    text: str
    url: str
    language: str
    owner: str | None = None
    audiences: tuple[str, ...] = ()
    geo: GeoPoint | None = None
    expires_at: float | None = None


@dataclass(frozen=True, slots=True)
class Filters:
    """Hard constraints on a search; empty tuples mean "no constraint".

    ``active_at`` (unix time) excludes passages that expired before it; None means "now".
    """

    audiences: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    active_at: float | None = None
    near: GeoPoint | None = None
    radius_km: float | None = None


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """One retriever's search: ``bm25`` uses ``text`` read as ``language``, ``dense`` uses ``vector``.
    ``asked_in`` is the question's own language when it differs from ``language`` (its stop words go too)."""

    method: Method
    k: int
    text: str = ""
    language: str = "fr"
    asked_in: str | None = None
    vector: Vector | None = None
    filters: Filters = Filters()
    weighted: tuple[tuple[str, float], ...] = ()  # more text whose terms count this much (bm25)


@dataclass(frozen=True, slots=True)
class Hit:
    """A passage with the score it got; ``scores`` keeps each retriever's raw score, ``ranks`` its rank."""

    passage: Passage
    score: float
    scores: Mapping[str, float] = field(default_factory=dict)
    ranks: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Query:
    """What the assistant understood of a message."""

    text: str
    language: str
    audience: str | None = None
    place: Place | None = None
    geo: GeoPoint | None = None
    geo_scale_km: float = 3.0  # how fast the nearness boost fades with distance
    from_user: bool = False  # geo is where the person is (a shared location), not a place they named
    radius_km: float | None = None  # only passages this close to geo ("within 5 km", "near me")
    outside: Place | None = None  # a place outside the territory that the question names
    named: tuple[str, ...] = ()  # the territory's place names as written in the text (accent-folded)
    # ... and the names the territory gives them ("marseille" for "Marsiglia"), as pages write them (accent-folded)
    places: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()  # what it asks for (core.intents: "swim", "rent"…)
    neighbours: str = ""  # the words other languages use for those needs (searched with a smaller weight)


@dataclass(frozen=True, slots=True)
class Draft:
    """What an answerer wrote: text with ``[n]`` markers, n counting from 1 over the hits it was given."""

    text: str
    answerer: str


@dataclass(frozen=True, slots=True)
class Citation:
    n: int
    title: str
    url: str
    passage_id: str


@dataclass(frozen=True, slots=True)
class Partner:
    """A partner organisation people are sent on to (``partners.yaml``)."""

    id: str
    name: str
    url: str
    audiences: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    default_for: tuple[str, ...] = ()
    slack_channel: str | None = None  # where its digest of content gaps is posted


@dataclass(frozen=True, slots=True)
class Redirect:
    partner: str
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class Answer:
    """The assistant's reply to one message, independent of any channel."""

    text: str
    language: str
    confidence: float
    status: Status
    citations: tuple[Citation, ...] = ()
    redirect: Redirect | None = None
    answerer: str = ""
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    audience: str | None = None
    offers: tuple[Offer, ...] = ()  # choices a channel shows as buttons: pick an audience, share a location

    def to_dict(self) -> dict[str, Any]:
        """The public JSON shape (``loci ask --json``)."""
        return {
            "answer": self.text,
            "language": self.language,
            "confidence": round(self.confidence, 3),
            "status": self.status,
            "citations": [{"n": c.n, "title": c.title, "url": c.url} for c in self.citations],
            "redirect": (
                {"partner": self.redirect.name, "id": self.redirect.partner, "url": self.redirect.url}
                if self.redirect
                else None
            ),
            "answerer": self.answerer,
            "audience": self.audience,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }


@dataclass(frozen=True, slots=True)
class Profile:
    """What the assistant remembers of a person between messages (keyed by the pseudonymous id)."""

    user_key: str
    channel: str
    language: str | None = None
    audience: str | None = None
    location: GeoPoint | None = None
    location_at: float | None = None  # unix time the location was shared
    waiting: str | None = None  # a question asked about "near me" before a location was shared
    waiting_at: float | None = None


@dataclass(frozen=True, slots=True)
class Turn:
    """One question and its answer, as stored. ``id`` is the inbox item id, so storing is idempotent."""

    id: str
    user_key: str
    channel: str
    question: str
    answer: Answer
    latency_ms: float
    created_at: float


@dataclass(frozen=True, slots=True)
class QueueItem:
    """An entry of a durable queue (the inbox of messages, the outbox of replies).

    ``id`` is the deduplication key: ``<channel>:<platform message id>`` in the inbox, the answer id
    in the outbox. ``payload`` is JSON text; ``attempts`` counts claims so far.
    """

    id: str
    user_key: str
    payload: str
    attempts: int = 0
    last_error: str = ""
