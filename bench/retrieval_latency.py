"""Latency of understanding + retrieval over 100,000 chunks: ``python -m bench.retrieval_latency``.

The index holds 100,000 French chunks cut from the PIAF corpus (three-sentence windows, so their
words and lengths are real) with random unit vectors: the model is not asked to embed 100,000
chunks here, only each question, for real. Each question goes through the assistant's own path:
language, audience and place understanding, then BM25 beside the query embedding, dense search,
z-score fusion and the learned reranker. In the same run, each question is also timed in two parts:
the question's embedding alone, and everything else (understanding and retrieval given the vector).
Prints a table and JSON (bench/results/retrieval_latency.json).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from bench import save_results
from genius_loci.bots.bootstrap import build_assistant, build_embedder
from genius_loci.bots.evaluate import load_beir
from genius_loci.config.loader import load_partners, load_territory
from genius_loci.config.settings import load_settings
from genius_loci.connectors.analysis import sentences
from genius_loci.connectors.index.embedded import EmbeddedIndex
from genius_loci.connectors.language.lingua_detector import LinguaDetector
from genius_loci.core.metrics import quantile
from genius_loci.core.types import IncomingMessage, Passage

ROOT = Path(__file__).resolve().parents[1]
PIAF = ROOT.parent / "shared" / "data" / "piaf"


async def build(path: Path, n: int, dim: int, name: str) -> EmbeddedIndex:
    data = load_beir(PIAF / "corpus.jsonl", PIAF / "queries.jsonl", PIAF / "qrels.tsv")
    pieces = [(r.get("title", ""), sentences(r["text"])) for r in data.corpus]
    index = EmbeddedIndex(path, embedder_name=name, dim=dim)
    rng = np.random.default_rng(0)
    per_doc = 100
    made = 0
    while made < n:
        title, sents = pieces[(made // per_doc) % len(pieces)]
        passages = []
        for j in range(per_doc):
            start = (made + j) % max(1, len(sents))
            text = " ".join(sents[start:start + 3]) or title
            passages.append(Passage(f"c{made + j}", f"d{made // per_doc}", title, text, "", "fr"))
        vectors = rng.standard_normal((per_doc, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        await index.replace_document(f"d{made // per_doc}", "", passages, vectors)
        made += per_doc
    return index


async def main(n: int, queries: int) -> dict[str, Any]:
    settings = load_settings()
    embedder = build_embedder(settings)
    territory = load_territory(settings.config_path("territory"))
    partners = load_partners(settings.config_path("partners"))
    detector = LinguaDetector(territory.voice.languages)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        index = await build(Path(tmp) / "index.sqlite", n, 384, embedder.name)
        build_s = time.perf_counter() - started
        assistant = build_assistant(settings, territory, partners, index, embedder, detector)
        # the parts are timed by a second assistant over the same index: its reranker has not read the
        # passages the whole path just found (each keeps what it read), so both see them for the first time
        apart = build_assistant(settings, territory, partners, index, embedder, detector)
        data = load_beir(PIAF / "corpus.jsonl", PIAF / "queries.jsonl", PIAF / "qrels.tsv")
        detector.warm_up()
        await embedder.embed(["warm-up"], role="query")
        await assistant.search(assistant.understand(IncomingMessage("bench", "b", "musée")))
        await apart.search(apart.understand(IncomingMessage("bench", "b", "musée")))
        retriever = apart.retriever
        parts: dict[str, list[float]] = {"total": [], "embedding": [], "without embedding": []}
        for q in data.queries[:queries]:
            message = IncomingMessage("bench", "b", q["text"])
            t = time.perf_counter()
            await assistant.search(assistant.understand(message))
            parts["total"].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            vector = await retriever.embed_query(apart.understand(message))
            parts["embedding"].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            await retriever.hybrid(apart.understand(message), apart.policy.search_k, vector=vector)
            parts["without embedding"].append((time.perf_counter() - t) * 1000)
        index.close()
    embedder.close()
    stats = {name: _stats(values) for name, values in parts.items()}
    return {"chunks": n, "questions": len(parts["total"]), "index_build_s": round(build_s, 1),
            **stats["total"], "parts": stats}


def _stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median_ms": round(statistics.median(ordered), 1), "p95_ms": round(quantile(ordered, 0.95), 1),
            "max_ms": round(ordered[-1], 1)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=300)
    args = parser.parse_args()
    result = asyncio.run(main(args.chunks, args.questions))
    table = Table(title=f"Understanding + retrieval over {result['chunks']:,} chunks, "
                        f"{result['questions']} questions (2 cores)")
    for col in ("part", "median ms", "p95 ms", "max ms"):
        table.add_column(col, justify="right")
    for name, row in result["parts"].items():
        table.add_row(name, str(row["median_ms"]), str(row["p95_ms"]), str(row["max_ms"]))
    Console().print(table)
    save_results("retrieval_latency", result)
