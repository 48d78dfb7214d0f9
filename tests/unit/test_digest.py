"""The partners' digest: open gaps and followed redirects per partner from the store; posted with slack_sdk in
each partner's channel (the local fake of Slack's Web API); claimed once per period however many processes ask;
the Slack blocks carry a Teach button per gap."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from genius_loci.bots.digest import DigestSource, send, send_when_due
from genius_loci.bots.slack.teach import digest_message
from genius_loci.connectors.store.sql import SqlStore
from genius_loci.core.gaps import GapFinder
from genius_loci.core.types import Partner
from tests.fake_slack import BOT_TOKEN, FakeSlack, slack_error
from tests.fakes import HashEmbedder
from tests.unit.test_gaps import turn

PARTNERS = (Partner("crous", "CROUS", "https://crous.example", slack_channel="C0CROUS"),
            Partner("port", "Port", "https://port.example"))


async def test_digests_count_gaps_and_redirects_and_are_posted_once_per_period(store: SqlStore) -> None:
    finder = GapFinder(store, HashEmbedder(), join=0.6)
    for n, question in enumerate(["logement étudiant loyer Aix", "logement étudiant loyer Aix prix",
                                  "bourse erasmus montant"]):
        t = replace(turn(n, question), created_at=time.time())
        await store.record_turn(t)
        await finder.observe(t)
    await store.record_redirect("web:0", "web:u0", "crous", "https://crous.example")
    await store.record_redirect("web:0", "web:u0", "crous", "https://crous.example")  # the same answer twice

    found = {d.partner: d for d in await DigestSource(store, PARTNERS)()}
    crous = found["crous"]
    assert crous.open_gaps == 2 and [g["count"] for g in crous.gaps] == [2, 1]
    assert (crous.redirects_offered, crous.redirects_followed) == (3, 1)
    assert found["port"].open_gaps == 0 and found["port"].channel is None
    text, blocks = digest_message(crous)
    assert "CROUS" in text and [b["accessory"]["value"] for b in blocks if "accessory" in b] == \
        [g["id"] for g in crous.gaps]

    fake = FakeSlack()
    try:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.base_url)
        assert await send(client, list(found.values())) == {"crous": "sent", "port": "no channel"}
        posted: list[dict[str, Any]] = fake.method_calls("chat.postMessage")
        assert [p["channel"] for p in posted] == ["C0CROUS"] and posted[0]["blocks"][0]["type"] == "header"
        source = DigestSource(store, PARTNERS)
        assert await send_when_due(store, source, client, every_days=7)
        assert not await send_when_due(store, source, client, every_days=7)  # another process, same week
        assert not await send_when_due(store, source, client, every_days=0)  # turned off
        assert len(fake.method_calls("chat.postMessage")) == 2
        fake.script("/api/chat.postMessage", slack_error("channel_not_found"))
        assert (await send(client, [crous]))["crous"] == "failed: channel_not_found"
    finally:
        fake.close()
