"""Outbox replies to WhatsApp through Twilio's REST API (the twilio SDK's async client); its errors become
``DeliveryError``s, and every message sent is recorded for the delivery statuses that follow."""

from __future__ import annotations

import logging

from aiohttp import ClientError
from twilio.base import values
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from genius_loci.connectors.sealing import Sealer
from genius_loci.core.envelope import reply_from_payload
from genius_loci.core.errors import DeliveryError
from genius_loci.core.ports import Store
from genius_loci.core.types import QueueItem
from genius_loci.core.voice import Voice

from .render import render
from .translate import CHANNEL
from .webhook import STATUS_PATH

log = logging.getLogger("genius_loci.whatsapp")
# Twilio error codes that no retry can fix: outside the 24-hour window, invalid or unreachable numbers,
# an opted-out recipient, a sender not allowed to send.
FINAL_CODES = frozenset({63016, 21211, 21614, 21610, 63003, 63024, 21408, 63007, 21606})


class WhatsAppSender:
    """``Sender`` of the WhatsApp channel; the Twilio client is made on first use, inside the event loop."""

    def __init__(self, account_sid: str, auth_token: str, api_base_url: str, *, from_: str | None,
                 messaging_service_sid: str | None, sealer: Sealer, voice: Voice, store: Store,
                 public_url: str | None) -> None:
        self._credentials = (account_sid, auth_token)
        self._api_base_url = api_base_url.rstrip("/")
        self._from = from_
        self._service = messaging_service_sid
        self._sealer = sealer
        self._voice = voice
        self._store = store
        self._public_url = public_url
        self._client: Client | None = None

    def client(self) -> Client:
        if self._client is None:
            client = Client(*self._credentials, http_client=AsyncTwilioHttpClient(timeout=15))
            client.api.base_url = self._api_base_url  # the SDK's own paths stay under it
            self._client = client
        return self._client

    async def send(self, item: QueueItem) -> None:
        reply = reply_from_payload(item.payload)
        to = self._sealer.open(reply.reply_to)
        status_callback = f"{self._public_url.rstrip('/')}{STATUS_PATH}" if self._public_url else None
        sender = {"from_": self._from} if self._from else {"messaging_service_sid": self._service}
        for part in render(reply.answer, self._voice, reply.turn_id, public_url=self._public_url):
            try:
                message = await self.client().messages.create_async(
                    to=to, body=part, status_callback=status_callback or values.unset, **sender)
            except TwilioRestException as exc:
                final = exc.code in FINAL_CODES or (400 <= exc.status < 500 and exc.status != 429)
                raise DeliveryError(f"twilio {exc.status} error {exc.code}: {exc.msg}", permanent=final) from exc
            except (ClientError, TimeoutError, OSError) as exc:
                raise DeliveryError(f"twilio unreachable: {type(exc).__name__}: {exc}") from exc
            await self._store.record_delivery(str(message.sid), str(message.status or "queued"),
                                              turn_id=reply.turn_id, user_key=reply.user_key, channel=CHANNEL)

    async def aclose(self) -> None:
        if self._client is not None and isinstance(self._client.http_client, AsyncTwilioHttpClient):
            await self._client.http_client.close()
