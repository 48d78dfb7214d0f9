"""The messaging channels a deployment has turned on, built from the settings: their senders for the outbox,
their "typing…" presence for the inbox worker, and what their webhooks need."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fastapi import APIRouter
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.web.async_client import AsyncWebClient

from genius_loci.config.settings import Settings
from genius_loci.core.errors import ConfigError
from genius_loci.core.ports import DraftWriter, Presence, Sender
from genius_loci.core.speech import MediaSource
from genius_loci.core.teaching import Teaching
from genius_loci.core.types import Partner, QueueItem
from genius_loci.core.voice import Voice

from .digest import DigestSource
from .ratelimit import SenderLimit
from .slack import webhook as slack_webhook
from .slack.channel import SlackChannel, build_client
from .slack.desk import TeachingDesk
from .slack.sender import SlackSender
from .state import State
from .telegram import webhook as telegram_webhook
from .telegram.channel import TelegramChannel, build_bot
from .telegram.media import TelegramMedia
from .telegram.sender import TelegramSender
from .whatsapp import webhook as whatsapp_webhook
from .whatsapp.channel import WhatsAppChannel
from .whatsapp.media import TwilioMedia
from .whatsapp.sender import WhatsAppSender


class ReplyInResponse:
    """Sender of channels whose reply travels in the HTTP response (web, terminal): the turn is
    read from the store by the request that asked, so delivery here only closes the outbox entry."""

    async def send(self, item: QueueItem) -> None:
        return None


@dataclass
class Channels:
    telegram: TelegramChannel | None = None
    whatsapp: WhatsAppChannel | None = None
    slack: SlackChannel | None = None
    slack_client: AsyncWebClient | None = None  # the bot's, for what is posted outside replies (digests)
    slack_app_token: str | None = None  # Socket Mode: Slack's events come over a websocket, not a webhook
    _socket: AsyncSocketModeHandler | None = None
    senders: dict[str, Sender] = field(default_factory=dict)
    presence: dict[str, Presence] = field(default_factory=dict)
    drafts: dict[str, DraftWriter] = field(default_factory=dict)
    media: dict[str, MediaSource] = field(default_factory=dict)  # where voice notes are fetched from

    async def start(self) -> None:
        if self.telegram is not None:
            await self.telegram.start()
        if self.slack is not None:
            await self.slack.start()
        if self.slack is not None and self.slack_app_token:
            self._socket = AsyncSocketModeHandler(self.slack.app, self.slack_app_token)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]

    async def aclose(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        if self.telegram is not None:
            await self.telegram.stop()
        whatsapp = self.senders.get("whatsapp")
        if isinstance(whatsapp, WhatsAppSender):
            await whatsapp.aclose()


def build_channels(settings: Settings, state: State, voice: Voice, *, telegram_polling: bool = False,
                   slack_socket_mode: bool = False, teaching: Teaching | None = None,
                   partners: tuple[Partner, ...] = ()) -> Channels:
    channels = Channels(senders={"web": ReplyInResponse(), "cli": ReplyInResponse()})
    if settings.telegram_enabled:
        bot = build_bot(settings, polling=telegram_polling)
        channels.telegram = TelegramChannel(bot, state.inbox, lambda uid: state.user_key("telegram", uid),
                                            state.sealer)
        sender = TelegramSender(bot, voice, state.sealer, settings.public_url)
        channels.senders["telegram"] = sender
        channels.presence["telegram"] = sender
        channels.drafts["telegram"] = sender
        channels.media["telegram"] = TelegramMedia(bot, state.sealer)
    if settings.whatsapp_enabled:
        assert settings.twilio_account_sid is not None and settings.twilio_auth_token is not None
        if not settings.whatsapp_from and not settings.twilio_messaging_service_sid:
            raise ConfigError("the WhatsApp channel needs LOCI_WHATSAPP_FROM (e.g. whatsapp:+14155238886) or "
                              "LOCI_TWILIO_MESSAGING_SERVICE_SID")
        channels.whatsapp = WhatsAppChannel(state.inbox, state.store, lambda n: state.user_key("whatsapp", n),
                                            state.sealer, voice, SenderLimit(settings.sender_messages_per_minute))
        channels.senders["whatsapp"] = WhatsAppSender(
            settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value(), settings.twilio_api_base_url,
            from_=settings.whatsapp_from, messaging_service_sid=settings.twilio_messaging_service_sid,
            sealer=state.sealer, voice=voice, store=state.store, public_url=settings.public_url)
        channels.media["whatsapp"] = TwilioMedia(settings.twilio_account_sid,
                                                 settings.twilio_auth_token.get_secret_value(),
                                                 settings.twilio_api_base_url, state.sealer)
    if settings.slack_enabled:
        assert settings.slack_signing_secret is not None
        if slack_socket_mode and settings.slack_app_token is None:
            raise ConfigError("--slack-socket-mode needs LOCI_SLACK_APP_TOKEN (an xapp-… app-level token with "
                              "connections:write)")
        client = build_client(settings)
        desk = None
        if teaching is not None:  # partners teach the assistant from Slack (the learning loop)
            desk = TeachingDesk(teaching, partners, lambda uid: state.user_key("slack", uid),
                                reviewers=settings.reviewers, review_channel=settings.slack_review_channel,
                                digests=DigestSource(state.store, partners, settings.digest_every_days))
        channels.slack = SlackChannel(client, settings.slack_signing_secret.get_secret_value(), state.inbox,
                                      lambda uid: state.user_key("slack", uid), state.sealer, desk)
        channels.slack_client = client
        if slack_socket_mode and settings.slack_app_token is not None:
            channels.slack_app_token = settings.slack_app_token.get_secret_value()
        channels.senders["slack"] = SlackSender(client, voice, state.sealer, settings.public_url,
                                                improve=desk is not None)
    return channels


def webhook_routers(settings: Settings, *, telegram_polling: bool = False,
                    slack_socket_mode: bool = False) -> Mapping[str, APIRouter]:
    """The webhooks of the channels the settings turn on (a channel in polling mode has none)."""
    routers: dict[str, APIRouter] = {}
    if settings.telegram_enabled and not telegram_polling:
        if settings.telegram_secret_token is None:
            raise ConfigError("LOCI_TELEGRAM_BOT_TOKEN is set but LOCI_TELEGRAM_SECRET_TOKEN is not: choose a random "
                              "secret (1-256 of A-Z a-z 0-9 _ -), set it, and run `loci telegram set-webhook`; or "
                              "serve with --telegram-polling")
        routers["telegram"] = telegram_webhook.router(settings.telegram_secret_token.get_secret_value(),
                                                      settings.max_body_bytes)
    if settings.whatsapp_enabled:
        assert settings.twilio_auth_token is not None
        if not settings.public_url:
            raise ConfigError("the WhatsApp channel needs LOCI_PUBLIC_URL: Twilio signs each request with the URL it "
                              "calls, so the server must know it (behind a proxy: the proxy's public https URL)")
        routers["whatsapp"] = whatsapp_webhook.router(settings.twilio_auth_token.get_secret_value(),
                                                      settings.public_url, settings.max_body_bytes)
    if settings.slack_enabled and not slack_socket_mode:
        routers["slack"] = slack_webhook.router(settings.max_body_bytes)
    return routers
