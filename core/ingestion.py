"""Keeping the index in step with the sources: fetch, chunk, embed what changed, drop what vanished."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from .errors import LociError
from .ports import Chunker, Embedder, IndexWriter, ProgressCallback, SourceFetcher
from .types import Document, Passage, SourceSpec, Vector

EMBED_BATCH = 16


@dataclass(slots=True)
class IngestReport:
    sources_ok: int = 0
    ok_ids: list[str] = field(default_factory=list)
    sources_failed: dict[str, str] = field(default_factory=dict)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def source_of(doc_id: str) -> str:
    """Document ids are ``<source id>`` or ``<source id>::<key within the source>``."""
    return doc_id.split("::", 1)[0]


def fingerprint(doc: Document) -> str:
    payload = json.dumps([doc.title, doc.text, doc.url, doc.language, doc.owner, list(doc.audiences),
                          [doc.geo.lat, doc.geo.lon] if doc.geo else None], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


class Ingestor:
    """Runs the source registry into the index; a failing source never stops the others and
    never loses what was already indexed from it."""

    def __init__(self, *, fetchers: Mapping[str, SourceFetcher], chunker: Chunker, embedder: Embedder,
                 writer: IndexWriter) -> None:
        self._fetchers = fetchers
        self._chunker = chunker
        self._embedder = embedder
        self._writer = writer

    async def run(self, sources: Sequence[SourceSpec], *, prune: bool = True,
                  progress: ProgressCallback | None = None) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        documents: list[Document] = []
        for source in sources:
            fetcher = self._fetchers.get(source.kind)
            try:
                if fetcher is None:
                    raise LociError(f"no fetcher for sources of kind {source.kind!r}")
                documents.extend(await fetcher.fetch(source))
                report.sources_ok += 1
                report.ok_ids.append(source.id)
            except LociError as exc:
                report.sources_failed[source.id] = str(exc)
        known = await self._writer.fingerprints()
        changed = [d for d in documents if known.get(d.id) != fingerprint(d)]
        report.unchanged = len(documents) - len(changed)
        await self._index(changed, known, report, progress)
        if prune:
            live = {d.id for d in documents}
            keep_sources = set(report.sources_failed)
            gone = [d for d in known if d not in live and source_of(d) not in keep_sources]
            report.removed = await self._writer.remove_documents(gone)
        report.seconds = time.perf_counter() - started
        return report

    async def _index(self, docs: Sequence[Document], known: Mapping[str, str], report: IngestReport,
                     progress: ProgressCallback | None) -> None:
        chunked: list[tuple[Document, list[Passage]]] = [(d, self._chunker.split(d)) for d in docs]
        total = sum(len(ps) for _, ps in chunked)
        done = 0
        if progress:
            progress(0, total)
        for doc, passages in chunked:
            vectors: list[Vector] = []
            for start in range(0, len(passages), EMBED_BATCH):
                batch = passages[start:start + EMBED_BATCH]
                vectors.extend(await self._embedder.embed([_embedding_text(p) for p in batch], role="passage"))
                done += len(batch)
                if progress:
                    progress(done, total)
            matrix = np.vstack(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)
            await self._writer.replace_document(doc.id, fingerprint(doc), passages, matrix)
            if doc.id in known:
                report.updated += 1
            else:
                report.added += 1
            report.chunks += len(passages)


def _embedding_text(passage: Passage) -> str:
    return f"{passage.title}\n{passage.text}"
