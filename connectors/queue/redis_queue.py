"""A durable queue on Redis: every state change is one Lua script, so it is atomic across workers.

Keys under ``<namespace>:<queue>``: ``seen:<id>`` (dedupe marker, kept ``dedupe_seconds``),
``item:<id>`` (hash), ``ready`` (list), ``delayed`` and ``leased`` (sorted sets by due time),
``dead`` (list), ``user:<key>`` (ids of one person, for erasure), ``done`` (counter).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from genius_loci.core.errors import ProviderError
from genius_loci.core.ports import QueueStats
from genius_loci.core.types import QueueItem

from .backoff import RetryPolicy

_PUT = """
local p = ARGV[1]
if not redis.call('SET', p .. ':seen:' .. ARGV[2], '1', 'NX', 'EX', ARGV[5]) then return 0 end
redis.call('HSET', p .. ':item:' .. ARGV[2], 'user_key', ARGV[3], 'payload', ARGV[4], 'attempts', 0,
           'last_error', '', 'status', 'pending')
redis.call('RPUSH', p .. ':ready', ARGV[2])
redis.call('SADD', p .. ':user:' .. ARGV[3], ARGV[2])
return 1
"""

_CLAIM = """
local p, now, lease_until, max_attempts = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', p .. ':delayed', '-inf', now)) do
  redis.call('ZREM', p .. ':delayed', id)
  redis.call('RPUSH', p .. ':ready', id)
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', p .. ':leased', '-inf', now)) do
  redis.call('ZREM', p .. ':leased', id)
  local attempts = tonumber(redis.call('HGET', p .. ':item:' .. id, 'attempts') or '0')
  if attempts >= max_attempts then
    redis.call('HSET', p .. ':item:' .. id, 'status', 'dead', 'last_error',
               'lease expired after ' .. attempts .. ' attempts')
    redis.call('RPUSH', p .. ':dead', id)
  else
    redis.call('LPUSH', p .. ':ready', id)
  end
end
while true do
  local id = redis.call('LPOP', p .. ':ready')
  if not id then return false end
  local key = p .. ':item:' .. id
  if redis.call('EXISTS', key) == 1 then
    local attempts = redis.call('HINCRBY', key, 'attempts', 1)
    redis.call('HSET', key, 'status', 'leased')
    redis.call('ZADD', p .. ':leased', lease_until, id)
    local f = redis.call('HMGET', key, 'user_key', 'payload', 'last_error')
    return {id, f[1], f[2], attempts, f[3]}
  end
end
"""

_ACK = """
local p, id = ARGV[1], ARGV[2]
local key = p .. ':item:' .. id
local user = redis.call('HGET', key, 'user_key')
redis.call('ZREM', p .. ':leased', id)
if user then redis.call('SREM', p .. ':user:' .. user, id) end
if redis.call('DEL', key) == 1 then redis.call('INCR', p .. ':done') end
return 1
"""

_RELEASE = """
local p, id = ARGV[1], ARGV[2]
if redis.call('ZREM', p .. ':leased', id) == 1 then
  redis.call('HINCRBY', p .. ':item:' .. id, 'attempts', -1)
  redis.call('HSET', p .. ':item:' .. id, 'status', 'pending')
  redis.call('LPUSH', p .. ':ready', id)
end
return 1
"""

_RETRY = """
local p, id, now, reason = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local max_attempts, base, cap = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local after = tonumber(ARGV[8])
local key = p .. ':item:' .. id
if redis.call('EXISTS', key) == 0 then return 0 end
redis.call('ZREM', p .. ':leased', id)
local attempts = tonumber(redis.call('HGET', key, 'attempts'))
redis.call('HSET', key, 'last_error', reason)
if attempts >= max_attempts or after < 0 then
  redis.call('HSET', key, 'status', 'dead')
  redis.call('RPUSH', p .. ':dead', id)
  return 0
end
redis.call('HSET', key, 'status', 'pending')
redis.call('ZADD', p .. ':delayed', now + math.max(after, math.min(cap, base * 2 ^ math.max(0, attempts - 1))), id)
return 1
"""

_FORGET = """
local p, user = ARGV[1], ARGV[2]
local ids = redis.call('SMEMBERS', p .. ':user:' .. user)
for _, id in ipairs(ids) do
  redis.call('LREM', p .. ':ready', 0, id)
  redis.call('ZREM', p .. ':delayed', id)
  redis.call('ZREM', p .. ':leased', id)
  redis.call('LREM', p .. ':dead', 0, id)
  redis.call('DEL', p .. ':item:' .. id)
end
redis.call('DEL', p .. ':user:' .. user)
return #ids
"""


class RedisQueue:
    """One named queue on a Redis server; same contract as :class:`SqliteQueue`."""

    def __init__(self, client: Redis, name: str, *, namespace: str = "loci", retry: RetryPolicy = RetryPolicy(),
                 dedupe_seconds: int = 7 * 86400, clock: Callable[[], float] = time.time) -> None:
        self._redis = client
        self.name = name
        self._prefix = f"{namespace}:{name}"
        self._retry = retry
        self._dedupe = dedupe_seconds
        self._clock = clock
        self._put = client.register_script(_PUT)
        self._claim = client.register_script(_CLAIM)
        self._ack = client.register_script(_ACK)
        self._release = client.register_script(_RELEASE)
        self._retry_script = client.register_script(_RETRY)
        self._forget = client.register_script(_FORGET)

    @classmethod
    def from_url(cls, url: str, name: str, **kwargs: Any) -> RedisQueue:
        return cls(Redis.from_url(url, decode_responses=True), name, **kwargs)

    async def _call(self, script: Any, *args: Any) -> Any:
        try:
            return await script(keys=[], args=[self._prefix, *args])
        except (RedisError, OSError) as exc:
            raise ProviderError(f"queue {self.name} on Redis: {type(exc).__name__}: {exc}") from exc

    async def put(self, item: QueueItem) -> bool:
        return bool(await self._call(self._put, item.id, item.user_key, item.payload, self._dedupe))

    async def claim(self, lease_seconds: float) -> QueueItem | None:
        now = self._clock()
        row = await self._call(self._claim, now, now + lease_seconds, self._retry.max_attempts)
        if not row:
            return None
        item_id, user_key, payload, attempts, last_error = row
        return QueueItem(item_id, user_key, payload, int(attempts), last_error or "")

    async def ack(self, item_id: str) -> None:
        await self._call(self._ack, item_id)

    async def release(self, item_id: str) -> None:
        await self._call(self._release, item_id)

    async def retry(self, item_id: str, reason: str, *, after: float | None = None) -> bool:
        r = self._retry
        return bool(await self._call(self._retry_script, item_id, self._clock(), reason, r.max_attempts,
                                     r.base_seconds, r.max_seconds, max(0.0, after or 0.0)))

    async def bury(self, item_id: str, reason: str) -> None:
        """The retry script with a negative wait: straight to the dead letter."""
        r = self._retry
        await self._call(self._retry_script, item_id, self._clock(), reason, r.max_attempts, r.base_seconds,
                         r.max_seconds, -1)

    async def forget_user(self, user_key: str) -> int:
        return int(await self._call(self._forget, user_key))

    async def stats(self) -> QueueStats:
        p = self._prefix
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.llen(f"{p}:ready")
                pipe.zcard(f"{p}:delayed")
                pipe.zcard(f"{p}:leased")
                pipe.get(f"{p}:done")
                pipe.llen(f"{p}:dead")
                ready, delayed, leased, done, dead = await pipe.execute()
        except (RedisError, OSError) as exc:
            raise ProviderError(f"queue {self.name} on Redis: {exc}") from exc
        return QueueStats(int(ready) + int(delayed), int(leased), int(done or 0), int(dead))

    async def dead_letters(self, limit: int = 100) -> list[QueueItem]:
        try:
            ids = [_text(i) for i in await self._redis.lrange(f"{self._prefix}:dead", 0, limit - 1)]
            items = []
            for item_id in ids:
                raw = await self._redis.hgetall(f"{self._prefix}:item:{item_id}")
                h = {_text(k): _text(v) for k, v in raw.items()}
                if h:
                    items.append(QueueItem(item_id, h["user_key"], h["payload"], int(h["attempts"]),
                                           h.get("last_error", "")))
            return items
        except (RedisError, OSError) as exc:
            raise ProviderError(f"queue {self.name} on Redis: {exc}") from exc

    async def purge_done_before(self, cutoff: float) -> int:
        """Nothing to do: processed items are deleted at once and dedupe markers expire by themselves."""
        return 0

    async def close(self) -> None:
        await self._redis.aclose()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
