"""JSON payloads of the durable queues: an incoming message, an outgoing reply.

The raw platform payload is not carried: the queue keeps only what answering and replying need.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import LociError
from .types import Answer, Citation, GeoPoint, IncomingMessage, Redirect


def inbox_id(channel: str, message_id: str) -> str:
    """The deduplication key of a message: a platform retry carries the same message id."""
    return f"{channel}:{message_id}"


def message_to_payload(message: IncomingMessage) -> str:
    return json.dumps({
        "channel": message.channel, "user_id": message.user_id, "text": message.text,
        "message_id": message.message_id, "language_hint": message.language_hint, "audience": message.audience,
        "location": [message.location.lat, message.location.lon] if message.location else None,
        "reply_to": message.reply_to, "feedback": message.feedback, "about": message.about, "voter": message.voter,
        "attachment": message.attachment, "quiet": message.quiet, "media": message.media,
        "media_type": message.media_type, "media_seconds": message.media_seconds,
    }, ensure_ascii=False)


def message_from_payload(payload: str) -> IncomingMessage:
    try:
        d = json.loads(payload)
        location = GeoPoint(*d["location"]) if d.get("location") else None
        return IncomingMessage(d["channel"], d["user_id"], d["text"], d.get("message_id", ""), location,
                               d.get("language_hint"), d.get("audience"), d.get("reply_to", ""),
                               feedback=int(d.get("feedback", 0)), about=d.get("about", ""), voter=d.get("voter", ""),
                               attachment=d.get("attachment", ""), quiet=bool(d.get("quiet", False)),
                               media=d.get("media", ""), media_type=d.get("media_type", ""),
                               media_seconds=d.get("media_seconds"))
    except (ValueError, KeyError, TypeError) as exc:
        raise LociError(f"unreadable inbox payload: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Reply:
    """What the outbox holds for one answer: where it goes and what it says."""

    turn_id: str
    channel: str
    user_key: str
    reply_to: str
    answer: Answer
    draft: str = ""  # the platform's reference of a message that showed the answer being written: replace it


def answer_record(a: Answer) -> dict[str, Any]:
    """An answer as JSON-ready values, with its citations' passage ids (the outbox and the store keep this)."""
    return {"text": a.text, "language": a.language, "confidence": a.confidence, "status": a.status,
            "citations": [[c.n, c.title, c.url, c.passage_id] for c in a.citations],
            "redirect": [a.redirect.partner, a.redirect.name, a.redirect.url] if a.redirect else None,
            "answerer": a.answerer, "timings_ms": dict(a.timings_ms), "audience": a.audience,
            "offers": list(a.offers)}


def answer_from_record(a: Mapping[str, Any]) -> Answer:
    return Answer(a["text"], a["language"], a["confidence"], a["status"], tuple(Citation(*c) for c in a["citations"]),
                  Redirect(*a["redirect"]) if a["redirect"] else None, a["answerer"], a["timings_ms"],
                  a.get("audience"), tuple(a.get("offers", ())))


def reply_to_payload(reply: Reply) -> str:
    return json.dumps({"turn_id": reply.turn_id, "channel": reply.channel, "user_key": reply.user_key,
                       "reply_to": reply.reply_to, "answer": answer_record(reply.answer), "draft": reply.draft},
                      ensure_ascii=False)


def reply_from_payload(payload: str) -> Reply:
    try:
        d: dict[str, Any] = json.loads(payload)
        return Reply(d["turn_id"], d["channel"], d["user_key"], d["reply_to"], answer_from_record(d["answer"]),
                     d.get("draft", ""))
    except (ValueError, KeyError, TypeError) as exc:
        raise LociError(f"unreadable outbox payload: {exc}") from exc
