"""An ``Answer`` as WhatsApp messages: *bold* headings, numbered sources as plain links, the partner through the
tracked link, a "reply 👍 or 👎" line, and numbered parts under 1,600 characters."""

from __future__ import annotations

from genius_loci.core.render import split_message, tracked_link
from genius_loci.core.types import Answer
from genius_loci.core.voice import Voice

MAX_CHARS = 1600
PART_LABEL_ROOM = 10  # "(12/12) "



def render(answer: Answer, voice: Voice, turn_id: str, *, public_url: str | None) -> list[str]:
    language = answer.language
    lines = [answer.text]
    if answer.citations:
        lines += ["", f"*{voice.say('sources', language)}*"]
        lines += [f"[{c.n}] {c.title} — {c.url}" for c in answer.citations]
    if answer.redirect is not None and answer.status in ("answered", "abstained"):
        lines += ["", f"➡️ *{answer.redirect.name}* — {tracked_link(public_url, turn_id, answer.redirect.url)}"]
    if answer.status == "answered":
        lines += ["", voice.say("rate_prompt", language)]
    text = "\n".join(lines)
    if len(text) <= MAX_CHARS:
        return [text]
    parts = split_message(text, MAX_CHARS - PART_LABEL_ROOM)
    return [f"({n}/{len(parts)}) {p}" for n, p in enumerate(parts, 1)]
