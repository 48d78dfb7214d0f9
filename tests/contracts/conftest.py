"""Every adapter of a port runs the same contract suite: SQLite and PostgreSQL stores, SQLite and
Redis queues."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from genius_loci.connectors.queue.backoff import RetryPolicy
from genius_loci.connectors.queue.redis_queue import RedisQueue
from genius_loci.connectors.queue.sqlite_queue import SqliteQueue
from genius_loci.connectors.store.migrate import upgrade
from genius_loci.connectors.store.sql import SqlStore
from tests.services import POSTGRES_ADMIN_URL, REDIS_URL, require


class Clock:
    """A clock the tests move by hand, so leases and backoff need no sleeping."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqlStore]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'state.sqlite'}"
        await upgrade(url)
        s = SqlStore.from_url(url)
        yield s
        await s.close()
        return
    require("PostgreSQL", "127.0.0.1", 5432)
    import asyncpg

    name = f"loci_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    try:
        await upgrade(url)
        s = SqlStore.from_url(url)
        yield s
        await s.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", "redis"])
async def queue(request: pytest.FixtureRequest, tmp_path: Path,
                clock: Clock) -> AsyncIterator[SqliteQueue | RedisQueue]:
    retry = RetryPolicy(max_attempts=3, base_seconds=2.0, max_seconds=10.0)
    if request.param == "sqlite":
        q = SqliteQueue(tmp_path / "queue.sqlite", "inbox", retry=retry, clock=clock)
        yield q
        await q.close()
        return
    require("Redis", "127.0.0.1", 6379)
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL, decode_responses=True)
    namespace = f"loci-test-{uuid.uuid4().hex[:8]}"
    rq = RedisQueue(client, "inbox", namespace=namespace, retry=retry, clock=clock)
    try:
        yield rq
    finally:
        keys = [k async for k in client.scan_iter(f"{namespace}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
