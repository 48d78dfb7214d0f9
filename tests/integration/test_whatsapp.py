"""The WhatsApp channel end to end: ``loci serve`` as deployed, webhooks signed as Twilio signs them, replies
through the real twilio SDK to a local fake of Twilio's REST API."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from twilio.request_validator import RequestValidator

from genius_loci.bots.bootstrap import Runtime
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM, FakeTwilio, twilio_error

from .serve import serving, wait_until

PUBLIC = "https://loci.example.org"
VALIDATOR = RequestValidator(AUTH_TOKEN)
_sids = itertools.count(int(time.time()) % 100_000 * 1000)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTwilio]:
    server = FakeTwilio()
    yield server
    server.close()


@pytest.fixture(scope="module")
def base(runtime: Runtime, data_dir: Path, fake: FakeTwilio) -> Iterator[str]:
    env = {"LOCI_TWILIO_ACCOUNT_SID": ACCOUNT_SID, "LOCI_TWILIO_AUTH_TOKEN": AUTH_TOKEN, "LOCI_WHATSAPP_FROM": FROM,
           "LOCI_TWILIO_API_BASE_URL": fake.url, "LOCI_PUBLIC_URL": PUBLIC, "LOCI_SENDER_MESSAGES_PER_MINUTE": "12",
           "LOCI_STT": "off"}  # voice notes on: tests/integration/test_voice.py
    with serving(env, data_dir) as (url, _):
        yield url


def inbound(number: str, body: str = "", **extra: str) -> dict[str, str]:
    """A message as Twilio posts it for WhatsApp."""
    return {"SmsMessageSid": (sid := f"SM{next(_sids):032x}"), "MessageSid": sid, "SmsSid": sid,
            "AccountSid": ACCOUNT_SID, "MessagingServiceSid": "", "From": f"whatsapp:{number}", "To": FROM,
            "Body": body, "NumMedia": "0", "NumSegments": "1", "ProfileName": "Camille Dupont",
            "WaId": number.lstrip("+"), "SmsStatus": "received", "ApiVersion": "2010-04-01", **extra}


def post(base: str, form: dict[str, str], *, path: str = "/webhooks/whatsapp", signed_url: str | None = None,
         signature: str | None = None, tamper: bool = False) -> httpx.Response:
    url = signed_url or PUBLIC + path
    sig = signature if signature is not None else VALIDATOR.compute_signature(url, form)
    body = {**form, "Body": form.get("Body", "") + "!"} if tamper else form
    return httpx.post(f"{base}{path}", data=body, headers={"X-Twilio-Signature": sig} if sig else {})



def test_signatures(base: str) -> None:
    form = inbound("+33600000001", "Bonjour")
    assert post(base, form, signature="").status_code == 401
    assert post(base, form, tamper=True).status_code == 403
    assert post(base, form, signed_url="https://elsewhere.example/webhooks/whatsapp").status_code == 403
    with_port = post(base, inbound("+33600000001", "Bonjour"),
                     signed_url="https://loci.example.org:443/webhooks/whatsapp")
    assert with_port.status_code == 200 and "<Response" in with_port.text
    assert post(base, form).status_code == 200


@pytest.mark.parametrize("missing", ["From", "MessageSid"])
def test_missing_required_fields_are_a_400(base: str, missing: str) -> None:
    form = inbound("+33600000002", "Bonjour")
    del form[missing]
    if missing == "MessageSid":
        del form["SmsSid"], form["SmsMessageSid"]
    r = post(base, form)
    assert r.status_code == 400 and missing in r.json()["error"]


def test_a_question_is_answered_once_with_numbered_sources_and_tracked_link(base: str, fake: FakeTwilio) -> None:
    form = inbound("+33600000003", "Quand a ouvert le Mucem ?")
    assert [post(base, form).status_code for _ in range(5)] == [200] * 5  # Twilio retried: answered once
    sent = wait_until(lambda: fake.sent_to("+33600000003"))[0]
    time.sleep(1.0)
    assert len(fake.sent_to("+33600000003")) == 1
    assert sent["From"] == FROM and sent["StatusCallback"] == f"{PUBLIC}/webhooks/whatsapp/status"
    body = sent["Body"]
    assert "2013" in body and "*Sources*" in body and "[1] " in body and " — https://" in body
    assert f"{PUBLIC}/go/whatsapp:{form['MessageSid']}" in body and "👍" in body


def test_location_pin_answers_the_waiting_question(base: str, fake: FakeTwilio) -> None:
    number = "+34600000004"
    post(base, inbound(number, "¿Una playa cerca de mí?"))
    asked = wait_until(lambda: fake.sent_to(number))[0]["Body"]
    assert "ubicación" in asked
    post(base, inbound(number, "", Latitude="43.2140", Longitude="5.5380", Address="Cassis", Label="Port"))
    answer = wait_until(lambda: len(fake.sent_to(number)) >= 2 and fake.sent_to(number)[1])["Body"]
    assert "km" in answer


@pytest.mark.parametrize(("number", "media_type", "needle"), [
    ("+33600000005", "image/jpeg", "taper votre question"),
    ("+49600000006", "audio/ogg", "eintippen"),
    ("+44600000007", "text/vcard", "type your question"),
])
def test_media_without_text_gets_a_please_type_reply(base: str, fake: FakeTwilio, number: str, media_type: str,
                                                     needle: str) -> None:
    post(base, inbound(number, "", NumMedia="1", MediaContentType0=media_type,
                       MediaUrl0=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM1/Media/ME1"))
    assert needle in wait_until(lambda: fake.sent_to(number))[0]["Body"]


def test_thumbs_reply_is_feedback_and_stop_erases(base: str, fake: FakeTwilio, data_dir: Path) -> None:
    number = "+33600000008"
    question = inbound(number, "Où est le Mucem ?")
    post(base, question)
    wait_until(lambda: fake.sent_to(number))
    post(base, inbound(number, "👍"))
    thanks = wait_until(lambda: len(fake.sent_to(number)) >= 2 and fake.sent_to(number)[1])["Body"]
    assert thanks.startswith("Merci")
    with sqlite3.connect(data_dir / "state.sqlite") as db:
        assert db.execute("SELECT value FROM feedback WHERE turn_id = ?",
                          (f"whatsapp:{question['MessageSid']}",)).fetchall() == [(1,)]
    post(base, inbound(number, "STOP"))
    erased = wait_until(lambda: len(fake.sent_to(number)) >= 3 and fake.sent_to(number)[2])["Body"]
    assert "effacées" in erased
    with sqlite3.connect(data_dir / "state.sqlite") as db:
        assert db.execute("SELECT count(*) FROM feedback WHERE turn_id = ?",
                          (f"whatsapp:{question['MessageSid']}",)).fetchone() == (0,)


def test_status_callbacks_are_recorded(base: str, fake: FakeTwilio, data_dir: Path) -> None:
    number = "+33600000009"
    post(base, inbound(number, "/help"))
    wait_until(lambda: fake.sent_to(number))

    def sid() -> str | None:
        with sqlite3.connect(data_dir / "state.sqlite") as db:
            row = db.execute("SELECT d.ref FROM deliveries d JOIN turns t ON t.id = d.turn_id "
                             "WHERE t.channel = 'whatsapp' ORDER BY d.created_at DESC LIMIT 1").fetchone()
        return row[0] if row else None
    ref = wait_until(sid)
    status = {"MessageSid": ref, "MessageStatus": "read", "AccountSid": ACCOUNT_SID, "To": f"whatsapp:{number}",
              "From": FROM, "ApiVersion": "2010-04-01"}
    assert post(base, status, path="/webhooks/whatsapp/status").status_code == 204
    assert post(base, status, path="/webhooks/whatsapp/status", tamper=True).status_code == 403
    with sqlite3.connect(data_dir / "state.sqlite") as db:
        assert db.execute("SELECT status FROM deliveries WHERE ref = ?", (ref,)).fetchone() == ("read",)


def test_429_is_retried_and_63016_is_dead_lettered(base: str, fake: FakeTwilio, data_dir: Path) -> None:
    fake.script("/Messages.json", twilio_error(429, 20429, "Too Many Requests"))
    post(base, inbound("+33600000010", "/help"))
    wait_until(lambda: len(fake.sent_to("+33600000010")) >= 2)  # refused, then sent after the backoff

    fake.script("/Messages.json", twilio_error(400, 63016, "Failed to send freeform message because you are "
                                                           "outside the allowed window."))
    late = inbound("+33600000011", "/help")
    post(base, late)

    def outbox() -> tuple[str, str] | None:
        with sqlite3.connect(data_dir / "queue.sqlite") as db:
            return db.execute("SELECT status, last_error FROM queue_items WHERE queue = 'outbox' AND id = ?",
                              (f"whatsapp:{late['MessageSid']}",)).fetchone()
    _status, reason = wait_until(lambda: (row := outbox()) and row[0] == "dead" and row)
    assert "63016" in reason
    time.sleep(2.5)
    assert len(fake.sent_to("+33600000011")) == 1  # never retried


def test_a_flooding_sender_gets_a_polite_reply_instead_of_a_queue(base: str) -> None:
    replies = [post(base, inbound("+33600000012", f"message {n}")).text for n in range(15)]
    assert all("<Message>" not in r for r in replies[:12])
    assert all("beaucoup de messages" in r for r in replies[12:])


def test_a_burst_of_500_signed_messages_is_answered_exactly_once(base: str, fake: FakeTwilio) -> None:
    numbers = [f"+3361{n:07d}" for n in range(50)]
    forms = [inbound(numbers[n % 50], "/help") for n in range(500)]

    async def burst() -> list[int]:
        async with httpx.AsyncClient(timeout=30) as client:
            url = PUBLIC + "/webhooks/whatsapp"
            rs = await asyncio.gather(*(client.post(f"{base}/webhooks/whatsapp", data=f, headers={
                "X-Twilio-Signature": VALIDATOR.compute_signature(url, f)}) for f in forms + forms[:20]))
            return [r.status_code for r in rs]
    assert asyncio.run(burst()) == [200] * 520

    def delivered() -> int:
        return sum(len(fake.sent_to(n)) for n in numbers)
    wait_until(lambda: delivered() >= 500, timeout=120)
    time.sleep(1.0)
    assert delivered() == 500


def test_no_phone_number_or_profile_name_in_the_data_directory(base: str, fake: FakeTwilio, data_dir: Path) -> None:
    number = "+33698765432"
    post(base, inbound(number, "Où se baigner à Marseille ?"))
    post(base, inbound(number, "", Latitude="43.2951", Longitude="5.3740"))
    wait_until(lambda: len(fake.sent_to(number)) >= 2)
    time.sleep(0.5)
    for path in data_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"698765432" not in data and b"Camille Dupont" not in data, path
