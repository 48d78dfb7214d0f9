"""The contract every durable queue adapter meets (SQLite file, Redis)."""

from __future__ import annotations

import asyncio

from genius_loci.core.types import QueueItem
from tests.contracts.conftest import Clock


def _item(n: int, user: str = "web:u1") -> QueueItem:
    return QueueItem(f"web:m{n}", user, f'{{"n": {n}}}')


async def test_put_deduplicates_even_after_processing(queue, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    assert await queue.put(_item(1)) is True
    assert await queue.put(_item(1)) is False
    claimed = await queue.claim(30)
    assert claimed is not None and claimed.id == "web:m1" and claimed.payload == '{"n": 1}'
    assert claimed.attempts == 1
    await queue.ack(claimed.id)
    assert await queue.put(_item(1)) is False  # a platform's late retry
    assert await queue.claim(30) is None


async def test_five_concurrent_deliveries_are_accepted_once(queue) -> None:  # type: ignore[no-untyped-def]
    results = await asyncio.gather(*(queue.put(_item(7)) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    stats = await queue.stats()
    assert stats.pending == 1


async def test_fifo_and_a_leased_item_is_not_handed_out_twice(queue) -> None:  # type: ignore[no-untyped-def]
    for n in (1, 2, 3):
        await queue.put(_item(n))
    first, second = await queue.claim(30), await queue.claim(30)
    assert (first.id, second.id) == ("web:m1", "web:m2")
    third = await queue.claim(30)
    assert third is not None and third.id == "web:m3"
    assert await queue.claim(30) is None
    stats = await queue.stats()
    assert (stats.pending, stats.leased) == (0, 3)


async def test_expired_lease_is_handed_out_again(queue, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    await queue.put(_item(1))
    held = await queue.claim(10)
    assert held is not None
    clock.now += 5
    assert await queue.claim(10) is None
    clock.now += 6  # the holder died: its lease ran out
    again = await queue.claim(10)
    assert again is not None and again.id == held.id and again.attempts == 2


async def test_retry_backs_off_then_dead_letters_with_the_reason(queue, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    await queue.put(_item(1))
    item = await queue.claim(30)
    assert await queue.retry(item.id, "model down") is True
    assert await queue.claim(30) is None  # not before the backoff (2 s)
    clock.now += 2.1
    item = await queue.claim(30)
    assert item is not None and item.attempts == 2 and item.last_error == "model down"
    assert await queue.retry(item.id, "model down again") is True
    clock.now += 4.1
    item = await queue.claim(30)
    assert item is not None and item.attempts == 3
    assert await queue.retry(item.id, "still down") is False  # third attempt was the last
    clock.now += 100
    assert await queue.claim(30) is None
    dead = await queue.dead_letters()
    assert [(d.id, d.last_error) for d in dead] == [("web:m1", "still down")]
    assert (await queue.stats()).dead == 1


async def test_lease_expiring_on_the_last_attempt_dead_letters(queue, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    await queue.put(_item(1))
    for _ in range(3):
        assert await queue.claim(5) is not None
        clock.now += 6
    assert await queue.claim(5) is None
    dead = await queue.dead_letters()
    assert len(dead) == 1 and "lease expired" in dead[0].last_error


async def test_release_gives_the_item_back_without_counting(queue) -> None:  # type: ignore[no-untyped-def]
    await queue.put(_item(1))
    item = await queue.claim(30)
    await queue.release(item.id)
    again = await queue.claim(30)
    assert again is not None and again.attempts == 1


async def test_forget_user_removes_every_state(queue, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    await queue.put(_item(1, "web:alice"))
    await queue.put(_item(2, "web:alice"))
    await queue.put(_item(3, "web:bob"))
    leased = await queue.claim(30)
    assert leased.id == "web:m1"
    assert await queue.forget_user("web:alice") == 2
    remaining = await queue.claim(30)
    assert remaining is not None and remaining.user_key == "web:bob"
    await queue.ack(remaining.id)
    assert await queue.claim(30) is None
    clock.now += 100  # the erased lease does not come back either
    assert await queue.claim(30) is None


async def test_retry_waits_at_least_what_the_platform_asked(queue, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    await queue.put(_item(1))
    item = await queue.claim(30)
    assert await queue.retry(item.id, "429 retry after 30 s", after=30) is True
    clock.now += 10  # past the 2 s backoff, not past the platform's 30 s
    assert await queue.claim(30) is None
    clock.now += 20.1
    again = await queue.claim(30)
    assert again is not None and again.last_error == "429 retry after 30 s"


async def test_bury_dead_letters_at_once_with_the_reason(queue, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    await queue.put(_item(1))
    await queue.put(_item(2))
    item = await queue.claim(30)
    await queue.bury(item.id, "63016: outside the 24-hour window")
    clock.now += 1000
    other = await queue.claim(30)
    assert other is not None and other.id == "web:m2"
    assert await queue.claim(30) is None
    dead = [(d.id, d.last_error) for d in await queue.dead_letters()]
    assert dead == [("web:m1", "63016: outside the 24-hour window")]
    stats = await queue.stats()
    assert (stats.dead, stats.leased) == (1, 1)
