"""Keeping the index in step with the sources: fetch, chunk, embed what changed, drop what vanished."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from .dedupe import drop_near_duplicates
from .errors import LociError
from .ports import Chunker, Embedder, Fetched, IndexWriter, ProgressCallback, SentenceScorer, SourceFetcher, Store
from .types import Document, Passage, SourceSpec, Vector

EMBED_BATCH = 64
SOURCE_CONCURRENCY = 8


@dataclass(slots=True)
class IngestReport:
    sources_ok: int = 0
    ok_ids: list[str] = field(default_factory=list)
    sources_failed: dict[str, str] = field(default_factory=dict)
    sources_unchanged: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    duplicates: int = 0
    chunks: int = 0
    seconds: float = 0.0
    problems: dict[str, list[str]] = field(default_factory=dict)
    dry_run: bool = False

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def source_of(doc_id: str) -> str:
    """Document ids are ``<source id>`` or ``<source id>::<key within the source>``."""
    return doc_id.split("::", 1)[0]


def fingerprint(doc: Document) -> str:
    payload = json.dumps([doc.title, doc.text, doc.url, doc.language, doc.owner, list(doc.audiences),
                          [doc.geo.lat, doc.geo.lon] if doc.geo else None, doc.expires_at], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


class Ingestor:
    """Runs sources into the index. A failing source never stops the others, and nothing already
    indexed from it (or from a page of it that failed this time) is lost."""

    def __init__(self, *, fetchers: Mapping[str, SourceFetcher], chunker: Chunker, embedder: Embedder,
                 writer: IndexWriter, source_concurrency: int = SOURCE_CONCURRENCY,
                 embed_batch: int = EMBED_BATCH, sentences: SentenceScorer | None = None) -> None:
        self._sentences = sentences
        self._fetchers = fetchers
        self._chunker = chunker
        self._embedder = embedder
        self._writer = writer
        self._source_concurrency = source_concurrency
        self._embed_batch = embed_batch

    async def run(self, sources: Sequence[SourceSpec], *, registry: Collection[str] | None = None,
                  dry_run: bool = False, progress: ProgressCallback | None = None) -> IngestReport:
        """Syncs ``sources``. With ``registry`` (every source id of the registry), documents of
        sources no longer listed are removed too."""
        started = time.perf_counter()
        report = IngestReport(dry_run=dry_run)
        slots = asyncio.Semaphore(self._source_concurrency)
        results = await asyncio.gather(*(self._fetch(s, slots) for s in sources))
        documents: list[Document] = []
        keep: set[str] = set()
        for source, outcome in zip(sources, results, strict=True):
            if isinstance(outcome, str):
                report.sources_failed[source.id] = outcome
                continue
            report.sources_ok += 1
            report.ok_ids.append(source.id)
            documents.extend(outcome.documents)
            keep |= outcome.keep
            if outcome.problems:
                report.problems[source.id] = list(outcome.problems)
        documents, dropped = drop_near_duplicates(documents, (d.text for d in documents))
        report.duplicates = len(dropped)

        known = await self._writer.fingerprints()
        changed = [d for d in documents if known.get(d.id) != fingerprint(d)]
        report.unchanged = len(documents) - len(changed)
        changed_sources = {source_of(d.id) for d in changed}
        live = {d.id for d in documents}
        fetched_ok = set(report.ok_ids)
        gone = [d for d in known if d not in live and d not in keep and (
            source_of(d) in fetched_ok or (registry is not None and source_of(d) not in registry))]
        changed_sources |= {source_of(d) for d in gone}
        report.sources_unchanged = len(fetched_ok - changed_sources)

        chunked = [(d, self._chunker.split(d)) for d in changed]
        report.chunks = sum(len(ps) for _, ps in chunked)
        for doc, _ in chunked:
            if doc.id in known:
                report.updated += 1
            else:
                report.added += 1
        if dry_run:
            report.removed = len(gone)
        else:
            await self._index(chunked, progress)
            report.removed = await self._writer.remove_documents(gone)
        report.seconds = time.perf_counter() - started
        return report

    async def _fetch(self, source: SourceSpec, slots: asyncio.Semaphore) -> Fetched | str:
        fetcher = self._fetchers.get(source.kind)
        if fetcher is None:
            return f"no fetcher for sources of kind {source.kind!r}"
        async with slots:
            try:
                return await fetcher.fetch(source)
            except LociError as exc:
                return str(exc)

    async def _embed(self, batch: list[Passage]) -> Vector:
        """The passages' vectors; their sentences are embedded too when dense search scores sentences (kept by
        the embedder's cache for the questions to come)."""
        vectors = await self._embedder.embed([embedding_text(p) for p in batch], role="passage")
        if self._sentences is not None:
            await self._sentences.warm(batch)
        return vectors

    async def _index(self, chunked: list[tuple[Document, list[Passage]]], progress: ProgressCallback | None) -> None:
        """Embeds in large batches across documents, then writes each document whole."""
        total = sum(len(ps) for _, ps in chunked)
        if progress:
            progress(0, total)
        pending: list[tuple[Document, list[Passage]]] = []
        batch: list[Passage] = []
        vectors: list[Vector] = []
        done = 0
        for doc, passages in chunked:
            pending.append((doc, passages))
            batch.extend(passages)
            if len(batch) >= self._embed_batch:
                vectors.append(await self._embed(batch))
                done += len(batch)
                batch = []
                if progress:
                    progress(done, total)
                await self._write(pending, np.vstack(vectors))
                pending, vectors = [], []
        if batch:
            vectors.append(await self._embed(batch))
            done += len(batch)
            if progress:
                progress(done, total)
        if pending:
            await self._write(pending, np.vstack(vectors) if vectors else np.zeros((0, 0), dtype=np.float32))

    async def _write(self, docs: list[tuple[Document, list[Passage]]], matrix: Vector) -> None:
        row = 0
        for doc, passages in docs:
            await self._writer.replace_document(doc.id, fingerprint(doc), passages, matrix[row:row + len(passages)])
            row += len(passages)


class SyncSchedule:
    """Re-syncs each source when its refresh interval has passed since its last run (``loci ingest
    --watch``, and ``loci serve`` in the background); runs are recorded in the store."""

    def __init__(self, ingestor: Ingestor, store: Store, sources: Sequence[SourceSpec]) -> None:
        self._ingestor = ingestor
        self._store = store
        self._sources = sources

    async def due(self, now: float) -> list[SourceSpec]:
        last = await self._store.ingestion_state()
        return [s for s in self._sources if now - last.get(s.id, (0.0, "", ""))[0] >= s.refresh_seconds]

    async def run_due(self, now: float, progress: ProgressCallback | None = None) -> IngestReport | None:
        due = await self.due(now)
        if not due:
            return None
        report = await self._ingestor.run(due, progress=progress)
        await self._store.record_ingestion(report, now)
        return report


def embedding_text(passage: Passage) -> str:
    """What is embedded for a passage (its vector in the index)."""
    return f"{passage.title}\n{passage.text}"
