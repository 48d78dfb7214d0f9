"""Voice notes without a model: the Ogg length reader, the listener's limits and refusals, and the conversation
quoting the transcript before the answer (a fake transcriber and media source at the edge)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from genius_loci.config.loader import load_territory
from genius_loci.connectors.speech.audio import measure, ogg_seconds
from genius_loci.connectors.store.sql import SqlStore
from genius_loci.core.assistant import Assistant
from genius_loci.core.conversation import Conversation
from genius_loci.core.speech import Audio, Listener, SpeechError, SpeechPolicy, Transcript
from genius_loci.core.types import IncomingMessage

CONFIG = Path(__file__).resolve().parents[2] / "config"


def ogg_page(packet: bytes, granule: int, sequence: int) -> bytes:
    segments = [255] * (len(packet) // 255) + [len(packet) % 255]
    header = struct.pack("<4sBBqIIIB", b"OggS", 0, 0, granule, 1, sequence, 0, len(segments))
    return header + bytes(segments) + packet


def opus_file(seconds: float, pre_skip: int = 312) -> bytes:
    head = b"OpusHead" + bytes([1, 1]) + struct.pack("<HIhB", pre_skip, 48_000, 0, 0)
    return (ogg_page(head, 0, 0) + ogg_page(b"OpusTags" + b"\0" * 8, 0, 1)
            + ogg_page(b"\x00" * 40, int(seconds * 48_000) + pre_skip, 2))


def test_ogg_length_is_read_from_the_last_page() -> None:
    assert ogg_seconds(opus_file(3.5)) == pytest.approx(3.5)
    assert measure(Audio(opus_file(600), "audio/ogg")) == pytest.approx(600)
    for broken in (b"OggS" + b"\0" * 10, opus_file(2)[:-10], b"OggS" + opus_file(2)[4:30] + b"garbage" * 5):
        with pytest.raises(SpeechError) as caught:
            ogg_seconds(broken)
        assert caught.value.reason == "unreadable"


class FakeSource:
    def __init__(self, data: bytes, content_type: str = "audio/ogg") -> None:
        self.data, self.content_type, self.asked = data, content_type, 0

    async def fetch(self, media: str, max_bytes: int) -> Audio:
        self.asked += 1
        return Audio(self.data, self.content_type)


class FakeTranscriber:
    name = "fake"

    def __init__(self, text: str, language: str | None = "en", confidence: float = 0.9) -> None:
        self.text, self.language, self.confidence = text, language, confidence
        self.told: list[str | None] = []

    async def transcribe(self, audio: Audio, language: str | None) -> Transcript:
        self.told.append(language)
        return Transcript(self.text, self.language or language, self.confidence, 3.0)


def voice_note(**kw: object) -> IncomingMessage:
    return IncomingMessage("telegram", "telegram:u1", "", "1", attachment="voice", media="sealed-ref",
                           **kw)  # type: ignore[arg-type]


def listener(transcriber: FakeTranscriber, data: bytes | None = None, **policy: float) -> Listener:
    return Listener(transcriber, {"telegram": FakeSource(opus_file(3) if data is None else data)},
                    ("fr", "en", "es", "it", "de"), measure, SpeechPolicy(**policy))  # type: ignore[arg-type]


@pytest.mark.parametrize(("transcriber", "data", "note", "reason"), [
    (FakeTranscriber("hello"), None, {"media_seconds": 600.0}, "too_long"),  # the platform says it is long
    (FakeTranscriber("hello"), opus_file(600), {}, "too_long"),  # the file says so
    (FakeTranscriber("hello"), b"x" * 2000, {}, "too_long"),  # bigger than the limit (1,500 bytes here)
    (FakeTranscriber("hello"), opus_file(0), {}, "unclear"),  # a 0-second note
    (FakeTranscriber("hello"), b"OggS\x00garbage", {}, "unreadable"),
    (FakeTranscriber("  ...  "), None, {}, "unclear"),  # nothing intelligible
    (FakeTranscriber("Sawasdee krap", language="th"), None, {}, "unclear"),  # not a language served here
    (FakeTranscriber("which museum", confidence=0.2), None, {}, "unclear"),
])
async def test_the_listener_refuses_what_it_cannot_hear_well(transcriber: FakeTranscriber, data: bytes | None,
                                                              note: dict[str, float], reason: str) -> None:
    hearing = listener(transcriber, data, max_bytes=1500)
    with pytest.raises(SpeechError) as caught:
        await hearing.hear(voice_note(**note), "en")
    assert caught.value.reason == reason


async def test_the_listener_passes_the_known_language_and_tidies_the_text() -> None:
    transcriber = FakeTranscriber("  Which museums   should I visit? ", language=None)
    heard = await listener(transcriber).hear(voice_note(), "fr")
    assert heard.text == "Which museums should I visit?" and transcriber.told == ["fr"]
    assert not listener(transcriber).hears(IncomingMessage("whatsapp", "w", "", attachment="voice", media="x"))
    assert not listener(transcriber).hears(IncomingMessage("telegram", "t", "", attachment="photo", media="x"))


async def test_a_voice_note_is_quoted_then_answered_and_only_its_transcript_is_kept(
        assistant: Assistant, store: SqlStore) -> None:
    voice = load_territory(CONFIG / "territory.yaml").voice
    transcriber = FakeTranscriber("Où est le port de pêche de Cassis ?", language="fr")
    conv = Conversation(assistant, store, voice, store.forget, listener=listener(transcriber))
    answer = await conv.handle(voice_note(language_hint="fr"), "telegram:1")
    assert answer.text.startswith("🎙️ « Où est le port de pêche de Cassis ? »\n")
    assert answer.status == "answered" and answer.citations[0].title == "Cassis"
    turns = await store.recent_turns("telegram:u1", 5)
    assert [t.question for t in turns] == ["Où est le port de pêche de Cassis ?"]

    refused = await Conversation(assistant, store, voice, store.forget,
                                 listener=listener(FakeTranscriber("x", confidence=0.1))).handle(
        voice_note(language_hint="fr"), "telegram:2")
    assert (refused.status, refused.text) == ("notice", voice.say("voice_unclear", "fr"))
    without = await Conversation(assistant, store, voice, store.forget).handle(voice_note(language_hint="de"),
                                                                               "telegram:3")
    # voice notes off: "please type your question", in the person's language (French so far)
    assert without.text == voice.say("attachment", "fr")


def test_the_transcriber_is_chosen_by_settings(tmp_path: Path) -> None:
    from genius_loci.bots.listening import build_listener, build_transcriber, stt_mode
    from genius_loci.config.settings import Settings
    from genius_loci.connectors.speech import local
    from genius_loci.core.errors import ConfigError

    default = Settings(data_dir=tmp_path)
    assert stt_mode(default) == ("local" if local.available() else "off")
    assert build_transcriber(Settings(data_dir=tmp_path, stt="off")) is None
    with pytest.raises(ConfigError, match="LOCI_STT_BASE_URL"):
        build_transcriber(Settings(data_dir=tmp_path, stt="openai"))
    remote = build_transcriber(Settings(data_dir=tmp_path, stt="openai", stt_base_url="http://127.0.0.1:9/v1"))
    assert remote is not None and remote.name == "openai"
    # no channel carries voice notes (web, terminal): nothing to listen to
    assert build_listener(Settings(data_dir=tmp_path, stt="openai", stt_base_url="http://127.0.0.1:9/v1"), {},
                          ["en"]) is None
