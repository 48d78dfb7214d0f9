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
from collections.abc import Callable, Iterator
from contextvars import ContextVar

Sink = Callable[[str], None]

_sink: ContextVar[Sink | None] = ContextVar("genius_loci_stream_sink", default=None)


@contextlib.contextmanager
def streaming_to(sink: Sink) -> Iterator[None]:
    """Within the block, pieces of answer text go to ``sink``."""
    token = _sink.set(sink)
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
