"""Voice notes end to end: real speech made at test time (espeak-ng, then ffmpeg to Ogg/Opus as the apps send it),
the local transcriber (Whisper base, when the voice extra is installed), and ``loci serve`` with Telegram and
WhatsApp on their fakes and an OpenAI-compatible transcription server on loopback."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote

import httpx
import pytest
from twilio.request_validator import RequestValidator

from genius_loci.bots.bootstrap import Runtime
from genius_loci.connectors.speech import local
from genius_loci.connectors.speech.audio import measure
from genius_loci.core.speech import Audio
from tests.fake_openai import FakeChatServer
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM, FakeTwilio
from tests.telegram_updates import message, update

from .serve import serving, wait_until

SECRET = "voice-secret-token"
PUBLIC = "https://loci.example.org"
VALIDATOR = RequestValidator(AUTH_TOKEN)
_ids = itertools.count(int(time.time()) % 100_000 * 1000)

TOOLS = [t for t in ("espeak-ng", "ffmpeg") if shutil.which(t) is None]
if TOOLS and os.environ.get("CI"):
    raise RuntimeError(f"CI must install {', '.join(TOOLS)} (.ci/run does: apt-get install espeak-ng ffmpeg)")
pytestmark = pytest.mark.skipif(bool(TOOLS), reason=f"needs {', '.join(TOOLS)} to make speech")


def speak(text: str, language: str, folder: Path) -> bytes:
    """A spoken question as a messaging app sends it: Ogg/Opus, mono, 48 kHz."""
    name = hashlib.sha1(f"{language}:{text}".encode()).hexdigest()[:12]
    wav, ogg = folder / f"{name}.wav", folder / f"{name}.ogg"
    subprocess.run(["espeak-ng", "-v", language, "-s", "150", "-w", str(wav), text], check=True)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), "-ac", "1", "-ar", "48000", "-c:a",
                    "libopus", "-b:a", "24k", str(ogg)], check=True)
    return ogg.read_bytes()


def silence(seconds: float, folder: Path) -> bytes:
    ogg = folder / f"silence-{seconds}.ogg"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t",
                    str(seconds), "-c:a", "libopus", str(ogg)], check=True)
    return ogg.read_bytes()


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("studio")


@pytest.mark.skipif(not local.available(), reason="the voice extra is not installed: pip install '.[voice]'")
def test_the_local_transcriber_hears_an_english_question(studio: Path, tmp_path: Path) -> None:
    audio = Audio(speak("Which museums should I visit in Marseille?", "en", studio), "audio/ogg")
    assert measure(audio) == pytest.approx(2.4, abs=0.6)
    transcriber = local.LocalTranscriber(tmp_path)
    heard = asyncio.run(transcriber.transcribe(audio, "en"))
    assert "museum" in heard.text.lower() and "visit" in heard.text.lower()
    assert heard.language == "en" and 0.3 <= heard.confidence <= 1.0
    # only the joined model is written: the audio went from memory to the model
    assert {p.name for p in tmp_path.rglob("*") if p.is_file()} == {"model.bin", *local.SIDE_FILES}


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeTelegram, FakeTwilio, FakeChatServer]]:
    telegram, twilio, stt = FakeTelegram(), FakeTwilio(), FakeChatServer()
    yield telegram, twilio, stt
    for server in (telegram, twilio, stt):
        server.close()


@pytest.fixture(scope="module")
def base(runtime: Runtime, data_dir: Path, fakes: tuple[FakeTelegram, FakeTwilio, FakeChatServer]) -> Iterator[str]:
    telegram, twilio, stt = fakes
    env = {"LOCI_TELEGRAM_BOT_TOKEN": TOKEN, "LOCI_TELEGRAM_SECRET_TOKEN": SECRET,
           "LOCI_TELEGRAM_API_BASE_URL": telegram.base_url, "LOCI_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
           "LOCI_TWILIO_AUTH_TOKEN": AUTH_TOKEN, "LOCI_WHATSAPP_FROM": FROM, "LOCI_TWILIO_API_BASE_URL": twilio.url,
           "LOCI_PUBLIC_URL": PUBLIC, "LOCI_STT": "openai", "LOCI_STT_BASE_URL": stt.base_url,
           "LOCI_STT_MODEL": "whisper-1", "LOCI_STT_API_KEY": "sk-test-not-real", "LOCI_VOICE_MAX_SECONDS": "120"}
    with serving(env, data_dir) as (url, _):
        yield url


def say(stt: FakeChatServer, audio: bytes, text: str, language: str, logprob: float = -0.1) -> None:
    """What the fake transcription server hears in ``audio``."""
    stt.transcripts[hashlib.sha256(audio).hexdigest()] = (text, language, logprob)


def voice_update(telegram: FakeTelegram, audio: bytes, *, uid: int, language: str, seconds: int) -> dict[str, object]:
    file_id = f"voice{next(_ids)}"
    telegram.files[f"voice/{file_id}.oga"] = audio
    note = {"file_id": file_id, "file_unique_id": "u" + file_id, "duration": seconds, "mime_type": "audio/ogg",
            "file_size": len(audio)}
    return update(message=message(uid=uid, language=language, voice=note))


def post_telegram(base: str, body: dict[str, object]) -> None:
    r = httpx.post(f"{base}/webhooks/telegram", json=body, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert r.status_code == 200 and r.json()["outcome"] == "queued"


def replies(telegram: FakeTelegram, chat: int) -> list[str]:
    return [c["text"] for c in telegram.method_calls("sendMessage") if int(c.get("chat_id", 0)) == chat]


def test_telegram_voice_note_is_quoted_then_answered_from_the_sources(
        base: str, fakes: tuple[FakeTelegram, FakeTwilio, FakeChatServer], studio: Path) -> None:
    telegram, _, stt = fakes
    audio = speak("Où se trouve le Mucem ?", "fr", studio)
    say(stt, audio, "Où se trouve le Mucem ?", "french")
    stt.transcribe_delay = 3.0  # a slow transcription: the webhook must not wait for it
    try:
        started = time.monotonic()
        post_telegram(base, voice_update(telegram, audio, uid=801, language="fr", seconds=2))
        acknowledged = time.monotonic() - started
        reply = wait_until(lambda: replies(telegram, 801), timeout=60)[0]
    finally:
        stt.transcribe_delay = 0.0
    assert reply.startswith("🎙️ « Où se trouve le Mucem ? »\n")
    assert "Mucem" in reply.split("\n", 1)[1] and "href=" in reply  # the answer, with its cited link
    assert acknowledged < 2.5  # acknowledged before the 3-second transcription, which runs in the worker
    sent = stt.transcriptions[-1]
    assert sent["model"] == "whisper-1" and sent["language"] == "fr" and sent["response_format"] == "verbose_json"
    file_id = telegram.method_calls("getFile")[-1]["file_id"]
    assert any(unquote(c.path) == f"/file/bot{TOKEN}/voice/{file_id}.oga" for c in telegram.requests)


def test_whatsapp_voice_note_is_downloaded_with_the_account_credentials(
        base: str, fakes: tuple[FakeTelegram, FakeTwilio, FakeChatServer], studio: Path) -> None:
    _, twilio, stt = fakes
    audio = speak("Which museums should I visit in Marseille?", "en", studio)
    say(stt, audio, "Which museums should I visit in Marseille?", "english")
    number = "+447700900123"
    sid = f"SM{next(_ids):032x}"
    form = {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": ACCOUNT_SID, "From": f"whatsapp:{number}",
            "To": FROM, "Body": "", "NumMedia": "1", "MediaContentType0": "audio/ogg",
            "MediaUrl0": twilio.media_url(audio), "ProfileName": "Sam", "WaId": number.lstrip("+")}
    signature = VALIDATOR.compute_signature(PUBLIC + "/webhooks/whatsapp", form)
    r = httpx.post(f"{base}/webhooks/whatsapp", data=form, headers={"X-Twilio-Signature": signature})
    assert r.status_code == 200
    body = wait_until(lambda: twilio.sent_to(number), timeout=60)[0]["Body"]
    assert body.startswith("🎙️ “Which museums should I visit in Marseille?”\n")
    assert stt.transcriptions[-1]["language"] == "en"  # the number's country: +44
    fetched = [c for c in twilio.requests if "/Media/" in c.path]
    assert fetched and {k.lower(): v for k, v in fetched[-1].headers.items()}["authorization"].startswith("Basic ")
    assert twilio.calls("/storage/")  # the redirect to the media's storage was followed


@pytest.mark.parametrize(("kind", "seconds", "language", "needle"), [
    ("ten minutes", 600, "en", "too long"),
    ("corrupt", 3, "fr", "lire ce fichier audio"),
    ("no sound", 0, "de", "nicht gut verstanden"),
    ("mumbling", 2, "es", "No he entendido bien"),
])
def test_notes_that_cannot_be_heard_get_a_clear_reply(
        base: str, fakes: tuple[FakeTelegram, FakeTwilio, FakeChatServer], studio: Path, kind: str, seconds: int,
        language: str, needle: str) -> None:
    telegram, _, stt = fakes
    if kind == "corrupt":
        audio = b"OggS" + os.urandom(2000)
    elif kind == "no sound":
        audio = silence(0.05, studio)
    else:
        audio = speak("hmm", "es", studio) if kind == "mumbling" else silence(1.0, studio)
    if kind == "mumbling":
        say(stt, audio, "mm", "spanish", logprob=-2.5)
    uid = 900 + seconds + len(language)
    before = len(stt.transcriptions)
    post_telegram(base, voice_update(telegram, audio, uid=uid, language=language, seconds=seconds))
    assert needle in wait_until(lambda: replies(telegram, uid), timeout=60)[0]
    if kind == "ten minutes":  # refused on the platform's word: not even downloaded
        assert len(stt.transcriptions) == before


def test_the_transcription_service_down_loses_nothing(
        base: str, fakes: tuple[FakeTelegram, FakeTwilio, FakeChatServer], studio: Path) -> None:
    telegram, _, stt = fakes
    audio = speak("Où se trouve le Vieux-Port ?", "fr", studio)
    say(stt, audio, "Où se trouve le Vieux-Port ?", "french")
    stt.mode = "error"
    try:
        post_telegram(base, voice_update(telegram, audio, uid=811, language="fr", seconds=2))
        wait_until(lambda: len([t for t in stt.transcriptions if t["file"] == hashlib.sha256(audio).hexdigest()]))
        assert not replies(telegram, 811)
    finally:
        stt.mode = "ok"
    reply = wait_until(lambda: replies(telegram, 811), timeout=90)[0]  # the inbox retried once it came back
    assert reply.startswith("🎙️ « Où se trouve le Vieux-Port ? »")


def test_no_audio_is_left_in_the_data_dir(base: str, fakes: tuple[FakeTelegram, FakeTwilio, FakeChatServer],
                                          data_dir: Path, studio: Path) -> None:
    telegram, _, stt = fakes
    audio = speak("Quand a ouvert le Mucem ?", "fr", studio)
    say(stt, audio, "Quand a ouvert le Mucem ?", "french")
    post_telegram(base, voice_update(telegram, audio, uid=821, language="fr", seconds=2))
    wait_until(lambda: replies(telegram, 821), timeout=60)
    probe = audio[len(audio) // 2: len(audio) // 2 + 48]
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert probe not in path.read_bytes(), path
    log = (data_dir / "serve.log").read_text()
    assert TOKEN not in log and quote(TOKEN) not in log and AUTH_TOKEN not in log  # URLs with secrets: not logged
