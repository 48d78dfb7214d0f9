"""A local Twilio REST API: the twilio SDK talks to it as to api.twilio.com (``client.api.base_url``), each
``Messages.json`` call is recorded, and errors (429, 63016…) can be scripted."""

from __future__ import annotations

import base64
import itertools
import time
from typing import Any

from tests.fake_http import FakeServer, Recorded, Reply

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
FROM = "whatsapp:+14155238886"


def twilio_error(status: int, code: int, message: str) -> Reply:
    return Reply(status, {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                          "status": status})


class FakeTwilio(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1)
        self.media: dict[str, tuple[bytes, str]] = {}  # media sid -> (content, type), behind basic auth

    def media_url(self, data: bytes, content_type: str = "audio/ogg") -> str:
        """Puts a file where Twilio keeps an inbound message's media; returns its ``MediaUrl0``."""
        sid = f"ME{next(self._ids):032x}"
        self.media[sid] = (data, content_type)
        return f"{self.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM{sid[2:]}/Media/{sid}"

    def messages(self) -> list[dict[str, Any]]:
        return [r.params for r in self.calls(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json")]

    def sent_to(self, number: str) -> list[dict[str, Any]]:
        return [m for m in self.messages() if m.get("To") == f"whatsapp:{number}"]

    def answer(self, request: Recorded) -> Reply:
        media = "/Media/"
        if media in request.path and request.method == "GET":  # Twilio answers with a redirect to its storage
            expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
            if {k.lower(): v for k, v in request.headers.items()}.get("authorization") != expected:
                return twilio_error(401, 20003, "Authenticate")
            return Reply(307, b"", {"Location": f"{self.url}/storage/{request.path.rsplit('/', 1)[1]}"})
        if request.path.startswith("/storage/"):
            found = self.media.get(request.path.rsplit("/", 1)[1])
            return Reply(200, found[0], {"Content-Type": found[1]}) if found else Reply(404, b"")
        if request.path != f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json" or request.method != "POST":
            return twilio_error(404, 20404, "The requested resource was not found")
        p = request.params
        sid = f"SM{next(self._ids):032x}"
        return Reply(201, {"sid": sid, "account_sid": ACCOUNT_SID, "to": p.get("To"), "from": p.get("From"),
                           "messaging_service_sid": p.get("MessagingServiceSid"), "body": p.get("Body"),
                           "status": "queued", "num_segments": "1", "num_media": "0", "direction": "outbound-api",
                           "api_version": "2010-04-01", "date_created": time.strftime("%a, %d %b %Y %H:%M:%S +0000"),
                           "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json"})
