"""``loci serve`` as deployed: a real process on loopback, spoken to over HTTP."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from genius_loci.bots.bootstrap import Runtime

from .serve import serving

LOCI = str(Path(sys.executable).with_name("loci"))


@pytest.fixture(scope="module")
def server(runtime: Runtime, data_dir: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    with serving({"LOCI_MAX_BODY_BYTES": "4096"}, data_dir) as running:
        yield running


def test_health_and_readiness(server: tuple[str, subprocess.Popen[bytes]]) -> None:
    base, _ = server
    assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{base}/readyz").json() == {"status": "ready"}


def test_ask_returns_the_cli_json_object_and_keeps_the_conversation(server: tuple[str, subprocess.Popen[bytes]]
                                                                     ) -> None:
    base, _ = server
    r = httpx.post(f"{base}/api/ask", json={"session_id": "s-1", "text": "Where was Cézanne born?"}, timeout=30)
    assert r.status_code == 200, r.text
    body = r.json()
    assert {"answer", "language", "confidence", "citations", "redirect", "timings_ms", "message_id"} <= set(body)
    assert body["language"] == "en" and "1839" in body["answer"]
    follow = httpx.post(f"{base}/api/ask", json={"session_id": "s-1", "text": "und seine Werkstatt?"}, timeout=30)
    assert follow.status_code == 200
    assert follow.json()["status"] == "answered"


def test_same_message_five_times_concurrently_is_answered_once(server: tuple[str, subprocess.Popen[bytes]],
                                                               data_dir: Path) -> None:
    base, _ = server

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=30) as client:
            payload = {"session_id": "s-5", "text": "Qui a inventé la pétanque ?", "message_id": "dup-1"}
            return await asyncio.gather(*(client.post(f"{base}/api/ask", json=payload) for _ in range(5)))

    responses = asyncio.run(burst())
    assert [r.status_code for r in responses] == [200] * 5
    bodies = [r.json() for r in responses]
    assert all(b == bodies[0] for b in bodies)
    import sqlite3

    with sqlite3.connect(data_dir / "state.sqlite") as db:
        assert db.execute("SELECT count(*) FROM turns WHERE id = 'web:dup-1'").fetchone()[0] == 1
    with sqlite3.connect(data_dir / "queue.sqlite") as db:
        rows = db.execute("SELECT queue, count(*) FROM queue_items WHERE id = 'web:dup-1' GROUP BY queue").fetchall()
        assert dict(rows) == {"inbox": 1, "outbox": 1}


@pytest.mark.parametrize(("payload", "status", "needle"), [
    (b"{not json", 400, "not valid JSON"),
    (b'{"text": "hello"}', 422, "session_id: Field required"),
    (b'{"session_id": "a", "text": "hi", "colour": "red"}', 422, "colour"),
    (b'{"session_id": "a", "text": "hi", "location": {"lat": 123, "lon": 5}}', 422, "location.lat"),
    (b'{"session_id": "a", "text": "' + b"x" * 5000 + b'"}', 413, "too large"),
    (b"\xff\xfe", 400, "not valid JSON"),
])
def test_bad_requests_get_4xx_with_a_clear_message(server: tuple[str, subprocess.Popen[bytes]], payload: bytes,
                                                   status: int, needle: str) -> None:
    base, _ = server
    r = httpx.post(f"{base}/api/ask", content=payload, headers={"content-type": "application/json"})
    assert r.status_code == status
    assert needle in r.json()["error"]


def test_logs_carry_no_session_id_or_question(server: tuple[str, subprocess.Popen[bytes]], data_dir: Path) -> None:
    base, _ = server
    httpx.post(f"{base}/api/ask", json={"session_id": "secret-session-42", "text": "Where is the Mucem?"}, timeout=30)
    time.sleep(0.3)
    log = (data_dir / "serve.log").read_text()
    assert "inbox.answered" in log
    assert "secret-session-42" not in log and "Where is the Mucem" not in log


def test_forget_erases_the_session(server: tuple[str, subprocess.Popen[bytes]]) -> None:
    base, _ = server
    httpx.post(f"{base}/api/ask", json={"session_id": "s-f", "text": "Where is the Mucem?", "message_id": "f1"},
               timeout=30)
    assert httpx.post(f"{base}/api/feedback", json={"session_id": "s-f", "message_id": "f1", "value": 1}).json() == {
        "recorded": True}
    erased = httpx.post(f"{base}/api/forget", json={"session_id": "s-f"}).json()["erased"]
    assert erased >= 4  # profile, turn, feedback, inbox and outbox entries
    r = httpx.post(f"{base}/api/feedback", json={"session_id": "s-f", "message_id": "f1", "value": 1})
    assert r.status_code == 404


def test_partner_link_is_counted_then_followed(server: tuple[str, subprocess.Popen[bytes]], data_dir: Path) -> None:
    base, _ = server
    httpx.post(f"{base}/api/ask", json={"session_id": "s-go", "text": "Where is the Mucem?", "message_id": "go1"},
               timeout=30)
    r = httpx.get(f"{base}/go/web:go1", follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"].startswith("https://")
    import sqlite3

    with sqlite3.connect(data_dir / "state.sqlite") as db:
        assert db.execute("SELECT count(*) FROM redirects WHERE turn_id = 'web:go1'").fetchone()[0] == 1
    assert httpx.get(f"{base}/go/web:nope", follow_redirects=False).status_code == 404


def test_sigterm_stops_cleanly(server: tuple[str, subprocess.Popen[bytes]]) -> None:
    _, proc = server
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
