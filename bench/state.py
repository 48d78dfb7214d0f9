"""Durable-state costs on this machine: ``python -m bench.state`` (part of ``make bench``).

- inbox put, and take (claim + ack), one message at a time: median and p99 ms, messages/s;
- the same messages through 4 concurrent consumers: end-to-end messages/s;
- the store's turn write (one INSERT, idempotent) for SQLite and PostgreSQL: median and p99 ms.

Backends that are not reachable are reported as skipped. Prints a table, then the JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from rich.console import Console
from rich.table import Table

from bench import save_results
from genius_loci.connectors.queue.redis_queue import RedisQueue
from genius_loci.connectors.queue.sqlite_queue import SqliteQueue
from genius_loci.connectors.store.migrate import upgrade
from genius_loci.connectors.store.sql import SqlStore
from genius_loci.core.errors import ProviderError
from genius_loci.core.types import Answer, Citation, QueueItem, Turn

REDIS_URL = "redis://127.0.0.1:6379/14"
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PAYLOAD = json.dumps({"channel": "web", "user_id": "web:x", "text": "Où voir la Bonne Mère ?" * 3})


def _summary(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {"median_ms": round(statistics.median(ordered), 3),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 3)}


async def _timed(n: int, op: Callable[[int], Awaitable[object]]) -> tuple[list[float], float]:
    lat = []
    start = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        await op(i)
        lat.append((time.perf_counter() - t) * 1000)
    return lat, time.perf_counter() - start


async def bench_queue(queue: Any, n: int) -> dict[str, Any]:
    put_ms, put_s = await _timed(n, lambda i: queue.put(QueueItem(f"web:seq{i}", "web:x", PAYLOAD)))

    async def take(_: int) -> None:
        item = await queue.claim(30)
        assert item is not None
        await queue.ack(item.id)

    take_ms, take_s = await _timed(n, take)
    for i in range(n):
        await queue.put(QueueItem(f"web:par{i}", "web:x", PAYLOAD))
    done = 0

    async def consumer() -> None:
        nonlocal done
        while (item := await queue.claim(30)) is not None:
            await queue.ack(item.id)
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(consumer() for _ in range(4)))
    concurrent_s = time.perf_counter() - start
    assert done == n
    return {"put": {**_summary(put_ms), "per_s": round(n / put_s)},
            "take": {**_summary(take_ms), "per_s": round(n / take_s)},
            "put_take_per_s": round(n / (put_s + take_s)),
            "take_4_consumers_per_s": round(n / concurrent_s)}


def _turn(i: int) -> Turn:
    answer = Answer("Voici [1]", "fr", 0.9, "answered", (Citation(1, "T", "https://t", "d#0"),), None,
                    "extractive", {"total": 40.0})
    return Turn(f"web:t{i}", f"web:u{i % 50}", "web", "Question ?", answer, 40.0, time.time())


async def bench_store(url: str, n: int) -> dict[str, Any]:
    await upgrade(url)
    store = SqlStore.from_url(url)
    try:
        ms, total = await _timed(n, lambda i: store.record_turn(_turn(i)))
        return {**_summary(ms), "per_s": round(n / total)}
    finally:
        await store.close()


async def main(n: int) -> dict[str, Any]:
    result: dict[str, Any] = {"n": n, "queue": {}, "store_turn_write": {}}
    with tempfile.TemporaryDirectory() as tmp:
        q = SqliteQueue(Path(tmp) / "queue.sqlite", "inbox")
        result["queue"]["sqlite"] = await bench_queue(q, n)
        await q.close()
        result["store_turn_write"]["sqlite"] = await bench_store(f"sqlite+aiosqlite:///{tmp}/state.sqlite", n)
    namespace = f"loci-bench-{uuid.uuid4().hex[:8]}"
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        rq = RedisQueue(client, "inbox", namespace=namespace)
        try:
            result["queue"]["redis"] = await bench_queue(rq, n)
        finally:
            keys = [k async for k in client.scan_iter(f"{namespace}:*")]
            if keys:
                await client.delete(*keys)
            await rq.close()
    except (ProviderError, RedisError, OSError) as exc:
        result["queue"]["redis"] = {"skipped": str(exc)}
    try:
        import asyncpg

        name = f"loci_bench_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(POSTGRES_ADMIN)
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
            result["store_turn_write"]["postgresql"] = await bench_store(url, n)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    except (OSError, ProviderError) as exc:
        result["store_turn_write"]["postgresql"] = {"skipped": str(exc)}
    return result


def show(result: dict[str, Any]) -> None:
    console = Console()
    table = Table(title=f"Inbox, {result['n']} messages (2 cores)")
    for col in ("backend", "put median ms", "put p99 ms", "take median ms", "take p99 ms", "put+take msg/s",
                "4 consumers msg/s"):
        table.add_column(col, justify="right")
    for name, r in result["queue"].items():
        if "skipped" in r:
            table.add_row(name, "skipped", "", "", "", "", "")
            continue
        table.add_row(name, f"{r['put']['median_ms']:.3f}", f"{r['put']['p99_ms']:.3f}",
                      f"{r['take']['median_ms']:.3f}", f"{r['take']['p99_ms']:.3f}", str(r["put_take_per_s"]),
                      str(r["take_4_consumers_per_s"]))
    console.print(table)
    store = Table(title="Store: one turn write")
    for col in ("backend", "median ms", "p99 ms", "writes/s"):
        store.add_column(col, justify="right")
    for name, r in result["store_turn_write"].items():
        if "skipped" in r:
            store.add_row(name, "skipped", "", "")
        else:
            store.add_row(name, f"{r['median_ms']:.3f}", f"{r['p99_ms']:.3f}", str(r["per_s"]))
    console.print(store)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=2000)
    outcome = asyncio.run(main(parser.parse_args().n))
    show(outcome)
    save_results("state", outcome)
