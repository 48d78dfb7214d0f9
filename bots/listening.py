"""Voice notes at the composition root: the transcriber ``LOCI_STT`` names, over the channels' media sources."""

from __future__ import annotations

from collections.abc import Mapping

from genius_loci.config.settings import Settings
from genius_loci.connectors.speech import audio, local
from genius_loci.core.errors import ConfigError
from genius_loci.core.speech import Listener, MediaSource, SpeechPolicy, Transcriber


def stt_mode(settings: Settings) -> str:
    """``local``, ``openai`` or ``off``: as set, else local when the voice extra is installed."""
    if settings.stt is not None:
        return settings.stt
    return "local" if local.available() else "off"


def build_transcriber(settings: Settings) -> Transcriber | None:
    mode = stt_mode(settings)
    if mode == "off":
        return None
    if mode == "openai":
        if not settings.stt_base_url:
            raise ConfigError("LOCI_STT=openai needs LOCI_STT_BASE_URL (an OpenAI-compatible endpoint, e.g. "
                              "https://api.openai.com/v1)")
        from genius_loci.connectors.speech.openai_compatible import OpenAICompatibleTranscriber

        key = settings.stt_api_key.get_secret_value() if settings.stt_api_key else ""
        return OpenAICompatibleTranscriber(base_url=settings.stt_base_url, model=settings.stt_model, api_key=key,
                                           timeout=settings.stt_timeout_seconds)
    if not local.available():
        raise ConfigError(f"LOCI_STT=local needs the speech model; {local.EXTRA_HINT}")
    return local.LocalTranscriber(settings.data_dir)


def build_listener(settings: Settings, sources: Mapping[str, MediaSource],
                   languages: tuple[str, ...] | list[str]) -> Listener | None:
    """None when voice notes are off (they get "please type your question") or no channel carries them."""
    transcriber = build_transcriber(settings)
    if transcriber is None or not sources:
        return None
    return Listener(transcriber, sources, languages, audio.measure,
                    SpeechPolicy(settings.voice_max_bytes, settings.voice_max_seconds, settings.voice_min_confidence))
