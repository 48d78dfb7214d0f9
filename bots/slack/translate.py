"""Slack events, slash commands and button clicks to ``IncomingMessage``s: pure functions of Bolt's bodies."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from genius_loci.core.types import IncomingMessage

from ..inbox import Ignored

CHANNEL = "slack"
VOTE_UP, VOTE_DOWN = "loci_vote_up", "loci_vote_down"
PARTNER_LINK = "loci_partner"
IMPROVE = "loci_improve"  # partners: "Improve this answer" opens the teaching modal (bots/slack/desk.py)
_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
KeyOf = Callable[[str], str]
Seal = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Address:
    """Where a reply goes: a channel, in a thread, or privately to one person (``ephemeral_to``)."""

    channel: str
    thread_ts: str | None = None
    ephemeral_to: str | None = None

    def dumps(self) -> str:
        return json.dumps([self.channel, self.thread_ts, self.ephemeral_to])

    @classmethod
    def loads(cls, text: str) -> Address:
        channel, thread_ts, ephemeral_to = json.loads(text)
        return cls(channel, thread_ts, ephemeral_to)


def plain(text: str) -> str:
    """A message's text without the bot's mention, with Slack's escapes undone (``&lt;`` -> ``<``)."""
    stripped = _MENTION.sub("", text)
    return " ".join(stripped.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").split())


def from_event(body: Mapping[str, Any], *, key_of: KeyOf, seal: Seal) -> IncomingMessage | Ignored:
    """An ``app_mention`` or a direct message, answered in its thread. A thread in a channel is one
    conversation (partners reading along may follow up in it, and vote on its answers); a direct message is
    the person's own."""
    event = body.get("event") or {}
    if event.get("subtype") or event.get("bot_id"):
        return Ignored(f"message subtype {event.get('subtype') or 'bot_message'}")
    kind, user, channel = event.get("type"), event.get("user"), event.get("channel")
    if kind == "message" and event.get("channel_type") != "im":
        return Ignored("channel message without a mention")
    if kind not in ("app_mention", "message") or not user or not channel or not body.get("event_id"):
        return Ignored(f"event {kind}")
    thread = event.get("thread_ts") or event.get("ts")
    team = body.get("team_id") or event.get("team") or ""
    who = f"{team}:{user}" if kind == "message" else f"{team}:{channel}:{thread}"
    return IncomingMessage(CHANNEL, key_of(who), plain(event.get("text") or ""), str(body["event_id"]),
                           reply_to=seal(Address(channel, thread).dumps()))


def from_command(body: Mapping[str, Any], *, key_of: KeyOf, seal: Seal) -> IncomingMessage:
    """``/loci ask <question>`` (answered in the channel), ``/loci help`` (only to the person), or
    ``/loci <question>``."""
    words = (body.get("text") or "").strip()
    verb, _, rest = words.partition(" ")
    user, channel = body["user_id"], body["channel_id"]
    key = key_of(f"{body.get('team_id', '')}:{user}")
    message_id = f"cmd-{body.get('trigger_id') or body.get('command_ts') or words}"
    if verb.lower() in ("", "help", "aide"):
        return IncomingMessage(CHANNEL, key, "/help", message_id,
                               reply_to=seal(Address(channel, None, user).dumps()))
    question = rest if verb.lower() == "ask" else words
    return IncomingMessage(CHANNEL, key, question, message_id, reply_to=seal(Address(channel).dumps()))


def from_vote(body: Mapping[str, Any], *, key_of: KeyOf, seal: Seal) -> IncomingMessage | Ignored:
    """A 👍 / 👎 button under an answer: feedback on that answer's turn, thanked privately."""
    action = (body.get("actions") or [{}])[0]
    user = (body.get("user") or {}).get("id")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    turn_id = action.get("value") or ""
    if action.get("action_id") not in (VOTE_UP, VOTE_DOWN) or not user or not channel or not turn_id:
        return Ignored("unreadable button")
    team = (body.get("team") or {}).get("id", "")
    message = body.get("message") or {}
    thread = message.get("thread_ts") or message.get("ts")
    # the conversation the answer belongs to: the person's own in a direct message, else the thread's
    who = f"{team}:{user}" if channel.startswith("D") else f"{team}:{channel}:{thread}"
    return IncomingMessage(CHANNEL, key_of(who), "", f"vote-{action.get('action_ts')}-{user}",
                           feedback=1 if action["action_id"] == VOTE_UP else -1, about=turn_id,
                           voter=key_of(f"{team}:{user}"),
                           reply_to=seal(Address(channel, thread, user).dumps()))
