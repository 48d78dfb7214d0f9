"""A base for local stand-ins of platform APIs: a threaded HTTP server on loopback that records every request
and answers what the subclass says, or what a test scripted (a 429, a 500…) for the next calls."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Recorded:
    method: str  # HTTP method
    path: str
    headers: dict[str, str]
    body: bytes
    params: dict[str, Any] = field(default_factory=dict)  # form or JSON fields, query string included
    at: float = field(default_factory=time.monotonic)  # when it arrived


@dataclass
class Reply:
    status: int
    body: bytes | dict[str, Any] | list[Any]
    headers: dict[str, str] = field(default_factory=dict)


class FakeServer:
    """Subclasses implement ``answer(request) -> Reply``; ``script(match, reply, times)`` overrides it."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._scripted: deque[tuple[str, Reply]] = deque()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def script(self, path_contains: str, reply: Reply, times: int = 1) -> None:
        """The next ``times`` requests whose path contains ``path_contains`` get ``reply``."""
        with self._lock:
            self._scripted.extend([(path_contains, reply)] * times)

    def calls(self, path_contains: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if path_contains in r.path]

    def answer(self, request: Recorded) -> Reply:
        raise NotImplementedError

    def _respond(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            for i, (needle, reply) in enumerate(self._scripted):
                if needle in request.path:
                    del self._scripted[i]
                    return reply
        return self.answer(request)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # one segment per response, sent at once: headers and body written separately would meet Nagle's
            # algorithm and the client's delayed ACK, and every call would stall about 40 ms, as no real API does
            wbufsize = 1 << 16
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                split = urlsplit(self.path)
                params: dict[str, Any] = dict(parse_qsl(split.query))
                kind = self.headers.get("Content-Type", "")
                if kind.startswith("application/json") and body:
                    data = json.loads(body)
                    params.update(data if isinstance(data, dict) else {"_list": data})
                elif kind.startswith("application/x-www-form-urlencoded"):
                    params.update(parse_qsl(body.decode(), keep_blank_values=True))
                reply = fake._respond(Recorded(self.command, split.path, dict(self.headers), body, params))
                data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json", **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        return Handler
