"""A worker process for the crash tests: the real InboxWorker, SQLite queues and store, with an
assistant and a sender that leave traces in files, and a way to hang at a chosen step.

usage: python crash_worker.py DATA_DIR hang-in-answer | hang-before-ack | drain
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from genius_loci.config.loader import load_territory
from genius_loci.connectors.queue.sqlite_queue import SqliteQueue
from genius_loci.connectors.store.sql import SqlStore
from genius_loci.core.conversation import Conversation
from genius_loci.core.types import Answer, IncomingMessage, QueueItem
from genius_loci.core.worker import InboxWorker, OutboxDispatcher

CONFIG = Path(__file__).resolve().parents[2] / "config"
LEASE_SECONDS = 1.0


class TracingAssistant:
    def __init__(self, trace: Path, hang: bool) -> None:
        self.trace, self.hang = trace, hang

    async def handle(self, message: IncomingMessage, *, completed: str | None = None) -> Answer:
        with self.trace.open("a") as fh:
            fh.write(message.text + "\n")
        if self.hang:
            await asyncio.sleep(3600)
        return Answer(f"answer to {message.text}", "en", 0.9, "answered", answerer="tracing")


class HangAfterPut:
    """The outbox, but the process stops dead right after the reply is queued (before the inbox ack)."""

    def __init__(self, inner: SqliteQueue) -> None:
        self.inner = inner

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)

    async def put(self, item: QueueItem) -> bool:
        result = await self.inner.put(item)
        await asyncio.sleep(3600)
        return result


class TracingSender:
    def __init__(self, trace: Path) -> None:
        self.trace = trace

    async def send(self, item: QueueItem) -> None:
        with self.trace.open("a") as fh:
            fh.write(item.id + "\n")


async def main(data_dir: Path, mode: str) -> None:
    store = SqlStore.from_url(f"sqlite+aiosqlite:///{data_dir / 'state.sqlite'}")
    inbox = SqliteQueue(data_dir / "queue.sqlite", "inbox")
    outbox = SqliteQueue(data_dir / "queue.sqlite", "outbox")
    assistant = TracingAssistant(data_dir / "answered.log", hang=mode == "hang-in-answer")
    voice = load_territory(CONFIG / "territory.yaml").voice
    conversation = Conversation(assistant, store, voice, store.forget)  # type: ignore[arg-type]
    out = HangAfterPut(outbox) if mode == "hang-before-ack" else outbox
    worker = InboxWorker(inbox, out, conversation, lease_seconds=LEASE_SECONDS)  # type: ignore[arg-type]
    dispatcher = OutboxDispatcher(outbox, {"web": TracingSender(data_dir / "sent.log")})
    while await worker.run_once():
        pass
    while await dispatcher.run_once():
        pass
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
