"""kill -9 a worker while it holds a message: after a restart the message is answered exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from genius_loci.connectors.queue.sqlite_queue import SqliteQueue
from genius_loci.connectors.store.migrate import upgrade
from genius_loci.core.envelope import inbox_id, message_to_payload
from genius_loci.core.types import IncomingMessage, QueueItem

WORKER = Path(__file__).with_name("crash_worker.py")
ROOT = Path(__file__).resolve().parents[2]


def _spawn(data_dir: Path, mode: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, str(WORKER), str(data_dir), mode], env=env)


def _inbox_row(data_dir: Path) -> tuple[str, int] | None:
    with sqlite3.connect(data_dir / "queue.sqlite") as db:
        return db.execute("SELECT status, attempts FROM queue_items WHERE queue = 'inbox'").fetchone()


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.parametrize(("mode", "answers_computed"), [("hang-in-answer", 2), ("hang-before-ack", 1)])
def test_killed_worker_message_is_answered_exactly_once(tmp_path: Path, mode: str, answers_computed: int) -> None:
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{tmp_path / 'state.sqlite'}"))
    message = IncomingMessage("web", "web:u1", "opening hours?", message_id="m-1")
    queue = SqliteQueue(tmp_path / "queue.sqlite", "inbox")
    assert asyncio.run(queue.put(QueueItem(inbox_id("web", "m-1"), "web:u1", message_to_payload(message))))

    first = _spawn(tmp_path, mode)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        row = _inbox_row(tmp_path)
        reached = bool(_lines(tmp_path / "answered.log")) if mode == "hang-in-answer" else \
            (tmp_path / "state.sqlite").exists() and _outbox_count(tmp_path) == 1
        if row and row[0] == "leased" and reached:
            break
        time.sleep(0.02)
    else:
        first.kill()
        pytest.fail("the first worker never got hold of the message")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)

    time.sleep(1.2)  # the dead worker's lease runs out
    second = _spawn(tmp_path, "drain")
    assert second.wait(timeout=60) == 0

    assert _inbox_row(tmp_path) == ("done", 2)
    with sqlite3.connect(tmp_path / "state.sqlite") as db:
        assert db.execute("SELECT count(*) FROM turns").fetchone()[0] == 1
    assert _outbox_count(tmp_path) == 1
    assert _lines(tmp_path / "sent.log") == ["web:m-1"]  # the user gets one reply
    assert len(_lines(tmp_path / "answered.log")) == answers_computed


def _outbox_count(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "queue.sqlite") as db:
        return int(db.execute("SELECT count(*) FROM queue_items WHERE queue = 'outbox'").fetchone()[0])
