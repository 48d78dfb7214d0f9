"""The channel-agnostic assistant: one message in, one grounded, cited, routed answer out."""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from .answering.citations import resolve_citations
from .dialogue import notice
from .followup import FollowUps
from .geo import BoundingBox, Gazetteer
from .guardrails import declined
from .intents import Intents
from .language import LanguageChoice, choose_language
from .ports import Answerer, Calibrator, LanguageDetector
from .retrieval.confidence import ConfidenceModel
from .retrieval.hybrid import HybridRetriever
from .routing import Router
from .text import has_words
from .types import Answer, Citation, GeoPoint, Hit, IncomingMessage, Query
from .understanding import about_here, understand
from .voice import Voice
from .votes import Vote


@dataclass(frozen=True, slots=True)
class AnswerPolicy:
    """Limits and thresholds of answering (from settings)."""

    min_confidence: float = 0.25
    max_question_chars: int = 2000
    search_k: int = 8
    answer_passages: int = 3


class Assistant:
    """Answers one message: checks it, understands it, retrieves, composes, cites and routes."""

    def __init__(self, *, retriever: HybridRetriever, answerer: Answerer, detector: LanguageDetector,
                 router: Router, gazetteer: Gazetteer, bbox: BoundingBox, voice: Voice,
                 policy: AnswerPolicy = AnswerPolicy(), confidence: Calibrator = ConfidenceModel(),
                 intents: Intents | None = None) -> None:
        self._intents = intents
        self._retriever = retriever
        self._answerer = answerer
        self._detector = detector
        self._router = router
        self._gazetteer = gazetteer
        self._bbox = bbox
        self._voice = voice
        self._policy = policy
        self._confidence = confidence

    @property
    def languages(self) -> Collection[str]:
        return self._voice.languages

    @property
    def retriever(self) -> HybridRetriever:
        return self._retriever

    @property
    def policy(self) -> AnswerPolicy:
        return self._policy

    async def learn_votes(self, votes: Sequence[tuple[Vote, str]]) -> int:
        """Takes 👍 / 👎 on answers (each with the voted question) into the ranking of similar questions
        (core.votes), the questions embedded in one batch; returns how many count (none when votes do not re-rank
        here, or an answer cited nothing)."""
        board = self._retriever.votes
        kept = [(vote, question) for vote, question in votes if vote.passages]
        if board is None or not kept:
            return 0
        questions = list(dict.fromkeys(question for _, question in kept))
        vectors = dict(zip(questions, await self._retriever.embed_questions(questions), strict=True))
        for vote, question in kept:
            board.add(vote, vectors[question])
        return len(kept)

    def forget_votes(self, user_key: str) -> int:
        """A person's votes no longer count (they asked to be forgotten)."""
        board = self._retriever.votes
        return board.forget(user_key) if board is not None else 0

    def needs_of(self, text: str) -> tuple[str, ...]:
        """What ``text`` asks for (core.intents), in any of the answer languages."""
        return self._intents.of(text) if self._intents is not None else ()

    def follow_ups(self) -> FollowUps:
        """Reads follow-ups with this assistant's places and needs."""
        return FollowUps(self._gazetteer, self._intents)

    def language_of(self, text: str, hint: str | None = None) -> str:
        """The language to reply to ``text`` in: its own when clear, else ``hint``."""
        return self._choose_language(text, hint).language

    def _choose_language(self, text: str, hint: str | None) -> LanguageChoice:
        """``core.language.choose_language`` told the territory's place names the text uses ("Cassis ?" alone
        says nothing of the language it is asked in)."""
        return choose_language(text, self._detector, self._voice.languages, self._voice.default_language, hint,
                               names=[name for name, _ in self._gazetteer.named(text)])

    async def handle(self, message: IncomingMessage, *, completed: str | None = None) -> Answer:
        """Answers ``message``; ``completed`` is the question it stands for in its conversation ("Où se baigner à
        Cassis ?" for "Et à Cassis ?"): what is searched and answered, while the reply's language, the checks and
        the refusals read the message itself."""
        started = time.perf_counter()
        timings: dict[str, float] = {}
        voice = self._voice
        text = message.text.strip()
        fallback = message.language_hint if message.language_hint in voice.languages else voice.default_language

        if not text:
            return self._reject(voice.say("empty", fallback), fallback, started)
        if len(text) > self._policy.max_question_chars:
            return self._reject(voice.say("too_long", fallback, length=len(text),
                                          limit=self._policy.max_question_chars), fallback, started)
        if not has_words(text):
            return self._reject(voice.say("no_words", fallback), fallback, started)

        choice = self._choose_language(text, message.language_hint)
        if not choice.supported:
            return self._reject(voice.unsupported_language, choice.language, started)
        reason = declined(text)
        if reason is not None:  # abuse, medical or legal advice, an unrelated task: the agency's polite word
            return Answer(voice.say(reason, choice.language), choice.language, 1.0, "declined", (), None, "none",
                          {"total": _ms(started)}, message.audience)
        query = self.understand(replace(message, text=completed) if completed else message, choice.language)
        timings["understand"] = _ms(started)
        if query.outside is not None:  # "Que visiter à Lyon ?": say it is not here, do not answer about here
            return self._outside(query, timings, started)
        if message.location is None and query.place is None and about_here(text):
            # "a beach near me?" from someone whose place is unknown: ask for it (the channel offers a button)
            return notice(voice.say("need_location", query.language), query.language, offers=("location",),
                          audience=query.audience)

        t = time.perf_counter()
        hits = await self.search(query)
        confidence = await self._confidence(query, hits)
        if hits and "curated" in hits[0].scores:  # a reviewed answer written for questions like this one
            confidence = max(confidence, hits[0].scores["curated"])
        timings["retrieve"] = _ms(t)

        if confidence < self._policy.min_confidence:
            return self._abstain(query, confidence, timings, started, hits)

        t = time.perf_counter()
        given = hits[: self._policy.answer_passages]
        draft = await self._answerer.compose(query, given)
        body, citations, cited = resolve_citations(draft.text, given)
        timings["compose"] = _ms(t)
        if not citations:
            return self._abstain(query, confidence, timings, started)
        body = self._with_distance(body, query, cited)
        redirect = self._router.for_answer(query, cited)
        timings["total"] = _ms(started)
        return Answer(body, query.language, confidence, "answered", citations, redirect, draft.answerer,
                      timings, query.audience)

    def understand(self, message: IncomingMessage, language: str | None = None) -> Query:
        """What the assistant makes of a message: language (detected unless given), audience, place."""
        if language is None:
            language = self._choose_language(message.text, message.language_hint).language
        return understand(message, language, self._gazetteer, self._bbox, self._intents)

    async def search(self, query: Query, k: int | None = None) -> list[Hit]:
        """The passages the assistant would answer from, best first."""
        return await self._retriever.hybrid(query, k or self._policy.search_k)

    async def nearby(self, point: GeoPoint, language: str, audience: str | None = None) -> Answer:
        """What someone who just shared where they are can ask about: the commune, and a few cited places
        nearest to them (a notice, not an answer to a question)."""
        started = time.perf_counter()
        voice = self._voice
        if not self._bbox.contains(point):
            return notice(voice.say("location_outside", language), language, audience=audience)
        place = self._gazetteer.nearest(point)
        name = place.name if place is not None else voice.say("nearby_more", language)
        query = Query(text=voice.say("nearby_query", language), language=language, audience=audience, place=place,
                      geo=point, from_user=True, radius_km=NEARBY_KM)
        hits = await self.search(query, NEARBY_CANDIDATES)
        located: dict[str, Hit] = {}
        for hit in sorted((h for h in hits if h.passage.geo is not None),
                          key=lambda h: point.distance_km(h.passage.geo)):  # type: ignore[arg-type]
            located.setdefault(hit.passage.title, hit)
        chosen = list(located.values())[:NEARBY_PLACES]
        if not chosen:
            return notice(voice.say("nearby_none", language, place=name), language, offers=(), audience=audience)
        lines = [voice.say("nearby", language, place=name)]
        for n, hit in enumerate(chosen, 1):
            km = _km(point.distance_km(hit.passage.geo), language)  # type: ignore[arg-type]
            lines.append(f"• {hit.passage.title} — {km} km [{n}]")
        lines.append(voice.say("nearby_more", language))
        citations = tuple(Citation(n, h.passage.title, h.passage.url, h.passage.id) for n, h in enumerate(chosen, 1))
        return Answer("\n".join(lines), language, 1.0, "notice", citations, None, "none",
                      {"total": _ms(started)}, audience)

    def _with_distance(self, body: str, query: Query, cited: list[Hit]) -> str:
        """Says how far the first cited place is, when the person shared where they are."""
        geo = cited[0].passage.geo if cited else None
        if not query.from_user or query.geo is None or geo is None:
            return body
        km = _km(query.geo.distance_km(geo), query.language)
        return f"{body}\n{self._voice.say('distance', query.language, km=km)}"

    def _outside(self, query: Query, timings: dict[str, float], started: float) -> Answer:
        assert query.outside is not None
        redirect = self._router.for_question(query)
        text = self._voice.say("outside", query.language, place=query.outside.name, partner=redirect.name,
                               url=redirect.url)
        timings["total"] = _ms(started)
        return Answer(text, query.language, 1.0, "abstained", (), redirect, "none", timings, query.audience)

    def _abstain(self, query: Query, confidence: float, timings: dict[str, float], started: float,
                 hits: Sequence[Hit] = ()) -> Answer:
        """An honest "my sources don't say", the partner to ask, and — when something close was found — what
        the assistant can tell about instead."""
        redirect = self._router.for_question(query)
        text = self._voice.say("dont_know", query.language, partner=redirect.name, url=redirect.url)
        close = close_topics(hits, query.language)
        if close and confidence >= CLOSE_ENOUGH:
            text = f"{text}\n{self._voice.say('close_topic', query.language, topic=' ; '.join(close))}"
        timings["total"] = _ms(started)
        return Answer(text, query.language, confidence, "abstained", (), redirect, "none", timings, query.audience)

    @staticmethod
    def _reject(text: str, language: str, started: float) -> Answer:
        return Answer(text, language, 0.0, "rejected", (), None, "none", {"total": _ms(started)})


CLOSE_ENOUGH = 0.02  # below this the best hit is unrelated: nothing "close" is offered
CLOSE_TOPICS = 2
NEARBY_KM = 3.0
NEARBY_CANDIDATES = 20
NEARBY_PLACES = 3


def close_topics(hits: Sequence[Hit], language: str) -> list[str]:
    """The titles of the closest pages, in one language: the person's when a close page is in it, else the
    first page's ("Cassis, fishing port and vineyards", not that and "Cassis, port de pêche et vignoble")."""
    near = [h.passage for h in hits[:CLOSE_TOPICS * 2] if h.passage.title]
    if not near:
        return []
    shown = language if any(p.language == language for p in near) else near[0].language
    return list(dict.fromkeys(p.title for p in near if p.language == shown))[:CLOSE_TOPICS]


def _km(km: float, language: str) -> str:
    text = f"{km:.1f}"
    return text if language == "en" else text.replace(".", ",")


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000.0
