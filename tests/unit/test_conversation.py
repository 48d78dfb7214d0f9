from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from genius_loci.config.loader import load_territory
from genius_loci.connectors.store.migrate import upgrade
from genius_loci.connectors.store.sql import SqlStore
from genius_loci.core.assistant import Assistant
from genius_loci.core.conversation import Conversation, MemoryPolicy, rewrite_follow_up
from genius_loci.core.types import GeoPoint, IncomingMessage

CONFIG = Path(__file__).resolve().parents[2] / "config"


@pytest.mark.parametrize(("text", "previous", "expected"), [
    ("and in winter?", "Cassis beaches", "Cassis beaches — and in winter?"),
    ("et le dimanche ?", "Horaires du Mucem ?", "Horaires du Mucem — et le dimanche ?"),
    ("Und im Winter?", "Strände in Cassis?", "Strände in Cassis — Und im Winter?"),
    ("Where is the airport?", "Cassis beaches", "Where is the airport?"),
    ("and then a much longer question that stands on its own feet?", "x", None),
    ("and in winter?", None, "and in winter?"),
])
def test_follow_up_rewriting(text: str, previous: str | None, expected: str | None) -> None:
    assert rewrite_follow_up(text, previous) == (expected if expected is not None else text)


class Clock:
    def __init__(self) -> None:
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now


class SpyAssistant:
    """Records what reached the assistant, and delegates to the real one."""

    def __init__(self, inner: Assistant) -> None:
        self.inner = inner
        self.seen: list[IncomingMessage] = []

    async def handle(self, message: IncomingMessage):  # type: ignore[no-untyped-def]
        self.seen.append(message)
        return await self.inner.handle(message)


@pytest.fixture
async def conversation(assistant: Assistant, tmp_path: Path) -> AsyncIterator[tuple[Conversation, SpyAssistant,
                                                                                    SqlStore, Clock]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'state.sqlite'}"
    await upgrade(url)
    store = SqlStore.from_url(url)
    spy = SpyAssistant(assistant)
    clock = Clock()
    voice = load_territory(CONFIG / "territory.yaml").voice
    conv = Conversation(spy, store, voice, store.forget,  # type: ignore[arg-type]
                        MemoryPolicy(turns=4, location_ttl_seconds=600), clock)
    yield conv, spy, store, clock
    await store.close()


def _msg(text: str, **kw: object) -> IncomingMessage:
    return IncomingMessage(channel="web", user_id="web:u1", text=text, **kw)  # type: ignore[arg-type]


async def test_profile_remembers_language_audience_and_fresh_location(conversation) -> None:  # type: ignore[no-untyped-def]
    conv, spy, store, clock = conversation
    here = GeoPoint(43.2951, 5.3740)
    await conv.handle(_msg("Where is the airport shuttle bus?", location=here, audience="tourist"), "web:1")
    profile = await store.load_profile("web:u1", "web")
    assert (profile.language, profile.audience, profile.location) == ("en", "tourist", here)
    clock.now += 300
    await conv.handle(_msg("ok Cassis?"), "web:2")
    assert spy.seen[-1].location == here and spy.seen[-1].language_hint == "en"
    assert spy.seen[-1].audience == "tourist"
    clock.now += 400  # 700 s after sharing it: the location has expired
    await conv.handle(_msg("port de pêche de Cassis"), "web:3")
    assert spy.seen[-1].location is None


async def test_follow_up_uses_the_previous_question(conversation) -> None:  # type: ignore[no-untyped-def]
    conv, spy, _, _ = conversation
    await conv.handle(_msg("Where is the airport shuttle bus?"), "web:1")
    await conv.handle(_msg("and at night?"), "web:2")
    assert spy.seen[-1].text == "Where is the airport shuttle bus — and at night?"


async def test_same_turn_id_is_answered_once(conversation) -> None:  # type: ignore[no-untyped-def]
    conv, spy, store, _ = conversation
    first = await conv.handle(_msg("Where is the airport shuttle bus?"), "web:1")
    again = await conv.handle(_msg("Where is the airport shuttle bus?"), "web:1")
    assert len(spy.seen) == 1
    assert again == first
    assert len(await store.recent_turns("web:u1", 10)) == 1


async def test_forget_command_erases_and_confirms_in_the_users_language(conversation) -> None:  # type: ignore[no-untyped-def]
    conv, _, store, _ = conversation
    await conv.handle(_msg("Où est le port de pêche de Cassis ?"), "web:1")
    reply = await conv.handle(_msg("/forget"), "web:2")
    assert "effacées" in reply.text
    assert await store.recent_turns("web:u1", 10) == []
    assert (await store.load_profile("web:u1", "web")).language is None


@pytest.mark.parametrize(("text", "name", "argument"), [
    ("/start", "start", ""), ("/help@loci_bot", "help", ""), ("/lang EN", "lang", "en"), ("/aide", "help", ""),
    ("STOP", "forget", ""), ("Arrêt", "forget", ""), ("/forget", "forget", ""), ("/vergessen", "forget", ""),
    ("stop the music", None, None), ("/unknown", None, None), ("Où est le Mucem ?", None, None),
])
def test_commands(text: str, name: str | None, argument: str | None) -> None:
    from genius_loci.core.dialogue import command_of

    got = command_of(text)
    assert (got.name if got else None, got.argument if got else None) == (name, argument)


@pytest.mark.parametrize(("text", "vote"), [("👍", 1), ("👍🏽", 1), (" 👎 ", -1), ("+1", 1), ("👍 merci", 0),
                                             ("ok", 0)])
def test_votes(text: str, vote: int) -> None:
    from genius_loci.core.dialogue import vote_of

    assert vote_of(text) == vote
