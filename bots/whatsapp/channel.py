"""The WhatsApp channel: a Twilio webhook form translated into the durable inbox, and delivery statuses kept."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from genius_loci.connectors.sealing import Sealer
from genius_loci.core.ports import Queue, Store
from genius_loci.core.voice import Voice

from ..http import ApiError
from ..inbox import Ignored, enqueue
from ..ratelimit import SenderLimit
from .translate import CHANNEL, BadForm, to_incoming

log = logging.getLogger("genius_loci.whatsapp")


class WhatsAppChannel:
    def __init__(self, inbox: Queue, store: Store, key_of: Callable[[str], str], sealer: Sealer, voice: Voice,
                 limit: SenderLimit) -> None:
        self._inbox = inbox
        self._store = store
        self._key_of = key_of
        self._sealer = sealer
        self._voice = voice
        self._limit = limit

    async def accept(self, form: Mapping[str, str]) -> str:
        """Queues the message (deduplicated on ``MessageSid``); returns a polite reply to give at once instead
        when the sender is over the limit, else an empty string."""
        try:
            message = to_incoming(form, key_of=self._key_of, seal=self._sealer.seal)
        except BadForm as exc:
            raise ApiError(400, str(exc)) from exc
        if not isinstance(message, Ignored) and not self._limit.allow(message.user_id):
            log.warning("sender over the limit", extra={"event": "whatsapp.rate_limited", "user": message.user_id})
            return self._voice.say("slow_down", message.language_hint or self._voice.default_language)
        await enqueue(self._inbox, message, channel=CHANNEL)
        return ""

    async def status(self, form: Mapping[str, str]) -> None:
        """Records ``delivered``, ``read``, ``failed``… for a message this deployment sent."""
        sid, status = form.get("MessageSid") or form.get("SmsSid"), form.get("MessageStatus") or form.get("SmsStatus")
        if not sid or not status:
            raise ApiError(400, "a status callback needs MessageSid and MessageStatus")
        detail = form.get("ErrorCode", "")
        known = await self._store.record_delivery(sid, status, detail=detail)
        log.info("delivery status", extra={"event": "whatsapp.status", "status": status, "error_code": detail,
                                           "known": known})
