"""An ``Answer`` as Telegram messages: HTML with every piece of text escaped, citations as links, the partner
redirect and 👍/👎 as inline buttons, audience and location offers as keyboards, parts under 4,096 characters."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from genius_loci.core.render import split_message, tracked_link
from genius_loci.core.types import AUDIENCES, Answer
from genius_loci.core.voice import Voice

from .translate import audience_data, vote_data

MAX_CHARS = 4096
_MARKER = re.compile(r"\[(\d+)\]")
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


@dataclass(frozen=True, slots=True)
class Part:
    """One ``sendMessage``: HTML text and its keyboard."""

    html: str
    markup: Markup | None = None



def render(answer: Answer, voice: Voice, turn_id: str, *, public_url: str | None, private: bool = True) -> list[Part]:
    """The messages that show ``answer``; buttons ride on the last one."""
    urls = {c.n: c.url for c in answer.citations}

    def to_html(text: str) -> str:
        escaped = html.escape(text, quote=False)
        return _MARKER.sub(lambda m: f'<a href="{html.escape(urls[int(m.group(1))])}">[{m.group(1)}]</a>'
                           if int(m.group(1)) in urls else m.group(0), escaped)

    pieces = split_message(answer.text, MAX_CHARS, lambda s: len(to_html(s)))
    texts = [to_html(p) for p in pieces]
    if answer.citations:
        lines = [f"<b>{html.escape(voice.say('sources', answer.language))}</b>"]
        lines += [f'{c.n}. <a href="{html.escape(c.url)}">{html.escape(c.title)}</a>' for c in answer.citations]
        sources = "\n".join(lines)
        if texts and len(texts[-1]) + 2 + len(sources) <= MAX_CHARS:
            texts[-1] = f"{texts[-1]}\n\n{sources}"
        else:
            texts.extend(split_message(sources, MAX_CHARS))
    parts = [Part(t) for t in texts]
    if not parts:
        return []
    buttons: list[list[InlineKeyboardButton]] = []
    if answer.redirect is not None and answer.status in ("answered", "abstained"):
        url = tracked_link(public_url, turn_id, answer.redirect.url)
        buttons.append([InlineKeyboardButton(f"➡️ {answer.redirect.name}", url=url)])
    if answer.status in ("answered", "abstained"):
        buttons.append([InlineKeyboardButton("👍", callback_data=vote_data(1, turn_id)),
                        InlineKeyboardButton("👎", callback_data=vote_data(-1, turn_id))])
    if "audience" in answer.offers:
        labels = [InlineKeyboardButton(voice.say(f"audience_{a}", answer.language), callback_data=audience_data(a))
                  for a in AUDIENCES]
        buttons += [labels[:2], labels[2:]]
    if buttons:
        parts[-1] = Part(parts[-1].html, InlineKeyboardMarkup(buttons))
    if "location" in answer.offers and private:  # Telegram asks for a location only in private chats
        label = voice.say("share_location", answer.language)
        keyboard = ReplyKeyboardMarkup([[KeyboardButton(label, request_location=True)]], resize_keyboard=True,
                                       one_time_keyboard=True)
        if parts[-1].markup is None:
            parts[-1] = Part(parts[-1].html, keyboard)
        else:  # one keyboard per message: the location button comes with a short second one
            parts.append(Part(html.escape(label), keyboard))
    return parts
