"""The partners' weekly digest: built from the state store (core.digest), posted in each partner's Slack channel
(``slack_channel`` in partners.yaml) by ``loci digest --send`` or, every ``LOCI_DIGEST_EVERY_DAYS``, by ``loci
serve`` — claimed in the store, so with several processes it is posted once."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from genius_loci.core.digest import Digest, digests
from genius_loci.core.types import Partner

from .slack.teach import digest_message
from .state import SqlStore

DAY = 86_400.0
JOB = "partner-digest"
log = logging.getLogger("genius_loci.digest")


class DigestSource:
    """The digests of the last ``days`` days, of one partner or of all."""

    def __init__(self, store: SqlStore, partners: Sequence[Partner], days: float = 7.0) -> None:
        self._store = store
        self._partners = partners
        self._days = days or 7.0

    async def __call__(self, partner: str | None = None) -> list[Digest]:
        return await digests(self._store, self._partners, time.time() - self._days * DAY, partner=partner)


async def send(client: AsyncWebClient, found: Sequence[Digest]) -> dict[str, str]:
    """Posts each digest in its partner's channel; partner -> ``sent``, ``no channel`` or Slack's error."""
    outcome: dict[str, str] = {}
    for digest in found:
        if not digest.channel:
            outcome[digest.partner] = "no channel"
            continue
        text, blocks = digest_message(digest)
        try:
            await client.chat_postMessage(channel=digest.channel, text=text, blocks=blocks, unfurl_links=False)
            outcome[digest.partner] = "sent"
        except (SlackApiError, SlackClientError, OSError) as exc:
            error = exc.response.get("error", "") if isinstance(exc, SlackApiError) and exc.response else ""
            outcome[digest.partner] = f"failed: {error or type(exc).__name__}"
            log.error("digest not posted", extra={"event": "digest.failed", "partner": digest.partner,
                                                  "reason": outcome[digest.partner]})
    return outcome


async def send_when_due(store: SqlStore, source: DigestSource, client: AsyncWebClient, every_days: float) -> bool:
    """Posts the digests when ``every_days`` have passed since the last time any process did."""
    if every_days <= 0 or not await store.claim_job(JOB, time.time(), every_days * DAY):
        return False
    outcome = await send(client, await source())
    log.info("digests posted", extra={"event": "digest.sent", "sent": sum(v == "sent" for v in outcome.values())})
    return True
