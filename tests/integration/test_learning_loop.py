"""The learning loop end to end, offline, as deployed: ``loci serve`` with the Slack channel (Bolt and slack_sdk
against the local fake of Slack's Web API, every request signed as Slack signs it), the real embedder and corpus.

A question the sources cannot answer is abstained → it shows in ``loci gaps`` with its partner → the same need
asked in English in Slack joins that gap → ``/loci gaps`` shows it → a partner teaches it in the Slack modal → a
non-reviewer cannot approve, the reviewer does → the need asked in Spanish on the web and in German by ``loci ask``
(another process) is answered from the curated source with its link → ``loci teach withdraw`` (another process)
and it is gone from the next answer → the partner's lesson is in their privacy export."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from genius_loci.bots.bootstrap import Runtime
from tests.fake_slack import BOT_TOKEN, BOT_USER, SIGNING_SECRET, TEAM, FakeSlack

from .serve import own_data_dir, serving, wait_until
from .test_cli import run
from .test_slack import event, post_form, post_json, posted

KAYAK_URL = "https://www.ot-cassis.com/kayak-test"
ANSWER = ("À Cassis, la location de kayaks de mer se fait sur la plage, d'avril à octobre, "
          "auprès des loueurs signalés par l'office de tourisme.")
ASKED = {"fr": "Peut-on louer un kayak à Cassis ?", "en": "Can I rent a kayak in Cassis?",
         "es": "¿Se puede alquilar un kayak en Cassis?", "de": "Kann man in Cassis ein Kajak mieten?"}
PARTNER, REVIEWER, REVIEW_CHANNEL = "U0PARTNER", "U0REVIEW", "C0REVIEW"


@pytest.fixture(scope="module")
def loop_dir(runtime: Runtime, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's index and embeddings, in a data directory of this test's own (its lessons stay here)."""
    return own_data_dir(runtime, tmp_path_factory, "learning-loop")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack()
    yield server
    server.close()


@pytest.fixture(scope="module")
def base(loop_dir: Path, fake: FakeSlack) -> Iterator[str]:
    env = {"LOCI_SLACK_BOT_TOKEN": BOT_TOKEN, "LOCI_SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "LOCI_SLACK_API_BASE_URL": fake.base_url, "LOCI_PUBLIC_URL": "https://loci.example.org",
           "LOCI_TEACH_REVIEWERS": f"{REVIEWER},U0OTHERREVIEW", "LOCI_SLACK_REVIEW_CHANNEL": REVIEW_CHANNEL,
           "LOCI_STT": "off"}
    with serving(env, loop_dir) as (url, _):
        yield url


def ask(base: str, text: str, session: str) -> dict[str, Any]:
    r = httpx.post(f"{base}/api/ask", json={"session_id": session, "text": text}, timeout=60)
    assert r.status_code == 200, r.text
    return dict(r.json())


def gaps(loop_dir: Path) -> list[dict[str, Any]]:
    proc = run(loop_dir, "gaps", "--json")
    assert proc.returncode == 0, proc.stderr
    return list(json.loads(proc.stdout)["gaps"])


def click(action_id: str, value: str, user: str, *, channel: str = REVIEW_CHANNEL, ts: str = "1.1") -> dict[str, Any]:
    return {"type": "block_actions", "team": {"id": TEAM, "domain": "loci"}, "user": {"id": user, "team_id": TEAM},
            "api_app_id": "A0LOCI", "token": "legacy", "trigger_id": f"trigger-{action_id}-{user}",
            "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False},
            "channel": {"id": channel}, "message": {"type": "message", "ts": ts, "text": "…"},
            "actions": [{"action_id": action_id, "block_id": "b", "value": value, "type": "button",
                         "action_ts": f"{time.time():.6f}"}]}


def submission(view: dict[str, Any], answer: str, url: str) -> dict[str, Any]:
    initial = {b["block_id"]: b["element"] for b in view["blocks"]}
    values = {"question": {"value": {"type": "plain_text_input", "value": initial["question"]["initial_value"]}},
              "answer": {"value": {"type": "plain_text_input", "value": answer}},
              "url": {"value": {"type": "url_text_input", "value": url}},
              "partner": {"value": {"type": "static_select",
                                    "selected_option": initial["partner"]["initial_option"]}}}
    return {"type": "view_submission", "team": {"id": TEAM, "domain": "loci"},
            "user": {"id": PARTNER, "team_id": TEAM}, "api_app_id": "A0LOCI", "token": "legacy",
            "trigger_id": "trigger-submit",
            "view": {"id": "V1", "team_id": TEAM, "type": "modal", "callback_id": view["callback_id"],
                     "private_metadata": view["private_metadata"], "blocks": view["blocks"],
                     "state": {"values": values}}}


def interact(base: str, payload: dict[str, Any]) -> httpx.Response:
    return post_form(base, "/webhooks/slack/interactions", {"payload": json.dumps(payload)})


def test_what_was_not_known_is_taught_in_slack_and_answered_in_every_language_until_withdrawn(
        base: str, fake: FakeSlack, loop_dir: Path) -> None:
    # 1. abstained on the web, filed with its partner
    first = ask(base, ASKED["fr"], "loop-fr")
    assert first["status"] == "abstained" and "Cassis" in first["redirect"]["partner"], first
    [gap] = [g for g in gaps(loop_dir) if ASKED["fr"] in g["examples"]]
    assert gap["partner"] == "cassis-tourism" and gap["status"] == "open"

    # 2. the same need in English, in Slack, joins that gap
    mention = event(f"<@{BOT_USER}> {ASKED['en']}", channel="C0ASK", user="U0VISITOR")
    assert post_json(base, "/webhooks/slack/events", mention).status_code == 200
    reply = wait_until(lambda: posted(fake, "C0ASK"), 60)[0]
    improve = reply["blocks"][-1]["elements"][-1]
    assert improve["action_id"] == "loci_improve" and improve["value"] == f"slack:{mention['event_id']}"
    joined = wait_until(lambda: [g for g in gaps(loop_dir) if g["id"] == gap["id"] and g["count"] == 2], 30)[0]
    assert joined["languages"] == ["en", "fr"] and joined["channels"] == ["slack", "web"]

    # 3. the partner sees it in /loci gaps, with a Teach button
    command = {"token": "legacy", "team_id": TEAM, "channel_id": "C0CASSIS", "user_id": PARTNER, "command": "/loci",
               "text": "gaps", "trigger_id": "trigger-gaps", "response_url": f"{fake.url}/respond"}
    listed = post_form(base, "/webhooks/slack/commands", command)
    assert listed.status_code == 200
    teach = [b["accessory"] for b in listed.json()["blocks"] if b.get("accessory", {}).get("value") == gap["id"]]
    assert teach and teach[0]["action_id"] == "loci_teach"

    # 4. Teach opens the modal, prefilled; a bad link is refused in the modal; the right one is sent for review
    assert interact(base, click("loci_teach", gap["id"], PARTNER, channel="C0CASSIS")).status_code == 200
    view = wait_until(lambda: fake.method_calls("views.open"))[-1]["view"]
    assert view["callback_id"] == "loci_teach_modal"
    assert {b["block_id"] for b in view["blocks"]} == {"question", "answer", "url", "partner"}
    assert next(b for b in view["blocks"] if b["block_id"] == "partner")["element"]["initial_option"]["value"] \
        == "cassis-tourism"
    refused = interact(base, submission(view, ANSWER, "ot-cassis.com/kayak"))
    assert refused.status_code == 200 and refused.json()["response_action"] == "errors"
    assert "url" in refused.json()["errors"]
    assert interact(base, submission(view, ANSWER, KAYAK_URL)).status_code == 200
    request = wait_until(lambda: posted(fake, REVIEW_CHANNEL))[0]
    buttons = {b["action_id"]: b["value"] for b in request["blocks"][-1]["elements"]}
    lesson = buttons["loci_lesson_approve"]
    assert set(buttons) == {"loci_lesson_approve", "loci_lesson_reject"}
    assert wait_until(lambda: posted(fake, PARTNER))[0]["text"].startswith("Thank you")

    # 5. only a reviewer approves
    assert interact(base, click("loci_lesson_approve", lesson, PARTNER)).status_code == 200
    refusal = wait_until(lambda: [c for c in posted(fake, REVIEW_CHANNEL, "chat.postEphemeral")
                                  if c["user"] == PARTNER])[0]
    assert "reviewers" in refusal["text"]
    assert _status(loop_dir, lesson) == "pending"
    assert interact(base, click("loci_lesson_approve", lesson, REVIEWER)).status_code == 200
    outcome = wait_until(lambda: fake.method_calls("chat.update"))[-1]
    assert outcome["channel"] == REVIEW_CHANNEL and "Approved" in outcome["text"]
    assert outcome["blocks"][-1]["elements"][0]["action_id"] == "loci_lesson_withdraw"
    assert _status(loop_dir, lesson) == "approved"

    # 6. asked in Spanish on the web, in German in another process: the curated source, with its link
    spanish = ask(base, ASKED["es"], "loop-es")
    assert spanish["status"] == "answered" and spanish["citations"][0]["url"] == KAYAK_URL, spanish
    assert spanish["language"] == "es" and spanish["confidence"] >= 0.9
    german = run(loop_dir, "ask", ASKED["de"], "--json")
    assert german.returncode == 0, german.stderr
    assert json.loads(german.stdout)["citations"][0]["url"] == KAYAK_URL
    assert ask(base, "Où manger à Cassis ?", "loop-other")["citations"][0]["url"] != KAYAK_URL  # another need

    # 7. withdrawn by the command line, in another process: gone from the server's next answer
    withdrawn = run(loop_dir, "teach", "withdraw", lesson)
    assert withdrawn.returncode == 0, withdrawn.stderr
    again = ask(base, ASKED["es"], "loop-es-2")
    assert KAYAK_URL not in [c["url"] for c in again["citations"]], again

    # 8. the partner's lesson and its audit trail are in the partner's export
    export = run(loop_dir, "privacy", "export", "--platform-id", f"{TEAM}:{PARTNER}", "--channel", "slack")
    assert export.returncode == 0, export.stderr
    data = json.loads(export.stdout)
    assert [x["id"] for x in data["lessons"]] == [lesson]
    assert [c["action"] for c in data["lesson_changes"]] == ["proposed"]
    shown = json.loads(run(loop_dir, "teach", "show", lesson).stdout)
    assert [c["action"] for c in shown["history"]] == ["proposed", "approved", "withdrawn"]


def test_teach_from_the_command_line_json_contract(base: str, loop_dir: Path) -> None:
    asked = ask(base, "Y a-t-il une laverie automatique près du Vieux-Port ?", "loop-cli")
    assert asked["status"] == "abstained", asked
    [gap] = [g for g in gaps(loop_dir) if "Y a-t-il une laverie automatique près du Vieux-Port ?" in g["examples"]]
    proposed = run(loop_dir, "teach", "--gap", gap["id"], "--answer", "Une laverie est rue de la Loge.",
                   "--url", "https://www.marseille-tourisme.com/laverie-test", "--json")
    assert proposed.returncode == 0, proposed.stderr
    out = json.loads(proposed.stdout)
    assert out["status"] == "pending" and out["partner"] == gap["partner"] and set(out) >= {"id", "status"}
    assert run(loop_dir, "teach", "approve", out["id"]).returncode == 0
    cited = ask(base, "Où trouver une laverie près du Vieux-Port ?", "loop-cli-2")
    assert cited["citations"] and cited["citations"][0]["url"].endswith("laverie-test"), cited
    assert run(loop_dir, "teach", "withdraw", out["id"]).returncode == 0
    bad = run(loop_dir, "teach", "approve", out["id"])
    assert bad.returncode == 1 and "withdrawn" in bad.stderr
    missing = run(loop_dir, "teach", "--gap", "nope", "--answer", "x", "--url", "https://x.example")
    assert missing.returncode == 1 and "no gap" in missing.stderr


def _status(loop_dir: Path, lesson: str) -> str:
    listed = json.loads(run(loop_dir, "teach", "list", "--json").stdout)["lessons"]
    return str(next(x["status"] for x in listed if x["id"] == lesson))

