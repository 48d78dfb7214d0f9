"""Realistic Telegram updates, shaped as the Bot API sends them (the documentation's example updates)."""

from __future__ import annotations

import itertools
import time
from typing import Any

_ids = itertools.count(int(time.time()) % 100_000 * 1000)


def user(uid: int = 987654321, language: str = "fr") -> dict[str, Any]:
    return {"id": uid, "is_bot": False, "first_name": "Camille", "username": "camille_t", "language_code": language}


def chat(cid: int = 987654321, kind: str = "private") -> dict[str, Any]:
    return {"id": cid, "type": kind, "first_name": "Camille"} if kind == "private" else \
        {"id": cid, "type": kind, "title": "Investors club"}


def update(**fields: Any) -> dict[str, Any]:
    return {"update_id": next(_ids), **fields}


def message(text: str | None = None, *, uid: int = 987654321, cid: int | None = None, kind: str = "private",
            language: str = "fr", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"message_id": next(_ids), "from": user(uid, language), "chat": chat(cid or uid, kind),
                            "date": int(time.time())}
    if text is not None:
        body["text"] = text
        if text.startswith("/"):
            body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    body.update(extra)
    return body


def text_update(text: str, **kw: Any) -> dict[str, Any]:
    return update(message=message(text, **kw))


def location_update(lat: float, lon: float, **kw: Any) -> dict[str, Any]:
    return update(message=message(location={"latitude": lat, "longitude": lon}, **kw))


def callback_update(data: str, *, uid: int = 987654321, language: str = "fr") -> dict[str, Any]:
    return update(callback_query={"id": str(next(_ids)), "from": user(uid, language), "chat_instance": "42",
                                  "data": data, "message": message("earlier answer", uid=uid)})
