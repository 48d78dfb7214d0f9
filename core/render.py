"""Plain-text rendering of an answer, and cutting a long reply into the parts a platform accepts."""

from __future__ import annotations

import re
from collections.abc import Callable

from .types import Answer
from .voice import Voice


def tracked_link(public_url: str | None, turn_id: str, fallback: str) -> str:
    """The ``/go/{turn}`` link that counts a followed redirect, when the server's public URL is known."""
    return f"{public_url.rstrip('/')}/go/{turn_id}" if public_url else fallback


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


_LINES = re.compile(r"(\n+)")
_SENTENCES = re.compile(r"(?<=[.!?…:;])\s+")


def split_message(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Cuts ``text`` into parts that each measure at most ``limit`` (``measure``: the length the platform
    counts, e.g. after escaping), at line ends, else sentence ends, else spaces; a word longer than the limit is
    cut where it must. Joining the parts with newlines gives the text back, but for blank lines and the spaces at
    the cuts."""
    if measure(text) <= limit:
        return [text] if text else []
    units: list[str] = []
    for line in _LINES.split(text):
        if not line.strip():
            continue
        units.extend(_fit(line, limit, measure))
    parts: list[str] = []
    current = ""
    for unit in units:
        candidate = f"{current}\n{unit}" if current else unit
        if measure(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        current = unit
    if current:
        parts.append(current)
    return parts


def _fit(line: str, limit: int, measure: Callable[[str], int]) -> list[str]:
    """A line as sentences (joined again where they fit), words, then characters, each within the limit."""
    if measure(line) <= limit:
        return [line]
    out: list[str] = []
    for separator, pieces in ((" ", _SENTENCES.split(line)), (" ", line.split(" "))):
        if all(measure(p) <= limit for p in pieces):
            current = ""
            for piece in pieces:
                candidate = f"{current}{separator}{piece}" if current else piece
                if measure(candidate) <= limit:
                    current = candidate
                else:
                    out.append(current)
                    current = piece
            out.append(current)
            return [p for p in out if p]
    # one word longer than the limit (a URL): cut it where it must be
    out, current = [], ""
    for ch in line:
        if measure(current + ch) > limit:
            out.append(current)
            current = ""
        current += ch
    return [*out, current] if current else out
