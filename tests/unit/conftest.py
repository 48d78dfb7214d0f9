from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from genius_loci.config.loader import load_partners, load_territory
from genius_loci.connectors.answerers.extractive import ExtractiveAnswerer
from genius_loci.connectors.chunking import SectionChunker
from genius_loci.connectors.index.embedded import EmbeddedIndex
from genius_loci.connectors.store.migrate import upgrade
from genius_loci.connectors.store.sql import SqlStore
from genius_loci.core.assistant import AnswerPolicy, Assistant
from genius_loci.core.retrieval.confidence import ConfidenceModel
from genius_loci.core.retrieval.hybrid import HybridRetriever
from genius_loci.core.routing import Router
from genius_loci.core.types import Document, GeoPoint
from tests.fakes import HashEmbedder, KeywordDetector

CONFIG = Path(__file__).resolve().parents[2] / "config"

DOCS = [
    Document("cassis", "Cassis", "Cassis est un port de pêche entre les calanques et le cap Canaille. "
             "Son vin blanc est célèbre.", "https://cassis.example", "fr", "cassis-tourism", ("tourist",),
             GeoPoint(43.214, 5.538)),
    Document("airport", "The airport", "The airport is at Marignane. A shuttle bus runs to Saint-Charles station.",
             "https://airport.example", "en", "airport", ("tourist",), GeoPoint(43.4367, 5.215)),
    Document("invest", "Invest", "Companies invest in the port and the aeronautics industry.",
             "https://invest.example", "en", "provence-promotion", ("investor",), None),
]


async def build_index(path: Path | str, embedder: HashEmbedder) -> EmbeddedIndex:
    index = EmbeddedIndex(path, embedder_name=embedder.name, dim=embedder.dim)
    chunker = SectionChunker()
    for doc in DOCS:
        passages = chunker.split(doc)
        vectors = await embedder.embed([f"{p.title}\n{p.text}" for p in passages], role="passage")
        await index.replace_document(doc.id, "fp", passages, vectors)
    return index


@pytest.fixture
async def assistant() -> AsyncIterator[Assistant]:
    territory = load_territory(CONFIG / "territory.yaml")
    embedder = HashEmbedder()
    index = await build_index(":memory:", embedder)
    retriever = HybridRetriever(index, embedder)
    # the hash embedder's similarities are not e5's: a confidence midpoint that suits them
    yield Assistant(
        retriever=retriever, answerer=ExtractiveAnswerer(territory.voice), detector=KeywordDetector(),
        router=Router(load_partners(CONFIG / "partners.yaml"), territory.agency),
        gazetteer=territory.gazetteer(),
        bbox=territory.bbox,
        voice=territory.voice,
        policy=AnswerPolicy(min_confidence=0.5, max_question_chars=500),
        confidence=ConfidenceModel(midpoint=0.3, scale=0.05))
    index.close()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    """A state store on a SQLite file, migrated."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'state.sqlite'}"
    await upgrade(url)
    s = SqlStore.from_url(url)
    yield s
    await s.close()
