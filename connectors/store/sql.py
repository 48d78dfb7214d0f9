"""The ``Store`` on SQLAlchemy 2 (async): a SQLite file by default, PostgreSQL at scale."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import delete, event, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from genius_loci.core.envelope import answer_from_record, answer_record
from genius_loci.core.errors import ProviderError
from genius_loci.core.ingestion import IngestReport
from genius_loci.core.types import Answer, GeoPoint, Profile, Turn
from genius_loci.core.votes import Vote

from .learning import LearningTables
from .schema import deliveries, feedback, gap_questions, ingestion_state, redirects, turns, users
from .web import WebTables


def create_engine(url: str) -> AsyncEngine:
    engine = create_async_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.close()
    return engine


def _answer_columns(answer: Answer) -> dict[str, Any]:
    r = answer_record(answer)
    return {"answer": r["text"], "language": r["language"], "status": r["status"], "confidence": r["confidence"],
            "answerer": r["answerer"], "audience": r["audience"],
            "citations": json.dumps(r["citations"], ensure_ascii=False),
            "redirect": json.dumps(r["redirect"], ensure_ascii=False) if r["redirect"] else None,
            "timings": json.dumps(r["timings_ms"])}


def _turn(row: Any) -> Turn:
    answer = answer_from_record({
        "text": row.answer, "language": row.language, "confidence": row.confidence, "status": row.status,
        "citations": json.loads(row.citations), "redirect": json.loads(row.redirect) if row.redirect else None,
        "answerer": row.answerer, "timings_ms": json.loads(row.timings), "audience": row.audience})
    return Turn(row.id, row.user_key, row.channel, row.question, answer, row.latency_ms, row.created_at)


class SqlStore(LearningTables, WebTables):
    """Conversations, profiles, feedback and redirects. Every method is one short transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert

    @classmethod
    def from_url(cls, url: str) -> SqlStore:
        return cls(create_engine(url))

    async def close(self) -> None:
        await self._engine.dispose()

    async def ping(self) -> None:
        try:
            async with self._engine.connect() as conn:
                await conn.execute(select(1))
        except (SQLAlchemyError, OSError) as exc:
            raise ProviderError(f"the database does not answer: {type(exc).__name__}") from exc

    async def load_profile(self, user_key: str, channel: str) -> Profile:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.user_key == user_key))).first()
        if row is None:
            return Profile(user_key, channel)
        location = GeoPoint(row.lat, row.lon) if row.lat is not None and row.lon is not None else None
        return Profile(row.user_key, row.channel, row.language, row.audience, location, row.location_at,
                       row.waiting, row.waiting_at)

    async def save_profile(self, profile: Profile) -> None:
        now = time.time()
        values = {"user_key": profile.user_key, "channel": profile.channel, "language": profile.language,
                  "audience": profile.audience, "lat": profile.location.lat if profile.location else None,
                  "lon": profile.location.lon if profile.location else None,
                  "location_at": profile.location_at, "waiting": profile.waiting,
                  "waiting_at": profile.waiting_at, "updated_at": now}
        stmt = self._insert(users).values(**values, created_at=now)
        stmt = stmt.on_conflict_do_update(index_elements=[users.c.user_key], set_=values)
        async with self._engine.begin() as conn:
            await conn.execute(stmt)

    async def recent_turns(self, user_key: str, limit: int) -> list[Turn]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(turns).where(turns.c.user_key == user_key)
                                      .order_by(turns.c.created_at.desc(), turns.c.id.desc()).limit(limit))
            return [_turn(r) for r in rows]

    async def record_turn(self, turn: Turn) -> bool:
        stmt = self._insert(turns).values(
            id=turn.id, user_key=turn.user_key, channel=turn.channel, question=turn.question,
            latency_ms=turn.latency_ms, created_at=turn.created_at, **_answer_columns(turn.answer),
        ).on_conflict_do_nothing(index_elements=[turns.c.id])
        async with self._engine.begin() as conn:
            result = await conn.execute(stmt)
        return bool(result.rowcount)

    async def turn(self, turn_id: str) -> Turn | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(turns).where(turns.c.id == turn_id))).first()
        return _turn(row) if row is not None else None

    async def record_feedback(self, turn_id: str, user_key: str, value: int, comment: str = "") -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(feedback).values(turn_id=turn_id, user_key=user_key, value=value,
                                                       comment=comment, created_at=time.time()))

    async def record_redirect(self, turn_id: str, user_key: str, partner: str, url: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(redirects).values(turn_id=turn_id, user_key=user_key, partner=partner,
                                                        url=url, created_at=time.time()))

    async def record_delivery(self, ref: str, status: str, *, turn_id: str = "", user_key: str = "",
                              channel: str = "", detail: str = "") -> bool:
        """Creates (when ``turn_id`` is given: the message was just sent) or updates the delivery state of one
        sent message; False when a status arrives for a message it does not know."""
        now = time.time()
        stmt: Any
        async with self._engine.begin() as conn:
            if turn_id:
                stmt = self._insert(deliveries).values(ref=ref, turn_id=turn_id, user_key=user_key, channel=channel,
                                                       status=status, detail=detail, created_at=now, updated_at=now)
                stmt = stmt.on_conflict_do_update(index_elements=[deliveries.c.ref],
                                                  set_={"status": status, "detail": detail, "updated_at": now})
            else:
                stmt = (update(deliveries).where(deliveries.c.ref == ref)
                        .values(status=status, detail=detail, updated_at=now))
            result = await conn.execute(stmt)
        return bool(result.rowcount)

    async def delivery(self, ref: str) -> tuple[str, str] | None:
        """(status, detail) of one sent message."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(deliveries.c.status, deliveries.c.detail)
                                      .where(deliveries.c.ref == ref))).first()
        return (row.status, row.detail) if row is not None else None

    async def forget(self, user_key: str) -> int:
        removed = 0
        async with self._engine.begin() as conn:
            for table in (feedback, redirects, deliveries, turns, users):
                result = await conn.execute(delete(table).where(table.c.user_key == user_key))
                removed += result.rowcount or 0
            removed += await self._forget_learning(conn, user_key)
        return removed

    async def export(self, user_key: str) -> dict[str, Any]:
        async with self._engine.connect() as conn:
            data: dict[str, Any] = {"user_key": user_key}
            for name, table in (("profile", users), ("turns", turns), ("feedback", feedback),
                                ("redirects", redirects), ("deliveries", deliveries)):
                rows = await conn.execute(select(table).where(table.c.user_key == user_key))
                data[name] = [dict(r._mapping) for r in rows]
            data.update(await self._export_learning(conn, user_key))
        data["profile"] = data["profile"][0] if data["profile"] else None
        return data

    async def record_ingestion(self, report: IngestReport, at: float) -> None:
        rows = [{"source_id": s, "last_run_at": at, "status": "ok", "detail": ""} for s in report.ok_ids]
        rows += [{"source_id": s, "last_run_at": at, "status": "failed", "detail": reason}
                 for s, reason in report.sources_failed.items()]
        if not rows:
            return
        stmt = self._insert(ingestion_state).values(rows)
        stmt = stmt.on_conflict_do_update(index_elements=[ingestion_state.c.source_id], set_={
            "last_run_at": stmt.excluded.last_run_at, "status": stmt.excluded.status, "detail": stmt.excluded.detail})
        async with self._engine.begin() as conn:
            await conn.execute(stmt)

    async def ingestion_state(self) -> dict[str, tuple[float, str, str]]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(ingestion_state))
            return {r.source_id: (r.last_run_at, r.status, r.detail) for r in rows}

    async def purge_turns_before(self, cutoff: float) -> int:
        removed = 0
        async with self._engine.begin() as conn:
            for table in (feedback, redirects, deliveries, gap_questions, turns):
                result = await conn.execute(delete(table).where(table.c.created_at < cutoff))
                removed += result.rowcount or 0
        return removed

    async def votes(self, since: float = 0.0) -> list[tuple[Vote, str]]:
        """Every 👍 / 👎 cast after ``since``, with the voted turn's cited passages, and its question."""
        async with self._engine.connect() as conn:
            query = select(turns, feedback.c.user_key.label("voter"), feedback.c.value.label("vote"),
                           feedback.c.created_at.label("voted_at")).join(feedback, turns.c.id == feedback.c.turn_id)
            rows = (await conn.execute(query.where(feedback.c.created_at > since)
                                       .order_by(feedback.c.created_at))).all()
        out = []
        for r in rows:
            turn = _turn(r)
            passages = tuple(c.passage_id for c in turn.answer.citations)
            if passages:
                out.append((Vote(turn.id, r.voter, 1 if r.vote > 0 else -1, passages, r.voted_at), turn.question))
        return out
