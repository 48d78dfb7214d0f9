"""Answering from the inbox and delivering through the outbox, exactly once from the user's view.

A message is acknowledged only after its turn is stored and its reply is in the outbox. Both are
keyed on the inbox id, so a worker that dies half-way leaves nothing that a second pass would
duplicate: the turn insert is ignored, the stored answer is reused, the outbox put is deduplicated.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping

from .conversation import Conversation
from .envelope import Reply, message_from_payload, reply_from_payload, reply_to_payload
from .errors import DeliveryError, LociError
from .ports import DraftWriter, Presence, Queue, Sender
from .streaming import DeltaHub, LiveDraft, streaming_to
from .types import QueueItem

log = logging.getLogger("genius_loci.worker")


class InboxWorker:
    def __init__(self, inbox: Queue, outbox: Queue, conversation: Conversation, *, lease_seconds: float = 60.0,
                 idle_seconds: float = 0.05, hub: DeltaHub | None = None,
                 presence: Mapping[str, Presence] | None = None, drafts: Mapping[str, DraftWriter] | None = None,
                 draft_interval: float = 1.0) -> None:
        self._inbox = inbox
        self._presence = presence or {}
        self._drafts = drafts or {}
        self._draft_interval = draft_interval
        self._hub = hub or DeltaHub()
        self._outbox = outbox
        self._conversation = conversation
        self._lease = lease_seconds
        self._idle = idle_seconds

    async def run_once(self) -> bool:
        """Answers one message if there is one; True when it did some work."""
        return await work_on_one(self._inbox, self._lease, self._process, "inbox")

    async def _process(self, item: QueueItem) -> None:
        message = message_from_payload(item.payload)
        presence = self._presence.get(message.channel)
        typing = None
        if presence is not None and message.reply_to and not message.quiet:  # shown while the answer is computed
            typing = asyncio.create_task(self._show_working(presence, message.reply_to, item.id))
        writer = self._drafts.get(message.channel)
        live = None
        if writer is not None and message.reply_to and not message.quiet:
            live = LiveDraft(functools.partial(writer.draft, message.reply_to), self._draft_interval)
        try:
            # a web request waiting for this message, or a channel that edits a draft, sees the answer written
            with self._hub.publishing(item.id), streaming_to(live.add) if live else contextlib.nullcontext():
                answer = await self._conversation.handle(message, item.id)
        finally:
            draft = await live.close() if live is not None else None
            if typing is not None:
                await typing
        if answer.text:  # an empty answer is a quiet one (a live location's update): nothing to send
            reply = Reply(item.id, message.channel, message.user_id, message.reply_to, answer, draft or "")
            await self._outbox.put(QueueItem(item.id, message.user_id, reply_to_payload(reply)))
        log.info("message answered", extra={"event": "inbox.answered", "item": item.id, "user": item.user_key,
                                            "status": answer.status, "confidence": round(answer.confidence, 3)})

    @staticmethod
    async def _show_working(presence: Presence, reply_to: str, item_id: str) -> None:
        """Best effort: the answer matters, the indicator does not."""
        try:
            await presence.working(reply_to)
        except LociError as exc:
            log.info("typing indicator failed", extra={"event": "inbox.presence_failed", "item": item_id,
                                                       "reason": str(exc)})

    async def run(self, stop: asyncio.Event) -> None:
        """Works until ``stop`` is set; the message in hand is finished first."""
        await run_until(stop, self.run_once, self._idle, "inbox")


class OutboxDispatcher:
    """Sends replies through each channel's sender, retrying with backoff; one send per answer id."""

    def __init__(self, outbox: Queue, senders: Mapping[str, Sender], *, lease_seconds: float = 30.0,
                 idle_seconds: float = 0.05) -> None:
        self._outbox = outbox
        self._senders = senders
        self._lease = lease_seconds
        self._idle = idle_seconds

    async def run_once(self) -> bool:
        return await work_on_one(self._outbox, self._lease, self._send, "outbox")

    async def _send(self, item: QueueItem) -> None:
        reply = reply_from_payload(item.payload)
        sender = self._senders.get(reply.channel)
        if sender is None:
            raise LociError(f"no sender for channel {reply.channel!r}")
        await sender.send(item)

    async def run(self, stop: asyncio.Event) -> None:
        await run_until(stop, self.run_once, self._idle, "outbox")


async def work_on_one(queue: Queue, lease: float, work: Callable[[QueueItem], Awaitable[None]], name: str) -> bool:
    """Claims one item and works on it: acknowledged when the work is done, given back at once if the
    worker is cancelled, retried with backoff (then dead-lettered) with the reason when the work fails.
    Returns whether there was an item."""
    item = await queue.claim(lease)
    if item is None:
        return False
    try:
        await work(item)
    except asyncio.CancelledError:
        await asyncio.shield(queue.release(item.id))
        raise
    except Exception as exc:  # recorded on the item, never lost
        reason = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, DeliveryError) and exc.permanent:  # retrying cannot help: dead letter, with the reason
            await queue.bury(item.id, reason)
            retried = False
        else:  # a platform that asked to wait (429 Retry-After) is not tried sooner
            after = exc.retry_after if isinstance(exc, DeliveryError) else None
            retried = await queue.retry(item.id, reason, after=after)
        log.warning("work failed", extra={"event": f"{name}.failed", "item": item.id, "user": item.user_key,
                                          "attempts": item.attempts, "dead": not retried, "reason": reason})
        return True
    await queue.ack(item.id)
    return True


async def run_until(stop: asyncio.Event, step: Callable[[], Awaitable[bool]], idle: float, queue: str) -> None:
    """Calls ``step`` until ``stop`` is set, pausing ``idle`` seconds whenever it found no work."""
    while not stop.is_set():
        try:
            busy = await step()
        except LociError as exc:  # the queue itself is unreachable: wait, then try again
            log.error("queue unavailable", extra={"event": f"{queue}.unavailable", "reason": str(exc)})
            busy = False
        if not busy:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=idle)
