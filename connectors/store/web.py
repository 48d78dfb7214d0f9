"""The dashboard's tables and figures on the state store (SQLite or PostgreSQL alike): accounts, sessions, and
the facts core.analytics counts — never who asked."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from genius_loci.core.analytics import TurnFact, VoteFact
from genius_loci.core.types import GeoPoint

from .schema import feedback, redirects, turns, users, web_sessions, web_users

COUNTED = ("answered", "abstained")  # what a question counts as (not greetings, commands, refusals)


class WebTables:
    """Mixed into ``SqlStore``."""

    _engine: AsyncEngine
    _insert: Any

    # accounts and sessions

    async def save_web_user(self, name: str, role: str, partner: str | None, password_hash: str, at: float) -> None:
        values = {"role": role, "partner": partner, "password_hash": password_hash}
        stmt = self._insert(web_users).values(name=name, created_at=at, **values)
        stmt = stmt.on_conflict_do_update(index_elements=[web_users.c.name], set_=values)
        async with self._engine.begin() as conn:
            await conn.execute(stmt)

    async def web_user(self, name: str) -> dict[str, Any] | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(web_users).where(web_users.c.name == name))).first()
        return dict(row._mapping) if row is not None else None

    async def web_users(self) -> list[dict[str, Any]]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(web_users.c.name, web_users.c.role, web_users.c.partner,
                                             web_users.c.created_at).order_by(web_users.c.name))
            return [dict(r._mapping) for r in rows]

    async def remove_web_user(self, name: str) -> bool:
        async with self._engine.begin() as conn:
            await conn.execute(delete(web_sessions).where(web_sessions.c.name == name))
            result = await conn.execute(delete(web_users).where(web_users.c.name == name))
        return bool(result.rowcount)

    async def open_web_session(self, token_hash: str, name: str, csrf: str, expires_at: float) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(web_sessions.insert().values(token_hash=token_hash, name=name, csrf=csrf,
                                                            expires_at=expires_at))

    async def web_session(self, token_hash: str, now: float) -> dict[str, Any] | None:
        """The session and its account, when it has not expired."""
        query = (select(web_sessions.c.csrf, web_users.c.name, web_users.c.role, web_users.c.partner)
                 .join(web_users, web_users.c.name == web_sessions.c.name)
                 .where(web_sessions.c.token_hash == token_hash, web_sessions.c.expires_at > now))
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return dict(row._mapping) if row is not None else None

    async def close_web_session(self, token_hash: str, now: float) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(web_sessions).where((web_sessions.c.token_hash == token_hash)
                                                          | (web_sessions.c.expires_at <= now)))

    # figures

    async def turn_facts(self, since: float, partner: str | None = None) -> list[TurnFact]:
        """The questions asked since ``since`` (of one partner's: those whose answer sent people to it)."""
        query = (select(turns.c.created_at, turns.c.channel, turns.c.language, turns.c.audience, turns.c.status,
                        turns.c.confidence, turns.c.question, turns.c.redirect)
                 .where(turns.c.created_at >= since, turns.c.status.in_(COUNTED)).order_by(turns.c.created_at))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        facts = [TurnFact(r.created_at, r.channel, r.language, r.audience, r.status, r.confidence, r.question,
                          json.loads(r.redirect)[0] if r.redirect else None) for r in rows]
        return [f for f in facts if partner is None or f.partner == partner]

    async def vote_facts(self, since: float, partner: str | None = None) -> list[VoteFact]:
        query = (select(feedback.c.created_at, feedback.c.value, turns.c.redirect)
                 .join(turns, turns.c.id == feedback.c.turn_id).where(feedback.c.created_at >= since))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [VoteFact(r.created_at, 1 if r.value > 0 else -1) for r in rows
                if partner is None or (r.redirect and json.loads(r.redirect)[0] == partner)]

    async def followed(self, since: float) -> dict[str, int]:
        """Partner -> answers whose link to it was followed since ``since``."""
        query = (select(redirects.c.partner, func.count(func.distinct(redirects.c.turn_id)))
                 .where(redirects.c.created_at >= since).group_by(redirects.c.partner))
        async with self._engine.connect() as conn:
            return {p: int(n) for p, n in await conn.execute(query)}

    async def shared_locations(self, since: float) -> list[GeoPoint]:
        """Where people who shared a location since ``since`` were (their latest one)."""
        query = select(users.c.lat, users.c.lon).where(users.c.location_at >= since, users.c.lat.is_not(None))
        async with self._engine.connect() as conn:
            return [GeoPoint(r.lat, r.lon) for r in await conn.execute(query)]
