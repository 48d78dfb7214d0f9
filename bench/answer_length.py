"""How many sentences the extractive answer quotes, measured: ``python -m bench.answer_length``.

For each PIAF dev question, the shipped retrieval's first ``LOCI_ANSWER_PASSAGES`` passages are given to the
extractive answerer with 2 and with 3 sentences at most (no abstention: the answerer alone); reported per half of
PIAF dev (half A chose the default, half B was not used for it, the reranker's split): the share of answers that
contain a gold answer, mean and median characters, and the share of answers of 400 characters or fewer.
Prints a table and the JSON (also written to bench/results/answer_length.json).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import save_results
from bench.train_reranker import half
from genius_loci.bots.bootstrap import build_assistant, build_runtime
from genius_loci.bots.evaluate import build_eval_index, load_beir
from genius_loci.config.settings import load_settings
from genius_loci.connectors.answerers.extractive import ExtractiveAnswerer
from genius_loci.core.evaluation import normalise
from genius_loci.core.types import IncomingMessage

PIAF = Path(__file__).resolve().parents[2] / "shared" / "data" / "piaf"
SENTENCES = (2, 3)


async def run(limit: int | None) -> dict[str, Any]:
    runtime = build_runtime(load_settings(), with_llm=False)
    voice = runtime.territory.voice
    data = load_beir(PIAF / "corpus.jsonl", PIAF / "queries.jsonl", PIAF / "qrels.tsv")
    index = await build_eval_index(data, embedder=runtime.embedder, detector=runtime.detector,
                                   languages=voice.languages, default_language=voice.default_language)
    settings = runtime.settings
    assistant = build_assistant(settings, runtime.territory, runtime.partners, index, runtime.embedder,
                                runtime.detector, learning=False)
    answerers = {n: ExtractiveAnswerer(voice, runtime.embedder, max_sentences=n) for n in SENTENCES}
    rows: dict[tuple[int, str], list[tuple[bool, int]]] = {}
    try:
        for q in data.queries[:limit] if limit else data.queries:
            query = assistant.understand(IncomingMessage("bench", "bench", q["text"]))
            hits = (await assistant.search(query))[: settings.answer_passages]
            for n, answerer in answerers.items():
                text = (await answerer.compose(query, hits)).text
                body = normalise(text)
                contained = any(normalise(g) and normalise(g) in body for g in q["answers"])
                rows.setdefault((n, "AB"[half(q["_id"])]), []).append((contained, len(text)))
    finally:
        index.close()
        await runtime.aclose()
    return {f"{n}_sentences_half_{h}": {
        "n": len(r), "gold_contained": round(sum(c for c, _ in r) / len(r), 3),
        "mean_chars": round(statistics.fmean(length for _, length in r)),
        "median_chars": round(statistics.median(length for _, length in r)),
        "share_400_or_fewer": round(sum(length <= 400 for _, length in r) / len(r), 2)}
        for (n, h), r in sorted(rows.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=None, help="PIAF dev questions (default: all)")
    result = asyncio.run(run(parser.parse_args().limit))
    table = Table(title="Extractive answers on PIAF dev, no abstention")
    for col in ("sentences, half", "n", "gold contained", "mean chars", "median chars", "<= 400 chars"):
        table.add_column(col, justify="right", no_wrap=True)
    for name, r in result.items():
        table.add_row(name, str(r["n"]), f"{r['gold_contained']:.3f}", str(r["mean_chars"]), str(r["median_chars"]),
                      f"{r['share_400_or_fewer']:.2f}")
    Console().print(table)
    save_results("answer_length", result)


if __name__ == "__main__":
    main()
