"""Outbox replies to Slack through slack_sdk's ``AsyncWebClient``: ``chat.postMessage`` in the thread, or
``chat.postEphemeral`` to one person; Slack's errors become ``DeliveryError``s."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from genius_loci.connectors.sealing import Sealer
from genius_loci.core.envelope import reply_from_payload
from genius_loci.core.errors import DeliveryError
from genius_loci.core.types import QueueItem
from genius_loci.core.voice import Voice

from .render import render
from .translate import Address

# Errors no retry can fix: the app is not (or no longer) where it should post.
FINAL_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived", "account_inactive", "invalid_auth",
                          "token_revoked", "restricted_action", "user_not_in_channel", "invalid_blocks",
                          "msg_too_long", "no_text", "too_many_attachments", "invalid_arguments"})


class SlackSender:
    def __init__(self, client: AsyncWebClient, voice: Voice, sealer: Sealer, public_url: str | None, *,
                 improve: bool = False) -> None:
        self._improve = improve
        self._client = client
        self._voice = voice
        self._sealer = sealer
        self._public_url = public_url

    async def send(self, item: QueueItem) -> None:
        reply = reply_from_payload(item.payload)
        address = Address.loads(self._sealer.open(reply.reply_to))
        text, blocks = render(reply.answer, self._voice, reply.turn_id, public_url=self._public_url,
                              improve=self._improve)
        try:
            if address.ephemeral_to:
                await self._client.chat_postEphemeral(channel=address.channel, user=address.ephemeral_to, text=text,
                                                      blocks=blocks, thread_ts=address.thread_ts)
            else:
                await self._client.chat_postMessage(channel=address.channel, thread_ts=address.thread_ts, text=text,
                                                    blocks=blocks, unfurl_links=False, unfurl_media=False)
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) if exc.response is not None else ""
            status = exc.response.status_code if exc.response is not None else 0
            if error == "ratelimited" or status == 429:
                headers = {k.lower(): v for k, v in (exc.response.headers or {}).items()} if exc.response else {}
                wait = float(headers.get("retry-after", "1"))
                raise DeliveryError(f"slack rate limit: retry after {wait:.0f} s", retry_after=wait) from exc
            raise DeliveryError(f"slack error {status} {error}", permanent=error in FINAL_ERRORS) from exc
        except (SlackClientError, OSError, TimeoutError) as exc:
            raise DeliveryError(f"slack unreachable: {type(exc).__name__}: {exc}") from exc
