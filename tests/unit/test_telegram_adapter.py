"""The Telegram adapter's pure parts: updates in (the Bot API documentation's shapes), messages out."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from telegram import Bot, Update

from genius_loci.bots.telegram.render import MAX_CHARS, render
from genius_loci.bots.telegram.translate import Address, Ignored, to_incoming
from genius_loci.config.loader import load_territory
from genius_loci.connectors.sealing import Sealer
from genius_loci.core.errors import LociError
from genius_loci.core.types import Answer, Citation, IncomingMessage, Redirect
from tests.telegram_updates import callback_update, location_update, message, text_update, update

VOICE = load_territory(Path(__file__).resolve().parents[2] / "config" / "territory.yaml").voice
SEALER = Sealer(b"k" * 32)
BOT = Bot("123:abc")


def translate(data: dict[str, object], **kw: object) -> IncomingMessage | Ignored:
    return to_incoming(Update.de_json(data, BOT), key_of=lambda uid: f"telegram:key-{uid}", seal=SEALER.seal,
                       bot_username="loci_test_bot", bot_id=4242, **kw)  # type: ignore[arg-type]


def test_text_message_from_the_documentation() -> None:
    got = translate(text_update("Où est le Mucem ?", uid=1111, language="es"))
    assert isinstance(got, IncomingMessage)
    assert (got.channel, got.user_id, got.text, got.language_hint) == ("telegram", "telegram:key-1111",
                                                                       "Où est le Mucem ?", "es")
    assert "1111" not in got.reply_to  # sealed
    assert Address.loads(SEALER.open(got.reply_to)) == Address(1111, True, None)


def test_location_venue_and_live_location() -> None:
    loc = translate(location_update(43.29, 5.37, uid=1))
    assert isinstance(loc, IncomingMessage) and loc.location is not None and loc.text == "" and not loc.quiet
    venue = translate(update(message=message(uid=1, venue={
        "location": {"latitude": 43.2965, "longitude": 5.3610}, "title": "Mucem", "address": "7 Prom. Robert Laffont"},
        location={"latitude": 43.2965, "longitude": 5.3610})))
    assert isinstance(venue, IncomingMessage) and venue.location is not None
    live = translate(update(edited_message={**message(uid=1, location={"latitude": 43.3, "longitude": 5.4,
                                                                       "live_period": 600}), "edit_date": 1}))
    assert isinstance(live, IncomingMessage) and live.quiet


def test_buttons() -> None:
    vote = translate(callback_update("v:+1:telegram:77", uid=5))
    assert isinstance(vote, IncomingMessage) and (vote.feedback, vote.about) == (1, "telegram:77")
    assert Address.loads(SEALER.open(vote.reply_to)).toast
    pick = translate(callback_update("a:student", uid=5))
    assert isinstance(pick, IncomingMessage) and pick.audience == "student" and pick.text == ""
    assert isinstance(translate(callback_update("a:astronaut")), Ignored)
    assert isinstance(translate(callback_update("v:+7:x")), Ignored)


def test_groups_only_when_mentioned_or_replied_to() -> None:
    plain = text_update("Le Mucem ?", uid=3, cid=-100, kind="group")
    assert isinstance(translate(plain), Ignored)
    mention = text_update("@loci_test_bot Le Mucem ?", uid=3, cid=-100, kind="group")
    mention["message"]["entities"] = [{"type": "mention", "offset": 0, "length": 14}]
    got = translate(mention)
    assert isinstance(got, IncomingMessage) and got.text == "Le Mucem ?"
    address = Address.loads(SEALER.open(got.reply_to))
    assert not address.private and address.reply_to_message == mention["message"]["message_id"]
    reply = text_update("et le dimanche ?", uid=3, cid=-100, kind="group")
    reply["message"]["reply_to_message"] = message("earlier", uid=4242, cid=-100, kind="group")
    reply["message"]["reply_to_message"]["from"] = {"id": 4242, "is_bot": True, "first_name": "Loci"}
    assert isinstance(translate(reply), IncomingMessage)


def test_attachments_and_bots() -> None:
    doc = translate(update(message=message(uid=2, document={"file_id": "d", "file_unique_id": "u"})))
    assert isinstance(doc, IncomingMessage) and doc.attachment == "document" and doc.media == ""
    file_id = "AwACAgQAAxkBAAIBv9"
    voice = translate(update(message=message(uid=2, voice={"file_id": file_id, "file_unique_id": "u9", "duration": 7,
                                                           "mime_type": "audio/ogg"})))
    assert isinstance(voice, IncomingMessage) and voice.attachment == "voice" and voice.media_seconds == 7.0
    # sealed, not in clear (an id long enough that the ciphertext cannot hold it by chance); fetched by the worker
    assert file_id not in voice.media and SEALER.open(voice.media) == f"{file_id}\naudio/ogg"
    captioned = translate(update(message=message(uid=2, caption="Où est-ce ?", photo=[
        {"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}])))
    assert isinstance(captioned, IncomingMessage) and captioned.text == "Où est-ce ?"
    from_bot = text_update("hi", uid=2)
    from_bot["message"]["from"]["is_bot"] = True
    assert isinstance(translate(from_bot), Ignored)


HOSTILE = 'Prix < 10 € & "gratuit" > rien <script>alert(1)</script> <b>gras</b> [1]'


def test_hostile_text_is_escaped_and_the_html_stays_well_formed() -> None:
    answer = Answer(HOSTILE, "fr", 0.9, "answered",
                    (Citation(1, "Titre <i>&</i>", "https://ex.org/?a=1&b=<2>", "p1"),),
                    Redirect("p", "Office <x>", "https://partner.example"))
    parts = render(answer, VOICE, "telegram:9", public_url="https://loci.example")
    text = parts[0].html
    assert "<script>" not in text and "&lt;script&gt;" in text and "&amp; " in text
    assert '<a href="https://ex.org/?a=1&amp;b=&lt;2&gt;">[1]</a>' in text
    assert "Titre &lt;i&gt;&amp;&lt;/i&gt;" in text
    _assert_balanced(text)
    keyboard = parts[-1].markup.inline_keyboard  # type: ignore[union-attr]
    assert keyboard[0][0].text == "➡️ Office <x>" and keyboard[0][0].url == "https://loci.example/go/telegram:9"


def test_long_answers_are_cut_under_4096_at_sentence_ends() -> None:
    sentence = "Le Vieux-Port & ses quais <accueillent> les navettes [1]. "
    answer = Answer(sentence * 300, "fr", 0.9, "answered", (Citation(1, "T", "https://e.org/x", "p"),))
    parts = render(answer, VOICE, "telegram:10", public_url=None)
    assert len(parts) >= 4
    for part in parts:
        assert len(part.html) <= MAX_CHARS
        _assert_balanced(part.html)
    assert all(p.html.rstrip().endswith((".", "</a>")) for p in parts[:-1])
    assert parts[-1].markup is not None and all(p.markup is None for p in parts[:-1])


@pytest.mark.parametrize("offers", [("audience", "location"), ("location",)])
def test_offers_become_keyboards(offers: tuple[str, ...]) -> None:
    answer = Answer("Bonjour", "fr", 1.0, "notice", offers=offers)  # type: ignore[arg-type]
    parts = render(answer, VOICE, "telegram:11", public_url=None)
    assert parts[-1].markup.keyboard[0][0].request_location  # type: ignore[union-attr]
    assert len(parts) == len(offers)
    in_group = render(answer, VOICE, "telegram:11", public_url=None, private=False)
    assert all(not hasattr(p.markup, "keyboard") for p in in_group)


def test_sealed_addresses_open_only_with_the_key() -> None:
    sealed = SEALER.seal("whatsapp:+33612345678")
    assert "612345678" not in sealed and SEALER.open(sealed) == "whatsapp:+33612345678"
    assert SEALER.seal("x") != SEALER.seal("x")  # a fresh nonce each time
    with pytest.raises(LociError):
        Sealer(b"other" * 8).open(sealed)
    with pytest.raises(LociError):
        SEALER.open("+33612345678")


def _assert_balanced(text: str) -> None:
    stack: list[str] = []

    class Checker(HTMLParser):
        def handle_starttag(self, tag: str, attrs: object) -> None:
            assert tag in ("a", "b"), tag
            stack.append(tag)

        def handle_endtag(self, tag: str) -> None:
            assert stack and stack.pop() == tag

    Checker().feed(text)
    assert not stack


async def test_long_polling_puts_updates_in_the_inbox_once(tmp_path: Path) -> None:
    import asyncio

    from genius_loci.bots.telegram.channel import TelegramChannel, build_bot
    from genius_loci.config.settings import Settings
    from genius_loci.connectors.queue.sqlite_queue import SqliteQueue
    from tests.fake_telegram import TOKEN, FakeTelegram

    fake = FakeTelegram()
    inbox = SqliteQueue(tmp_path / "queue.sqlite", "inbox")
    settings = Settings(telegram_bot_token=TOKEN, telegram_api_base_url=fake.base_url)  # type: ignore[arg-type]
    channel = TelegramChannel(build_bot(settings, polling=True), inbox, lambda uid: f"telegram:k{uid}", SEALER)
    try:
        fake.pending = [text_update("Bonjour", uid=61), text_update("/help", uid=62)]
        last = fake.pending[-1]["update_id"]
        stop = asyncio.Event()
        polling = asyncio.create_task(channel.poll(stop))
        for _ in range(100):
            if (await inbox.stats()).pending == 2:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(polling, 40)
        assert (await inbox.stats()).pending == 2
        assert fake.method_calls("deleteWebhook")  # polling and a webhook cannot both be on
        offsets = [int(c.get("offset") or 0) for c in fake.method_calls("getUpdates")]
        assert max(offsets) == last + 1  # confirmed: Telegram will not hand them out again
    finally:
        await channel.stop()
        await inbox.close()
        fake.close()
