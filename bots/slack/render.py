"""An ``Answer`` as a Slack message: Block Kit (mrkdwn with ``&``, ``<``, ``>`` escaped, numbered sources as links,
the partner through the tracked link, 👍/👎 buttons) and a plain-text fallback for notifications."""

from __future__ import annotations

import re
from typing import Any

from genius_loci.core.render import as_plain_text, split_message, tracked_link
from genius_loci.core.types import Answer
from genius_loci.core.voice import Voice

from .translate import IMPROVE, PARTNER_LINK, VOTE_DOWN, VOTE_UP

SECTION_CHARS = 3000  # Slack's limit for a section's text
_MARKER = re.compile(r"\[(\d+)\]")


def escape(text: str) -> str:
    """Slack's three control characters, as its formatting guide says."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link_url(url: str) -> str:
    return url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")



def render(answer: Answer, voice: Voice, turn_id: str, *, public_url: str | None,
           improve: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks); ``improve`` adds the partners' "Improve this answer" button (the learning loop)."""
    urls = {c.n: c.url for c in answer.citations}

    def mrkdwn(text: str) -> str:
        return _MARKER.sub(lambda m: f"<{_link_url(urls[int(m.group(1))])}|[{m.group(1)}]>"
                           if int(m.group(1)) in urls else m.group(0), escape(text))

    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn(part)}}
        for part in split_message(answer.text, SECTION_CHARS, lambda s: len(mrkdwn(s)))]
    if answer.citations:
        sources = [f"*{escape(voice.say('sources', answer.language))}*"]
        sources += [f"{c.n}. <{_link_url(c.url)}|{escape(c.title)}>" for c in answer.citations]
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "\n".join(sources)[:3000]}]})
    buttons: list[dict[str, Any]] = []
    if answer.redirect is not None and answer.status in ("answered", "abstained"):
        buttons.append({"type": "button", "action_id": PARTNER_LINK,
                        "text": {"type": "plain_text", "text": f"➡️ {answer.redirect.name}"[:75]},
                        "url": tracked_link(public_url, turn_id, answer.redirect.url)})
    if answer.status in ("answered", "abstained"):
        buttons += [{"type": "button", "action_id": VOTE_UP, "value": turn_id,
                     "text": {"type": "plain_text", "text": "👍", "emoji": True}},
                    {"type": "button", "action_id": VOTE_DOWN, "value": turn_id,
                     "text": {"type": "plain_text", "text": "👎", "emoji": True}}]
        if improve:
            buttons.append({"type": "button", "action_id": IMPROVE, "value": turn_id,
                            "text": {"type": "plain_text", "text": "✏️ Improve this answer", "emoji": True}})
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return escape(as_plain_text(answer, voice))[:3000], blocks
