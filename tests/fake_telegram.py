"""A local Bot API server: python-telegram-bot talks to it exactly as to api.telegram.org (``base_url``),
every call is recorded, files are served under ``/file/bot<token>/``, and failures can be scripted."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import unquote

from tests.fake_http import FakeServer, Recorded, Reply

TOKEN = "123456:TEST-token-not-real"
BOT = {"id": 4242, "is_bot": True, "first_name": "Loci", "username": "loci_test_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}


def ok(result: Any) -> Reply:
    return Reply(200, {"ok": True, "result": result})


def error(code: int, description: str, **parameters: Any) -> Reply:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Reply(code, body)


class FakeTelegram(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.base_url = f"{self.url}/bot"
        self.files: dict[str, bytes] = {}
        self.webhook: dict[str, Any] = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        self.pending: list[dict[str, Any]] = []  # what getUpdates hands out (long polling)
        self._ids = itertools.count(1000)

    def method_calls(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every call of a Bot API method, JSON fields decoded."""
        out = []
        for r in self.calls(f"/{method}"):
            out.append({k: _maybe_json(v) for k, v in r.params.items()})
        return out

    def answer(self, request: Recorded) -> Reply:
        path = unquote(request.path)  # the SDK quotes the token's colon in file URLs
        if path.startswith(f"/file/bot{TOKEN}/"):
            name = path.split("/", 3)[3]
            return Reply(200, self.files[name], {"Content-Type": "application/octet-stream"}) \
                if name in self.files else Reply(404, {"ok": False})
        prefix = f"/bot{TOKEN}/"
        if not request.path.startswith(prefix):
            return error(401, "Unauthorized")
        method = request.path[len(prefix):]
        p = request.params
        if method == "getMe":
            return ok(BOT)
        if method in ("sendMessage", "editMessageText"):
            chat = int(p["chat_id"])
            return ok({"message_id": next(self._ids), "date": int(time.time()),
                       "chat": {"id": chat, "type": "private" if chat > 0 else "group"},
                       "from": BOT, "text": p.get("text", "")})
        if method in ("answerCallbackQuery", "sendChatAction"):
            return ok(True)
        if method == "deleteWebhook":
            self.webhook = {**self.webhook, "url": ""}
            return ok(True)
        if method == "setWebhook":
            self.webhook = {**self.webhook, "url": p["url"],
                            "allowed_updates": _maybe_json(p.get("allowed_updates", "[]"))}
            return ok(True)
        if method == "getWebhookInfo":
            return ok(self.webhook)
        if method == "getUpdates":  # confirmed (offset) updates are dropped, as Telegram does
            offset = int(p.get("offset") or 0)
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
            return ok(self.pending[:100])
        if method == "getFile":
            name = f"voice/{p['file_id']}.oga"
            return ok({"file_id": p["file_id"], "file_unique_id": "u" + p["file_id"],
                       "file_size": len(self.files.get(name, b"")), "file_path": name})
        return error(404, f"Not Found: method {method} not in the fake")


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
