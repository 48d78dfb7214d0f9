"""Trains the linear reranker shipped in ``config/reranker.json``: ``python -m bench.train_reranker``.

Data: the PIAF dev split in ../shared (French questions, each written on one paragraph), and the bundled corpus's
labelled questions (tests/eval/questions.yaml, over the deployment's index in ``LOCI_DATA_DIR``: everyday
questions whose words are often not the page's, where what the page is about — the needs it names, the place
asked about — tells more). Each set is split in two halves by a hash of the question id (the bundled split is
the confidence model's); the model is trained on the first halves with a pairwise logistic loss (a right
passage must outscore each other candidate of the same question; a bundled question counts ``BUNDLED_WEIGHT``
times) and measured on the halves it never saw. Questions are read as the assistant reads them (needs, places).
The answerable turns of the scripted conversations' tune part (tests/eval/conversations.yaml), played through the
conversation layer so that each is asked as the assistant reads it, are measured too (``tune_turns_*``), and
trained on with ``--conversation-weight W`` (each counting W; ``tune_turns_crossed``: trained with one half of
the tune conversations, measured on the other). The shipped model leaves them out (docs/retrieval.md).
Candidates are the fused top 50 of BM25 and dense search. Prints a table and JSON; writes the model and its
held-out figures.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from rich.console import Console
from rich.table import Table

from bench.train_confidence import held_out, tune_questions
from genius_loci.bots.bootstrap import build_runtime, build_sentences
from genius_loci.bots.evaluate import CANDIDATES, build_eval_index, load_beir
from genius_loci.config.loader import load_intents
from genius_loci.config.settings import load_settings
from genius_loci.connectors.rerank.features import NAMES, AnalysisCache, features
from genius_loci.connectors.rerank.linear import TermStatistics, question_idf
from genius_loci.core.assistant import Assistant
from genius_loci.core.intents import Intents
from genius_loci.core.retrieval.hybrid import HybridRetriever
from genius_loci.core.types import GeoPoint, IncomingMessage, Query

ROOT = Path(__file__).resolve().parents[1]
PIAF = ROOT.parent / "shared" / "data" / "piaf"
BUNDLED_WEIGHT = 4.0  # the bundled questions are few, and they are the territory's
CONVERSATION_WEIGHT = 0.0  # the tune turns: left out (2, 4 and 8 measured, not kept: docs/retrieval.md)

Sets = tuple[list[np.ndarray], list[np.ndarray], list[int], list[list[str]], list[set[str]]]


def half(query_id: str) -> int:
    return int(hashlib.md5(query_id.encode()).hexdigest(), 16) % 2


async def _rows(assistant: Assistant, retriever: HybridRetriever, stats: TermStatistics, cache: AnalysisCache,
                message: IncomingMessage, key: Any) -> tuple[np.ndarray, list[Any]]:
    """The features of a question's fused candidates, read as the assistant reads it, and their keys."""
    return await _query_rows(retriever, stats, cache, assistant.understand(message), key)


async def _query_rows(retriever: HybridRetriever, stats: TermStatistics, cache: AnalysisCache, query: Query,
                      key: Any) -> tuple[np.ndarray, list[Any]]:
    """The features of a question's fused candidates, and their keys."""
    vector = await retriever.embed_query(query)
    bm25, across = await retriever.keyword(query, CANDIDATES)
    fused = retriever.fuse(query, bm25, await retriever.dense(vector, CANDIDATES), across)
    _, idf = question_idf(query, stats)
    return np.array(features(query, fused, idf, cache)), [key(h) for h in fused]


async def candidates() -> tuple[Sets, Sets, Sets]:
    """PIAF's questions, the bundled labelled questions and the conversations' tune turns, each with its candidates'
    features."""
    settings = load_settings().model_copy(update={"reranker": "none", "confidence": "similarity"})
    runtime = build_runtime(settings)
    await runtime.ensure_index()
    intents = Intents(load_intents(settings.intents_path))
    assistant = runtime.assistant
    voice = runtime.territory.voice

    bundled: Sets = ([], [], [], [], [])
    cache = AnalysisCache(intents=intents)
    labelled = yaml.safe_load((ROOT / "tests" / "eval" / "questions.yaml").read_text(encoding="utf-8"))
    for i, q in enumerate(labelled):
        if q["expect"] == "none":
            continue
        message = IncomingMessage("eval", "eval", q["q"], audience=q.get("audience"),
                                  location=GeoPoint(*q["location"]) if "location" in q else None)
        x, docs = await _rows(assistant, assistant.retriever, runtime.index, cache, message,
                              lambda h: h.passage.doc_id)
        gold = set(q["expect"])
        _add(bundled, x, np.array([d in gold for d in docs], dtype=float), int(held_out(f"b{i}:{q['q']}")), docs,
             gold)

    # the tune turns, read as the conversation layer reads them (the held-out part is never read here)
    conversations: Sets = ([], [], [], [], [])
    for conversation, expect, query, _ in await tune_questions(runtime, settings):
        if expect in ("none", "chat"):
            continue
        x, docs = await _query_rows(assistant.retriever, runtime.index, cache, query, lambda h: h.passage.doc_id)
        gold = set(expect)
        _add(conversations, x, np.array([d in gold for d in docs], dtype=float), half(conversation), docs, gold)

    piaf: Sets = ([], [], [], [], [])
    data = load_beir(PIAF / "corpus.jsonl", PIAF / "queries.jsonl", PIAF / "qrels.tsv")
    sentences = build_sentences(settings, runtime.embedder)
    index = await build_eval_index(data, embedder=runtime.embedder, detector=runtime.detector,
                                   languages=voice.languages, default_language=voice.default_language,
                                   sentences=sentences)
    retriever = HybridRetriever(index, runtime.embedder, candidates=CANDIDATES, sentences=sentences)
    cache = AnalysisCache(intents=intents)
    for q in data.queries:
        gold = data.qrels[q["_id"]]
        x, ids = await _rows(assistant, retriever, index, cache, IncomingMessage("eval", "eval", q["text"]),
                             lambda h: h.passage.id)
        _add(piaf, x, np.array([pid in gold for pid in ids], dtype=float), half(q["_id"]), ids, gold)
    index.close()
    await runtime.aclose()
    return piaf, bundled, conversations


def _add(into: Sets, x: np.ndarray, y: np.ndarray, part: int, ids: list[str], gold: set[str]) -> None:
    for column, value in zip(into, (x, y, part, ids, gold), strict=True):
        column.append(value)  # type: ignore[attr-defined]


def train(X: list[np.ndarray], Y: list[np.ndarray], mean: np.ndarray, scale: np.ndarray, epochs: int = 200,
          rate: float = 0.3, l2: float = 1e-3, counts: list[float] | None = None) -> np.ndarray:
    """Pairwise logistic regression; ``counts``: how much each question counts (1 each by default)."""
    diffs, weights = [], []
    for n, (x, y) in enumerate(zip(X, Y, strict=True)):
        xn = (x - mean) / scale
        for p in np.where(y > 0)[0]:
            pairs = xn[p] - xn[y == 0]
            diffs.append(pairs)
            weights.append(np.full(len(pairs), counts[n] if counts else 1.0))
    D, W = np.vstack(diffs), np.concatenate(weights)
    W = W / W.mean()
    w = np.zeros(D.shape[1])
    for _ in range(epochs):
        wrong = 1.0 / (1.0 + np.exp(D @ w))
        w -= rate * (-(D * (W * wrong)[:, None]).mean(axis=0) + l2 * w)
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
    parser.add_argument("--conversation-weight", type=float, default=CONVERSATION_WEIGHT,
                        help="how much each tune turn counts (0: left out)")
    args = parser.parse_args()
    piaf, bundled, conversations = asyncio.run(candidates())

    def part(sets: Sets, which: int) -> Sets:
        keep = [i for i, h in enumerate(sets[2]) if h == which]
        return tuple([column[i] for i in keep] for column in sets)  # type: ignore[return-value]

    piaf_a, piaf_b = part(piaf, 0), part(piaf, 1)
    bundled_a, bundled_b = part(bundled, 0), part(bundled, 1)

    weight = args.conversation_weight
    tune_a, tune_b = part(conversations, 0), part(conversations, 1)

    def fitted(tune: Sets) -> tuple[Any, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """The model trained on the first halves and ``tune`` (each turn counting ``weight``): its scoring function
        and its parameters."""
        X, Y = piaf_a[0] + bundled_a[0] + tune[0], piaf_a[1] + bundled_a[1] + tune[1]
        stacked = np.vstack(X)
        mean, scale = stacked.mean(axis=0), stacked.std(axis=0) + 1e-9
        w = train(X, Y, mean, scale, counts=[1.0] * len(piaf_a[0]) + [BUNDLED_WEIGHT] * len(bundled_a[0])
                  + [weight] * len(tune[0]))

        def score(x: np.ndarray) -> np.ndarray:
            return np.asarray(((x - mean) / scale) @ w)
        return score, (w, mean, scale)

    model, (w, mean, scale) = fitted(conversations if weight else ([], [], [], [], []))

    def fusion(x: np.ndarray) -> np.ndarray:
        return -np.arange(len(x), dtype=float)  # the fused order as it came

    def on(sets: Sets, score: Any) -> dict[str, float]:
        return measure(sets[0], sets[3], sets[4], score)

    with_tune = (f"; the conversations' answerable tune turns ({len(conversations[0])}, each counting "
                 f"{weight:g})") if weight else ""
    result: dict[str, Any] = {
        "trained_on": f"PIAF dev, half A ({len(piaf_a[0])} questions); bundled labelled questions, first half "
                      f"({len(bundled_a[0])}){with_tune}",
        "held_out": f"PIAF half B ({len(piaf_b[0])} questions); bundled second half ({len(bundled_b[0])})",
        "fusion_half_b": on(piaf_b, fusion), "reranked_half_b": on(piaf_b, model),
        "reranked_half_a": on(piaf_a, model),
        "bundled_fusion_held_out": on(bundled_b, fusion), "bundled_reranked_held_out": on(bundled_b, model),
        "tune_turns_fusion": on(conversations, fusion), "tune_turns_reranked": on(conversations, model),
    }
    if weight:
        # the weight is chosen on the tune turns without training on those measured: trained with one half of the
        # tune conversations, measured on the other, and the other way round
        b_by_a, a_by_b = on(tune_b, fitted(tune_a)[0]), on(tune_a, fitted(tune_b)[0])
        result["tune_turns_crossed"] = {k: round((b_by_a[k] * len(tune_b[0]) + a_by_b[k] * len(tune_a[0]))
                                                 / max(1, len(conversations[0])), 4) for k in b_by_a}
    table = Table(title="Reranker (held-out halves never seen in training)")
    for col in ("", "R@1", "R@5", "R@10", "MRR@10"):
        table.add_column(col, justify="right")
    for name in ("fusion_half_b", "reranked_half_b", "reranked_half_a", "bundled_fusion_held_out",
                 "bundled_reranked_held_out", "tune_turns_fusion", "tune_turns_reranked", "tune_turns_crossed"):
        if name in result:
            table.add_row(name, *(f"{result[name][k]:.3f}" for k in ("R@1", "R@5", "R@10", "MRR@10")))
    Console().print(table)
    args.out.write_text(json.dumps({"features": list(NAMES), "weights": w.round(6).tolist(),
                                    "mean": mean.round(6).tolist(), "scale": scale.round(6).tolist(),
                                    **result}, indent=1), encoding="utf-8")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
