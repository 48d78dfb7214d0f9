"""A local Twilio REST API: the twilio SDK talks to it as to api.twilio.com (``client.api.base_url``), each
``Messages.json`` call is recorded, and errors (429, 63016…) can be scripted."""

from __future__ import annotations

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

    def messages(self) -> list[dict[str, Any]]:
        return [r.params for r in self.calls(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json")]

    def sent_to(self, number: str) -> list[dict[str, Any]]:
        return [m for m in self.messages() if m.get("To") == f"whatsapp:{number}"]

    def answer(self, request: Recorded) -> Reply:
        if request.path != f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json" or request.method != "POST":
            return twilio_error(404, 20404, "The requested resource was not found")
        p = request.params
        sid = f"SM{next(self._ids):032x}"
        return Reply(201, {"sid": sid, "account_sid": ACCOUNT_SID, "to": p.get("To"), "from": p.get("From"),
                           "messaging_service_sid": p.get("MessagingServiceSid"), "body": p.get("Body"),
                           "status": "queued", "num_segments": "1", "num_media": "0", "direction": "outbound-api",
                           "api_version": "2010-04-01", "date_created": time.strftime("%a, %d %b %Y %H:%M:%S +0000"),
                           "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json"})
