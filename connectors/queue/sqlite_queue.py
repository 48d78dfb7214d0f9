"""A durable queue in a SQLite file: safe across processes (``BEGIN IMMEDIATE`` serialises claims)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from genius_loci.core.errors import ProviderError
from genius_loci.core.ports import QueueStats
from genius_loci.core.types import QueueItem

from .backoff import RetryPolicy

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queue_items (
    queue TEXT NOT NULL,
    id TEXT NOT NULL,
    user_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,              -- pending | leased | done | dead
    attempts INTEGER NOT NULL DEFAULT 0,
    available_at REAL NOT NULL,
    lease_until REAL,
    last_error TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (queue, id)
);
CREATE INDEX IF NOT EXISTS queue_ready ON queue_items (queue, status, available_at);
CREATE INDEX IF NOT EXISTS queue_user ON queue_items (queue, user_key);
"""


class SqliteQueue:
    """One named queue (``inbox``, ``outbox``) in a shared SQLite file.

    Processed items keep their id (payload erased) so that a platform's late retry is still
    recognised as a duplicate; ``purge_done_before`` drops them after the dedupe window.
    """

    def __init__(self, path: Path, name: str, *, retry: RetryPolicy = RetryPolicy(),
                 clock: Callable[[], float] = time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self.name = name
        self._retry = retry
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    async def _run(self, fn: Callable[[], T]) -> T:
        def locked() -> T:
            with self._lock:
                try:
                    return fn()
                except sqlite3.Error as exc:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise ProviderError(f"queue {self.name} at {self._path}: {exc}") from exc
        return await asyncio.to_thread(locked)

    async def put(self, item: QueueItem) -> bool:
        now = self._clock()

        def op() -> bool:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO queue_items (queue, id, user_key, payload, status, attempts, available_at, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?)",
                (self.name, item.id, item.user_key, item.payload, now, now, now))
            return cur.rowcount == 1
        return await self._run(op)

    async def claim(self, lease_seconds: float) -> QueueItem | None:
        def op() -> QueueItem | None:
            now = self._clock()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                while True:
                    row = self._db.execute(
                        "SELECT id, user_key, payload, attempts, last_error FROM queue_items WHERE queue = ? AND "
                        "((status = 'pending' AND available_at <= ?) OR (status = 'leased' AND lease_until <= ?)) "
                        "ORDER BY available_at LIMIT 1", (self.name, now, now)).fetchone()
                    if row is None:
                        self._db.execute("COMMIT")
                        return None
                    item_id, user_key, payload, attempts, last_error = row
                    if attempts >= self._retry.max_attempts:
                        # its last holder died with it: it will not be handed out again
                        self._db.execute(
                            "UPDATE queue_items SET status = 'dead', last_error = ?, updated_at = ? "
                            "WHERE queue = ? AND id = ?",
                            (f"lease expired after {attempts} attempts", now, self.name, item_id))
                        continue
                    self._db.execute(
                        "UPDATE queue_items SET status = 'leased', attempts = attempts + 1, lease_until = ?, "
                        "updated_at = ? WHERE queue = ? AND id = ?", (now + lease_seconds, now, self.name, item_id))
                    self._db.execute("COMMIT")
                    return QueueItem(item_id, user_key, payload, attempts + 1, last_error)
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        return await self._run(op)

    async def ack(self, item_id: str) -> None:
        now = self._clock()
        await self._run(lambda: self._db.execute(
            "UPDATE queue_items SET status = 'done', payload = '', lease_until = NULL, updated_at = ? "
            "WHERE queue = ? AND id = ?", (now, self.name, item_id)))

    async def release(self, item_id: str) -> None:
        now = self._clock()
        await self._run(lambda: self._db.execute(
            "UPDATE queue_items SET status = 'pending', attempts = max(attempts - 1, 0), available_at = ?, "
            "lease_until = NULL, updated_at = ? WHERE queue = ? AND id = ? AND status = 'leased'",
            (now, now, self.name, item_id)))

    async def retry(self, item_id: str, reason: str, *, after: float | None = None) -> bool:
        def op() -> bool:
            now = self._clock()
            row = self._db.execute("SELECT attempts FROM queue_items WHERE queue = ? AND id = ?",
                                   (self.name, item_id)).fetchone()
            if row is None:
                return False
            attempts = int(row[0])
            if attempts >= self._retry.max_attempts:
                self._db.execute("UPDATE queue_items SET status = 'dead', last_error = ?, lease_until = NULL, "
                                 "updated_at = ? WHERE queue = ? AND id = ?", (reason, now, self.name, item_id))
                return False
            self._db.execute(
                "UPDATE queue_items SET status = 'pending', available_at = ?, lease_until = NULL, last_error = ?, "
                "updated_at = ? WHERE queue = ? AND id = ?",
                (now + max(self._retry.delay(attempts), after or 0.0), reason, now, self.name, item_id))
            return True
        return await self._run(op)

    async def bury(self, item_id: str, reason: str) -> None:
        now = self._clock()
        await self._run(lambda: self._db.execute(
            "UPDATE queue_items SET status = 'dead', last_error = ?, lease_until = NULL, updated_at = ? "
            "WHERE queue = ? AND id = ?", (reason, now, self.name, item_id)))

    async def forget_user(self, user_key: str) -> int:
        return await self._run(lambda: self._db.execute(
            "DELETE FROM queue_items WHERE queue = ? AND user_key = ?", (self.name, user_key)).rowcount)

    async def stats(self) -> QueueStats:
        def op() -> QueueStats:
            counts = dict(self._db.execute(
                "SELECT status, count(*) FROM queue_items WHERE queue = ? GROUP BY status", (self.name,)).fetchall())
            return QueueStats(counts.get("pending", 0), counts.get("leased", 0), counts.get("done", 0),
                              counts.get("dead", 0))
        return await self._run(op)

    async def dead_letters(self, limit: int = 100) -> list[QueueItem]:
        def op() -> list[QueueItem]:
            rows = self._db.execute(
                "SELECT id, user_key, payload, attempts, last_error FROM queue_items WHERE queue = ? AND "
                "status = 'dead' ORDER BY updated_at LIMIT ?", (self.name, limit)).fetchall()
            return [QueueItem(*r) for r in rows]
        return await self._run(op)

    async def purge_done_before(self, cutoff: float) -> int:
        return await self._run(lambda: self._db.execute(
            "DELETE FROM queue_items WHERE queue = ? AND status = 'done' AND updated_at < ?",
            (self.name, cutoff)).rowcount)

    async def close(self) -> None:
        await self._run(self._db.close)

    def __repr__(self) -> str:
        return f"SqliteQueue({self._path}, {self.name!r})"


