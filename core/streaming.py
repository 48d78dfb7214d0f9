"""Answer text as it is written, for the channels that can show it (web chat, terminal).

A channel that can show text as it comes sets a sink for the message it is handling (``streaming_to``);
an answerer that writes progressively (a language model) calls ``emit`` with each new piece. The pieces
are a preview: the final answer (citations checked and renumbered, partner link, or the extractive answer
when the model failed midway) is what the channel shows in the end. Without a sink nothing is streamed.

``DeltaHub`` carries the pieces from the worker that answers a message to the request waiting for it, by
inbox item id, inside one process (the embedded mode runs the worker in the web process).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar

from .errors import LociError

log = logging.getLogger("genius_loci.streaming")

Sink = Callable[[str], None]

_sink: ContextVar[Sink | None] = ContextVar("genius_loci_stream_sink", default=None)


@contextlib.contextmanager
def streaming_to(sink: Sink) -> Iterator[None]:
    """Within the block, pieces of answer text go to ``sink`` (and to any sink already set around it)."""
    outer = _sink.get()

    def both(text: str) -> None:
        assert outer is not None
        outer(text)
        sink(text)
    token = _sink.set(both if outer is not None else sink)
    try:
        yield
    finally:
        _sink.reset(token)


def wanted() -> bool:
    """True when someone is waiting for the pieces of the answer being written."""
    return _sink.get() is not None


def emit(text: str) -> None:
    sink = _sink.get()
    if sink is not None and text:
        sink(text)


class DeltaHub:
    """In-process fan-out of answer pieces, by inbox item id."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[asyncio.Queue[str]]] = {}

    @contextlib.contextmanager
    def listen(self, key: str) -> Iterator[asyncio.Queue[str]]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._listeners.setdefault(key, []).append(queue)
        try:
            yield queue
        finally:
            listeners = self._listeners.get(key, [])
            if queue in listeners:
                listeners.remove(queue)
            if not listeners:
                self._listeners.pop(key, None)

    @contextlib.contextmanager
    def publishing(self, key: str) -> Iterator[None]:
        """Streams the answer written within the block to whoever listens to ``key`` (if anyone does)."""
        if key not in self._listeners:
            yield
            return
        with streaming_to(lambda text: self._publish(key, text)):
            yield

    def _publish(self, key: str, text: str) -> None:
        for queue in self._listeners.get(key, []):
            queue.put_nowait(text)


DraftWrite = Callable[[str, "str | None"], Awaitable[str]]


class LiveDraft:
    """An answer shown as it is written, in one message that grows: ``write(text, ref)`` sends it (``ref`` None)
    or edits it, and returns its reference; called at most once per ``interval`` seconds, the latest text each
    time. The checked final answer replaces the draft when it is delivered."""

    def __init__(self, write: DraftWrite, interval: float = 1.0) -> None:
        self._write = write
        self._interval = interval
        self._text = ""
        self._written = ""
        self._changed = asyncio.Event()
        self.ref: str | None = None
        self._task: asyncio.Task[None] | None = None

    def add(self, piece: str) -> None:
        self._text += piece
        self._changed.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            if self._text.strip() and self._text != self._written:
                text = self._text
                try:
                    self.ref = await self._write(text, self.ref)
                except LociError as exc:  # the draft is a courtesy: the final answer is delivered as usual
                    log.info("draft not shown", extra={"event": "draft.failed", "reason": str(exc)})
                    return
                self._written = text
            await asyncio.sleep(self._interval)

    async def close(self) -> str | None:
        """Stops updating; the reference of the draft message, if one was sent."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return self.ref
