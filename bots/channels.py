"""The messaging channels a deployment has turned on, built from the settings: their senders for the outbox,
their "typing…" presence for the inbox worker, and what their webhooks need."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fastapi import APIRouter

from genius_loci.config.settings import Settings
from genius_loci.core.errors import ConfigError
from genius_loci.core.ports import Presence, Sender
from genius_loci.core.types import QueueItem
from genius_loci.core.voice import Voice

from .state import State
from .telegram import webhook as telegram_webhook
from .telegram.channel import TelegramChannel, build_bot
from .telegram.sender import TelegramSender


class ReplyInResponse:
    """Sender of channels whose reply travels in the HTTP response (web, terminal): the turn is
    read from the store by the request that asked, so delivery here only closes the outbox entry."""

    async def send(self, item: QueueItem) -> None:
        return None


@dataclass
class Channels:
    telegram: TelegramChannel | None = None
    senders: dict[str, Sender] = field(default_factory=dict)
    presence: dict[str, Presence] = field(default_factory=dict)

    async def start(self) -> None:
        if self.telegram is not None:
            await self.telegram.start()

    async def aclose(self) -> None:
        if self.telegram is not None:
            await self.telegram.stop()


def build_channels(settings: Settings, state: State, voice: Voice, *, telegram_polling: bool = False) -> Channels:
    channels = Channels(senders={"web": ReplyInResponse(), "cli": ReplyInResponse()})
    if settings.telegram_enabled:
        bot = build_bot(settings, polling=telegram_polling)
        channels.telegram = TelegramChannel(bot, state.inbox, lambda uid: state.user_key("telegram", uid),
                                            state.sealer)
        sender = TelegramSender(bot, voice, state.sealer, settings.public_url)
        channels.senders["telegram"] = sender
        channels.presence["telegram"] = sender
    return channels


def webhook_routers(settings: Settings, *, telegram_polling: bool = False) -> Mapping[str, APIRouter]:
    """The webhooks of the channels the settings turn on (a channel in polling mode has none)."""
    routers: dict[str, APIRouter] = {}
    if settings.telegram_enabled and not telegram_polling:
        if settings.telegram_secret_token is None:
            raise ConfigError("LOCI_TELEGRAM_BOT_TOKEN is set but LOCI_TELEGRAM_SECRET_TOKEN is not: choose a random "
                              "secret (1-256 of A-Z a-z 0-9 _ -), set it, and run `loci telegram set-webhook`; or "
                              "serve with --telegram-polling")
        routers["telegram"] = telegram_webhook.router(settings.telegram_secret_token.get_secret_value(),
                                                      settings.max_body_bytes)
    return routers
