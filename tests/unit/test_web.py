"""The dashboard's pieces without a browser: figures from facts (core.analytics), the communes map as SVG, and the
accounts (argon2 hashes, sessions kept as hashes, failed logins limited per address and per name)."""

from __future__ import annotations

import pytest

from genius_loci.bots.web.auth import MAX_FAILURES, Accounts, LoginRefused, token_hash
from genius_loci.bots.web.map import communes_svg
from genius_loci.connectors.store.sql import SqlStore
from genius_loci.core import analytics
from genius_loci.core.analytics import TurnFact, VoteFact
from genius_loci.core.errors import LociError
from genius_loci.core.geo import Gazetteer
from genius_loci.core.types import GeoPoint, Place

DAY0 = 1_796_000_000.0  # 2026-11-30
PLACES = [Place("Marseille", GeoPoint(43.2803, 5.3806), "13055"), Place("Cassis", GeoPoint(43.214, 5.538), "13022"),
          Place("Aix-en-Provence", GeoPoint(43.536, 5.3879), "13001")]


def fact(at: float, question: str, *, channel: str = "web", status: str = "answered", confidence: float = 0.8,
         partner: str | None = "marseille-tourism") -> TurnFact:
    return TurnFact(at, channel, "fr", "tourist", status, confidence, question, partner)


def test_figures_per_day_commune_topic_quality_and_partner() -> None:
    days = analytics.days_between(DAY0 - analytics.DAY, DAY0)
    facts = [fact(DAY0, "Où se baigner à Cassis ?", channel="telegram"), fact(DAY0, "Où manger à Marseille ?"),
             fact(DAY0 - analytics.DAY, "Et demain ?", status="abstained", confidence=0.2, partner="agency")]
    assert analytics.per_day(facts, lambda f: f.channel, days).values == {"web": [1.0, 1.0], "telegram": [0.0, 1.0]}
    places = analytics.communes(facts, Gazetteer(PLACES), [GeoPoint(43.52, 5.40)])
    assert [(c.name, c.about, c.asked_from) for c in places] == [
        ("Aix-en-Provence", 0, 1), ("Cassis", 1, 0), ("Marseille", 1, 0)]
    needs = {"Où se baigner à Cassis ?": ("swim",), "Où manger à Marseille ?": ("eat",)}
    assert dict(analytics.topics(facts, lambda q: needs.get(q, ()))) == {"swim": 1, "eat": 1, "other": 1}
    q = analytics.quality(facts, [VoteFact(DAY0, 1), VoteFact(DAY0, -1), VoteFact(DAY0, 1)], days).values
    assert q["mean confidence"] == [0.2, 0.8] and q["answered share"] == [0.0, 1.0]
    assert q["votes 👍"] == [0.0, 2.0] and q["votes 👎"] == [0.0, 1.0]
    empty = analytics.quality([], [], days).values
    assert empty["mean confidence"] == [None, None]  # no question that day: a gap, not a zero
    assert analytics.redirects(facts, {"agency": 1}) == [("marseille-tourism", 2, 0), ("agency", 1, 1)]

    svg = communes_svg(places)
    assert svg.startswith("<svg") and svg.count("data-commune=") == 3 and "Cassis: 1 questions about it" in svg


async def test_accounts_hash_passwords_keep_sessions_as_hashes_and_limit_failures(store: SqlStore) -> None:
    now = [1000.0]
    accounts = Accounts(store, ["cassis-tourism"], clock=lambda: now[0])
    with pytest.raises(LociError, match="--partner"):
        await accounts.add("staff", "a long enough password", "partner")
    with pytest.raises(LociError, match="10 characters"):
        await accounts.add("staff", "short", "admin")
    await accounts.add("staff", "a long enough password", "partner", "cassis-tourism")
    stored = await store.web_user("staff")
    assert stored is not None and stored["password_hash"].startswith("$argon2id$")
    assert "a long enough password" not in stored["password_hash"]

    token, account = await accounts.login("staff", "a long enough password", "10.0.0.1")
    assert account.scope == "cassis-tourism" and len(account.csrf) >= 24
    assert await store.web_session(token, now[0]) is None  # only its hash is kept
    assert (await accounts.session(token)) == account
    await accounts.logout(token)
    assert await accounts.session(token) is None
    assert await store.web_session(token_hash(token), now[0]) is None

    for _ in range(MAX_FAILURES):
        with pytest.raises(LoginRefused) as wrong:
            await accounts.login("staff", "wrong", "10.0.0.2")
        assert wrong.value.status == 401
    with pytest.raises(LoginRefused) as limited:  # the right password, from the same address: still refused
        await accounts.login("staff", "a long enough password", "10.0.0.2")
    assert limited.value.status == 429
    with pytest.raises(LoginRefused) as by_name:  # the name is limited from another address too
        await accounts.login("staff", "a long enough password", "10.0.0.3")
    assert by_name.value.status == 429
    now[0] += 901  # the window has passed
    assert (await accounts.login("staff", "a long enough password", "10.0.0.3"))[1].name == "staff"
    with pytest.raises(LoginRefused) as unknown:
        await accounts.login("nobody", "whatever", "10.0.0.4")
    assert unknown.value.status == 401
