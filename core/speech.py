"""Voice notes: a person speaks their question, it is fetched from the channel, transcribed and answered like a
typed one. (``core/voice.py`` is the brand's voice: the phrases the assistant says.)

The audio is only ever held in memory, from the channel's download to the transcriber; what is kept is the
transcript, stored and erased like any question.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Protocol

from .types import IncomingMessage

SPOKEN = ("voice", "audio")  # the attachments that are speech


@dataclass(frozen=True, slots=True)
class Audio:
    data: bytes
    content_type: str
    seconds: float | None = None  # the length the platform reports, when it does


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    language: str | None  # what the transcriber heard (or was told)
    confidence: float  # 0..1: how sure it is of the words
    seconds: float  # the audio's length


class SpeechError(Exception):
    """A voice note that cannot be turned into a question; ``reason`` picks the polite reply:
    ``too_long`` (size or duration over the limits), ``unreadable`` (not audio, corrupt), ``unclear`` (silence,
    mumbling, a language the territory does not serve, a transcript the transcriber is unsure of)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class Transcriber(Protocol):
    """Audio in, text out (``LOCI_STT``: a local model, or an OpenAI-compatible endpoint). Raises
    ``SpeechError`` for audio it cannot read and ``ProviderError`` when the service is down (retried)."""

    name: str

    async def transcribe(self, audio: Audio, language: str | None) -> Transcript: ...


class MediaSource(Protocol):
    """A channel's download of a message's attachment (Telegram's getFile, Twilio's media URL)."""

    async def fetch(self, media: str, max_bytes: int) -> Audio: ...


Measure = Callable[[Audio], float | None]  # the audio's length in seconds, None when it cannot be told cheaply


@dataclass(frozen=True, slots=True)
class SpeechPolicy:
    max_bytes: int = 10 * 1024 * 1024
    max_seconds: float = 120.0
    min_confidence: float = 0.3


class Listener:
    """Turns a message's voice note into a transcript, or says why it cannot."""

    def __init__(self, transcriber: Transcriber, sources: Mapping[str, MediaSource], languages: Collection[str],
                 measure: Measure, policy: SpeechPolicy = SpeechPolicy()) -> None:
        self._transcriber = transcriber
        self._sources = dict(sources)
        self._languages = set(languages)
        self._measure = measure
        self.policy = policy

    def hears(self, message: IncomingMessage) -> bool:
        """True when ``message`` is a voice note this listener can fetch."""
        return message.attachment in SPOKEN and bool(message.media) and message.channel in self._sources

    async def hear(self, message: IncomingMessage, language: str | None) -> Transcript:
        """The transcript of the voice note; ``language`` is the person's known language (a short clip's own
        detection is unreliable: a 3-second French note was once heard as Thai)."""
        policy = self.policy
        if message.media_seconds is not None and message.media_seconds > policy.max_seconds:
            raise SpeechError("too_long", f"{message.media_seconds:.0f} s")
        audio = await self._sources[message.channel].fetch(message.media, policy.max_bytes)
        if len(audio.data) > policy.max_bytes:
            raise SpeechError("too_long", f"{len(audio.data)} bytes")
        if not audio.data:
            raise SpeechError("unclear", "empty file")
        seconds = audio.seconds if audio.seconds is not None else message.media_seconds
        measured = self._measure(audio)
        if measured is not None:
            seconds = measured
        if seconds is not None and seconds > policy.max_seconds:
            raise SpeechError("too_long", f"{seconds:.0f} s")
        if seconds is not None and seconds < 0.2:
            raise SpeechError("unclear", "no sound")
        heard = await self._transcriber.transcribe(audio, language if language in self._languages else None)
        text = " ".join(heard.text.split())
        if sum(ch.isalpha() for ch in text) < 2:
            raise SpeechError("unclear", "nothing intelligible")
        if heard.language is not None and heard.language not in self._languages:
            raise SpeechError("unclear", f"heard {heard.language}")
        if heard.confidence < policy.min_confidence:
            raise SpeechError("unclear", f"confidence {heard.confidence:.2f}")
        return Transcript(text, heard.language, heard.confidence, heard.seconds)
