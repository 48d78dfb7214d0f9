"""Outbox replies to Telegram through python-telegram-bot's ``Bot``; its errors become ``DeliveryError``s."""

from __future__ import annotations

import contextlib
import html
import logging
from collections.abc import AsyncIterator

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, ReplyParameters
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from genius_loci.connectors.sealing import Sealer
from genius_loci.core.envelope import reply_from_payload
from genius_loci.core.errors import DeliveryError
from genius_loci.core.types import QueueItem
from genius_loci.core.voice import Voice

from .render import MAX_CHARS, Part, render
from .translate import Address

log = logging.getLogger("genius_loci.telegram")
CALLBACK_TEXT_LIMIT = 200  # Telegram shows at most this much in a button's notification
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def _replying(address: Address) -> ReplyParameters | None:
    """In groups the reply quotes the question."""
    if address.reply_to_message is None:
        return None
    return ReplyParameters(address.reply_to_message, allow_sending_without_reply=True)


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
    """``Sender``, ``Presence`` and ``DraftWriter`` of the Telegram channel."""

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
        for index, part in enumerate(parts):
            editable = part.markup is None or isinstance(part.markup, InlineKeyboardMarkup)
            if index == 0 and reply.draft and editable and await self._replace_draft(address, reply.draft, part):
                continue
            async with delivery_errors():
                await self._bot.send_message(address.chat, part.html, parse_mode=ParseMode.HTML,
                                             reply_markup=part.markup, reply_parameters=_replying(address),
                                             link_preview_options=NO_PREVIEW)

    async def draft(self, reply_to: str, text: str, ref: str | None) -> str:
        """The answer as a language model writes it: one message, edited as it grows (``DraftWriter``)."""
        address = Address.loads(self._sealer.open(reply_to))
        shown = html.escape(text[: MAX_CHARS - 2], quote=False) + " …"
        async with delivery_errors():
            if ref is None:
                sent = await self._bot.send_message(address.chat, shown, parse_mode=ParseMode.HTML,
                                                    reply_parameters=_replying(address),
                                                    link_preview_options=NO_PREVIEW)
                return str(sent.message_id)
            await self._bot.edit_message_text(shown, chat_id=address.chat, message_id=int(ref),
                                              parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW)
            return ref

    async def _replace_draft(self, address: Address, ref: str, part: Part) -> bool:
        """The draft message becomes the answer's first part; False when it cannot be edited any more."""
        inline = part.markup if isinstance(part.markup, InlineKeyboardMarkup) else None
        try:
            async with delivery_errors():
                await self._bot.edit_message_text(part.html, chat_id=address.chat, message_id=int(ref),
                                                  parse_mode=ParseMode.HTML, reply_markup=inline,
                                                  link_preview_options=NO_PREVIEW)
        except DeliveryError as exc:
            if "not modified" in str(exc).lower():  # a retry after it was replaced already
                return True
            if not exc.permanent:
                raise
            log.info("draft not replaced", extra={"event": "telegram.draft_lost", "reason": str(exc)})
            return False
        return True

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
