"""Plain-text rendering of an answer, for channels without rich formatting (terminal, SMS)."""

from __future__ import annotations

from .types import Answer
from .voice import Voice


def as_plain_text(answer: Answer, voice: Voice) -> str:
    """The answer, its numbered sources, and the partner to see next."""
    lines = [answer.text]
    if answer.citations:
        lines.append("")
        lines.extend(f"[{c.n}] {c.title} — {c.url}" for c in answer.citations)
    if answer.redirect and answer.status == "answered":
        lines.append("")
        lines.append(voice.say("more", answer.language, partner=answer.redirect.name, url=answer.redirect.url))
    return "\n".join(lines)
