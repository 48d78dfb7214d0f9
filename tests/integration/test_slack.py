"""The Slack channel end to end: ``loci serve`` as deployed, requests signed exactly as Slack signs them, Bolt
and slack_sdk talking to a local fake of Slack's Web API."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import sqlite3
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from genius_loci.bots.bootstrap import Runtime
from tests.fake_slack import APP_TOKEN, BOT_TOKEN, BOT_USER, SIGNING_SECRET, TEAM, FakeSlack, signed, slack_error
from tests.fake_slack_socket import FakeSocketMode

from .serve import serving, wait_until

PUBLIC = "https://loci.example.org"
_ids = itertools.count(int(time.time()) % 100_000 * 1000)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack()
    yield server
    server.close()


@pytest.fixture(scope="module")
def base(runtime: Runtime, data_dir: Path, fake: FakeSlack) -> Iterator[str]:
    env = {"LOCI_SLACK_BOT_TOKEN": BOT_TOKEN, "LOCI_SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "LOCI_SLACK_API_BASE_URL": fake.base_url, "LOCI_PUBLIC_URL": PUBLIC}
    with serving(env, data_dir) as (url, _):
        yield url


def event(text: str, *, kind: str = "app_mention", channel: str = "C0PARTNERS", user: str = "U0ALICE",
          thread_ts: str | None = None, **extra: Any) -> dict[str, Any]:
    ts = f"{int(time.time())}.{next(_ids):06d}"
    inner = {"type": kind, "user": user, "text": text, "ts": ts, "channel": channel, "event_ts": ts, "team": TEAM,
             **({"thread_ts": thread_ts} if thread_ts else {}), **extra}
    return {"token": "legacy", "team_id": TEAM, "api_app_id": "A0LOCI", "event": inner, "type": "event_callback",
            "event_id": f"Ev{next(_ids)}", "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}]}


def post_json(base: str, path: str, payload: dict[str, Any], **headers: str) -> httpx.Response:
    body = json.dumps(payload)
    return httpx.post(f"{base}{path}", content=body, headers={"Content-Type": "application/json", **signed(body),
                                                              **headers})


def post_form(base: str, path: str, form: dict[str, str]) -> httpx.Response:
    body = urllib.parse.urlencode(form)
    return httpx.post(f"{base}{path}", content=body,
                      headers={"Content-Type": "application/x-www-form-urlencoded", **signed(body)})


def posted(fake: FakeSlack, channel: str, method: str = "chat.postMessage") -> list[dict[str, Any]]:
    return [c for c in fake.method_calls(method) if c.get("channel") == channel]



def test_url_verification_answers_the_challenge(base: str) -> None:
    r = post_json(base, "/webhooks/slack/events", {"token": "x", "challenge": "c-123", "type": "url_verification"})
    assert r.status_code == 200 and r.json() == {"challenge": "c-123"}


def test_forged_and_stale_signatures_are_refused(base: str) -> None:
    body = json.dumps(event("hello"))
    forged = {**signed(body), "X-Slack-Signature": "v0=" + "0" * 64}
    assert httpx.post(f"{base}/webhooks/slack/events", content=body, headers=forged).status_code == 401
    stale = signed(body, age_seconds=6 * 60)  # correctly signed, but older than 5 minutes
    assert httpx.post(f"{base}/webhooks/slack/events", content=body, headers=stale).status_code == 401
    other = signed(body, secret="another-secret")
    assert httpx.post(f"{base}/webhooks/slack/events", content=body, headers=other).status_code == 401


def test_a_mention_is_answered_once_in_its_thread_even_when_slack_resends_it(base: str, fake: FakeSlack) -> None:
    mention = event(f"<@{BOT_USER}> Quand a ouvert le Mucem ?", channel="C0MENTION")
    started = time.monotonic()
    assert post_json(base, "/webhooks/slack/events", mention).status_code == 200
    assert time.monotonic() - started < 3.0  # acknowledged within Slack's 3 seconds
    for retry in ("1", "2"):  # Slack thought it was missed
        r = post_json(base, "/webhooks/slack/events", mention, **{"X-Slack-Retry-Num": retry,
                                                                   "X-Slack-Retry-Reason": "http_timeout"})
        assert r.status_code == 200
    reply = wait_until(lambda: posted(fake, "C0MENTION"))[0]
    time.sleep(1.0)
    assert len(posted(fake, "C0MENTION")) == 1
    assert reply["thread_ts"] == mention["event"]["ts"]
    section = reply["blocks"][0]["text"]["text"]
    assert "2013" in section and "<https://" in section  # [n] as links
    actions = reply["blocks"][-1]["elements"]
    turn = f"slack:{mention['event_id']}"
    assert actions[0]["url"] == f"{PUBLIC}/go/{turn}"
    assert [(a["action_id"], a.get("value")) for a in actions[1:]] == [("loci_vote_up", turn),
                                                                      ("loci_vote_down", turn),
                                                                      ("loci_improve", turn)]
    assert "2013" in reply["text"]  # the plain-text fallback for notifications


def test_the_token_is_checked_once_however_many_requests_come(base: str, fake: FakeSlack) -> None:
    async def burst() -> list[int]:
        async with httpx.AsyncClient(timeout=30) as client:
            bodies = [json.dumps(event("<@U0LOCIBOT> /help", channel="C0BURST")) for _ in range(30)]
            rs = await asyncio.gather(*(client.post(f"{base}/webhooks/slack/events", content=b, headers={
                "Content-Type": "application/json", **signed(b)}) for b in bodies))
            return [r.status_code for r in rs]
    assert asyncio.run(burst()) == [200] * 30
    assert len(fake.calls("/api/auth.test")) == 1  # at start, not once per request of a first burst


def test_a_follow_up_in_the_thread_is_the_same_conversation(base: str, fake: FakeSlack) -> None:
    first = event(f"<@{BOT_USER}> Où se trouve le Mucem ?", channel="C0THREAD")
    post_json(base, "/webhooks/slack/events", first)
    wait_until(lambda: posted(fake, "C0THREAD"))
    follow = event(f"<@{BOT_USER}> et le dimanche ?", channel="C0THREAD", user="U0BOB",
                   thread_ts=first["event"]["ts"])
    post_json(base, "/webhooks/slack/events", follow)
    reply = wait_until(lambda: len(posted(fake, "C0THREAD")) >= 2 and posted(fake, "C0THREAD")[1])
    assert reply["thread_ts"] == first["event"]["ts"]
    assert "Mucem" in reply["text"]  # "et le dimanche ?" completed from the thread's question


def test_direct_messages_are_answered_and_other_messages_ignored(base: str, fake: FakeSlack) -> None:
    dm = event("Where is the Mucem?", kind="message", channel="D0ALICE", channel_type="im")
    post_json(base, "/webhooks/slack/events", dm)
    assert wait_until(lambda: posted(fake, "D0ALICE"))[0]["thread_ts"] == dm["event"]["ts"]
    ignored = [
        event("from a bot", kind="message", channel="D0IGNORE", channel_type="im", bot_id="B0OTHER"),
        event("edited", kind="message", channel="D0IGNORE", channel_type="im", subtype="message_changed"),
        event("joined", kind="message", channel="C0IGNORE", channel_type="channel", subtype="channel_join"),
        event("a channel message without mention", kind="message", channel="C0IGNORE", channel_type="channel"),
        event("", kind="reaction_added", channel="C0IGNORE"),
        event("", kind="team_join", channel="C0IGNORE"),
    ]
    assert [post_json(base, "/webhooks/slack/events", e).status_code for e in ignored] == [200] * 6
    time.sleep(1.0)
    assert not posted(fake, "D0IGNORE") and not posted(fake, "C0IGNORE")


def test_slash_command_answers_in_the_channel_after_an_ephemeral_working(base: str, fake: FakeSlack) -> None:
    form = {"token": "legacy", "team_id": TEAM, "channel_id": "C0CMD", "channel_name": "general", "user_id": "U0CAROL",
            "user_name": "carol", "command": "/loci", "text": "ask How do I get from the airport to the Vieux-Port?",
            "response_url": "https://hooks.slack.com/commands/T/1/x", "trigger_id": f"{next(_ids)}.1.abc"}
    r = post_form(base, "/webhooks/slack/commands", form)
    assert r.status_code == 200 and r.text == "⏳ …"  # shown only to the person who typed it
    reply = wait_until(lambda: posted(fake, "C0CMD"))[0]
    assert reply.get("thread_ts") is None and reply["blocks"]
    help_form = {**form, "text": "help", "trigger_id": f"{next(_ids)}.1.abc"}
    assert post_form(base, "/webhooks/slack/commands", help_form).status_code == 200
    private = wait_until(lambda: posted(fake, "C0CMD", "chat.postEphemeral"))[0]
    assert private["user"] == "U0CAROL" and "/forget" in private["text"]


def test_a_vote_button_records_feedback(base: str, fake: FakeSlack, data_dir: Path) -> None:
    mention = event(f"<@{BOT_USER}> Where is the Mucem?", channel="C0VOTE", user="U0DAN")
    post_json(base, "/webhooks/slack/events", mention)
    answer = wait_until(lambda: posted(fake, "C0VOTE"))[0]
    turn = f"slack:{mention['event_id']}"
    click = {"type": "block_actions", "team": {"id": TEAM, "domain": "loci"}, "user": {"id": "U0DAN", "name": "dan"},
             "api_app_id": "A0LOCI", "token": "legacy", "trigger_id": "1.2.3",
             "container": {"type": "message", "message_ts": "1.1", "channel_id": "C0VOTE", "is_ephemeral": False},
             "channel": {"id": "C0VOTE", "name": "votes"},
             "message": {"type": "message", "ts": "1.1", "thread_ts": mention["event"]["ts"], "text": answer["text"]},
             "actions": [{"action_id": "loci_vote_down", "block_id": "b", "value": turn, "type": "button",
                          "text": {"type": "plain_text", "text": "👎"}, "action_ts": f"{time.time():.6f}"}]}
    r = post_form(base, "/webhooks/slack/interactions", {"payload": json.dumps(click)})
    assert r.status_code == 200
    thanks = wait_until(lambda: posted(fake, "C0VOTE", "chat.postEphemeral"))[0]
    assert thanks["user"] == "U0DAN" and thanks["text"].startswith("Thank you")
    with sqlite3.connect(data_dir / "state.sqlite") as db:
        assert db.execute("SELECT value FROM feedback WHERE turn_id = ?", (turn,)).fetchall() == [(-1,)]
    link = {**click, "actions": [{"action_id": "loci_partner", "block_id": "b", "type": "button",
                                  "action_ts": "2.2", "text": {"type": "plain_text", "text": "➡️"}}]}
    assert post_form(base, "/webhooks/slack/interactions", {"payload": json.dumps(link)}).status_code == 200


def test_rate_limits_are_honoured_and_missing_channels_dead_lettered(base: str, fake: FakeSlack,
                                                                      data_dir: Path) -> None:
    fake.script("/api/chat.postMessage", slack_error("ratelimited", 429, **{"Retry-After": "1"}))
    started = time.monotonic()
    post_json(base, "/webhooks/slack/events", event(f"<@{BOT_USER}> /help", channel="C0BUSY"))
    wait_until(lambda: len(posted(fake, "C0BUSY")) >= 2)
    assert time.monotonic() - started >= 1.0

    fake.script("/api/chat.postMessage", slack_error("not_in_channel"))
    gone = event(f"<@{BOT_USER}> /help", channel="C0GONE")
    post_json(base, "/webhooks/slack/events", gone)

    def outbox() -> tuple[str, str] | None:
        with sqlite3.connect(data_dir / "queue.sqlite") as db:
            return db.execute("SELECT status, last_error FROM queue_items WHERE queue = 'outbox' AND id = ?",
                              (f"slack:{gone['event_id']}",)).fetchone()
    _status, reason = wait_until(lambda: (row := outbox()) and row[0] == "dead" and row)
    assert "not_in_channel" in reason
    time.sleep(2.5)
    assert len(posted(fake, "C0GONE")) == 1


def test_socket_mode_takes_events_over_the_websocket(runtime: Runtime, fake: FakeSlack, tmp_path: Path) -> None:
    socket = FakeSocketMode()
    fake.socket_url = socket.url
    own = tmp_path / "socket"
    own.mkdir()
    for name in ("index.sqlite",):  # the built index, copied through SQLite's backup
        with contextlib.closing(sqlite3.connect(runtime.settings.index_path)) as src, \
                contextlib.closing(sqlite3.connect(own / name)) as dst:
            src.backup(dst)
    env = {"LOCI_SLACK_BOT_TOKEN": BOT_TOKEN, "LOCI_SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "LOCI_SLACK_APP_TOKEN": APP_TOKEN, "LOCI_SLACK_API_BASE_URL": fake.base_url}
    try:
        with serving(env, own, "--slack-socket-mode") as (url, _):
            assert socket.wait_connected()
            assert httpx.post(f"{url}/webhooks/slack/events", content=b"{}").status_code == 404  # no webhook
            mention = event(f"<@{BOT_USER}> Quand a ouvert le Mucem ?", channel="C0SOCKET")
            envelope = socket.push("events_api", mention)
            reply = wait_until(lambda: posted(fake, "C0SOCKET"))[0]
            assert "2013" in reply["text"] and reply["thread_ts"] == mention["event"]["ts"]
            assert envelope in [a.get("envelope_id") for a in socket.acks]
    finally:
        socket.close()
