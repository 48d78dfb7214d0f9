"""What every entry point does with a message it accepted: put it in the durable inbox, once."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from genius_loci.core.envelope import inbox_id, message_to_payload
from genius_loci.core.ports import Queue
from genius_loci.core.types import IncomingMessage, QueueItem

log = logging.getLogger("genius_loci.inbox")


@dataclass(frozen=True, slots=True)
class Ignored:
    """A platform payload a channel leaves alone on purpose, and why (logged, never answered)."""

    reason: str


async def enqueue(inbox: Queue, message: IncomingMessage | Ignored, *, channel: str) -> str:
    """``queued``, ``duplicate`` (a platform's retry, already accepted under the same id) or ``ignored``."""
    if isinstance(message, Ignored):
        log.info("message ignored", extra={"event": f"{channel}.ignored", "reason": message.reason})
        return "ignored"
    item_id = inbox_id(message.channel, message.message_id)
    fresh = await inbox.put(QueueItem(item_id, message.user_id, message_to_payload(message)))
    log.info("message queued", extra={"event": "inbox.queued", "item": item_id, "user": message.user_id,
                                      "duplicate": not fresh})
    return "queued" if fresh else "duplicate"
