"""Feedback that re-ranks, the second part of the learning loop: a 👍 or 👎 on an answer is a signal about the
passages it cited, for that question. Questions similar to a voted one get those passages promoted or demoted —
bounded, fading with time, only among the candidates their own evidence found, and only once several distinct
people agree (one person alone never moves the ranking)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .types import Hit

SIMILAR = 0.9  # cosine between a question and a voted one for the vote to count
MIN_USERS = 2  # distinct people who voted on a passage for similar questions before it moves
MAX_BOOST = 0.5  # the most a passage moves, in standard deviations of the candidates' scores
HALF_LIFE_DAYS = 90.0  # a vote's weight halves in this time


@dataclass(frozen=True, slots=True)
class Vote:
    turn_id: str
    user_key: str
    value: int  # +1 or -1
    passages: tuple[str, ...]  # the passage ids the voted answer cited
    at: float


class VoteBoard:
    """The votes this process knows, with their questions' unit vectors, searched by cosine."""

    def __init__(self, *, similar: float = SIMILAR, min_users: int = MIN_USERS, max_boost: float = MAX_BOOST,
                 half_life_days: float = HALF_LIFE_DAYS, clock: Callable[[], float] = time.time) -> None:
        self.similar = similar
        self.min_users = min_users
        self.max_boost = max_boost
        self._half_life = half_life_days * 86_400.0
        self._clock = clock
        self._votes: dict[tuple[str, str], tuple[Vote, np.ndarray]] = {}  # (turn, user) -> latest vote
        self._matrix: np.ndarray | None = None
        self._order: list[Vote] = []

    def __len__(self) -> int:
        return len(self._votes)

    def add(self, vote: Vote, vector: Sequence[float] | np.ndarray) -> None:
        """Keeps a person's latest vote on a turn (a 👍 after a 👎 replaces it)."""
        unit = np.asarray(vector, dtype=np.float32)
        norm = float(np.linalg.norm(unit)) or 1.0
        self._votes[(vote.turn_id, vote.user_key)] = (vote, unit / norm)
        self._matrix = None

    def forget(self, user_key: str) -> int:
        """Drops a person's votes (erasure on request); returns how many."""
        gone = [key for key in self._votes if key[1] == user_key]
        for key in gone:
            del self._votes[key]
        if gone:
            self._matrix = None
        return len(gone)

    def adjust(self, vector: Sequence[float] | np.ndarray, hits: list[Hit]) -> list[Hit]:
        """``hits`` reordered by the votes on similar questions (unchanged when none applies)."""
        if not self._votes or len(hits) < 2:
            return hits
        if self._matrix is None:
            self._order = [v for v, _ in self._votes.values()]
            self._matrix = np.stack([u for _, u in self._votes.values()])
        query = np.asarray(vector, dtype=np.float32)
        query = query / (float(np.linalg.norm(query)) or 1.0)
        near = np.flatnonzero(self._matrix @ query >= self.similar)
        if near.size == 0:
            return hits
        now = self._clock()
        per_passage: dict[str, dict[str, tuple[float, float]]] = {}  # passage -> user -> (latest at, weight)
        for i in near:
            vote = self._order[int(i)]
            weight = vote.value * math.pow(0.5, max(0.0, now - vote.at) / self._half_life)
            for pid in vote.passages:
                users = per_passage.setdefault(pid, {})
                if vote.user_key not in users or users[vote.user_key][0] < vote.at:
                    users[vote.user_key] = (vote.at, weight)
        scores = [h.score for h in hits]
        spread = float(np.std(scores)) or 1.0
        moved = False
        adjusted = []
        for hit in hits:
            users = per_passage.get(hit.passage.id, {})
            if len(users) >= self.min_users:
                net = sum(w for _, w in users.values()) / len(users)  # from -1 (all 👎) to +1 (all 👍)
                hit = replace(hit, score=hit.score + self.max_boost * spread * net)
                moved = True
            adjusted.append(hit)
        if not moved:
            return hits
        return sorted(adjusted, key=lambda h: -h.score)
