"""The Slack adapter's pure parts and the published signing vector."""

from __future__ import annotations

import json
from pathlib import Path

from slack_sdk.signature import SignatureVerifier

from genius_loci.bots.slack.render import SECTION_CHARS, escape, render
from genius_loci.bots.slack.translate import Address, Ignored, from_command, from_event, from_vote, plain
from genius_loci.config.loader import load_territory
from genius_loci.connectors.sealing import Sealer
from genius_loci.core.types import Answer, Citation, IncomingMessage, Redirect

VOICE = load_territory(Path(__file__).resolve().parents[2] / "config" / "territory.yaml").voice
VECTORS = Path(__file__).resolve().parents[3] / "shared" / "data" / "webhooks" / "slack_signature_vectors.json"
SEALER = Sealer(b"s" * 32)
KEYS = {"key_of": lambda who: f"slack:{who}", "seal": SEALER.seal}


def test_the_published_signing_vectors() -> None:
    for v in json.loads(VECTORS.read_text())["vectors"]:
        verifier = SignatureVerifier(v["signing_secret"], clock=_Clock(int(v["timestamp"])))
        presented = v.get("signature_presented") or v["expected_signature"]
        headers = {"x-slack-request-timestamp": v["timestamp"], "x-slack-signature": presented}
        assert verifier.is_valid_request(v["body"], headers) is v.get("expected_valid", True)
        if "expected_signature" in v:
            assert verifier.generate_signature(timestamp=v["timestamp"], body=v["body"]) == v["expected_signature"]


class _Clock:
    def __init__(self, now: int) -> None:
        self._now = now

    def now(self) -> float:
        return float(self._now)


def _event(**inner: object) -> dict[str, object]:
    return {"team_id": "T1", "event_id": "Ev1", "type": "event_callback",
            "event": {"type": "app_mention", "user": "U1", "channel": "C1", "ts": "10.1", "text": "", **inner}}


def test_events() -> None:
    got = from_event(_event(text="<@U0BOT> Où est le &lt;Mucem&gt; &amp; le fort ?"), **KEYS)  # type: ignore[arg-type]
    assert isinstance(got, IncomingMessage)
    assert got.text == "Où est le <Mucem> & le fort ?" and got.message_id == "Ev1"
    assert got.user_id == "slack:T1:C1:10.1"  # a channel thread is one conversation
    assert Address.loads(SEALER.open(got.reply_to)) == Address("C1", "10.1")
    in_thread = from_event(_event(text="<@U0BOT> et demain ?", thread_ts="9.0"), **KEYS)  # type: ignore[arg-type]
    assert isinstance(in_thread, IncomingMessage) and in_thread.user_id == "slack:T1:C1:9.0"
    dm = from_event(_event(type="message", channel_type="im", channel="D1", text="Hi"), **KEYS)  # type: ignore[arg-type]
    assert isinstance(dm, IncomingMessage) and dm.user_id == "slack:T1:U1"
    for ignored in (_event(subtype="message_changed"), _event(bot_id="B1"),
                    _event(type="message", channel_type="channel"), _event(type="reaction_added")):
        assert isinstance(from_event(ignored, **KEYS), Ignored)  # type: ignore[arg-type]
    assert plain("<@U123|loci>  hello   there") == "hello there"


def test_commands_and_votes() -> None:
    base = {"team_id": "T1", "user_id": "U1", "channel_id": "C1", "trigger_id": "t1"}
    ask = from_command({**base, "text": "ask Where is the Mucem?"}, **KEYS)  # type: ignore[arg-type]
    assert ask.text == "Where is the Mucem?" and Address.loads(SEALER.open(ask.reply_to)) == Address("C1")
    bare = from_command({**base, "text": "Where is the Mucem?"}, **KEYS)  # type: ignore[arg-type]
    assert bare.text == "Where is the Mucem?"
    help_ = from_command({**base, "text": "help"}, **KEYS)  # type: ignore[arg-type]
    assert help_.text == "/help" and Address.loads(SEALER.open(help_.reply_to)).ephemeral_to == "U1"
    click = {"team": {"id": "T1"}, "user": {"id": "U2"}, "channel": {"id": "C1"},
             "message": {"ts": "11.0", "thread_ts": "10.1"},
             "actions": [{"action_id": "loci_vote_up", "value": "slack:Ev1", "action_ts": "12.5"}]}
    vote = from_vote(click, **KEYS)  # type: ignore[arg-type]
    assert isinstance(vote, IncomingMessage) and (vote.feedback, vote.about) == (1, "slack:Ev1")
    assert vote.user_id == "slack:T1:C1:10.1"  # the thread's conversation, to find the voted turn
    assert vote.voter == "slack:T1:U2"  # and who pressed: distinct people are counted, not threads
    assert isinstance(from_vote({**click, "actions": [{"action_id": "other"}]}, **KEYS), Ignored)  # type: ignore[arg-type]


def test_hostile_text_is_escaped_and_links_are_safe() -> None:
    hostile = "Tarif <b>10 €</b> & <!channel> <https://evil.example|cliquez> [1]"
    answer = Answer(hostile, "fr", 0.9, "answered", (Citation(1, "Titre <x> & |y|", "https://e.org/a?b=1|2>", "p"),),
                    Redirect("t", "Office & <Co>", "https://t.example"))
    text, blocks = render(answer, VOICE, "slack:Ev9", public_url="https://loci.example")
    section = blocks[0]["text"]["text"]
    assert "<!channel>" not in section and "&lt;!channel&gt;" in section and "&amp; " in section
    assert "<https://evil.example|" not in section
    assert "<https://e.org/a?b=1%7C2%3E|[1]>" in section
    assert "Titre &lt;x&gt; &amp; |y|" in blocks[1]["elements"][0]["text"]
    assert "<!channel>" not in text and escape("<") == "&lt;"
    assert blocks[-1]["elements"][0]["url"] == "https://loci.example/go/slack:Ev9"


def test_long_answers_span_sections_under_the_limit() -> None:
    answer = Answer("Le Vieux-Port & ses <quais>. " * 400, "fr", 0.9, "answered")
    _, blocks = render(answer, VOICE, "slack:Ev10", public_url=None)
    sections = [b for b in blocks if b["type"] == "section"]
    assert len(sections) >= 4 and all(len(b["text"]["text"]) <= SECTION_CHARS for b in sections)
