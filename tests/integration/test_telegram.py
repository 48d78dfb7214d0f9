"""The Telegram channel end to end: ``loci serve`` as deployed, the real python-telegram-bot talking to a local
fake Bot API, updates posted to the webhook as Telegram posts them."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from genius_loci.bots.bootstrap import Runtime
from tests.fake_telegram import TOKEN, FakeTelegram, error
from tests.telegram_updates import callback_update, location_update, message, text_update, update

from .serve import LOCI, serving, wait_until

SECRET = "s3cret-token_for-tests"
PUBLIC = "https://loci.example.org"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    server = FakeTelegram()
    yield server
    server.close()


@pytest.fixture(scope="module")
def base(runtime: Runtime, data_dir: Path, fake: FakeTelegram) -> Iterator[str]:
    env = {"LOCI_TELEGRAM_BOT_TOKEN": TOKEN, "LOCI_TELEGRAM_SECRET_TOKEN": SECRET,
           "LOCI_TELEGRAM_API_BASE_URL": fake.base_url, "LOCI_PUBLIC_URL": PUBLIC,
           "LOCI_STT": "off"}  # voice notes on: tests/integration/test_voice.py
    with serving(env, data_dir) as (url, _):
        yield url


def post(base: str, body: dict[str, Any] | bytes, secret: str | None = SECRET) -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    if isinstance(body, bytes):
        return httpx.post(f"{base}/webhooks/telegram", content=body, headers=headers)
    return httpx.post(f"{base}/webhooks/telegram", json=body, headers=headers)


def sent_to(fake: FakeTelegram, chat: int, method: str = "sendMessage") -> list[dict[str, Any]]:
    return [c for c in fake.method_calls(method) if int(c.get("chat_id", 0)) == chat]



def test_secret_token_is_required_and_checked(base: str) -> None:
    body = text_update("Bonjour", uid=11)
    assert post(base, body, secret=None).status_code == 401
    assert post(base, body, secret="wrong").status_code == 403
    assert post(base, body, secret=SECRET[:-1] + "X").status_code == 403


@pytest.mark.parametrize(("body", "status", "outcome"), [
    (b"{not json", 400, None),
    (b"[1, 2]", 200, "unreadable"),
    (b'{"message": {"text": "no update id"}}', 200, "unreadable"),
    (b'{"update_id": 7, "message": {"text": "no chat, no date"}}', 200, "unreadable"),
    (b'{"update_id": 8, "some_future_kind": {"x": 1}}', 200, "ignored"),
])
def test_unreadable_bodies_are_never_a_5xx(base: str, body: bytes, status: int, outcome: str | None) -> None:
    r = post(base, body)
    assert r.status_code == status
    if outcome:
        assert r.json()["outcome"] == outcome


def test_a_question_is_answered_once_in_html_with_links_buttons_and_typing(base: str, fake: FakeTelegram,
                                                                          data_dir: Path) -> None:
    body = text_update("Quand a ouvert le Mucem ?", uid=201)
    outcomes = [post(base, body).json()["outcome"] for _ in range(3)]  # Telegram re-sends: answered once
    assert outcomes == ["queued", "duplicate", "duplicate"]
    sends = wait_until(lambda: sent_to(fake, 201))
    time.sleep(1.0)
    assert len(sent_to(fake, 201)) == len(sends) == 1
    sent = sends[0]
    assert sent["parse_mode"] == "HTML" and "2013" in sent["text"]
    assert '<a href="https://' in sent["text"]  # citations as links
    rows = sent["reply_markup"]["inline_keyboard"]
    turn = f"telegram:{body['update_id']}"
    assert rows[0][0]["url"] == f"{PUBLIC}/go/{turn}"
    assert [b["callback_data"] for b in rows[1]] == [f"v:+1:{turn}", f"v:-1:{turn}"]
    assert sent_to(fake, 201, "sendChatAction")[0]["action"] == "typing"
    r = httpx.get(f"{base}/go/{turn}", follow_redirects=False)
    assert r.status_code == 302


def test_start_greets_in_the_users_language_with_audience_and_location_buttons(base: str,
                                                                                fake: FakeTelegram) -> None:
    post(base, text_update("/start", uid=202, language="en"))
    sends = wait_until(lambda: len(sent_to(fake, 202)) >= 2 and sent_to(fake, 202))
    greeting, location = sends
    assert greeting["text"].startswith("Hello!")
    buttons = [b["callback_data"] for row in greeting["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["a:tourist", "a:investor", "a:resident", "a:student"]
    assert location["reply_markup"]["keyboard"][0][0]["request_location"] is True


def test_audience_button_and_vote_button(base: str, fake: FakeTelegram, data_dir: Path) -> None:
    post(base, callback_update("a:investor", uid=203, language="en"))
    wait_until(lambda: sent_to(fake, 203))
    assert "Investor" in sent_to(fake, 203)[0]["text"]
    question = text_update("Where is the Mucem?", uid=203, language="en")
    post(base, question)
    wait_until(lambda: len(sent_to(fake, 203)) >= 2)
    acks_before = len(fake.method_calls("answerCallbackQuery"))
    post(base, callback_update(f"v:-1:telegram:{question['update_id']}", uid=203, language="en"))
    wait_until(lambda: len(fake.method_calls("answerCallbackQuery")) > acks_before)
    ack = fake.method_calls("answerCallbackQuery")[-1]
    assert ack["text"].startswith("Thank you")
    with sqlite3.connect(data_dir / "state.sqlite") as db:
        votes = db.execute("SELECT value FROM feedback WHERE turn_id = ?",
                           (f"telegram:{question['update_id']}",)).fetchall()
    assert votes == [(-1,)]
    assert len(sent_to(fake, 203)) == 2  # a vote is acknowledged on the button, not with a message


def test_near_me_asks_for_the_location_then_answers_there(base: str, fake: FakeTelegram) -> None:
    post(base, text_update("Une plage près de moi ?", uid=204))
    asked = wait_until(lambda: sent_to(fake, 204))[0]
    assert "position" in asked["text"] and asked["reply_markup"]["keyboard"][0][0]["request_location"]
    post(base, location_update(43.2140, 5.5380, uid=204))  # Cassis
    answer = wait_until(lambda: len(sent_to(fake, 204)) >= 2 and sent_to(fake, 204)[1])
    assert "km" in answer["text"]
    post(base, location_update(43.2967, 5.3700, uid=204))  # nothing waits any more: what is near
    near = wait_until(lambda: len(sent_to(fake, 204)) >= 3 and sent_to(fake, 204)[2])
    assert "Marseille" in near["text"] and "•" in near["text"]


def test_live_location_updates_are_quiet(base: str, fake: FakeTelegram) -> None:
    live = message(location={"latitude": 43.29, "longitude": 5.37, "live_period": 900}, uid=205)
    post(base, update(edited_message={**live, "edit_date": int(time.time())}))
    post(base, text_update("/help", uid=205))
    wait_until(lambda: sent_to(fake, 205))
    time.sleep(0.5)
    assert len(sent_to(fake, 205)) == 1 and "/forget" in sent_to(fake, 205)[0]["text"]


@pytest.mark.parametrize(("extra", "language", "needle"), [
    ({"photo": [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}]}, "fr", "taper votre question"),
    ({"voice": {"file_id": "v1", "file_unique_id": "u2", "duration": 3, "mime_type": "audio/ogg"}}, "de", "eintippen"),
    ({"sticker": {"file_id": "s1", "file_unique_id": "u3", "type": "regular", "width": 512, "height": 512,
                  "is_animated": False, "is_video": False}}, "en", "type your question"),
])
def test_attachments_get_a_please_type_reply_in_the_users_language(base: str, fake: FakeTelegram,
                                                                    extra: dict[str, Any], language: str,
                                                                    needle: str) -> None:
    uid = 300 + len(fake.requests) % 1000
    post(base, update(message=message(uid=uid, language=language, **extra)))
    assert needle in wait_until(lambda: sent_to(fake, uid))[0]["text"]


def test_what_is_ignored_on_purpose(base: str, fake: FakeTelegram) -> None:
    group = -100777
    before = len(fake.method_calls("sendMessage"))
    ignored = [
        update(edited_message={**message("Quand a ouvert le Mucem ?", uid=206), "edit_date": int(time.time())}),
        update(channel_post={"message_id": 1, "chat": {"id": -100555, "type": "channel", "title": "News"},
                             "date": int(time.time()), "text": "Annonce"}),
        update(inline_query={"id": "iq1", "from": {"id": 206, "is_bot": False, "first_name": "C"}, "query": "Mucem",
                             "offset": ""}),
        update(my_chat_member={"chat": {"id": 206, "type": "private", "first_name": "C"},
                               "from": {"id": 206, "is_bot": False, "first_name": "C"}, "date": int(time.time()),
                               "old_chat_member": {"status": "member", "user": {"id": 4242, "is_bot": True,
                                                                                "first_name": "Loci"}},
                               "new_chat_member": {"status": "kicked", "until_date": 0,
                                                   "user": {"id": 4242, "is_bot": True, "first_name": "Loci"}}}),
        text_update("Quand a ouvert le Mucem ?", uid=207, cid=group, kind="supergroup"),
    ]
    assert [post(base, u).json()["outcome"] for u in ignored] == ["ignored"] * 5
    mentioned = text_update("@loci_test_bot Quand a ouvert le Mucem ?", uid=207, cid=group, kind="supergroup")
    mentioned["message"]["entities"] = [{"type": "mention", "offset": 0, "length": 14}]
    assert post(base, mentioned).json()["outcome"] == "queued"
    reply = wait_until(lambda: sent_to(fake, group))[0]
    assert "2013" in reply["text"]
    assert reply["reply_parameters"]["message_id"] == mentioned["message"]["message_id"]
    assert len(fake.method_calls("sendMessage")) == before + 1


def test_rate_limit_is_honoured_and_blocked_users_are_dead_lettered(base: str, fake: FakeTelegram,
                                                                    data_dir: Path) -> None:
    fake.script("/sendMessage", error(429, "Too Many Requests: retry after 1", retry_after=1))
    started = time.monotonic()
    post(base, text_update("/help", uid=208))
    wait_until(lambda: len(sent_to(fake, 208)) >= 2)  # the refused call, then the delivered one
    assert time.monotonic() - started >= 1.0  # not sooner than Telegram asked
    time.sleep(0.5)
    assert len(sent_to(fake, 208)) == 2

    fake.script("/sendMessage", error(403, "Forbidden: bot was blocked by the user"))
    blocked = text_update("/help", uid=209)
    post(base, blocked)

    def dead() -> list[tuple[str, str]]:
        with sqlite3.connect(data_dir / "queue.sqlite") as db:
            return db.execute("SELECT status, last_error FROM queue_items WHERE queue = 'outbox' AND id = ?",
                              (f"telegram:{blocked['update_id']}",)).fetchall()
    _status, reason = wait_until(lambda: (rows := dead()) and rows[0][0] == "dead" and rows[0])
    assert "blocked" in reason
    time.sleep(2.5)
    assert len(sent_to(fake, 209)) == 1  # tried once, never again


def test_a_burst_of_500_updates_is_answered_exactly_once(base: str, fake: FakeTelegram) -> None:
    users = range(10_000, 10_050)
    updates = [text_update("/help" if n % 2 else "/start", uid=users[n % 50], language="en") for n in range(500)]

    async def burst() -> list[int]:
        async with httpx.AsyncClient(timeout=30) as client:
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            rs = await asyncio.gather(*(client.post(f"{base}/webhooks/telegram", json=u, headers=headers)
                                        for u in updates + updates[:50]))  # and 50 re-sent
            return [r.status_code for r in rs]

    assert asyncio.run(burst()) == [200] * 550
    expected = sum(1 if n % 2 else 2 for n in range(500))  # /start sends two messages, /help one

    def delivered() -> int:
        return sum(len(sent_to(fake, u)) for u in users)
    wait_until(lambda: delivered() >= expected, timeout=120)
    time.sleep(1.0)
    assert delivered() == expected


def test_no_telegram_id_is_kept_in_the_data_directory(base: str, fake: FakeTelegram, data_dir: Path) -> None:
    post(base, text_update("Où se baigner à Marseille ?", uid=987650123))
    wait_until(lambda: sent_to(fake, 987650123))
    time.sleep(0.5)
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert b"987650123" not in path.read_bytes(), path


def test_server_errors_are_retried(base: str, fake: FakeTelegram) -> None:
    fake.script("/sendMessage", error(500, "Internal Server Error"))
    post(base, text_update("/help", uid=210))
    wait_until(lambda: len(sent_to(fake, 210)) >= 2, timeout=20)


def test_set_webhook_and_info_commands(fake: FakeTelegram, data_dir: Path) -> None:
    env = {**os.environ, "LOCI_DATA_DIR": str(data_dir), "LOCI_TELEGRAM_BOT_TOKEN": TOKEN,
           "LOCI_TELEGRAM_SECRET_TOKEN": SECRET, "LOCI_TELEGRAM_API_BASE_URL": fake.base_url, "LOCI_PUBLIC_URL": PUBLIC}
    done = subprocess.run([LOCI, "telegram", "set-webhook"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    registered = fake.method_calls("setWebhook")[-1]
    assert registered["url"] == f"{PUBLIC}/webhooks/telegram" and registered["secret_token"] == SECRET
    assert registered["allowed_updates"] == ["message", "edited_message", "callback_query"]
    info = json.loads(subprocess.run([LOCI, "telegram", "info"], env=env, capture_output=True, text=True,
                                     timeout=60).stdout)
    assert info["webhook_url"] == f"{PUBLIC}/webhooks/telegram" and info["bot"] == "loci_test_bot"
    no_url = subprocess.run([LOCI, "telegram", "set-webhook"], env={**env, "LOCI_PUBLIC_URL": "http://plain.example"},
                            capture_output=True, text=True, timeout=60)
    assert no_url.returncode == 1 and "https://" in no_url.stderr
