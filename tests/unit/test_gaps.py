"""Content gaps with a bag-of-words embedder at the edge: badly answered turns are filed, similar ones joined,
others opened; a gap closes once questions like it are answered well; 👎 files a turn; nothing twice."""

from __future__ import annotations

from genius_loci.config.loader import load_territory
from genius_loci.connectors.store.sql import SqlStore
from genius_loci.core.assistant import Assistant
from genius_loci.core.conversation import Conversation
from genius_loci.core.gaps import GapFinder, report
from genius_loci.core.types import Answer, IncomingMessage, Redirect, Turn
from tests.fakes import HashEmbedder
from tests.unit.conftest import CONFIG


class Clock:
    now = 10_000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def turn(n: int, question: str, status: str = "abstained", confidence: float = 0.1, *, channel: str = "web",
         language: str = "fr", partner: str = "crous") -> Turn:
    answer = Answer("…", language, confidence, status, (), Redirect(partner, partner, "https://x.example"), "none",
                    audience="student")
    return Turn(f"{channel}:{n}", f"{channel}:u{n}", channel, question, answer, 10.0, 0.0)


async def test_bad_answers_are_grouped_and_good_ones_close_the_gap(store: SqlStore) -> None:
    finder = GapFinder(store, HashEmbedder(), join=0.6, close_after=2, clock=Clock())
    first = await finder.observe(turn(1, "logement étudiant loyer Aix prix"), "Aix-en-Provence")
    same = await finder.observe(turn(2, "logement étudiant loyer Aix combien", channel="telegram", language="en"))
    other = await finder.observe(turn(3, "horaires ferry Frioul dimanche", partner="port"))
    assert first is not None and same == first and other not in (None, first)
    assert await finder.observe(turn(4, "logement étudiant loyer Aix prix", "answered", 0.95)) is None
    assert await finder.observe(turn(5, "Where is the Mucem?", "answered", 0.95)) is None  # far from every gap
    gaps = {g.id: (g, qs) for g, qs in await store.list_gaps()}
    assert gaps[first][0].status == "open" and gaps[first][0].answered_well == 1
    await finder.observe(turn(6, "logement étudiant loyer Aix prix", "answered", 0.9))
    gap, questions = next((g, qs) for g, qs in await store.list_gaps() if g.id == first)
    assert gap.status == "closed"
    shown = report(gap, questions)
    assert shown["count"] == 2 and shown["partner"] == "crous" and shown["channels"] == ["telegram", "web"]
    assert shown["languages"] == ["en", "fr"] and shown["communes"] == ["Aix-en-Provence"]
    assert shown["examples"][0] == "logement étudiant loyer Aix combien"  # the newest first
    assert set(shown) == {"id", "count", "status", "partner", "languages", "audiences", "channels", "communes",
                          "examples", "first_seen", "last_seen"}


async def test_what_is_not_a_gap_and_what_is_filed_once(store: SqlStore) -> None:
    finder = GapFinder(store, HashEmbedder(), join=0.6, clock=Clock())
    outside = turn(1, "Que visiter à Lyon ?", confidence=1.0)  # "Lyon is not in the territory": not our sources
    assert await finder.observe(outside) is None
    assert await finder.observe(turn(2, "Où est le Mucem ?", "answered", 0.6)) is None  # neither bad nor good
    low = turn(3, "prix parking Vélodrome soir de match", "answered", 0.3)
    gap = await finder.observe(low)
    assert gap is not None and await finder.observe(low) is None  # a retried worker files nothing twice
    voted = turn(4, "prix parking Vélodrome soir de match", "answered", 0.9)
    assert await finder.observe(voted, reason="thumbs_down") == gap  # a 👎 on a confident answer is a gap too
    assert [(g.count, [q.reason for q in qs]) for g, qs in await store.list_gaps()] == [
        (2, ["low_confidence", "thumbs_down"])]



async def test_the_conversation_files_gaps_and_a_failure_there_never_costs_the_answer(
        assistant: Assistant, store: SqlStore) -> None:
    voice = load_territory(CONFIG / "territory.yaml").voice
    conv = Conversation(assistant, store, voice, store.forget, gaps=GapFinder(store, HashEmbedder(), join=0.6))
    unknown = await conv.handle(IncomingMessage("web", "web:u1", "Combien coûte le billet de ferry ?"), "web:1")
    assert unknown.status == "abstained"
    known = await conv.handle(IncomingMessage("web", "web:u2", "Où est le port de pêche de Cassis ?"), "web:2")
    assert known.status == "answered"
    await conv.handle(IncomingMessage("web", "web:u2", "👎"), "web:3")
    filed = {q.question: q.reason for _, qs in await store.list_gaps() for q in qs}
    assert filed == {"Combien coûte le billet de ferry ?": "abstained",
                     "Où est le port de pêche de Cassis ?": "thumbs_down"}

    class Broken:
        async def embed(self, texts: object, *, role: str) -> object:
            raise RuntimeError("model gone")

    fragile = Conversation(assistant, store, voice, store.forget, gaps=GapFinder(store, Broken()))  # type: ignore[arg-type]
    still = await fragile.handle(IncomingMessage("web", "web:u3", "Combien coûte le billet de bus ?"), "web:4")
    assert still.status == "abstained" and await store.turn("web:4") is not None


async def test_only_questions_asking_for_the_same_needs_join(store: SqlStore) -> None:
    needs = {"louer kayak Cassis plage": ("rent",), "baigner Cassis plage kayak": ("swim",),
             "louer kayak Cassis plage demain": ("rent",)}
    finder = GapFinder(store, HashEmbedder(), join=0.6, clock=Clock(), needs_of=lambda q: needs.get(q, ()))
    rent = await finder.observe(turn(1, "louer kayak Cassis plage"))
    swim = await finder.observe(turn(2, "baigner Cassis plage kayak"))  # close in words, another need
    again = await finder.observe(turn(3, "louer kayak Cassis plage demain"))
    assert rent is not None and swim not in (None, rent) and again == rent
    assert {g.id: g.needs for g, _ in await store.list_gaps()} == {rent: ("rent",), swim: ("swim",)}
