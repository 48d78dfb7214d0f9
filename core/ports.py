"""The ports the core needs from the outside world; ``connectors/`` implements them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from .types import Document, Draft, Hit, Passage, Query, Role, SearchRequest, SourceSpec, Vector


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; ``role`` selects query or passage encoding."""

    name: str

    async def embed(self, texts: Sequence[str], *, role: Role) -> Vector: ...


class Index(Protocol):
    """Read side of the search index: one retriever's ranked hits for a request."""

    async def search(self, request: SearchRequest) -> list[Hit]: ...


class IndexWriter(Protocol):
    """Write side of the search index."""

    async def replace_document(self, doc_id: str, fingerprint: str, passages: Sequence[Passage],
                               vectors: Vector) -> None: ...

    async def remove_documents(self, doc_ids: Sequence[str]) -> int: ...

    async def fingerprints(self) -> Mapping[str, str]: ...


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    language: str
    confidence: float


class LanguageDetector(Protocol):
    """Guesses the language of a text (ISO 639-1); may return a language the territory does not serve."""

    def detect(self, text: str) -> LanguageGuess | None: ...


class Answerer(Protocol):
    """Writes an answer from numbered passages: ``[n]`` refers to ``hits[n-1]``."""

    name: str

    async def compose(self, query: Query, hits: Sequence[Hit]) -> Draft: ...


class Chunker(Protocol):
    """Splits a document into passages."""

    def split(self, document: Document) -> list[Passage]: ...


class SourceFetcher(Protocol):
    """Reads the documents a source currently holds."""

    async def fetch(self, source: SourceSpec) -> list[Document]: ...


ProgressCallback = Callable[[int, int], None]
"""Called with (done, total) as long work advances."""
