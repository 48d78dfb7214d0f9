"""Telegram updates to ``IncomingMessage``s: pure functions of the SDK's objects (no network, no state)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace

from telegram import Message, MessageEntity, Update

from genius_loci.core.types import AUDIENCES, GeoPoint, IncomingMessage

from ..inbox import Ignored

CHANNEL = "telegram"
KeyOf = Callable[[str], str]  # platform user id -> pseudonymous key
Seal = Callable[[str], str]

# What a message can carry instead of text, in the order Telegram's Message lists them.
ATTACHMENTS = ("voice", "audio", "photo", "video", "video_note", "animation", "sticker", "document", "contact",
               "poll", "dice", "game", "invoice")
VOTE = "v"
AUDIENCE = "a"


@dataclass(frozen=True, slots=True)
class Address:
    """Where and how a reply goes, sealed into ``IncomingMessage.reply_to`` until it is delivered."""

    chat: int
    private: bool = True
    reply_to_message: int | None = None  # in groups the reply quotes the question
    callback: str = ""  # a button press to acknowledge
    toast: bool = False  # the reply is only the acknowledgement of the press (a vote's thank-you)

    def dumps(self) -> str:
        return json.dumps([self.chat, self.private, self.reply_to_message, self.callback, self.toast])

    @classmethod
    def loads(cls, text: str) -> Address:
        chat, private, reply_to_message, callback, toast = json.loads(text)
        return cls(int(chat), bool(private), reply_to_message, str(callback), bool(toast))


def vote_data(value: int, turn_id: str) -> str:
    """Callback data of a 👍/👎 button (Telegram allows 64 bytes)."""
    return f"{VOTE}:{value:+d}:{turn_id}"


def audience_data(audience: str) -> str:
    return f"{AUDIENCE}:{audience}"


def to_incoming(update: Update, *, key_of: KeyOf, seal: Seal, bot_username: str = "",
                bot_id: int | None = None) -> IncomingMessage | Ignored:
    """The message an update carries for the assistant, or why it is ignored."""
    if update.callback_query is not None:
        return _from_callback(update, key_of, seal)
    if update.edited_message is not None:
        edited = update.edited_message
        if edited.location is not None and edited.from_user is not None:  # a live location moving
            return _message(update, edited, key_of, seal, text="", quiet=True)
        return Ignored("edited message")
    message = update.message
    if message is None:
        kind = next((k for k in ("channel_post", "edited_channel_post", "inline_query", "chosen_inline_result",
                                 "my_chat_member", "chat_member", "chat_join_request", "poll", "poll_answer",
                                 "message_reaction", "business_message")
                     if getattr(update, k, None) is not None), "unknown update")
        return Ignored(kind.replace("_", " "))
    if message.from_user is None or message.from_user.is_bot:
        return Ignored("message from a bot or an anonymous sender")
    private = message.chat.type == "private"
    if message.location is not None or message.venue is not None:
        return _message(update, message, key_of, seal, text="")
    attachment = next((k for k in ATTACHMENTS if getattr(message, k, None)), "")
    text = message.text or message.caption or ""
    if not private:
        addressed = _addressed_text(message, text, bot_username, bot_id)
        if addressed is None:
            return Ignored("group message not addressed to the bot")
        text = addressed
    if attachment and not text.strip():
        spoken = message.voice or message.audio if attachment in ("voice", "audio") else None
        if spoken is not None:  # fetched and transcribed by the worker, never here
            return replace(_message(update, message, key_of, seal, text="", attachment=attachment),
                           media=seal(f"{spoken.file_id}\n{spoken.mime_type or 'audio/ogg'}"),
                           media_type=spoken.mime_type or "audio/ogg",
                           media_seconds=_seconds(spoken.to_dict().get("duration")))
        return _message(update, message, key_of, seal, text="", attachment=attachment)
    if not text.strip():
        return Ignored("service message")  # a member joined, a title changed, a pin…
    return _message(update, message, key_of, seal, text=text)


def _message(update: Update, message: Message, key_of: KeyOf, seal: Seal, *, text: str, attachment: str = "",
             quiet: bool = False) -> IncomingMessage:
    user = message.from_user
    assert user is not None
    private = message.chat.type == "private"
    point = message.location or (message.venue.location if message.venue is not None else None)
    address = Address(message.chat.id, private, None if private else message.message_id)
    return IncomingMessage(
        channel=CHANNEL, user_id=key_of(str(user.id)), text=text, message_id=str(update.update_id),
        location=GeoPoint(point.latitude, point.longitude) if point is not None else None,
        language_hint=(user.language_code or "")[:2] or None, reply_to=seal(address.dumps()),
        attachment=attachment, quiet=quiet)


def _seconds(duration: object) -> float | None:
    """A voice note's length, read from the update's own field (an int of seconds; the SDK's ``duration``
    property warns of its coming change to a timedelta)."""
    if hasattr(duration, "total_seconds"):
        return float(duration.total_seconds())
    return float(duration) if isinstance(duration, int | float) else None


def _from_callback(update: Update, key_of: KeyOf, seal: Seal) -> IncomingMessage | Ignored:
    query = update.callback_query
    assert query is not None
    data = query.data or ""
    kind, _, rest = data.partition(":")
    origin = query.message
    if origin is None or not hasattr(origin, "chat"):
        return Ignored("button on a message too old to answer")
    private = origin.chat.type == "private"
    press = IncomingMessage(CHANNEL, key_of(str(query.from_user.id)), "", str(update.update_id),
                            language_hint=(query.from_user.language_code or "")[:2] or None)
    if kind == VOTE:
        value, _, turn_id = rest.partition(":")
        if value not in ("+1", "-1") or not turn_id:
            return Ignored("unreadable vote button")
        address = Address(origin.chat.id, private, callback=query.id, toast=True)
        return replace(press, feedback=int(value), about=turn_id, reply_to=seal(address.dumps()))
    if kind == AUDIENCE and rest in AUDIENCES:
        address = Address(origin.chat.id, private, callback=query.id)
        return replace(press, audience=rest, reply_to=seal(address.dumps()))
    return Ignored("unknown button")


def _addressed_text(message: Message, text: str, bot_username: str, bot_id: int | None) -> str | None:
    """In a group: the text without the bot's @mention when the bot is mentioned or replied to, else None.
    Commands addressed to the bot (``/help@bot``) count as mentions."""
    mention = f"@{bot_username}".lower() if bot_username else ""
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and bot_id is not None \
            and replied.from_user.id == bot_id:
        return text.replace(f"@{bot_username}", "").strip() if bot_username else text
    entities = message.parse_entities([MessageEntity.MENTION, MessageEntity.BOT_COMMAND]) if message.text else {}
    for entity, value in entities.items():
        if entity.type == MessageEntity.MENTION and mention and value.lower() == mention:
            return (text[:entity.offset] + text[entity.offset + entity.length:]).strip()
        if entity.type == MessageEntity.BOT_COMMAND and mention and value.lower().endswith(mention):
            return text
    return None
