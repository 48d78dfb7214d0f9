"""Trains the linear reranker shipped in ``config/reranker.json``: ``python -m bench.train_reranker``.

Data: the PIAF dev split in ../shared (French questions, each written on one paragraph). Questions
are split in two halves by a hash of their id; the model is trained on half A with a pairwise
logistic loss (the right paragraph must outscore each other candidate of the same question) and
measured on half B, which it never saw. Candidates are the fused top 50 of BM25 and dense search.
Prints a table and JSON; writes the model (trained on half A) and its held-out figures.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from genius_loci.bots.bootstrap import build_embedder
from genius_loci.bots.evaluate import CANDIDATES, build_eval_index, load_beir
from genius_loci.config.settings import load_settings
from genius_loci.connectors.analysis import terms
from genius_loci.connectors.language.lingua_detector import LinguaDetector
from genius_loci.connectors.rerank.features import NAMES, features
from genius_loci.core.retrieval.hybrid import HybridRetriever
from genius_loci.core.types import Query

ROOT = Path(__file__).resolve().parents[1]
PIAF = ROOT.parent / "shared" / "data" / "piaf"


def half(query_id: str) -> int:
    return int(hashlib.md5(query_id.encode()).hexdigest(), 16) % 2


async def candidates() -> tuple[list[np.ndarray], list[np.ndarray], list[int], list[list[str]], list[set[str]]]:
    settings = load_settings()
    embedder = build_embedder(settings)
    data = load_beir(PIAF / "corpus.jsonl", PIAF / "queries.jsonl", PIAF / "qrels.tsv")
    languages = ("fr", "en", "es", "it", "de")
    index = await build_eval_index(data, embedder=embedder, detector=LinguaDetector(languages),
                                   languages=languages, default_language="fr")
    retriever = HybridRetriever(index, embedder, candidates=CANDIDATES)
    n = index.count()
    X, Y, halves, ids, rel = [], [], [], [], []
    for q in data.queries:
        query = Query(q["text"], "fr")
        vector = await retriever.embed_query(query)
        bm25, across = await retriever.keyword(query, CANDIDATES)
        fused = retriever.fuse(query, bm25, await retriever.dense(vector, CANDIDATES), across)
        df = index.document_frequencies(list(dict.fromkeys(terms(q["text"], "fr"))))

        def idf(term: str, df: dict[str, int] = df) -> float:
            return math.log((n - df.get(term, 0) + 0.5) / (df.get(term, 0) + 0.5) + 1.0)

        X.append(np.array(features(query, fused, idf)))
        Y.append(np.array([h.passage.id in data.qrels[q["_id"]] for h in fused], dtype=float))
        halves.append(half(q["_id"]))
        ids.append([h.passage.id for h in fused])
        rel.append(data.qrels[q["_id"]])
    index.close()
    embedder.close()
    return X, Y, halves, ids, rel


def train(X: list[np.ndarray], Y: list[np.ndarray], mean: np.ndarray, scale: np.ndarray, epochs: int = 200,
          rate: float = 0.3, l2: float = 1e-3) -> np.ndarray:
    diffs = []
    for x, y in zip(X, Y, strict=True):
        xn = (x - mean) / scale
        for p in np.where(y > 0)[0]:
            diffs.append(xn[p] - xn[y == 0])
    D = np.vstack(diffs)
    w = np.zeros(D.shape[1])
    for _ in range(epochs):
        wrong = 1.0 / (1.0 + np.exp(D @ w))
        w -= rate * (-(D * wrong[:, None]).mean(axis=0) + l2 * w)
    return w


def measure(X: list[np.ndarray], ids: list[list[str]], rel: list[set[str]], score: Any) -> dict[str, float]:
    r1 = r5 = r10 = mrr = 0.0
    for x, order_ids, relevant in zip(X, ids, rel, strict=True):
        ranked = [order_ids[i] for i in np.argsort(-score(x), kind="stable")]
        rank = next((i for i, pid in enumerate(ranked, start=1) if pid in relevant), None)
        if rank is not None:
            r1 += rank <= 1
            r5 += rank <= 5
            r10 += rank <= 10
            mrr += 1.0 / rank if rank <= 10 else 0.0
    n = len(X)
    return {"R@1": round(r1 / n, 4), "R@5": round(r5 / n, 4), "R@10": round(r10 / n, 4), "MRR@10": round(mrr / n, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "config" / "reranker.json")
    args = parser.parse_args()
    X, Y, halves, ids, rel = asyncio.run(candidates())
    a = [i for i, h in enumerate(halves) if h == 0]
    b = [i for i, h in enumerate(halves) if h == 1]
    stacked = np.vstack([X[i] for i in a])
    mean, scale = stacked.mean(axis=0), stacked.std(axis=0) + 1e-9
    w = train([X[i] for i in a], [Y[i] for i in a], mean, scale)

    def model(x: np.ndarray) -> np.ndarray:
        return np.asarray(((x - mean) / scale) @ w)

    def fusion(x: np.ndarray) -> np.ndarray:
        return -np.arange(len(x), dtype=float)  # the fused order as it came

    result = {
        "trained_on": f"PIAF dev, half A ({len(a)} questions)", "held_out": f"half B ({len(b)} questions)",
        "fusion_half_b": measure([X[i] for i in b], [ids[i] for i in b], [rel[i] for i in b], fusion),
        "reranked_half_b": measure([X[i] for i in b], [ids[i] for i in b], [rel[i] for i in b], model),
        "reranked_half_a": measure([X[i] for i in a], [ids[i] for i in a], [rel[i] for i in a], model),
    }
    table = Table(title="Reranker on PIAF dev (half B never seen in training)")
    for col in ("", "R@1", "R@5", "R@10", "MRR@10"):
        table.add_column(col, justify="right")
    for name in ("fusion_half_b", "reranked_half_b", "reranked_half_a"):
        table.add_row(name, *(f"{result[name][k]:.3f}" for k in ("R@1", "R@5", "R@10", "MRR@10")))
    Console().print(table)
    args.out.write_text(json.dumps({"features": list(NAMES), "weights": w.round(6).tolist(),
                                    "mean": mean.round(6).tolist(), "scale": scale.round(6).tolist(),
                                    **result}, indent=1), encoding="utf-8")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
