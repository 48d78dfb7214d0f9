"""A local Socket Mode endpoint: the websocket Slack hands out through ``apps.connections.open``. It says
hello, pushes envelopes a test gives it, and records the acknowledgements the app sends back."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from typing import Any

from aiohttp import WSMsgType, web


class FakeSocketMode:
    def __init__(self) -> None:
        self.acks: list[dict[str, Any]] = []
        self._loop = asyncio.new_event_loop()
        self._sockets: list[web.WebSocketResponse] = []
        self._connected = threading.Event()
        started = threading.Event()
        threading.Thread(target=self._serve, args=(started,), daemon=True).start()
        started.wait(10)

    def _serve(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"ws://127.0.0.1:{port}/link"
        started.set()
        self._loop.run_forever()

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1,
                                      "debug_info": {"host": "fake", "approximate_connection_time": 3600}}))
        self._connected.set()
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                self.acks.append(json.loads(message.data))
        return ws

    def wait_connected(self, timeout: float = 30) -> bool:
        return self._connected.wait(timeout)

    def push(self, kind: str, payload: dict[str, Any]) -> str:
        """Sends an envelope (``events_api``, ``slash_commands``, ``interactive``) to the connected app."""
        envelope_id = str(uuid.uuid4())
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                    "accepts_response_payload": kind != "events_api", "retry_attempt": 0, "retry_reason": ""}
        asyncio.run_coroutine_threadsafe(self._sockets[-1].send_str(json.dumps(envelope)), self._loop).result(10)
        return envelope_id

    def close(self) -> None:
        async def stop() -> None:
            for ws in self._sockets:
                await ws.close()
            await self._runner.cleanup()
        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
