"""Outbox replies to Telegram through python-telegram-bot's ``Bot``; its errors become ``DeliveryError``s."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from telegram import Bot, LinkPreviewOptions, ReplyParameters
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from genius_loci.connectors.sealing import Sealer
from genius_loci.core.envelope import reply_from_payload
from genius_loci.core.errors import DeliveryError
from genius_loci.core.types import QueueItem
from genius_loci.core.voice import Voice

from .render import render
from .translate import Address

log = logging.getLogger("genius_loci.telegram")
CALLBACK_TEXT_LIMIT = 200  # Telegram shows at most this much in a button's notification


@contextlib.asynccontextmanager
async def delivery_errors() -> AsyncIterator[None]:
    """Telegram's answers as the outbox understands them: wait as asked (429), give up when final (403: the
    person blocked the bot; 400: the chat is gone or the message malformed), retry the rest (5xx, network)."""
    try:
        yield
    except RetryAfter as exc:
        wait = exc.retry_after
        seconds = wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
        raise DeliveryError(f"telegram rate limit: retry after {seconds:.0f} s", retry_after=seconds) from exc
    except Forbidden as exc:
        raise DeliveryError(f"telegram refused (blocked by the user?): {exc.message}", permanent=True) from exc
    except BadRequest as exc:
        raise DeliveryError(f"telegram bad request: {exc.message}", permanent=True) from exc
    except TelegramError as exc:  # NetworkError, TimedOut, a 5xx
        raise DeliveryError(f"telegram unavailable: {type(exc).__name__}: {exc.message}") from exc


class TelegramSender:
    """``Sender`` and ``Presence`` of the Telegram channel."""

    def __init__(self, bot: Bot, voice: Voice, sealer: Sealer, public_url: str | None) -> None:
        self._bot = bot
        self._voice = voice
        self._sealer = sealer
        self._public_url = public_url

    async def send(self, item: QueueItem) -> None:
        reply = reply_from_payload(item.payload)
        address = Address.loads(self._sealer.open(reply.reply_to))
        answer = reply.answer
        if address.callback:
            await self._acknowledge(address.callback, answer.text if address.toast else "")
        if address.toast:
            return
        parts = render(answer, self._voice, reply.turn_id, public_url=self._public_url, private=address.private)
        reply_parameters = (ReplyParameters(address.reply_to_message, allow_sending_without_reply=True)
                            if address.reply_to_message else None)
        for part in parts:
            async with delivery_errors():
                await self._bot.send_message(address.chat, part.html, parse_mode=ParseMode.HTML,
                                             reply_markup=part.markup, reply_parameters=reply_parameters,
                                             link_preview_options=LinkPreviewOptions(is_disabled=True))

    async def working(self, reply_to: str) -> None:
        address = Address.loads(self._sealer.open(reply_to))
        if address.toast:
            return
        async with delivery_errors():
            await self._bot.send_chat_action(address.chat, ChatAction.TYPING)

    async def _acknowledge(self, callback: str, text: str) -> None:
        """Stops the button's spinner; a press older than Telegram keeps (about 15 minutes) is let go."""
        try:
            async with delivery_errors():
                await self._bot.answer_callback_query(callback, text=text[:CALLBACK_TEXT_LIMIT] or None)
        except DeliveryError as exc:
            if not exc.permanent:
                raise
            log.info("button press not acknowledged", extra={"event": "telegram.callback_expired",
                                                            "reason": str(exc)})
