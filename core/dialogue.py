"""What people say to the assistant besides questions: commands, votes on an answer, audience picks.

Channel-agnostic: a Telegram ``/start``, a WhatsApp "STOP" or "👍" and a web chat's buttons all arrive as
``IncomingMessage`` text or fields, and are read here the same way.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from .text import fold
from .types import AUDIENCES, Answer, Offer
from .voice import Voice

# Whole messages that erase everything kept about the person (WhatsApp users type STOP or ARRÊT).
FORGET_WORDS = frozenset({"/forget", "/oublier", "/olvidar", "/dimentica", "/vergessen", "stop", "arret",
                          "/stop"})
_COMMAND = re.compile(r"^/([a-z]+)(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)
COMMANDS = {"start": "start", "help": "help", "aide": "help", "ayuda": "help", "aiuto": "help", "hilfe": "help",
            "lang": "lang", "langue": "lang", "idioma": "lang", "lingua": "lang", "sprache": "lang"}
_UP = re.compile(r"^(?:👍[\U0001F3FB-\U0001F3FF]?\ufe0f?|\+1)$")
_DOWN = re.compile(r"^(?:👎[\U0001F3FB-\U0001F3FF]?\ufe0f?|-1)$")


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # start, help, lang, forget
    argument: str = ""


def command_of(text: str) -> Command | None:
    """The command a whole message is, or None: "/start", "/lang en", "/help@SomeBot", "STOP", "Arrêt"."""
    stripped = text.strip()
    folded = fold(stripped).strip(" .!")
    if folded in FORGET_WORDS:
        return Command("forget")
    match = _COMMAND.match(stripped.lower())
    if match is None:
        return None
    name = COMMANDS.get(match.group(1))
    if name is None:
        return Command("forget") if f"/{match.group(1)}" in FORGET_WORDS else None
    return Command(name, (match.group(2) or "").strip())


# Whole messages that are a greeting or a thank-you, not a question (accent-folded, punctuation stripped).
GREETINGS = frozenset("""bonjour bonsoir salut coucou hello hi hey hola buenas buenos dias ciao buongiorno buonasera
    hallo guten tag servus moin""".split()) | {"buenos dias", "buenas tardes", "guten tag", "good morning"}
THANKS = frozenset("""merci thanks thank you thx ok okay d accord super parfait top genial great perfect cool gracias
    vale perfecto grazie perfetto va bene danke prima alles klar super merci beaucoup""".split()) | {
    "thank you", "merci beaucoup", "d accord", "muchas gracias", "va bene", "alles klar", "danke schon",
    "thanks a lot", "many thanks", "grazie mille", "ok merci", "ok thanks", "ok gracias", "ok grazie", "ok danke"}


# Whole messages of these emoji (any skin tone, repeated) say thank you: "🙏", "👌", "❤️" (👍 / 👎 are votes).
THANKS_EMOJI = frozenset("🙏👌❤😊🙂😀😃😄😁🥰😍🤩👏💯✨🌞☀")
_EMOJI_MODIFIERS = re.compile(r"[\U0001F3FB-\U0001F3FF\ufe0f\u200d\s!.]")


def small_talk_of(text: str) -> str | None:
    """``hello`` or ``thanks`` when the whole message is one ("Bonjour !", "ok merci", "Danke schön", "🙏"), else
    None."""
    bare = _EMOJI_MODIFIERS.sub("", text)
    if bare and set(bare) <= THANKS_EMOJI:
        return "thanks"
    folded = " ".join(re.sub(r"[^\w\s]", " ", fold(text)).split())
    if folded in GREETINGS:
        return "hello"
    if folded in THANKS:
        return "thanks"
    return None


def vote_of(text: str) -> int:
    """+1 or -1 when the whole message is a thumbs up or down (any skin tone), else 0."""
    stripped = text.strip()
    if _UP.match(stripped):
        return 1
    if _DOWN.match(stripped):
        return -1
    return 0


def notice(text: str, language: str, *, offers: tuple[Offer, ...] = (), audience: str | None = None) -> Answer:
    """A reply that is not an answer from the sources: a greeting, a thank-you, a request for a location."""
    return Answer(text, language, 1.0, "notice", answerer="none", audience=audience, offers=offers)


def welcome(voice: Voice, language: str) -> Answer:
    return notice(voice.say("welcome", language), language, offers=("audience", "location"))


def audience_label(voice: Voice, audience: str, language: str) -> str:
    return voice.say(f"audience_{audience}", language)


def chosen_language(argument: str, supported: Collection[str]) -> str | None:
    code = argument.strip().lower()[:2]
    return code if code in supported else None


def is_audience(value: str | None) -> bool:
    return value in AUDIENCES
