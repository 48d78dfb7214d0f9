"""``loci serve`` answering with a language model (a fake OpenAI-compatible server on loopback): the
answer streamed as server-sent events, and the fallbacks counted at /metrics."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator

import httpx
import pytest

from genius_loci.bots.bootstrap import Runtime
from tests.fake_openai import FakeChatServer
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.telegram_updates import text_update

from .serve import own_data_dir, serving

QUESTION = {"session_id": "s-llm", "text": "Quand a ouvert le Mucem ?", "language": "fr"}


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeChatServer]:
    fake = FakeChatServer()
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram()
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def base(runtime: Runtime, llm: FakeChatServer, telegram: FakeTelegram, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[str]:
    own = own_data_dir(runtime, tmp_path_factory, "loci-llm")
    settings = {"LOCI_ANSWERER": "llm", "LOCI_LLM_BASE_URL": llm.base_url, "LOCI_LLM_MODEL": "fake-model",
                "LOCI_LLM_MAX_RETRIES": "0", "LOCI_LLM_TIMEOUT_SECONDS": "30",
                "LOCI_TELEGRAM_BOT_TOKEN": TOKEN, "LOCI_TELEGRAM_SECRET_TOKEN": "s",
                "LOCI_TELEGRAM_API_BASE_URL": telegram.base_url}
    with serving(settings, own) as (url, proc):
        yield url
        proc.terminate()
        proc.wait(timeout=30)


def _events(response: httpx.Response) -> list[tuple[str, dict[str, object]]]:
    events, name = [], ""
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            events.append((name, json.loads(line.removeprefix("data: "))))
    return events


def test_answer_is_streamed_then_given_whole(base: str, llm: FakeChatServer) -> None:
    llm.mode = "ok"
    with httpx.stream("POST", f"{base}/api/ask/stream", json={**QUESTION, "message_id": "st-1"}, timeout=30) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = _events(r)
    names = [n for n, _ in events]
    assert names[-1] == "answer" and names[:-1] == ["delta"] * (len(names) - 1)
    assert len(names) - 1 == len(llm.reply.split(" "))  # one event per piece the model wrote
    preview = "".join(str(d["text"]) for n, d in events if n == "delta")
    final = events[-1][1]
    assert preview.strip() == llm.reply
    assert final["answerer"] == "llm:fake-model" and final["status"] == "answered"
    assert "[9]" not in str(final["answer"]) and final["citations"]  # the final answer is checked
    # the plain endpoint gives the same stored answer for the same message
    again = httpx.post(f"{base}/api/ask", json={**QUESTION, "message_id": "st-1"}, timeout=30).json()
    assert again["answer"] == final["answer"]


def test_model_down_gives_the_extractive_answer_and_counts_it(base: str, llm: FakeChatServer) -> None:
    llm.mode = "error"
    try:
        body = httpx.post(f"{base}/api/ask", json={**QUESTION, "message_id": "down-1"}, timeout=30).json()
    finally:
        llm.mode = "ok"
    assert body["status"] == "answered" and body["answerer"] == "extractive" and "2013" in body["answer"]
    metrics = httpx.get(f"{base}/metrics").text
    assert 'loci_answer_fallbacks_total{primary="llm:fake-model",reason="provider"} 1' in metrics
    assert 'loci_answers_total{answerer="extractive",channel="web",status="answered"} 1' in metrics
    assert 'loci_answer_seconds{channel="web",quantile="0.95"}' in metrics
    assert 'loci_queue_items{queue="inbox",state="dead"} 0' in metrics


def test_telegram_shows_the_answer_being_written_in_one_message_edited_at_most_once_a_second(
        base: str, llm: FakeChatServer, telegram: FakeTelegram) -> None:
    llm.mode, llm.chunk_delay = "ok", 0.3  # about 4 s of writing
    try:
        update = text_update("Quand a ouvert le Mucem ?", uid=5150)
        r = httpx.post(f"{base}/webhooks/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s"})
        assert r.status_code == 200
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("<a href" in c["text"] for c in _edits(telegram, 5150)):
            time.sleep(0.1)
    finally:
        llm.chunk_delay = 0.0
    drafts = [c for c in telegram.calls("/sendMessage") if c.params["chat_id"] == "5150"]
    edits = [c for c in telegram.calls("/editMessageText") if c.params["chat_id"] == "5150"]
    assert len(drafts) == 1 and drafts[0].params["text"].endswith(" …")  # the draft, then only edits
    assert len(edits) >= 3
    times = [drafts[0].at] + [e.at for e in edits[:-1]]
    assert all(b - a >= 0.95 for a, b in itertools.pairwise(times))  # at most once a second
    final = edits[-1].params
    assert "2013" in final["text"] and '<a href="https://' in final["text"] and "…" not in final["text"][-3:]
    assert json.loads(final["reply_markup"])["inline_keyboard"][-1][0]["text"] == "👍"


def _edits(telegram: FakeTelegram, chat: int) -> list[dict[str, str]]:
    return [c.params for c in telegram.calls("/editMessageText") if c.params["chat_id"] == str(chat)]
