"""Messaging channels: webhook acknowledgement under a burst, and time to the platform's send call.

``python -m bench.channels`` starts ``loci serve`` (extractive answers) with Telegram, WhatsApp and Slack turned
on, pointed at the local fakes of the Bot API, Twilio's REST API and Slack's Web API used by the tests, then for
each channel:

1. posts a burst of 500 distinct updates (signed, 50 senders, all at once) and measures each webhook's
   acknowledgement time, then checks every one was answered exactly once;
2. asks the labelled questions (tests/eval/questions.yaml) one at a time and measures the time from the
   webhook call to the platform's send call (``sendMessage`` / ``Messages.json``) for it.

Prints a table, then the JSON (also written to bench/results/channels.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import yaml
from rich.console import Console
from rich.table import Table
from twilio.request_validator import RequestValidator

from bench import save_results
from genius_loci.core.metrics import quantile
from tests.fake_slack import BOT_TOKEN, BOT_USER, SIGNING_SECRET, TEAM, FakeSlack, signed
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM, FakeTwilio
from tests.integration.serve import serving
from tests.telegram_updates import text_update

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret"
PUBLIC = "https://loci.example.org"
VALIDATOR = RequestValidator(AUTH_TOKEN)
CONNECTIONS = 100  # Telegram opens at most 40 at once by default; more here, to be safe


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50": round(statistics.median(ordered) * 1000, 2), "p99": round(quantile(ordered, 0.99) * 1000, 2),
            "max": round(ordered[-1] * 1000, 2)}


def telegram_request(update: dict[str, Any]) -> dict[str, Any]:
    return {"url": "/webhooks/telegram", "json": update, "headers": {"X-Telegram-Bot-Api-Secret-Token": SECRET}}


_sid = iter(range(10**6, 10**7))


def whatsapp_request(number: str, text: str) -> dict[str, Any]:
    """A signed form as Twilio posts it (``data``: aiohttp and httpx both send a dict form-encoded)."""
    sid = f"SM{next(_sid):032x}"
    form = {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": ACCOUNT_SID, "From": f"whatsapp:{number}",
            "To": FROM, "Body": text, "NumMedia": "0", "WaId": number.lstrip("+"), "ProfileName": "Bench"}
    return {"url": "/webhooks/whatsapp", "data": form,
            "headers": {"X-Twilio-Signature": VALIDATOR.compute_signature(PUBLIC + "/webhooks/whatsapp", form)}}


def slack_request(channel: str, text: str) -> dict[str, Any]:
    """An ``app_mention`` event, signed as Slack signs it (the body sent as is)."""
    n = next(_sid)
    body = json.dumps({"team_id": TEAM, "type": "event_callback", "event_id": f"Ev{n}", "event_time": int(time.time()),
                       "event": {"type": "app_mention", "user": "U0BENCH", "channel": channel, "ts": f"{n}.000100",
                                 "text": f"<@{BOT_USER}> {text}", "team": TEAM}})
    return {"url": "/webhooks/slack/events", "data": body,
            "headers": {"Content-Type": "application/json", **signed(body)}}


async def burst(base: str, requests: list[dict[str, Any]]) -> list[float]:
    """Every request at once over up to ``CONNECTIONS`` connections; seconds each took to be acknowledged.
    (aiohttp as the load generator: httpx's async pool alone costs about 10 ms a request here.)"""
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(base_url=base, connector=connector) as client:
        async def one(request: dict[str, Any]) -> float:
            started = time.perf_counter()
            async with client.post(**request) as r:
                await r.read()
                r.raise_for_status()
            return time.perf_counter() - started
        return list(await asyncio.gather(*(one(r) for r in requests)))


def wait_for(check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("not all messages were answered in time")
        time.sleep(0.05)


def end_to_end(base: str, questions: list[str], request_for: Callable[[int, str], dict[str, Any]],
               sends_for: Callable[[int], list[float]]) -> list[float]:
    """Seconds from the webhook call to the platform's first send call, one question at a time."""
    out = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for n, question in enumerate(questions):
            started = time.monotonic()
            request = request_for(n, question)
            if isinstance(request.get("data"), str):  # a raw body: httpx calls it content
                request["content"] = request.pop("data")
            client.post(**request).raise_for_status()
            wait_for(lambda n=n: bool(sends_for(n)), 60)  # type: ignore[misc]
            out.append(sends_for(n)[0] - started)
    return out


def measure(base: str, burst_requests: list[dict[str, Any]], delivered: Callable[[], int], questions: list[str],
            request_for: Callable[[int, str], dict[str, Any]], sends_for: Callable[[int], list[float]]
            ) -> dict[str, Any]:
    """One channel: the burst's acknowledgements, that each burst message was answered once, then the
    questions end to end."""
    acks = asyncio.run(burst(base, burst_requests))
    started = time.monotonic()
    wait_for(lambda: delivered() >= len(burst_requests), 300)
    drained = time.monotonic() - started
    time.sleep(1.0)  # anything sent twice would show now
    once = delivered() == len(burst_requests)
    return {"ack_ms": _ms(acks), "answered_once": once, "burst_drained_s": round(drained, 2),
            "to_send_ms": _ms(end_to_end(base, questions, request_for, sends_for))}


def run(questions_limit: int) -> dict[str, Any]:
    questions = [q["q"] for q in yaml.safe_load((ROOT / "tests/eval/questions.yaml").read_text(encoding="utf-8"))]
    questions = questions[:questions_limit]
    telegram, twilio, slack = FakeTelegram(), FakeTwilio(), FakeSlack()
    data = Path(tempfile.mkdtemp(prefix="loci-bench-channels-"))
    for name in ("index.sqlite", "cache/embeddings.sqlite"):  # reuse the demo index when `make run` built it
        source = ROOT / "data" / name
        if source.exists():
            (data / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, data / name)
    env = {"LOCI_TELEGRAM_BOT_TOKEN": TOKEN, "LOCI_TELEGRAM_SECRET_TOKEN": SECRET,
           "LOCI_TELEGRAM_API_BASE_URL": telegram.base_url, "LOCI_PUBLIC_URL": PUBLIC,
           "LOCI_TWILIO_ACCOUNT_SID": ACCOUNT_SID, "LOCI_TWILIO_AUTH_TOKEN": AUTH_TOKEN, "LOCI_WHATSAPP_FROM": FROM,
           "LOCI_TWILIO_API_BASE_URL": twilio.url, "LOCI_SLACK_BOT_TOKEN": BOT_TOKEN,
           "LOCI_SLACK_SIGNING_SECRET": SIGNING_SECRET, "LOCI_SLACK_API_BASE_URL": slack.base_url,
           "LOCI_LOG_LEVEL": "WARNING", "LOCI_ANSWERER": "extractive"}
    result: dict[str, Any] = {"burst": 500, "questions": len(questions), "connections": CONNECTIONS}
    try:
        with serving(env, data) as (base, _):
            users = [20_000 + n for n in range(50)]
            chats = [30_000 + n for n in range(len(questions))]
            result["telegram"] = measure(
                base, [telegram_request(text_update("/help", uid=users[n % 50], language="en")) for n in range(500)],
                lambda: sum(1 for c in telegram.method_calls("sendMessage") if int(c["chat_id"]) in set(users)),
                questions, lambda n, q: telegram_request(text_update(q, uid=chats[n])),
                lambda n: [r.at for r in telegram.calls("/sendMessage") if r.params.get("chat_id") == str(chats[n])])
            numbers = [f"+3362{n:07d}" for n in range(50)]
            askers = [f"+3363{n:07d}" for n in range(len(questions))]
            result["whatsapp"] = measure(
                base, [whatsapp_request(numbers[n % 50], "/help") for n in range(500)],
                lambda: sum(len(twilio.sent_to(n)) for n in numbers),
                questions, lambda n, q: whatsapp_request(askers[n], q),
                lambda n: [r.at for r in twilio.calls("/Messages.json")
                           if r.params.get("To") == f"whatsapp:{askers[n]}"])
            rooms = [f"C0BURST{n:02d}" for n in range(50)]
            asked = [f"C0ASK{n:03d}" for n in range(len(questions))]
            result["slack"] = measure(
                base, [slack_request(rooms[n % 50], "/help") for n in range(500)],
                lambda: sum(1 for c in slack.calls("/api/chat.postMessage") if c.params.get("channel") in set(rooms)),
                questions, lambda n, q: slack_request(asked[n], q),
                lambda n: [r.at for r in slack.calls("/api/chat.postMessage") if r.params.get("channel") == asked[n]])
    finally:
        telegram.close()
        twilio.close()
        slack.close()
        shutil.rmtree(data, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=60, help="labelled questions timed end to end")
    args = parser.parse_args()
    os.environ.setdefault("LOCI_LOG_LEVEL", "WARNING")
    result = run(args.questions)
    table = Table(title=f"channels: burst of {result['burst']} updates, {result['questions']} questions end to end")
    for col in ("channel", "ack p50 ms", "ack p99 ms", "answered once", "burst drained s", "to send p50 ms",
                "to send p99 ms"):
        table.add_column(col)
    for name in ("telegram", "whatsapp", "slack"):
        r = result[name]
        table.add_row(name, str(r["ack_ms"]["p50"]), str(r["ack_ms"]["p99"]), str(r["answered_once"]),
                      str(r["burst_drained_s"]), str(r["to_send_ms"]["p50"]), str(r["to_send_ms"]["p99"]))
    Console().print(table)
    print(json.dumps(result))
    save_results("channels", result, echo=False)


if __name__ == "__main__":
    main()
