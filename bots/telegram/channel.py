"""The Telegram channel: an update (webhook or polling) translated into the durable inbox, nothing more."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from telegram import Bot, Update, User
from telegram.error import TelegramError
from telegram.request import HTTPXRequest

from genius_loci.config.settings import Settings
from genius_loci.connectors.sealing import Sealer
from genius_loci.core.errors import ProviderError
from genius_loci.core.ports import Queue

from ..inbox import enqueue
from .translate import CHANNEL, to_incoming

log = logging.getLogger("genius_loci.telegram")
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
POLL_TIMEOUT_SECONDS = 25


def build_bot(settings: Settings, *, polling: bool = False) -> Bot:
    """The SDK's bot on the configured API base URL (a local Bot API server, or the tests' fake)."""
    assert settings.telegram_bot_token is not None
    get_updates = HTTPXRequest(read_timeout=POLL_TIMEOUT_SECONDS + 10) if polling else None
    return Bot(settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_api_base_url,
               base_file_url=settings.telegram_file_url, request=HTTPXRequest(connection_pool_size=16),
               get_updates_request=get_updates)


class TelegramChannel:
    """Accepts Telegram updates into the inbox, deduplicated on ``update_id``."""

    def __init__(self, bot: Bot, inbox: Queue, key_of: Callable[[str], str], sealer: Sealer) -> None:
        self.bot = bot
        self._inbox = inbox
        self._key_of = key_of
        self._sealer = sealer
        self._me: User | None = None

    async def start(self) -> None:
        """Reads the bot's own name (``getMe``), needed to see mentions in groups; a Telegram that does not
        answer yet is logged, and asked again at the next update."""
        try:
            await self.bot.initialize()
            self._me = self.bot.bot
        except TelegramError as exc:
            log.error("telegram getMe failed", extra={"event": "telegram.getme_failed", "reason":
                      f"{type(exc).__name__}: {exc.message}; check LOCI_TELEGRAM_BOT_TOKEN and "
                      "LOCI_TELEGRAM_API_BASE_URL"})

    async def stop(self) -> None:
        with contextlib.suppress(TelegramError, RuntimeError):
            await self.bot.shutdown()

    def read(self, data: Any) -> Update | None:
        """The SDK's reading of a webhook body, or None when it cannot read it (logged)."""
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            log.warning("unreadable update", extra={"event": "telegram.unreadable", "reason": "no update_id"})
            return None
        try:
            return Update.de_json(data, self.bot)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("unreadable update", extra={"event": "telegram.unreadable", "update": data["update_id"],
                                                    "reason": f"{type(exc).__name__}: {exc}"})
            return None

    async def accept(self, update: Update) -> str:
        """Puts the update's message in the inbox: ``queued``, ``duplicate`` or ``ignored``."""
        if self._me is None:
            await self.start()
        me = self._me
        translated = to_incoming(update, key_of=self._key_of, seal=self._sealer.seal,
                                 bot_username=(me.username or "") if me else "", bot_id=me.id if me else None)
        return await enqueue(self._inbox, translated, channel=CHANNEL)

    async def poll(self, stop: asyncio.Event) -> None:
        """Long polling for development without a public URL (the webhook is removed first)."""
        await self.bot.delete_webhook()
        offset: int | None = None
        while not stop.is_set():
            try:
                updates = await self.bot.get_updates(offset=offset, timeout=POLL_TIMEOUT_SECONDS,
                                                     allowed_updates=list(ALLOWED_UPDATES))
            except TelegramError as exc:
                log.warning("polling failed", extra={"event": "telegram.poll_failed", "reason": str(exc)})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=2)
                continue
            try:
                for update in updates:
                    await self.accept(update)
                    offset = update.update_id + 1
            except ProviderError as exc:  # the inbox is down: Telegram keeps what was not confirmed by the offset
                log.error("inbox unavailable", extra={"event": "telegram.inbox_unavailable", "reason": str(exc)})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=2)
