"""The learning loop's tables on the state store: content gaps (``core.gaps.GapBook``), lessons and their audit
trail (``core.teaching.LessonBook``), and jobs claimed once per period across processes."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from genius_loci.core.gaps import Gap, GapQuestion
from genius_loci.core.teaching import Lesson, LessonChange

from .schema import gap_questions, gaps, lesson_changes, lessons, schedule


class LearningTables:
    """Mixed into ``SqlStore``."""

    _engine: AsyncEngine
    _insert: Any

    async def open_gaps(self) -> list[Gap]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(gaps).where(gaps.c.status == "open"))
            return [_gap(r) for r in rows]

    async def save_gap(self, gap: Gap) -> None:
        values = {"status": gap.status, "partner": gap.partner,
                  "centroid": np.asarray(gap.centroid, dtype=np.float32).tobytes(),
                  "count": gap.count, "answered_well": gap.answered_well, "first_seen": gap.first_seen,
                  "last_seen": gap.last_seen, "needs": " ".join(gap.needs)}
        stmt = self._insert(gaps).values(id=gap.id, **values)
        stmt = stmt.on_conflict_do_update(index_elements=[gaps.c.id], set_=values)
        async with self._engine.begin() as conn:
            await conn.execute(stmt)

    async def add_gap_question(self, gap_id: str, question: GapQuestion) -> bool:
        stmt = self._insert(gap_questions).values(
            turn_id=question.turn_id, gap_id=gap_id, user_key=question.user_key, question=question.question,
            language=question.language, audience=question.audience, channel=question.channel,
            commune=question.commune, reason=question.reason, created_at=question.created_at,
        ).on_conflict_do_nothing(index_elements=[gap_questions.c.turn_id])
        async with self._engine.begin() as conn:
            result = await conn.execute(stmt)
        return bool(result.rowcount)

    async def list_gaps(self, *, partner: str | None = None,
                        since: float | None = None) -> list[tuple[Gap, list[GapQuestion]]]:
        """Gaps seen since ``since`` (all when None), of one partner or all, largest first."""
        query = select(gaps)
        if partner is not None:
            query = query.where(gaps.c.partner == partner)
        if since is not None:
            query = query.where(gaps.c.last_seen >= since)
        async with self._engine.connect() as conn:
            found = [_gap(r) for r in await conn.execute(query)]
            ids = [g.id for g in found]
            members: dict[str, list[GapQuestion]] = {i: [] for i in ids}
            if ids:
                rows = await conn.execute(select(gap_questions).where(gap_questions.c.gap_id.in_(ids)))
                for r in rows:
                    members[r.gap_id].append(_gap_question(r))
        found.sort(key=lambda g: (-g.count, -g.last_seen))
        return [(g, members[g.id]) for g in found]

    async def gap(self, gap_id: str) -> tuple[Gap, list[GapQuestion]] | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(gaps).where(gaps.c.id == gap_id))).first()
            if row is None:
                return None
            rows = await conn.execute(select(gap_questions).where(gap_questions.c.gap_id == gap_id))
            return _gap(row), [_gap_question(r) for r in rows]

    async def close_gap(self, gap_id: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(update(gaps).where(gaps.c.id == gap_id).values(status="closed"))

    async def save_lesson(self, lesson: Lesson, change: LessonChange) -> None:
        values = lesson.to_dict()
        stmt = self._insert(lessons).values(**values)
        stmt = stmt.on_conflict_do_update(index_elements=[lessons.c.id],
                                          set_={k: v for k, v in values.items() if k != "id"})
        async with self._engine.begin() as conn:
            await conn.execute(stmt)
            await conn.execute(lesson_changes.insert().values(
                lesson_id=change.lesson_id, actor=change.actor, action=change.action,
                before=json.dumps(change.before, ensure_ascii=False) if change.before is not None else None,
                after=json.dumps(change.after, ensure_ascii=False), at=change.at))

    async def lesson(self, lesson_id: str) -> Lesson | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(lessons).where(lessons.c.id == lesson_id))).first()
        return _lesson(row) if row is not None else None

    async def lessons(self, status: str | None = None) -> list[Lesson]:
        query = select(lessons).order_by(lessons.c.created_at)
        if status is not None:
            query = query.where(lessons.c.status == status)
        async with self._engine.connect() as conn:
            return [_lesson(r) for r in await conn.execute(query)]

    async def lesson_changes(self, lesson_id: str) -> list[LessonChange]:
        query = select(lesson_changes).where(lesson_changes.c.lesson_id == lesson_id).order_by(lesson_changes.c.id)
        async with self._engine.connect() as conn:
            return [_change(r) for r in await conn.execute(query)]

    async def lessons_revision(self) -> str:
        async with self._engine.connect() as conn:
            count, latest = (await conn.execute(select(func.count(), func.max(lessons.c.updated_at)))).one()
        return f"{count}:{latest!r}"

    async def claim_job(self, name: str, now: float, every_seconds: float) -> bool:
        """True for the one process that claims ``name`` when ``every_seconds`` have passed since its last run."""
        async with self._engine.begin() as conn:
            await conn.execute(self._insert(schedule).values(name=name, last_run_at=0.0)
                               .on_conflict_do_nothing(index_elements=[schedule.c.name]))
            result = await conn.execute(update(schedule).where(
                schedule.c.name == name, schedule.c.last_run_at <= now - every_seconds).values(last_run_at=now))
        return bool(result.rowcount)

    async def _forget_learning(self, conn: Any, user_key: str) -> int:
        """Erasure: a person's gap questions go; the lessons they wrote or reviewed stay (they are the agency's
        content) with their name replaced in the lessons and the audit trail."""
        removed = (await conn.execute(delete(gap_questions).where(gap_questions.c.user_key == user_key))).rowcount
        for column in (lessons.c.author, lessons.c.reviewer):
            removed += (await conn.execute(update(lessons).where(column == user_key)
                                           .values({column.name: ERASED}))).rowcount
        removed += (await conn.execute(update(lesson_changes).where(lesson_changes.c.actor == user_key)
                                       .values(actor=ERASED))).rowcount
        return int(removed or 0)

    async def _export_learning(self, conn: Any, user_key: str) -> dict[str, Any]:
        data: dict[str, Any] = {}
        rows = await conn.execute(select(gap_questions).where(gap_questions.c.user_key == user_key))
        data["gap_questions"] = [dict(r._mapping) for r in rows]
        rows = await conn.execute(select(lessons).where((lessons.c.author == user_key)
                                                        | (lessons.c.reviewer == user_key)))
        data["lessons"] = [dict(r._mapping) for r in rows]
        rows = await conn.execute(select(lesson_changes).where(lesson_changes.c.actor == user_key)
                                  .order_by(lesson_changes.c.id))
        data["lesson_changes"] = [dict(r._mapping) for r in rows]
        return data


ERASED = "erased"


def _gap(row: Any) -> Gap:
    return Gap(row.id, row.status, row.partner, np.frombuffer(row.centroid, dtype=np.float32), row.count,
               row.answered_well, row.first_seen, row.last_seen, tuple((row.needs or "").split()))


def _gap_question(r: Any) -> GapQuestion:
    return GapQuestion(r.turn_id, r.user_key, r.question, r.language, r.audience, r.channel, r.commune, r.reason,
                       r.created_at)


def _lesson(r: Any) -> Lesson:
    return Lesson(r.id, r.status, r.partner, r.question, r.answer, r.url, r.gap_id, r.turn_id, r.author, r.reviewer,
                  r.created_at, r.updated_at)


def _change(r: Any) -> LessonChange:
    return LessonChange(r.lesson_id, r.actor, r.action, json.loads(r.before) if r.before else None,
                        json.loads(r.after), r.at)
