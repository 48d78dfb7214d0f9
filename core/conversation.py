"""Conversations: memory between messages, follow-ups read in context (core.followup), commands, votes, greetings,
a shared place answering the question that waited for it, idempotent turns, erasure on request."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from .assistant import Assistant
from .curated import Curriculum
from .dialogue import (
    Command,
    audience_label,
    chosen_language,
    command_of,
    is_audience,
    notice,
    small_talk_of,
    vote_of,
    welcome,
)
from .followup import FollowUps, Reading
from .gaps import GapFinder
from .metrics import Metrics
from .ports import Store
from .speech import Listener, SpeechError
from .types import Answer, GeoPoint, IncomingMessage, Profile, Turn
from .voice import Voice
from .votes import Vote


@dataclass(frozen=True, slots=True)
class MemoryPolicy:
    turns: int = 4
    location_ttl_seconds: float = 3600.0
    follow_up_seconds: float = 1800.0  # a message later than this after the previous question starts afresh


log = logging.getLogger("genius_loci.conversation")

Eraser = Callable[[str], Awaitable[int]]


class Conversation:
    """Wraps the assistant with what a person said before and what the assistant knows of them."""

    def __init__(self, assistant: Assistant, store: Store, voice: Voice, erase: Eraser,
                 policy: MemoryPolicy = MemoryPolicy(), clock: Callable[[], float] = time.time,
                 metrics: Metrics | None = None, followups: FollowUps | None = None,
                 listener: Listener | None = None, gaps: GapFinder | None = None,
                 lessons: Curriculum | None = None) -> None:
        self._followups = followups
        self._lessons = lessons
        self._listener = listener
        self._gaps = gaps
        self._assistant = assistant
        self._metrics = metrics or Metrics()
        self._store = store
        self._voice = voice
        self._erase = erase
        self._policy = policy
        self._clock = clock

    async def handle(self, message: IncomingMessage, turn_id: str) -> Answer:
        """Answers ``message`` once: a turn already stored under ``turn_id`` is returned as it was.

        Besides questions: commands (``/start``, ``/help``, ``/lang``, ``/forget`` or STOP), a vote on an answer
        (``feedback``, or a message that is only 👍 / 👎), an audience picked on a button, an attachment the
        assistant cannot read, and a shared location (it answers the question that waited for it, or says what
        is near). An answer with no text (a live location's update with nothing waiting) is sent to nobody.
        """
        done = await self._store.turn(turn_id)
        if done is not None:
            return done.answer
        started = self._clock()
        user = message.user_id
        profile = await self._store.load_profile(user, message.channel)
        language = self._language(message, profile)
        command = command_of(message.text)
        if command is not None and command.name == "forget":
            await self._erase(user)
            self._assistant.forget_votes(user)
            return Answer(self._voice.say("forgotten", language), language, 1.0, "rejected", answerer="none")

        vote = message.feedback or vote_of(message.text)
        if vote:
            answer = await self._vote(message, vote, language)
        elif command is not None:
            answer = await self._command(command, profile, language)
        elif (talk := small_talk_of(message.text)) is not None:
            said = self._assistant.language_of(message.text, language)
            answer = (welcome(self._voice, said) if talk == "hello"
                      else notice(self._voice.say("you_are_welcome", said), said))
        elif message.attachment and self._listener is not None and self._listener.hears(message):
            message, answer = await self._spoken(message, profile, language)
        elif message.attachment:
            answer = notice(self._voice.say("attachment", language), language)
        elif is_audience(message.audience) and not message.text.strip():
            await self._store.save_profile(replace(profile, audience=message.audience))
            label = audience_label(self._voice, str(message.audience), language)
            answer = notice(self._voice.say("audience_set", language, audience=label), language,
                            audience=message.audience)
        elif message.location is not None and not message.text.strip():
            answer = await self._located(message, profile, language)
            if not answer.text:
                return answer  # nothing to say and nothing to keep but the place, saved above
        else:
            answer = await self._ask(message, profile)
        return await self._record(message, turn_id, answer, started)

    def _language(self, message: IncomingMessage, profile: Profile) -> str:
        """The language of a reply that is not an answer: the person's last, else the platform's hint."""
        languages = self._voice.languages
        for candidate in (profile.language, message.language_hint):
            if candidate in languages:
                return str(candidate)
        return self._voice.default_language

    async def _ask(self, message: IncomingMessage, profile: Profile) -> Answer:
        user = message.user_id
        await self._learn_lessons()
        now = self._clock()
        location = self._location(message, profile)
        reading = await self.read(message, located=location is not None)
        log.info("message read", extra={"event": "conversation.read", "user": user, "reason": reading.reason,
                                        "carried": reading.carried})
        enriched = replace(
            message,
            location=location,
            language_hint=message.language_hint or profile.language,
            audience=message.audience or profile.audience,
        )
        answer = await self._assistant.handle(enriched, completed=reading.text if reading.carried else None)
        if answer.status != "rejected":
            waits = "location" in answer.offers  # "near me" with no known place: asked when the place comes
            await self._store.save_profile(replace(
                profile,
                language=answer.language,
                audience=answer.audience or profile.audience,
                location=message.location or profile.location,
                location_at=now if message.location else profile.location_at,
                waiting=message.text if waits else None,
                waiting_at=now if waits else None,
            ))
        return answer

    def _location(self, message: IncomingMessage, profile: Profile) -> GeoPoint | None:
        """Where the person is: the message's location, else the one they shared within ``location_ttl_seconds``."""
        if message.location is not None:
            return message.location
        if profile.location is not None and profile.location_at is not None \
                and self._clock() - profile.location_at <= self._policy.location_ttl_seconds:
            return profile.location
        return None

    async def read(self, message: IncomingMessage, *, located: bool | None = None) -> Reading:
        """How ``message`` is read after the person's recent questions: on its own, or completed from them
        (each recent question read in turn, so "Et à Cassis ?" then "Comment y aller ?" is about Cassis). A gap
        longer than ``follow_up_seconds`` starts afresh. ``located``: where the person is, is known (default:
        read from the message and their profile)."""
        if self._followups is None:
            return Reading(message.text, "new")
        if located is None:
            profile = await self._store.load_profile(message.user_id, message.channel)
            located = self._location(message, profile) is not None
        recent = await self._store.recent_turns(message.user_id, self._policy.turns)
        chain: list[tuple[str, str, str]] = []
        at = self._clock()
        for turn in recent:  # newest first
            if at - turn.created_at > self._policy.follow_up_seconds:
                break
            at = turn.created_at
            answer = turn.answer
            if answer.status == "answered":
                chain.append((turn.question, answer.text, answer.citations[0].title if answer.citations else ""))
            elif answer.status == "abstained":
                chain.append((turn.question, "", ""))
        previous: Reading | None = None
        answered = cited = ""
        for question, text, title in reversed(chain):
            previous = self._followups.read(question, previous, answered=answered, cited=cited)
            answered, cited = text, title
        return self._followups.read(message.text, previous, located=located, answered=answered, cited=cited)

    async def _spoken(self, message: IncomingMessage, profile: Profile,
                      language: str) -> tuple[IncomingMessage, Answer]:
        """A voice note: transcribed, then answered exactly as the typed question, after a quote of what was
        understood (so it can be corrected); or a polite "please type your question". The transcript, not the
        audio, is what is kept."""
        assert self._listener is not None
        try:
            heard = await self._listener.hear(message, language)
        except SpeechError as exc:
            log.info("voice note not transcribed", extra={"event": "voice.refused", "user": message.user_id,
                                                          "reason": exc.reason, "detail": exc.detail})
            seconds = int(self._listener.policy.max_seconds)
            return message, notice(self._voice.say(f"voice_{exc.reason}", language, seconds=seconds), language)
        spoken = replace(message, text=heard.text, attachment="", media="",
                         language_hint=heard.language or message.language_hint)
        answer = await self._ask(spoken, profile)
        quote = self._voice.say("voice_heard", answer.language, text=heard.text)
        return spoken, replace(answer, text=f"{quote}\n{answer.text}")

    async def _located(self, message: IncomingMessage, profile: Profile, language: str) -> Answer:
        """A shared place: the question that waited for it is answered there, else what is near is said."""
        assert message.location is not None
        now = self._clock()
        waiting = profile.waiting if profile.waiting_at is not None \
            and now - profile.waiting_at <= self._policy.location_ttl_seconds else None
        located = replace(profile, location=message.location, location_at=now, waiting=None, waiting_at=None)
        await self._store.save_profile(located)
        if waiting:
            return await self._ask(replace(message, text=waiting, quiet=False), located)
        if message.quiet:
            return notice("", language)
        return await self._assistant.nearby(message.location, language, profile.audience)

    async def _command(self, command: Command, profile: Profile, language: str) -> Answer:
        if command.name == "start":
            return welcome(self._voice, language)
        if command.name == "lang":
            chosen = chosen_language(command.argument, self._voice.languages)
            if chosen is None:
                return notice(self._voice.say("language_choices", language), language)
            await self._store.save_profile(replace(profile, language=chosen))
            return notice(self._voice.say("language_set", chosen), chosen)
        return notice(self._voice.say("help", language), language, offers=("location",))

    async def _vote(self, message: IncomingMessage, vote: int, language: str) -> Answer:
        """A 👍 / 👎 on the answer it names (a button), or on the person's last answer (a typed reply)."""
        about = message.about
        if about:
            turn = await self._store.turn(about)
            target = turn if turn is not None and turn.user_key == message.user_id else None
        else:
            recent = await self._store.recent_turns(message.user_id, self._policy.turns)
            target = next((t for t in recent if t.answer.status in ("answered", "abstained")), None)
        if target is None:
            return notice(self._voice.say("nothing_to_rate", language), language)
        voter = message.voter or message.user_id  # distinct people count, not conversations
        await self._store.record_feedback(target.id, voter, 1 if vote > 0 else -1)
        await self._assistant.learn_votes([(Vote(target.id, voter, 1 if vote > 0 else -1,
                                                 tuple(c.passage_id for c in target.answer.citations), self._clock()),
                                            target.question)])
        if vote < 0 and self._gaps is not None:
            await self._note_gap(target, replace(message, text=target.question), reason="thumbs_down")
        return notice(self._voice.say("thanks", language), language)

    async def _learn_lessons(self) -> None:
        """Lessons approved or withdrawn anywhere since the last question count from this one (core.curated); a
        failure there never costs the person their answer."""
        if self._lessons is None:
            return
        try:
            await self._lessons.refresh()
        except Exception as exc:
            log.warning("lessons not refreshed", extra={"event": "curated.failed",
                                                        "reason": f"{type(exc).__name__}: {exc}"})

    async def _note_gap(self, turn: Turn, message: IncomingMessage, reason: str | None = None) -> None:
        """The learning loop's content gaps; a failure there never costs the person their answer."""
        assert self._gaps is not None
        try:
            place = None  # the commune is only worth understanding the question again for a turn that is filed
            if reason is not None or self._gaps.reason_of(turn) is not None:
                place = self._assistant.understand(message).place
            await self._gaps.observe(turn, place.name if place is not None else None, reason=reason)
        except Exception as exc:
            log.warning("gap not noted", extra={"event": "gap.failed", "user": turn.user_key,
                                                "reason": f"{type(exc).__name__}: {exc}"})

    async def _record(self, message: IncomingMessage, turn_id: str, answer: Answer, started: float) -> Answer:
        latency = (self._clock() - started) * 1000.0
        question = message.text or (f"[{message.attachment}]" if message.attachment else "")
        turn = Turn(turn_id, message.user_id, message.channel, question, answer, latency, self._clock())
        await self._store.record_turn(turn)
        if self._gaps is not None and answer.status in ("answered", "abstained") and question:
            await self._note_gap(turn, message)
        self._metrics.count("loci_answers_total", channel=message.channel, status=answer.status,
                            answerer=answer.answerer)
        self._metrics.observe("loci_answer_seconds", latency / 1000.0, channel=message.channel)
        return answer
