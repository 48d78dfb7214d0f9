"""Content gaps, the first part of the learning loop: questions the assistant answered badly — it abstained, its
confidence was low, or the person voted 👎 — grouped by meaning across languages, so the agency and its partners
see what people ask that the sources do not hold.

Grouping is incremental: a question joins the open gap whose centroid (the mean of its questions' unit vectors)
is closest, when close enough, or opens one. A gap closes once questions like it start being answered well.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from .ports import Embedder
from .types import Turn

log = logging.getLogger("genius_loci.gaps")

# e5 cosine between one need asked in two languages: 0.905-0.969 on 8 pairs; between different needs: median
# 0.81, highest 0.916 ("Combien coûte un loyer à Aix ?" / "Où louer un vélo à Aix ?"); see docs/learning.md
JOIN = 0.91
LOW_CONFIDENCE = 0.5  # an answer below this is counted as badly answered
WELL_ANSWERED = 0.7  # ... above this, as answered well
CLOSE_AFTER = 3  # answered well this many times since it was last asked badly: the gap closes


@dataclass(frozen=True, slots=True)
class GapQuestion:
    turn_id: str
    user_key: str
    question: str
    language: str
    audience: str | None
    channel: str
    commune: str | None
    reason: str  # abstained | low_confidence | thumbs_down
    created_at: float


@dataclass(frozen=True, slots=True, eq=False)
class Gap:
    id: str
    status: str  # open | closed
    partner: str | None
    centroid: np.ndarray  # unit vector (float32): the normalised mean of its questions' unit vectors
    count: int
    answered_well: int
    first_seen: float
    last_seen: float
    needs: tuple[str, ...] = ()  # what its questions ask for (core.intents): only questions asking the same join


class GapBook(Protocol):
    """Where gaps and their questions are kept (the state store)."""

    async def open_gaps(self) -> list[Gap]: ...

    async def save_gap(self, gap: Gap) -> None: ...

    async def add_gap_question(self, gap_id: str, question: GapQuestion) -> bool:
        """Files a question under a gap once (False when that turn is already filed)."""
        ...

    async def list_gaps(self, *, partner: str | None = None,
                        since: float | None = None) -> list[tuple[Gap, list[GapQuestion]]]: ...


def report(gap: Gap, questions: Sequence[GapQuestion], examples: int = 3) -> dict[str, Any]:
    """The public shape of a gap (``loci gaps --json``): counts and sets, three example questions as asked."""
    def distinct(values: Sequence[str | None]) -> list[str]:
        return sorted({v for v in values if v})

    newest = sorted(questions, key=lambda q: -q.created_at)
    return {"id": gap.id, "count": gap.count, "status": gap.status, "partner": gap.partner,
            "languages": distinct([q.language for q in questions]),
            "audiences": distinct([q.audience for q in questions]),
            "channels": distinct([q.channel for q in questions]),
            "communes": distinct([q.commune for q in questions]),
            "examples": list(dict.fromkeys(q.question for q in newest))[:examples],
            "first_seen": gap.first_seen, "last_seen": gap.last_seen}


class GapFinder:
    """Files badly answered turns into gaps, and closes gaps whose questions are now answered well."""

    def __init__(self, book: GapBook, embedder: Embedder, *, join: float = JOIN, close_after: int = CLOSE_AFTER,
                 clock: Callable[[], float] = time.time,
                 needs_of: Callable[[str], Sequence[str]] = lambda _: ()) -> None:
        self._needs_of = needs_of
        self._book = book
        self._embedder = embedder
        self._join = join
        self._close_after = close_after
        self._clock = clock

    @staticmethod
    def reason_of(turn: Turn) -> str | None:
        """Why a turn counts as badly answered, or None. An "it is not here" reply (a place outside the territory)
        is not a gap of the territory's sources; nor are greetings, commands and refusals."""
        answer = turn.answer
        if answer.status == "abstained" and answer.confidence < 1.0:  # 1.0: "Lyon is not in the territory"
            return "abstained"
        if answer.status == "answered" and answer.confidence < LOW_CONFIDENCE:
            return "low_confidence"
        return None

    async def observe(self, turn: Turn, commune: str | None = None, *, reason: str | None = None) -> str | None:
        """Files ``turn`` when it was answered badly (or ``reason`` says so: a 👎); counts it towards closing
        nearby gaps when it was answered well. Returns the gap it joined or opened."""
        reason = reason or self.reason_of(turn)
        well = reason is None and turn.answer.status == "answered" and turn.answer.confidence >= WELL_ANSWERED
        if reason is None and not well:
            return None
        gaps = await self._book.open_gaps()
        if well and not gaps:
            return None
        vector = _unit((await self._embedder.embed([turn.question], role="query"))[0])
        needs = tuple(sorted(set(self._needs_of(turn.question))))
        # questions about one place share much of their vector ("Où se baigner à Cassis ?" is at 0.933 of "Can I
        # rent a kayak in Cassis?"): only a gap whose questions ask for the same needs is joined
        best, similarity = _nearest(vector, [g for g in gaps if g.needs == needs])
        if well:
            if best is not None and similarity >= self._join:
                await self._answered_well(best)
            return None
        now = self._clock()
        question = GapQuestion(turn.id, turn.user_key, turn.question, turn.answer.language, turn.answer.audience,
                               turn.channel, commune, reason or "abstained", now)
        if best is not None and similarity >= self._join:
            gap = replace(best, centroid=_mean(best.centroid, vector, best.count), count=best.count + 1,
                          answered_well=0, last_seen=now)
        else:
            partner = turn.answer.redirect.partner if turn.answer.redirect is not None else None
            gap = Gap(uuid.uuid4().hex[:12], "open", partner, vector, 1, 0, now, now, needs)
        if not await self._book.add_gap_question(gap.id, question):
            return None  # this turn was filed already (a worker's retry, or a second 👎)
        await self._book.save_gap(gap)
        log.info("gap noted", extra={"event": "gap.noted", "gap": gap.id, "count": gap.count, "reason": reason})
        return gap.id

    async def _answered_well(self, gap: Gap) -> None:
        count = gap.answered_well + 1
        closed = count >= self._close_after
        await self._book.save_gap(replace(gap, answered_well=count, status="closed" if closed else "open"))
        if closed:
            log.info("gap closed", extra={"event": "gap.closed", "gap": gap.id})


def _unit(vector: Any) -> np.ndarray:
    unit = np.asarray(vector, dtype=np.float32)
    return unit / (float(np.linalg.norm(unit)) or 1.0)


def _nearest(vector: np.ndarray, gaps: Sequence[Gap]) -> tuple[Gap | None, float]:
    """The open gap whose centroid is closest to ``vector`` (both unit vectors), and their cosine."""
    if not gaps:
        return None, -1.0
    similarities = np.stack([g.centroid for g in gaps]) @ vector
    best = int(np.argmax(similarities))
    return gaps[best], float(similarities[best])


def _mean(centroid: np.ndarray, vector: np.ndarray, count: int) -> np.ndarray:
    """The running mean of ``count`` unit vectors and one more (normalised again)."""
    return _unit((centroid * count + vector) / (count + 1))
