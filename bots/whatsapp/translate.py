"""Twilio's WhatsApp webhook form to ``IncomingMessage``: pure functions (no network, no state)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from genius_loci.core.errors import LociError
from genius_loci.core.types import GeoPoint, IncomingMessage

from ..inbox import Ignored

CHANNEL = "whatsapp"
# A language hint from the number's country (the message's own language still wins when it is clear).
COUNTRY_LANGUAGES = {"33": "fr", "32": "fr", "41": "fr", "34": "es", "39": "it", "49": "de", "43": "de",
                     "44": "en", "1": "en", "353": "en", "61": "en", "52": "es", "54": "es"}


class BadForm(LociError):
    """A webhook form the adapter cannot take (a 400 to Twilio, never a 500)."""


def sender_of(form: Mapping[str, str]) -> str:
    """The number a message comes from, without the ``whatsapp:`` prefix (``WaId`` when given)."""
    sender = form.get("From", "")
    if not sender or not form.get("MessageSid"):
        raise BadForm("a WhatsApp message needs From and MessageSid")
    return form.get("WaId") or sender.removeprefix("whatsapp:").lstrip("+")


def language_of_number(number: str) -> str | None:
    digits = number.lstrip("+")
    for size in (3, 2, 1):
        if digits[:size] in COUNTRY_LANGUAGES:
            return COUNTRY_LANGUAGES[digits[:size]]
    return None


def attachment_kind(content_type: str) -> str:
    kind = content_type.split("/", 1)[0]
    if content_type in ("text/vcard", "text/x-vcard"):
        return "contact"
    return {"audio": "voice", "image": "photo", "video": "video"}.get(kind, "document")


def to_incoming(form: Mapping[str, str], *, key_of: Callable[[str], str],
                seal: Callable[[str], str]) -> IncomingMessage | Ignored:
    """The message a webhook form carries: text (a quick-reply button's text too), a location pin, or media
    the assistant does not read. Unknown fields are ignored."""
    number = sender_of(form)
    base = IncomingMessage(CHANNEL, key_of(number), "", form["MessageSid"],
                           language_hint=language_of_number(number), reply_to=seal(form["From"]))
    body = (form.get("Body") or form.get("ButtonText") or "").strip()
    lat, lon = form.get("Latitude"), form.get("Longitude")
    if lat and lon:
        try:
            point = GeoPoint(float(lat), float(lon))
        except ValueError as exc:
            raise BadForm(f"not a location: {lat}, {lon}") from exc
        return replace(base, location=point)
    media = int(form.get("NumMedia") or "0") if (form.get("NumMedia") or "0").isdigit() else 0
    if media and not body:
        content_type = form.get("MediaContentType0", "")
        kind = attachment_kind(content_type)
        url = form.get("MediaUrl0", "")
        if kind == "voice" and url:  # fetched and transcribed by the worker, never here
            return replace(base, attachment=kind, media=seal(f"{url}\n{content_type}"), media_type=content_type)
        return replace(base, attachment=kind)
    if not body:
        return Ignored("empty message")
    return replace(base, text=body)
