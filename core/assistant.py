"""The channel-agnostic assistant: one message in, one grounded, cited, routed answer out."""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass

from .answering.citations import resolve_citations
from .geo import BoundingBox, Gazetteer
from .language import choose_language
from .ports import Answerer, LanguageDetector
from .retrieval.confidence import ConfidenceModel
from .retrieval.hybrid import HybridRetriever
from .routing import Router
from .text import has_words
from .types import Answer, IncomingMessage, Query
from .understanding import understand
from .voice import Voice


@dataclass(frozen=True, slots=True)
class AnswerPolicy:
    """Limits and thresholds of answering (from settings)."""

    min_confidence: float = 0.35
    max_question_chars: int = 2000
    search_k: int = 8
    answer_passages: int = 3


class Assistant:
    """Answers one message: checks it, understands it, retrieves, composes, cites and routes."""

    def __init__(self, *, retriever: HybridRetriever, answerer: Answerer, detector: LanguageDetector,
                 router: Router, gazetteer: Gazetteer, bbox: BoundingBox, voice: Voice,
                 policy: AnswerPolicy = AnswerPolicy(), confidence: ConfidenceModel = ConfidenceModel()
                 ) -> None:
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

    async def handle(self, message: IncomingMessage) -> Answer:
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

        choice = choose_language(text, self._detector, voice.languages, voice.default_language,
                                 message.language_hint)
        if not choice.supported:
            return self._reject(voice.unsupported_language, choice.language, started)
        query = understand(message, choice.language, self._gazetteer, self._bbox)
        timings["understand"] = _ms(started)

        t = time.perf_counter()
        hits = await self._retriever.hybrid(query, self._policy.search_k)
        confidence = self._confidence(hits)
        timings["retrieve"] = _ms(t)

        if confidence < self._policy.min_confidence:
            return self._abstain(query, confidence, timings, started)

        t = time.perf_counter()
        given = hits[: self._policy.answer_passages]
        draft = await self._answerer.compose(query, given)
        body, citations, cited = resolve_citations(draft.text, given)
        timings["compose"] = _ms(t)
        if not citations:
            return self._abstain(query, confidence, timings, started)
        redirect = self._router.for_answer(query, cited)
        timings["total"] = _ms(started)
        return Answer(body, query.language, confidence, "answered", citations, redirect, draft.answerer,
                      timings, query.audience)

    def _abstain(self, query: Query, confidence: float, timings: dict[str, float], started: float) -> Answer:
        redirect = self._router.for_question(query)
        text = self._voice.say("dont_know", query.language, partner=redirect.name, url=redirect.url)
        timings["total"] = _ms(started)
        return Answer(text, query.language, confidence, "abstained", (), redirect, "none", timings, query.audience)

    @staticmethod
    def _reject(text: str, language: str, started: float) -> Answer:
        return Answer(text, language, 0.0, "rejected", (), None, "none", {"total": _ms(started)})


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000.0
