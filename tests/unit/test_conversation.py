from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from genius_loci.config.loader import load_territory
from genius_loci.connectors.store.migrate import upgrade
from genius_loci.connectors.store.sql import SqlStore
from genius_loci.core.assistant import Assistant
from genius_loci.core.conversation import Conversation, MemoryPolicy
from genius_loci.core.followup import FollowUps
from genius_loci.core.types import GeoPoint, IncomingMessage

CONFIG = Path(__file__).resolve().parents[2] / "config"


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
        self.completed: list[str | None] = []

    def language_of(self, text: str, hint: str | None = None) -> str:
        return self.inner.language_of(text, hint)

    async def learn_votes(self, votes):  # type: ignore[no-untyped-def]
        return await self.inner.learn_votes(votes)

    def forget_votes(self, user_key: str) -> int:
        return self.inner.forget_votes(user_key)

    async def nearby(self, point, language, audience=None):  # type: ignore[no-untyped-def]
        return await self.inner.nearby(point, language, audience)

    def understand(self, message, language=None):  # type: ignore[no-untyped-def]
        return self.inner.understand(message, language)

    async def handle(self, message: IncomingMessage, *, completed: str | None = None):  # type: ignore[no-untyped-def]
        self.seen.append(message)
        self.completed.append(completed)
        return await self.inner.handle(message, completed=completed)


@pytest.fixture
async def conversation(assistant: Assistant, tmp_path: Path) -> AsyncIterator[tuple[Conversation, SpyAssistant,
                                                                                    SqlStore, Clock]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'state.sqlite'}"
    await upgrade(url)
    store = SqlStore.from_url(url)
    spy = SpyAssistant(assistant)
    clock = Clock()
    territory = load_territory(CONFIG / "territory.yaml")
    followups = FollowUps(territory.gazetteer())
    conv = Conversation(spy, store, territory.voice, store.forget,  # type: ignore[arg-type]
                        MemoryPolicy(turns=4, location_ttl_seconds=600, follow_up_seconds=900), clock,
                        followups=followups)
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


async def test_follow_up_is_completed_from_the_previous_question_and_keeps_its_own_text(conversation) -> None:  # type: ignore[no-untyped-def]
    conv, spy, _, clock = conversation
    await conv.handle(_msg("Where is the airport shuttle bus?"), "web:1")
    await conv.handle(_msg("and at night?"), "web:2")
    assert spy.seen[-1].text == "and at night?"  # the language and the checks read the message itself
    assert spy.completed[-1] == "Where is the airport shuttle bus — and at night?"
    await conv.handle(_msg("Où est le port de Cassis ?"), "web:3")  # a new topic carries nothing over
    assert spy.completed[-1] is None
    await conv.handle(_msg("Et à La Ciotat ?"), "web:4")
    assert spy.completed[-1] == "Où est le port de La Ciotat ?"
    clock.now += 901  # too long after: a short message starts afresh
    await conv.handle(_msg("Et à Cassis ?"), "web:5")
    assert spy.completed[-1] is None


async def test_greetings_and_thanks_get_a_short_reply_in_their_language(conversation) -> None:  # type: ignore[no-untyped-def]
    conv, spy, _, _ = conversation
    await conv.handle(_msg("Where is the airport shuttle bus?"), "web:1")
    thanks = await conv.handle(_msg("Merci beaucoup !"), "web:2")
    hello = await conv.handle(_msg("Hola"), "web:3")
    assert (thanks.status, thanks.language) == ("notice", "fr") and "plaisir" in thanks.text
    assert (hello.status, hello.language, hello.offers) == ("notice", "es", ("audience", "location"))
    assert len(spy.seen) == 1  # neither reached the assistant


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


@pytest.mark.parametrize(("text", "talk"), [
    ("Bonjour !", "hello"), ("hi", "hello"), ("Buenos días", "hello"), ("ok merci", "thanks"),
    ("Danke schön", "thanks"), ("Grazie mille!", "thanks"), ("ok", "thanks"), ("Bonjour, où est le Mucem ?", None),
    ("merci de me dire où", None), ("🙏", "thanks"), ("🙏🏽🙏🏽", "thanks"), ("❤️", "thanks"), ("👌 !", "thanks"),
    ("🙏 où est le Mucem ?", None), ("🏖️", None)])
def test_small_talk(text: str, talk: str | None) -> None:
    from genius_loci.core.dialogue import small_talk_of

    assert small_talk_of(text) == talk


async def test_near_here_after_naming_a_place_is_answered_there_not_asked_for_a_location(conversation) -> None:  # type: ignore[no-untyped-def]
    conv, spy, _, clock = conversation
    await conv.handle(_msg("Je passe la journée à Cassis."), "web:1")
    answer = await conv.handle(_msg("Une plage près d'ici ?"), "web:2")
    assert spy.completed[-1] == "Une plage près d'ici ? (Cassis)"
    assert answer.status != "notice" and "location" not in answer.offers
    # once the person shares where they are, "here" is that point
    here = GeoPoint(43.2140, 5.5380)
    await conv.handle(_msg("", location=here), "web:3")
    clock.now += 10
    await conv.handle(_msg("Je passe la journée à Cassis."), "web:4")
    await conv.handle(_msg("Une plage près d'ici ?"), "web:5")
    assert spy.completed[-1] is None and spy.seen[-1].location == here


async def test_the_previous_answer_is_what_a_definite_thing_may_point_back_to(conversation) -> None:  # type: ignore[no-untyped-def]
    """``read`` gives each message the text of the answer before it: "les lieux" were the answer's."""
    from genius_loci.core.types import Answer, Turn

    conv, _, store, clock = conversation
    said = "Marcel Pagnol est né à Aubagne ; les lieux de ses souvenirs d'enfance se visitent. [1]"
    await store.record_turn(Turn("t1", "web:u1", "web", "Où est né Marcel Pagnol ?",
                                 Answer(said, "fr", 0.9, "answered"), 10.0, clock.now))
    clock.now += 5
    reading = await conv.read(_msg("On peut marcher sur les lieux de ses souvenirs ?"))
    assert (reading.reason, reading.text) == ("continues", "Où est né Marcel Pagnol — On peut marcher sur les lieux "
                                                           "de ses souvenirs ?")
    # ... and so does each earlier question of the chain: once that message is stored with its answer, "Il faut
    # réserver ?" continues it as it was completed
    await store.record_turn(Turn("t1b", "web:u1", "web", "On peut marcher sur les lieux de ses souvenirs ?",
                                 Answer("Oui, par les collines du Garlaban. [1]", "fr", 0.8, "answered"), 10.0,
                                 clock.now))
    clock.now += 5
    assert (await conv.read(_msg("Il faut réserver ?"))).text == ("Où est né Marcel Pagnol — On peut marcher sur les "
                                                                  "lieux de ses souvenirs — Il faut réserver ?")
    # an abstention said nothing the message could point back to
    await store.record_turn(Turn("t2", "web:u1", "web", "Où est né Marcel Pagnol ?",
                                 Answer("Mes sources ne le disent pas.", "fr", 0.1, "abstained"), 10.0, clock.now))
    clock.now += 5
    assert (await conv.read(_msg("On peut marcher sur les lieux de ses souvenirs ?"))).reason == "standalone"


async def test_the_page_the_previous_answer_cited_says_where_there_is(conversation) -> None:  # type: ignore[no-untyped-def]
    from genius_loci.core.types import Answer, Citation, Turn

    conv, _, store, clock = conversation
    cited = (Citation(1, "Aubagne, Pagnol country", "https://example.org/aubagne", "aubagne-en#0"),)
    await store.record_turn(Turn("t1", "web:u1", "web", "Where is the Foreign Legion museum?",
                                 Answer("In Aubagne. [1]", "en", 0.9, "answered", cited), 10.0, clock.now))
    clock.now += 5
    reading = await conv.read(_msg("What else is there to see in that town?"))
    assert (reading.reason, reading.text) == ("points back", "What else is there to see in that town? (Aubagne)")
