"""Conversations: memory between messages, follow-up rewriting, idempotent turns, erasure on request."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from .assistant import Assistant
from .metrics import Metrics
from .ports import Store
from .text import words
from .types import Answer, IncomingMessage, Turn
from .voice import Voice

FORGET_COMMANDS = frozenset({"/forget", "/oublier", "/olvidar", "/dimentica", "/vergessen"})

# Openings of a message that continues the previous question ("and in winter?", "et le dimanche ?").
FOLLOW_UP_OPENINGS = frozenset({
    "and", "also", "what about", "how about", "et", "et pour", "et en", "aussi", "y", "y en", "e", "e in",
    "und", "und im", "und in", "what if", "same", "pareil",
})
FOLLOW_UP_MAX_WORDS = 6


@dataclass(frozen=True, slots=True)
class MemoryPolicy:
    turns: int = 4
    location_ttl_seconds: float = 3600.0


def rewrite_follow_up(text: str, previous_question: str | None) -> str:
    """Joins a short continuation to the previous question so retrieval sees the whole need:
    "and in winter?" after "Cassis beaches" becomes "Cassis beaches and in winter?"."""
    if not previous_question:
        return text
    tokens = words(text)
    if not tokens or len(tokens) > FOLLOW_UP_MAX_WORDS:
        return text
    opening = " ".join(tokens[:2])
    if tokens[0] in FOLLOW_UP_OPENINGS or opening in FOLLOW_UP_OPENINGS:
        return f"{previous_question.rstrip(' ?!.')} — {text}"
    return text


Eraser = Callable[[str], Awaitable[int]]


class Conversation:
    """Wraps the assistant with what a person said before and what the assistant knows of them."""

    def __init__(self, assistant: Assistant, store: Store, voice: Voice, erase: Eraser,
                 policy: MemoryPolicy = MemoryPolicy(), clock: Callable[[], float] = time.time,
                 metrics: Metrics | None = None) -> None:
        self._assistant = assistant
        self._metrics = metrics or Metrics()
        self._store = store
        self._voice = voice
        self._erase = erase
        self._policy = policy
        self._clock = clock

    async def handle(self, message: IncomingMessage, turn_id: str) -> Answer:
        """Answers ``message`` once: a turn already stored under ``turn_id`` is returned as it was."""
        done = await self._store.turn(turn_id)
        if done is not None:
            return done.answer
        started = self._clock()
        user = message.user_id
        if message.text.strip().lower() in FORGET_COMMANDS:
            profile = await self._store.load_profile(user, message.channel)
            await self._erase(user)
            language = message.language_hint or profile.language or self._voice.default_language
            return Answer(self._voice.say("forgotten", language), language, 1.0, "rejected", answerer="none")

        profile = await self._store.load_profile(user, message.channel)
        now = self._clock()
        location = message.location
        if location is None and profile.location is not None and profile.location_at is not None \
                and now - profile.location_at <= self._policy.location_ttl_seconds:
            location = profile.location
        recent = await self._store.recent_turns(user, self._policy.turns)
        previous = next((t.question for t in recent if t.answer.status not in ("rejected", "declined")), None)
        enriched = replace(
            message,
            text=rewrite_follow_up(message.text, previous),
            location=location,
            language_hint=message.language_hint or profile.language,
            audience=message.audience or profile.audience,
        )
        answer = await self._assistant.handle(enriched)

        if answer.status != "rejected":
            await self._store.save_profile(replace(
                profile,
                language=answer.language,
                audience=answer.audience or profile.audience,
                location=message.location or profile.location,
                location_at=now if message.location else profile.location_at,
            ))
        latency = (self._clock() - started) * 1000.0
        await self._store.record_turn(Turn(turn_id, user, message.channel, message.text, answer, latency, now))
        self._metrics.count("loci_answers_total", channel=message.channel, status=answer.status,
                            answerer=answer.answerer)
        self._metrics.observe("loci_answer_seconds", latency / 1000.0, channel=message.channel)
        return answer
