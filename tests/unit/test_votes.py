"""Feedback that re-ranks: votes on a similar question move its passages, bounded, fading, and only once several
distinct people agree; unrelated questions are untouched."""

from __future__ import annotations

import time

import numpy as np
import pytest

from genius_loci.core.assistant import Assistant
from genius_loci.core.types import Hit, IncomingMessage, Passage
from genius_loci.core.votes import HALF_LIFE_DAYS, Vote, VoteBoard


def hits(*scores: float) -> list[Hit]:
    return [Hit(Passage(f"d{i}#0", f"d{i}", f"T{i}", "text", "https://x.example", "fr"), s)
            for i, s in enumerate(scores)]


Q = np.array([1.0, 0.0, 0.0])
NEAR = np.array([0.95, 0.31, 0.0])  # cosine 0.95 with Q
FAR = np.array([0.0, 1.0, 0.0])


class Clock:
    now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def order(board: VoteBoard, vector: np.ndarray, found: list[Hit]) -> list[str]:
    return [h.passage.id for h in board.adjust(vector, found)]


def test_one_person_alone_never_moves_the_ranking_five_do() -> None:
    board, found = VoteBoard(clock=Clock()), hits(3.0, 2.9, 1.0, 0.5)
    for n in range(5):  # one person voting on five answers
        board.add(Vote(f"t{n}", "web:alice", 1, ("d1#0",), Clock.now), NEAR)
    assert order(board, Q, found) == ["d0#0", "d1#0", "d2#0", "d3#0"]
    for user in ("bob", "carla", "dan", "eve"):
        board.add(Vote(f"t-{user}", f"web:{user}", 1, ("d1#0",), Clock.now), NEAR)
    assert order(board, Q, found)[0] == "d1#0"
    assert order(board, FAR, found) == ["d0#0", "d1#0", "d2#0", "d3#0"]  # an unrelated question: untouched


def test_the_boost_is_bounded_fades_and_a_later_vote_replaces_an_earlier_one() -> None:
    clock = Clock()
    board, found = VoteBoard(clock=clock), hits(3.0, 2.0, 0.0, -1.0)
    for user in ("a", "b", "c"):
        board.add(Vote(f"t-{user}", user, 1, ("d3#0",), clock.now), NEAR)
    spread = float(np.std([h.score for h in found]))
    moved = {h.passage.id: h.score for h in board.adjust(Q, found)}
    assert moved["d3#0"] == pytest.approx(-1.0 + 0.5 * spread)  # at most half a spread: the weakest stays last
    assert order(board, Q, found)[-1] == "d3#0"
    clock.now += HALF_LIFE_DAYS * 86_400
    assert {h.passage.id: h.score for h in board.adjust(Q, found)}["d3#0"] == pytest.approx(-1.0 + 0.25 * spread)
    for user in ("a", "b", "c"):  # they changed their minds
        board.add(Vote(f"t-{user}", user, -1, ("d3#0",), clock.now), NEAR)
    assert len(board) == 3
    assert {h.passage.id: h.score for h in board.adjust(Q, found)}["d3#0"] == pytest.approx(-1.0 - 0.5 * spread)
    assert board.forget("b") == 1 and board.forget("nobody") == 0  # erasure on request
    assert {h.passage.id: h.score for h in board.adjust(Q, found)}["d3#0"] == pytest.approx(-1.0 - 0.5 * spread)
    assert board.forget("a") == 1  # one person left: nothing moves any more
    assert order(board, Q, found) == ["d0#0", "d1#0", "d2#0", "d3#0"]


async def test_votes_reach_the_ranking_through_the_assistant(assistant: Assistant) -> None:
    board = VoteBoard()
    assistant.retriever.votes = board
    question = IncomingMessage("web", "web:u", "Où est le port de pêche de Cassis ?")
    answer = await assistant.handle(question)
    cited = tuple(c.passage_id for c in answer.citations)
    before = {h.passage.id: h.score for h in await assistant.search(assistant.understand(question))}
    votes = [(Vote(f"t{user}", user, -1, cited, time.time()), question.text) for user in ("u1", "u2")]
    assert await assistant.learn_votes(votes) == 2
    after = {h.passage.id: h.score for h in await assistant.search(assistant.understand(question))}
    assert len(board) == 2 and after[cited[0]] < before[cited[0]]  # demoted, within its bound: still first here
    assert all(after[p] == before[p] for p in before if p not in cited)
