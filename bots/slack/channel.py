"""The Slack channel: a Bolt ``AsyncApp`` whose listeners only put what Slack sent into the inbox, then ack.

Bolt checks every request's signature and timestamp (its own middleware), answers ``url_verification``, and
ignores the app's own messages. Each listener translates, puts in the inbox (deduplicated on Slack's
``event_id``, the command's trigger, the click's time), and acknowledges: a queue that is down leaves the
request unacknowledged, so Slack sends it again and nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from genius_loci.config.settings import Settings
from genius_loci.connectors.sealing import Sealer
from genius_loci.core.ports import Queue
from genius_loci.core.types import IncomingMessage

from ..inbox import Ignored, enqueue
from .desk import TeachingDesk
from .translate import CHANNEL, PARTNER_LINK, VOTE_DOWN, VOTE_UP, from_command, from_event, from_vote

log = logging.getLogger("genius_loci.slack")
COMMAND = "/loci"
WORKING = "⏳ …"
ANYTHING = re.compile(".*")
Ack = Callable[..., Awaitable[None]]


def build_client(settings: Settings) -> AsyncWebClient:
    assert settings.slack_bot_token is not None
    return AsyncWebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_base_url)


class OneWorkspace(AsyncAuthorize):
    """Bolt's authorization for the one workspace the bot token belongs to: ``auth.test`` asked once, behind a
    lock, then remembered. (Bolt's own single-team authorization asks it on the first request, so a first burst
    of requests asked it once each.)"""

    def __init__(self, client: AsyncWebClient) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._client = client
        self._lock = asyncio.Lock()
        self._result: AuthorizeResult | None = None

    async def __call__(self, **_: Any) -> AuthorizeResult:
        async with self._lock:
            if self._result is None:
                response = await self._client.auth_test()
                self._result = AuthorizeResult.from_auth_test_response(auth_test_response=response,
                                                                       bot_token=self._client.token)
        return self._result


class SlackChannel:
    def __init__(self, client: AsyncWebClient, signing_secret: str, inbox: Queue, key_of: Callable[[str], str],
                 sealer: Sealer, desk: TeachingDesk | None = None) -> None:
        self._inbox = inbox
        self._desk = desk
        self._key_of = key_of
        self._seal = sealer.seal
        self._workspace = OneWorkspace(client)
        # the listeners are quick (translate, put, ack): run them inline, rather than as tasks whose ack Bolt
        # polls every 10 ms (which, under a burst, kept the event loop busy waking sleepers)
        self.app = AsyncApp(client=AsyncWebClient(base_url=client.base_url), authorize=self._workspace,
                            signing_secret=signing_secret, logger=log, process_before_response=True)
        self._listen(self.app)

    async def start(self) -> None:
        """Checks the bot token (``auth.test``) before the first request; a Slack that does not answer yet is
        logged, and asked again at the first request."""
        try:
            await self._workspace()
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.error("slack auth.test failed", extra={"event": "slack.auth_failed", "reason": str(exc)[:200]})

    async def accept(self, message: IncomingMessage | Ignored) -> str:
        return await enqueue(self._inbox, message, channel=CHANNEL)

    def _listen(self, app: AsyncApp) -> None:
        keys = {"key_of": self._key_of, "seal": self._seal}

        async def on_event(body: dict[str, Any], ack: Ack) -> None:
            await self.accept(from_event(body, **keys))
            await ack()

        async def on_command(body: dict[str, Any], ack: Ack) -> None:
            if self._desk is not None and (body.get("text") or "").strip().lower() == "gaps":
                await self._desk.gaps(body, ack)  # the partner's digest, privately
                return
            message = from_command(body, **keys)
            await self.accept(message)
            if message.text == "/help":
                await ack()  # the help itself comes privately, from the outbox
            else:
                await ack(WORKING)

        async def on_vote(body: dict[str, Any], ack: Ack) -> None:
            await self.accept(from_vote(body, **keys))
            await ack()

        async def acknowledged(body: dict[str, Any], ack: Ack) -> None:
            """What the app does not act on (a click on a link button, another event) is still acknowledged."""
            log.info("slack request acknowledged only", extra={"event": "slack.unhandled",
                                                                "kind": body.get("type", "")})
            await ack()

        app.event("app_mention")(on_event)
        app.event("message")(on_event)
        app.command(COMMAND)(on_command)
        app.action(VOTE_UP)(on_vote)
        app.action(VOTE_DOWN)(on_vote)
        app.action(PARTNER_LINK)(acknowledged)
        if self._desk is not None:
            self._desk.listen(app)
        # last, so that they only take what nothing above took (Bolt runs the first listener that matches)
        for register in (app.event, app.action, app.command, app.view, app.shortcut, app.options):
            register(ANYTHING)(acknowledged)
