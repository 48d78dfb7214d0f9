"""Building the state adapters (store, inbox, outbox, pseudonym key) from the settings."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from genius_loci.config.settings import Settings
from genius_loci.connectors.queue.backoff import RetryPolicy
from genius_loci.connectors.queue.redis_queue import RedisQueue
from genius_loci.connectors.queue.sqlite_queue import SqliteQueue
from genius_loci.connectors.sealing import Sealer
from genius_loci.connectors.store.migrate import upgrade
from genius_loci.connectors.store.sql import SqlStore
from genius_loci.core.privacy import pseudonymise

__all__ = ["SqlStore", "State", "build_state"]

QueueAdapter = SqliteQueue | RedisQueue


def load_or_create_key(path: Path) -> bytes:
    """The pseudonymisation key: created once (random, owner-only) and kept with the data."""
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


@dataclass
class State:
    store: SqlStore
    inbox: QueueAdapter
    outbox: QueueAdapter
    key: bytes
    database_url: str
    sealer: Sealer

    def user_key(self, channel: str, platform_id: str) -> str:
        return pseudonymise(self.key, channel, platform_id)

    async def migrate(self) -> None:
        await upgrade(self.database_url)

    async def erase(self, user_key: str) -> int:
        """Erases a person everywhere: conversations, profile, feedback, and queued messages."""
        removed = await self.store.forget(user_key)
        removed += await self.inbox.forget_user(user_key)
        removed += await self.outbox.forget_user(user_key)
        return removed

    async def purge(self, before: float, dedupe_before: float) -> int:
        removed = await self.store.purge_turns_before(before)
        removed += await self.inbox.purge_done_before(dedupe_before)
        removed += await self.outbox.purge_done_before(dedupe_before)
        return removed

    async def aclose(self) -> None:
        await self.store.close()
        await self.inbox.close()
        await self.outbox.close()


def build_state(settings: Settings) -> State:
    retry = RetryPolicy(max_attempts=settings.max_attempts)
    if settings.redis_url:
        space = settings.redis_namespace
        inbox: QueueAdapter = RedisQueue.from_url(settings.redis_url, "inbox", retry=retry, namespace=space)
        outbox: QueueAdapter = RedisQueue.from_url(settings.redis_url, "outbox", retry=retry, namespace=space)
    else:
        inbox = SqliteQueue(settings.queue_path, "inbox", retry=retry)
        outbox = SqliteQueue(settings.queue_path, "outbox", retry=retry)
    key = (settings.pseudonym_key.get_secret_value().encode() if settings.pseudonym_key
           else load_or_create_key(settings.pseudonym_key_path))
    return State(SqlStore.from_url(settings.state_url), inbox, outbox, key, settings.state_url, Sealer(key))
