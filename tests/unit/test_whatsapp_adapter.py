"""The WhatsApp adapter's parts: form in, messages out, the published signature vectors, and the sender
through the real twilio SDK against a local fake of Twilio's REST API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator

from genius_loci.bots.whatsapp.render import MAX_CHARS, render
from genius_loci.bots.whatsapp.sender import WhatsAppSender
from genius_loci.bots.whatsapp.translate import BadForm, Ignored, to_incoming
from genius_loci.config.loader import load_territory
from genius_loci.connectors.sealing import Sealer
from genius_loci.connectors.store.migrate import upgrade
from genius_loci.connectors.store.sql import SqlStore
from genius_loci.core.envelope import Reply, reply_to_payload
from genius_loci.core.errors import DeliveryError
from genius_loci.core.types import Answer, Citation, IncomingMessage, QueueItem, Redirect
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM, FakeTwilio, twilio_error

VOICE = load_territory(Path(__file__).resolve().parents[2] / "config" / "territory.yaml").voice
SEALER = Sealer(b"w" * 32)
VECTORS = Path(__file__).resolve().parents[3] / "shared" / "data" / "webhooks" / "twilio_signature_vectors.json"


def translate(form: dict[str, str]) -> IncomingMessage | Ignored:
    return to_incoming(form, key_of=lambda n: f"whatsapp:key-{n}", seal=SEALER.seal)


def test_forms() -> None:
    base = {"MessageSid": "SM1", "From": "whatsapp:+393331234567", "WaId": "393331234567", "ProfileName": "Giulia"}
    text = translate({**base, "Body": "Dov'è il Mucem?", "SomeNewField": "x"})
    assert isinstance(text, IncomingMessage)
    assert (text.user_id, text.text, text.language_hint) == ("whatsapp:key-393331234567", "Dov'è il Mucem?", "it")
    assert "3331234567" not in text.reply_to and SEALER.open(text.reply_to) == "whatsapp:+393331234567"
    pin = translate({**base, "Latitude": "43.2965", "Longitude": "5.3698", "Address": "Quai", "Label": "Port"})
    assert isinstance(pin, IncomingMessage) and pin.location is not None and pin.text == ""
    voice = translate({**base, "NumMedia": "1", "MediaContentType0": "audio/ogg"})
    assert isinstance(voice, IncomingMessage) and voice.attachment == "voice" and voice.media == ""
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
    spoken = translate({**base, "NumMedia": "1", "MediaContentType0": "audio/ogg", "MediaUrl0": url})
    assert isinstance(spoken, IncomingMessage) and (spoken.attachment, spoken.media_type) == ("voice", "audio/ogg")
    assert url not in spoken.media and SEALER.open(spoken.media) == f"{url}\naudio/ogg"  # fetched by the worker
    photo = translate({**base, "NumMedia": "1", "MediaContentType0": "image/jpeg", "MediaUrl0": url})
    assert isinstance(photo, IncomingMessage) and photo.attachment == "photo" and photo.media == ""
    button = translate({**base, "ButtonText": "Visiteur", "ButtonPayload": "tourist"})
    assert isinstance(button, IncomingMessage) and button.text == "Visiteur"
    assert isinstance(translate({**base, "Body": ""}), Ignored)
    with pytest.raises(BadForm):
        translate({"Body": "no sender", "MessageSid": "SM2"})
    with pytest.raises(BadForm):
        translate({**base, "Latitude": "north", "Longitude": "5"})


def test_published_signature_vectors() -> None:
    vectors = json.loads(VECTORS.read_text())["vectors"]
    checked = 0
    for v in vectors:
        if "body" in v:  # JSON-body variant: Twilio signs the URL and hashes the body
            params: object = v["body"]
        elif "params_multi" in v:
            params = FormData([tuple(p) for p in v["params_multi"]])
        else:
            params = FormData(list(v["params"].items()))
        assert RequestValidator(v["auth_token"]).validate(v["url"], params, v["expected_signature"]), v["name"]
        assert not RequestValidator(v["auth_token"] + "x").validate(v["url"], params, v["expected_signature"])
        checked += 1
    assert checked == len(vectors) >= 6


def test_a_5000_character_answer_becomes_ordered_numbered_parts() -> None:
    text = " ".join(f"Phrase numéro {n} sur le Vieux-Port et ses navettes [1]." for n in range(110))
    assert len(text) > 5000
    answer = Answer(text, "fr", 0.9, "answered", (Citation(1, "Vieux-Port", "https://e.org/vp", "p"),),
                    Redirect("t", "Office de tourisme", "https://t.example"))
    parts = render(answer, VOICE, "whatsapp:SM9", public_url="https://loci.example")
    assert len(parts) >= 4 and all(len(p) <= MAX_CHARS for p in parts)
    assert [p.split(")")[0] for p in parts] == [f"({n}/{len(parts)}" for n in range(1, len(parts) + 1)]
    joined = " ".join(p.split(") ", 1)[1] for p in parts)
    assert "Phrase numéro 0 " in joined and "Phrase numéro 109 " in joined
    assert "https://loci.example/go/whatsapp:SM9" in "".join(parts[-2:]) and "👍" in parts[-1]


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    server = FakeTwilio()
    yield server
    server.close()


async def _sender(fake: FakeTwilio, tmp_path: Path) -> tuple[WhatsAppSender, SqlStore]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'state.sqlite'}"
    await upgrade(url)
    store = SqlStore.from_url(url)
    return WhatsAppSender(ACCOUNT_SID, AUTH_TOKEN, fake.url, from_=FROM, messaging_service_sid=None, sealer=SEALER,
                          voice=VOICE, store=store, public_url=None), store


def _item(text: str) -> QueueItem:
    reply = Reply("whatsapp:SM77", "whatsapp", "whatsapp:key", SEALER.seal("whatsapp:+33611111111"),
                  Answer(text, "fr", 0.9, "answered", (Citation(1, "T", "https://e.org", "p"),)))
    return QueueItem("whatsapp:SM77", "whatsapp:key", reply_to_payload(reply))


async def test_sender_sends_parts_in_order_and_records_them(fake: FakeTwilio, tmp_path: Path) -> None:
    sender, store = await _sender(fake, tmp_path)
    try:
        await sender.send(_item(" ".join(f"Phrase {n} [1]." for n in range(700))))
        bodies = [m["Body"] for m in fake.messages()]
        assert len(bodies) >= 4 and all(len(b) <= MAX_CHARS for b in bodies)
        assert [b.split(")")[0] for b in bodies] == [f"({n}/{len(bodies)}" for n in range(1, len(bodies) + 1)]
        assert {m["To"] for m in fake.messages()} == {"whatsapp:+33611111111"}
        assert await store.delivery("SM" + f"{1:032x}") == ("queued", "")
    finally:
        await sender.aclose()
        await store.close()


async def test_sender_maps_twilio_errors(fake: FakeTwilio, tmp_path: Path) -> None:
    sender, store = await _sender(fake, tmp_path)
    try:
        fake.script("/Messages.json", twilio_error(429, 20429, "Too Many Requests"))
        with pytest.raises(DeliveryError) as busy:
            await sender.send(_item("Court."))
        assert not busy.value.permanent
        await sender.send(_item("Court."))  # 201 this time
        for status, code in ((400, 63016), (400, 21211), (500, 20500)):
            fake.script("/Messages.json", twilio_error(status, code, "no"))
            with pytest.raises(DeliveryError) as failed:
                await sender.send(_item("Court."))
            assert failed.value.permanent == (status < 500) and str(code) in str(failed.value)
    finally:
        await sender.aclose()
        await store.close()
