"""What the territory's visitors ask, in figures for the agency's dashboard: counts per day by channel, audience
and language; the communes questions are about or asked from; the needs asked most; answer confidence and votes
over time; redirects offered and followed per partner. Pure functions of the facts the state store keeps — no
person appears in them."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .geo import Gazetteer
from .types import GeoPoint

DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class TurnFact:
    """One question answered (or abstained on), as the dashboard counts it."""

    at: float
    channel: str
    language: str
    audience: str | None
    status: str  # answered | abstained
    confidence: float
    question: str
    partner: str | None  # the partner the answer sent the person to


@dataclass(frozen=True, slots=True)
class VoteFact:
    at: float
    value: int  # +1 | -1


@dataclass(frozen=True, slots=True)
class Series:
    """Counts per day (``days`` as ISO dates, oldest first), one list per value of what is counted."""

    days: list[str]
    values: dict[str, list[float | None]]  # None: nothing to measure that day (a gap in a line)


def day_of(at: float) -> str:
    return dt.datetime.fromtimestamp(at, dt.UTC).date().isoformat()


def days_between(since: float, until: float) -> list[str]:
    first = dt.datetime.fromtimestamp(since, dt.UTC).date()
    last = dt.datetime.fromtimestamp(until, dt.UTC).date()
    return [(first + dt.timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def per_day(facts: Iterable[TurnFact], key: Callable[[TurnFact], str | None], days: Sequence[str]) -> Series:
    """How many questions each day, by ``key`` (a channel, an audience…; None counts as "unknown")."""
    index = {d: i for i, d in enumerate(days)}
    counts: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(days))
    for fact in facts:
        at = index.get(day_of(fact.at))
        if at is not None:
            counts[key(fact) or "unknown"][at] += 1
    ordered = sorted(counts.items(), key=lambda kv: -sum(kv[1]))
    return Series(list(days), {k: list[float | None](v) for k, v in ordered})


@dataclass(frozen=True, slots=True)
class CommuneCount:
    name: str
    code: str
    lat: float
    lon: float
    about: int  # questions naming it
    asked_from: int  # people who shared a location nearest to it


def communes(facts: Iterable[TurnFact], gazetteer: Gazetteer, locations: Iterable[GeoPoint]) -> list[CommuneCount]:
    """Per commune of the gazetteer: the questions about it and the shared locations nearest to it, most first
    (every commune listed, so that the map shows the whole territory)."""
    about: Counter[str] = Counter()
    for fact in facts:
        place = gazetteer.find(fact.question)
        if place is not None:
            about[place.name] += 1
    origin: Counter[str] = Counter()
    for point in locations:
        place = gazetteer.nearest(point)
        if place is not None:
            origin[place.name] += 1
    rows = [CommuneCount(p.name, p.code, p.geo.lat, p.geo.lon, about[p.name], origin[p.name])
            for p in gazetteer.places()]
    return sorted(rows, key=lambda c: (-(c.about + c.asked_from), c.name))


def topics(facts: Iterable[TurnFact], needs_of: Callable[[str], Sequence[str]], top: int = 15) -> list[tuple[str, int]]:
    """The needs asked most (core.intents), and how many questions named none ("other")."""
    counts: Counter[str] = Counter()
    for fact in facts:
        needs = needs_of(fact.question)
        counts.update(needs or ["other"])
    return counts.most_common(top)


def quality(facts: Iterable[TurnFact], votes: Iterable[VoteFact], days: Sequence[str]) -> Series:
    """Per day: mean confidence and share answered (not abstained) — None on a day without questions —, 👍 and
    👎."""
    index = {d: i for i, d in enumerate(days)}
    n = len(days)
    total, answered, confidence = [0.0] * n, [0.0] * n, [0.0] * n
    up, down = [0.0] * n, [0.0] * n
    for fact in facts:
        at = index.get(day_of(fact.at))
        if at is not None:
            total[at] += 1
            confidence[at] += fact.confidence
            answered[at] += fact.status == "answered"
    for vote in votes:
        at = index.get(day_of(vote.at))
        if at is not None:
            (up if vote.value > 0 else down)[at] += 1
    return Series(list(days), {
        "mean confidence": [round(c / t, 3) if t else None for c, t in zip(confidence, total, strict=True)],
        "answered share": [round(a / t, 3) if t else None for a, t in zip(answered, total, strict=True)],
        "votes 👍": list(up), "votes 👎": list(down)})


def redirects(facts: Iterable[TurnFact], followed: dict[str, int]) -> list[tuple[str, int, int]]:
    """Per partner: (partner, answers that offered its link, links followed), most offered first."""
    offered = Counter(f.partner for f in facts if f.partner)
    partners = set(offered) | set(followed)
    return sorted(((p, offered[p], followed.get(p, 0)) for p in partners), key=lambda r: (-r[1], r[0]))
