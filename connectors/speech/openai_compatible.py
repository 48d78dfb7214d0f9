"""Any OpenAI-compatible transcription endpoint (``/audio/transcriptions``) through the openai SDK:
``LOCI_STT_BASE_URL``, ``LOCI_STT_MODEL``, ``LOCI_STT_API_KEY``, ``LOCI_STT_TIMEOUT_SECONDS``."""

from __future__ import annotations

import math
from typing import Any

import openai

from genius_loci.core.errors import ProviderError
from genius_loci.core.speech import Audio, SpeechError, Transcript

EXTENSIONS = {"audio/ogg": "ogg", "audio/opus": "ogg", "audio/mpeg": "mp3", "audio/mp4": "m4a", "audio/aac": "aac",
              "audio/amr": "amr", "audio/wav": "wav", "audio/x-wav": "wav", "audio/webm": "webm"}
# verbose_json names the language in English ("french"); some servers give the code
LANGUAGE_NAMES = {"french": "fr", "english": "en", "spanish": "es", "italian": "it", "german": "de",
                  "portuguese": "pt", "arabic": "ar", "chinese": "zh", "russian": "ru", "dutch": "nl", "thai": "th"}


class OpenAICompatibleTranscriber:
    name = "openai"

    def __init__(self, *, base_url: str, model: str, api_key: str, timeout: float) -> None:
        self._client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key or "none", timeout=timeout,
                                          max_retries=0)
        self._model = model

    async def transcribe(self, audio: Audio, language: str | None) -> Transcript:
        extension = EXTENSIONS.get(audio.content_type.split(";")[0].strip(), "ogg")
        extra: dict[str, Any] = {"language": language} if language else {}
        try:
            result = await self._client.audio.transcriptions.create(
                model=self._model, file=(f"voice.{extension}", audio.data, audio.content_type or "audio/ogg"),
                response_format="verbose_json", **extra)
        except openai.BadRequestError as exc:  # the service could not read the file
            raise SpeechError("unreadable", f"HTTP {exc.status_code}") from exc
        except openai.APIError as exc:
            raise ProviderError(f"the transcription service failed: {type(exc).__name__}") from exc
        data = result.model_dump() if hasattr(result, "model_dump") else dict(result)
        heard = str(data.get("language") or "").lower() or None
        code = LANGUAGE_NAMES.get(heard, heard) if heard else language
        return Transcript(str(data.get("text") or ""), code, _confidence(data.get("segments")),
                          float(data.get("duration") or audio.seconds or 0.0))

    async def aclose(self) -> None:
        await self._client.close()


def _confidence(segments: Any) -> float:
    """From the segments' average log-probability and no-speech probability; 1.0 when the service gives none."""
    if not segments:
        return 1.0
    total = weighted = 0.0
    for s in segments:
        length = max(float(s.get("end", 0.0)) - float(s.get("start", 0.0)), 0.01)
        total += length
        weighted += length * math.exp(float(s.get("avg_logprob", 0.0))) * (1.0 - float(s.get("no_speech_prob", 0.0)))
    return weighted / total if total else 1.0
