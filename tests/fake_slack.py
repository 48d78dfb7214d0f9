"""A local Slack Web API: slack_sdk's ``AsyncWebClient(base_url=…)`` talks to it as to slack.com/api/, every
call is recorded, and errors (``ratelimited``, ``not_in_channel``…) can be scripted."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from slack_sdk.signature import SignatureVerifier

from tests.fake_http import FakeServer, Recorded, Reply

BOT_TOKEN = "xoxb-0000-test-not-real"
APP_TOKEN = "xapp-0000-test-not-real"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM, BOT_USER = "T0LOCI", "U0LOCIBOT"


def slack_error(error: str, status: int = 200, **headers: str) -> Reply:
    return Reply(status, {"ok": False, "error": error}, headers)


def signed(body: str, *, secret: str = SIGNING_SECRET, age_seconds: int = 0) -> dict[str, str]:
    """The headers Slack sends with a request body: timestamp and v0 signature."""
    timestamp = str(int(time.time()) - age_seconds)
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": str(signature)}


class FakeSlack(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.base_url = f"{self.url}/api/"
        self.socket_url = ""  # what apps.connections.open hands out (a FakeSocketMode's URL)
        self._ts = itertools.count(1)

    def method_calls(self, method: str) -> list[dict[str, Any]]:
        out = []
        for r in self.calls(f"/api/{method}"):
            out.append({k: json.loads(v) if isinstance(v, str) and v[:1] in "[{" else v for k, v in r.params.items()})
        return out

    def answer(self, request: Recorded) -> Reply:
        if request.path == "/api/apps.connections.open":
            if request.headers.get("Authorization") != f"Bearer {APP_TOKEN}":
                return slack_error("invalid_auth")
            return Reply(200, {"ok": True, "url": self.socket_url})
        if request.headers.get("Authorization") != f"Bearer {BOT_TOKEN}":
            return slack_error("invalid_auth")
        method = request.path.removeprefix("/api/")
        p = request.params
        if method == "auth.test":
            return Reply(200, {"ok": True, "url": "https://loci-test.slack.com/", "team": "Loci", "user": "loci",
                               "team_id": TEAM, "user_id": BOT_USER, "bot_id": "B0LOCI",
                               "is_enterprise_install": False})
        if method in ("chat.postMessage", "chat.update"):
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            return Reply(200, {"ok": True, "channel": p.get("channel"), "ts": ts,
                               "message": {"type": "message", "text": p.get("text", ""), "ts": ts, "bot_id": "B0LOCI"}})
        if method == "chat.postEphemeral":
            return Reply(200, {"ok": True, "message_ts": f"{int(time.time())}.{next(self._ts):06d}"})
        if method == "views.open":
            return Reply(200, {"ok": True, "view": {"id": "V1"}})
        return slack_error("unknown_method", 404)
