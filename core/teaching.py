"""Teaching, the third part of the learning loop: a partner writes, in its own words and with the link to cite, the
answer to what people asked and the sources did not hold (a content gap, or any answer); a reviewer approves or
rejects it. An approved lesson becomes a curated source (core.curated); it can be edited (back to review) or
withdrawn. Every change is kept in an audit trail: who, when, the lesson before and after.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol
from urllib.parse import urlsplit

from .errors import LociError
from .gaps import Gap, GapQuestion
from .types import Turn

log = logging.getLogger("genius_loci.teaching")

MAX_ANSWER_CHARS = 3000  # what one Slack input and one cited passage hold
MAX_QUESTION_CHARS = 300
STATUSES = ("pending", "approved", "rejected", "withdrawn")


class TeachingError(LociError):
    """A lesson that cannot be written or changed as asked (its message says why, for the partner); ``field``
    names the part at fault (question, answer, url, partner) when one is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Lesson:
    id: str
    status: str  # pending | approved | rejected | withdrawn
    partner: str
    question: str  # the question it answers, as the partner states it
    answer: str
    url: str
    gap_id: str | None
    turn_id: str | None
    author: str  # a pseudonymous key (a partner's Slack user), or cli:<name>
    reviewer: str | None
    created_at: float
    updated_at: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class LessonChange:
    """One line of the audit trail."""

    lesson_id: str
    actor: str
    action: str  # proposed | edited | approved | rejected | withdrawn
    before: dict[str, Any] | None
    after: dict[str, Any]
    at: float


class LessonBook(Protocol):
    """Where lessons and their audit trail are kept (the state store)."""

    async def save_lesson(self, lesson: Lesson, change: LessonChange) -> None:
        """Writes the lesson and its audit line together."""
        ...

    async def lesson(self, lesson_id: str) -> Lesson | None: ...

    async def lessons(self, status: str | None = None) -> list[Lesson]: ...

    async def lesson_changes(self, lesson_id: str) -> list[LessonChange]: ...

    async def lessons_revision(self) -> str:
        """Changes whenever any lesson changes (cheap: asked before each question)."""
        ...

    async def gap(self, gap_id: str) -> tuple[Gap, list[GapQuestion]] | None: ...

    async def close_gap(self, gap_id: str) -> None: ...

    async def turn(self, turn_id: str) -> Turn | None: ...


class Teaching:
    """The lessons' life: propose, edit, approve, reject, withdraw; each change audited."""

    def __init__(self, book: LessonBook, partners: Collection[str], *,
                 clock: Callable[[], float] = time.time) -> None:
        self._book = book
        self._partners = frozenset(partners)
        self._clock = clock

    async def subject(self, *, gap_id: str | None = None, turn_id: str | None = None) -> tuple[str, str | None]:
        """What a lesson taught from a gap or an answer is about: (its question, the partner owning the topic) —
        the gap's most recent question and partner, or the answered question and its redirect."""
        if gap_id:
            gap = await self._book.gap(gap_id)
            if gap is None:
                raise TeachingError(f"there is no gap {gap_id!r} (see `loci gaps`)")
            examples = sorted(gap[1], key=lambda q: -q.created_at)
            return (examples[0].question if examples else ""), gap[0].partner
        if turn_id:
            turn = await self._book.turn(turn_id)
            if turn is None:
                raise TeachingError("that answer is no longer kept (its conversation was erased or purged)")
            redirect = turn.answer.redirect
            return turn.question, redirect.partner if redirect is not None else None
        return "", None

    async def propose(self, *, answer: str, url: str, author: str, partner: str | None = None,
                      gap_id: str | None = None, turn_id: str | None = None,
                      question: str | None = None) -> Lesson:
        """A new lesson, pending review. The question and partner default to those of the gap or the answer it
        is taught from (``subject``)."""
        asked, owner = await self.subject(gap_id=gap_id, turn_id=turn_id)
        question = question or asked
        partner = partner or owner
        if not partner:
            raise TeachingError("say which partner this answer comes from (--partner)", "partner")
        now = self._clock()
        lesson = Lesson(uuid.uuid4().hex[:12], "pending", partner, (question or "").strip(), answer.strip(),
                        url.strip(), gap_id, turn_id, author, None, now, now)
        self._check(lesson)
        await self._book.save_lesson(lesson, LessonChange(lesson.id, author, "proposed", None, lesson.to_dict(), now))
        log.info("lesson proposed", extra={"event": "lesson.proposed", "lesson": lesson.id, "partner": partner,
                                           "gap": gap_id})
        return lesson

    async def edit(self, lesson_id: str, actor: str, *, answer: str | None = None, url: str | None = None,
                   question: str | None = None) -> Lesson:
        """Changes a pending or approved lesson; the change goes back to review (an approved lesson stops being
        cited until it is approved again: nothing unreviewed is ever cited)."""
        lesson = await self._get(lesson_id, "pending", "approved")
        changed = replace(lesson, status="pending", reviewer=None,
                          answer=answer.strip() if answer is not None else lesson.answer,
                          url=url.strip() if url is not None else lesson.url,
                          question=question.strip() if question is not None else lesson.question)
        return await self._change(lesson, changed, actor, "edited")

    async def approve(self, lesson_id: str, reviewer: str) -> Lesson:
        lesson = await self._get(lesson_id, "pending")
        approved = await self._change(lesson, replace(lesson, status="approved", reviewer=reviewer), reviewer,
                                      "approved")
        if lesson.gap_id:
            await self._book.close_gap(lesson.gap_id)  # taught: its questions are now answered
        return approved

    async def reject(self, lesson_id: str, reviewer: str) -> Lesson:
        lesson = await self._get(lesson_id, "pending")
        return await self._change(lesson, replace(lesson, status="rejected", reviewer=reviewer), reviewer,
                                  "rejected")

    async def withdraw(self, lesson_id: str, actor: str) -> Lesson:
        lesson = await self._get(lesson_id, "pending", "approved")
        return await self._change(lesson, replace(lesson, status="withdrawn"), actor, "withdrawn")

    async def lesson(self, lesson_id: str) -> Lesson | None:
        return await self._book.lesson(lesson_id)

    async def lessons(self, status: str | None = None) -> list[Lesson]:
        if status is not None and status not in STATUSES:
            raise TeachingError(f"a lesson's status is one of {', '.join(STATUSES)}")
        return await self._book.lessons(status)

    async def history(self, lesson_id: str) -> list[LessonChange]:
        await self._get(lesson_id, *STATUSES)
        return await self._book.lesson_changes(lesson_id)

    async def _get(self, lesson_id: str, *allowed: str) -> Lesson:
        lesson = await self._book.lesson(lesson_id)
        if lesson is None:
            raise TeachingError(f"there is no lesson {lesson_id!r} (see `loci teach list`)")
        if lesson.status not in allowed:
            raise TeachingError(f"lesson {lesson_id} is {lesson.status}: only a {' or '.join(allowed)} lesson can "
                                "be changed that way")
        return lesson

    async def _change(self, before: Lesson, after: Lesson, actor: str, action: str) -> Lesson:
        self._check(after)
        after = replace(after, updated_at=max(self._clock(), before.updated_at + 1e-6))
        await self._book.save_lesson(after, LessonChange(after.id, actor, action, before.to_dict(), after.to_dict(),
                                                         after.updated_at))
        log.info(f"lesson {action}", extra={"event": f"lesson.{action}", "lesson": after.id,
                                            "partner": after.partner})
        return after

    def _check(self, lesson: Lesson) -> None:
        if lesson.partner not in self._partners:
            raise TeachingError(f"{lesson.partner!r} is not a partner id (config/partners.yaml)", "partner")
        if not lesson.answer:
            raise TeachingError("the answer is empty", "answer")
        if len(lesson.answer) > MAX_ANSWER_CHARS:
            raise TeachingError(f"the answer has {len(lesson.answer)} characters; {MAX_ANSWER_CHARS} at most",
                                "answer")
        if not lesson.question:
            raise TeachingError("say which question this answers (--question, or teach from a gap)", "question")
        if len(lesson.question) > MAX_QUESTION_CHARS:
            raise TeachingError(f"the question has {len(lesson.question)} characters; {MAX_QUESTION_CHARS} at most",
                                "question")
        parts = urlsplit(lesson.url)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in lesson.url:
            raise TeachingError(f"{lesson.url!r} is not a web link (https://…): give the page people should read",
                                "url")
