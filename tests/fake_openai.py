"""A local stand-in for an OpenAI-compatible chat server: it speaks the real protocol on loopback,
records what it was sent, and answers, fails or stalls as a test asks."""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeChatServer:
    def __init__(self) -> None:
        self.mode = "ok"  # ok | error | slow | empty | rate_limited | cut (a stream that breaks off)
        self.reply = "Le Mucem a ouvert en 2013 [1]. Il est relié au fort Saint-Jean [1] [9]."
        self.requests: list[dict[str, Any]] = []
        # translation requests (the system message says "You translate"), kept apart from answer requests:
        # the fenced text is answered with its entry here, or given back as it came
        self.translations: dict[str, str] = {}
        self.translation_requests: list[dict[str, Any]] = []
        self.streamed: list[int] = []  # numbers of the chunks sent by streams
        self.chunk_delay = 0.0  # seconds between two streamed chunks (a model writing at its pace)
        # /audio/transcriptions: what each audio file (by SHA-256) "says": (text, language name, avg log-prob)
        self.transcripts: dict[str, tuple[str, str, float]] = {}
        self.transcriptions: list[dict[str, Any]] = []  # the form fields received (the file as its digest)
        self.transcribe_delay = 0.0  # seconds a transcription takes
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path.endswith("/audio/transcriptions"):
                    return self._transcribe(raw)
                body = json.loads(raw)
                asked = _translation_asked(body)
                (fake.requests if asked is None else fake.translation_requests).append(body)
                if fake.mode == "error":
                    return self._send(500, {"error": {"message": "boom", "type": "server_error"}})
                if fake.mode == "rate_limited":
                    return self._send(429, {"error": {"message": "slow down", "type": "rate_limit_error"}},
                                      {"Retry-After": "0"})
                if fake.mode == "slow":
                    time.sleep(3)
                content = "" if fake.mode == "empty" else fake.reply if asked is None else fake.translations.get(
                    asked, asked)
                if body.get("stream"):
                    return self._stream(body["model"], content)
                return self._send(200, {
                    "id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()),
                    "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content}}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}})

            def _stream(self, model: str, content: str) -> None:
                """Server-sent chunks, word by word, as the real API streams them."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                pieces = [w + " " for w in content.split(" ")]
                if fake.mode == "cut":
                    pieces = pieces[:2]
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    for n, piece in enumerate(pieces):
                        chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": int(time.time()),
                                 "model": model, "choices": [{"index": 0, "delta": {"content": piece},
                                                              "finish_reason": None}]}
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                        self.wfile.flush()
                        fake.streamed.append(n)
                        time.sleep(fake.chunk_delay)
                    if fake.mode == "cut":  # the connection drops in the middle of the answer
                        self.wfile.write(b"data: {\"id\": \"chatcmpl-1\", \"choi")
                        self.wfile.flush()
                        self.connection.shutdown(2)
                        return
                    last = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": int(time.time()),
                            "model": model, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                    self.wfile.write(f"data: {json.dumps(last)}\n\ndata: [DONE]\n\n".encode())
                    self.wfile.flush()

            def _transcribe(self, raw: bytes) -> None:
                """The transcription endpoint, multipart form in, verbose_json out, as OpenAI's."""
                fields = _multipart(raw, self.headers["Content-Type"])
                audio = fields.pop("file", b"")
                digest = hashlib.sha256(audio).hexdigest()
                fake.transcriptions.append({**{k: v.decode() for k, v in fields.items()}, "file": digest})
                if fake.mode == "error":
                    return self._send(500, {"error": {"message": "boom", "type": "server_error"}})
                if not audio.startswith(b"OggS"):
                    return self._send(400, {"error": {"message": "Invalid file format.",
                                                      "type": "invalid_request_error"}})
                time.sleep(fake.transcribe_delay)
                text, language, logprob = fake.transcripts.get(digest, ("", "english", -3.0))
                return self._send(200, {"task": "transcribe", "language": language, "duration": 3.0, "text": text,
                                        "segments": [{"id": 0, "seek": 0, "start": 0.0, "end": 3.0, "text": text,
                                                      "tokens": [], "temperature": 0.0, "avg_logprob": logprob,
                                                      "compression_ratio": 1.0, "no_speech_prob": 0.01}]})

            def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

        return Handler


def _translation_asked(body: dict[str, Any]) -> str | None:
    """The text a translation request fences (None for any other request)."""
    messages = body.get("messages") or []
    if not messages or not str(messages[0].get("content", "")).startswith("You translate"):
        return None
    lines = str(messages[-1]["content"]).splitlines()
    return "\n".join(lines[1:-1])


def _multipart(body: bytes, content_type: str) -> dict[str, bytes]:
    """The fields of a multipart/form-data body (enough for the SDK's uploads)."""
    boundary = content_type.split("boundary=", 1)[1].strip('"').encode()
    fields: dict[str, bytes] = {}
    for part in body.split(b"--" + boundary):
        head, sep, value = part.partition(b"\r\n\r\n")
        if not sep or b"name=" not in head:
            continue
        name = head.split(b'name="', 1)[1].split(b'"', 1)[0].decode()
        fields[name] = value[:-2] if value.endswith(b"\r\n") else value
    return fields
