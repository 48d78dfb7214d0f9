"""The contract every index adapter meets: the embedded SQLite index, and Weaviate through weaviate-client v4 —
against the local fake Weaviate (its gRPC API from the client's own servicer), or a real server when
``WEAVIATE_URL`` is set (``WEAVIATE_GRPC_PORT``, default 50051). Writes by document, fingerprints, BM25 and vector
search with every filter, removal, languages and term statistics."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from genius_loci.connectors.analysis import terms
from genius_loci.connectors.index.embedded import EmbeddedIndex
from genius_loci.connectors.index.weaviate_index import WeaviateIndex
from genius_loci.core.types import Filters, GeoPoint, Passage, SearchRequest
from tests.fakes import HashEmbedder

EMB = HashEmbedder()
MARSEILLE, CASSIS = GeoPoint(43.2965, 5.3698), GeoPoint(43.214, 5.538)
PASSAGES = [
    Passage("beach#0", "beach", "Plages du Prado", "Les plages du Prado sont desservies par les bus 19 et 83.",
            "https://m.example/plages", "fr", "marseille-tourism", ("tourist", "resident"), MARSEILLE),
    Passage("beach#1", "beach", "Plages du Prado", "La baignade est surveillée en été.", "https://m.example/plages",
            "fr", "marseille-tourism", ("tourist",), MARSEILLE),
    Passage("cassis#0", "cassis", "Cassis", "Cassis is a fishing port between the calanques and Cap Canaille.",
            "https://c.example", "en", "cassis-tourism", ("tourist",), CASSIS),
    Passage("office#0", "office", "Offices", "Office space in Euroméditerranée for companies that invest.",
            "https://i.example", "en", "provence-promotion", ("investor",), None),
    Passage("event#0", "event", "Festival", "The summer festival in the calanques ends in July.",
            "https://e.example", "en", "provence-tourism", ("tourist",), CASSIS, 1_000.0),
]


@pytest.fixture(params=["embedded", "weaviate"])
async def index(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    if request.param == "embedded":
        embedded = EmbeddedIndex(tmp_path / "index.sqlite", embedder_name=EMB.name, dim=EMB.dim)
        yield embedded
        embedded.close()
        return
    fake = None
    url = os.environ.get("WEAVIATE_URL")
    if url:
        grpc_port = int(os.environ.get("WEAVIATE_GRPC_PORT", "50051"))
    else:
        from tests.fake_weaviate import FakeWeaviate

        fake = FakeWeaviate()
        url, grpc_port = fake.url, fake.grpc_port
    name = f"Contract{uuid.uuid4().hex[:8]}"
    wv = WeaviateIndex(url, grpc_port=grpc_port, collection=name, tenant="aix-marseille",
                       skip_init_checks=fake is not None)
    wv.fake = fake  # type: ignore[attr-defined]
    assert "created" in await wv.init()
    yield wv
    await wv.aclose()
    if fake is not None:
        fake.close()


async def fill(index: Any) -> None:
    by_doc: dict[str, list[Passage]] = {}
    for p in PASSAGES:
        by_doc.setdefault(p.doc_id, []).append(p)
    for doc, passages in by_doc.items():
        vectors = await EMB.embed([f"{p.title}\n{p.text}" for p in passages], role="passage")
        await index.replace_document(doc, f"fp-{doc}", passages, vectors)
    await index.refresh()


def bm25(text: str, language: str, **filters: Any) -> SearchRequest:
    return SearchRequest("bm25", 5, text=text, language=language, filters=Filters(**filters))


async def dense(index: Any, text: str, k: int = 5, **filters: Any) -> list[str]:
    vector = (await EMB.embed([text], role="query"))[0]
    return [h.passage.id for h in await index.search(SearchRequest("dense", k, vector=vector,
                                                                   filters=Filters(**filters)))]


async def test_writes_fingerprints_and_statistics(index: Any) -> None:
    await fill(index)
    assert dict(await index.fingerprints()) == {d: f"fp-{d}" for d in ("beach", "cassis", "office", "event")}
    assert index.count() == 5 and index.languages() == {"fr", "en"}
    plage = terms("plages", "fr")[0]
    assert index.document_frequencies([plage, "nothing"]) == {plage: 2}
    await index.replace_document("beach", "fp-2", PASSAGES[:1], await EMB.embed(["x"], role="passage"))
    assert (await index.fingerprints())["beach"] == "fp-2"
    assert await index.remove_documents(["office", "event"]) == 2
    await index.refresh()
    assert set(await index.fingerprints()) == {"beach", "cassis"} and index.count() == 2


async def test_keyword_search_finds_by_analysed_terms_with_every_filter(index: Any) -> None:
    await fill(index)
    hits = await index.search(bm25("Où se baigner ? baignade plages", "fr", active_at=time.time()))
    assert {h.passage.id for h in hits[:2]} == {"beach#0", "beach#1"}
    geo = hits[0].passage.geo
    assert hits[0].passage.url == "https://m.example/plages" and geo is not None
    assert abs(geo.lat - MARSEILLE.lat) < 1e-5 and abs(geo.lon - MARSEILLE.lon) < 1e-5  # Weaviate keeps float32
    assert all(h.score > 0 and "bm25" in h.scores for h in hits)
    found = await index.search(bm25("calanques", "en"))
    assert [h.passage.id for h in found] == ["cassis#0"]  # the festival has ended
    assert {h.passage.id for h in await index.search(bm25("calanques", "en", active_at=500.0))} == {
        "cassis#0", "event#0"}
    assert await index.search(bm25("calanques", "en", audiences=("investor",))) == []
    assert await index.search(bm25("calanques", "en", owners=("marseille-tourism",))) == []
    assert await index.search(bm25("calanques", "en", languages=("fr",))) == []
    near = await index.search(bm25("calanques", "en", near=MARSEILLE, radius_km=5.0))
    assert near == []  # Cassis is 16 km from the Old Port
    assert [h.passage.id for h in await index.search(bm25("calanques", "en", near=MARSEILLE,
                                                          radius_km=25.0))] == ["cassis#0"]


async def test_vector_search_ranks_by_cosine_with_every_filter(index: Any) -> None:
    await fill(index)
    assert (await dense(index, "Cassis fishing port calanques"))[0] == "cassis#0"
    assert await dense(index, "Cassis fishing port calanques", audiences=("investor",)) == ["office#0"]
    assert "event#0" not in await dense(index, "summer festival calanques")
    assert (await dense(index, "summer festival calanques", active_at=500.0))[0] == "event#0"
    assert set(await dense(index, "plages", languages=("fr",))) == {"beach#0", "beach#1"}
    assert await dense(index, "plages", near=CASSIS, radius_km=2.0) == ["cassis#0"]
    vector = (await EMB.embed(["Cassis fishing port calanques"], role="query"))[0]
    hits = await index.search(SearchRequest("dense", 1, vector=vector))
    assert len(hits) == 1 and 0.0 < hits[0].score <= 1.0 + 1e-6
    assert np.isclose(hits[0].scores["dense"], hits[0].score)


async def test_init_again_adds_only_the_properties_an_older_collection_lacks(index: Any) -> None:
    fake = getattr(index, "fake", None)
    if fake is None:
        pytest.skip("the schema is only edited through the fake Weaviate")
    schema = fake.collections[index.name].schema
    schema["properties"] = [p for p in schema["properties"] if p["name"] != "terms"]  # as an older version made it
    assert await index.init() == f"collection {index.name} is ready"  # a start does not touch the schema
    assert await index.init(add_missing=True) == "properties added: terms"
    assert await index.init(add_missing=True) == f"collection {index.name} is ready"


async def test_what_the_real_client_sends(index: Any) -> None:
    fake = getattr(index, "fake", None)
    if fake is None:
        pytest.skip("the requests are only seen through the fake Weaviate")
    await fill(index)
    await index.search(bm25("calanques", "en", audiences=("tourist",), near=MARSEILLE, radius_km=25.0))
    search = fake.requests_of("Search")[-1]
    assert search.tenant == "aix-marseille" and search.limit == 5
    assert search.bm25_search.query == "calanqu" and list(search.bm25_search.properties) == ["terms"]
    ops = {f.target.property: f for f in search.filters.filters}
    assert set(ops) == {"expires_at", "audiences", "geo"}
    assert ops["geo"].value_geo.distance == 25_000.0
    vector = (await EMB.embed(["calanques"], role="query"))[0]
    await index.search(SearchRequest("dense", 3, vector=vector))
    near = fake.requests_of("Search")[-1]
    sent = np.frombuffer(near.near_vector.vectors[0].vector_bytes, dtype=np.float32) if near.near_vector.vectors \
        else np.array(near.near_vector.vector, dtype=np.float32)
    assert near.limit == 3 and np.allclose(sent, vector, atol=1e-6)
    batch = fake.requests_of("BatchObjects")[0]
    assert {o.tenant for o in batch.objects} == {"aix-marseille"}
    assert all(len(o.vectors) or len(o.vector) or o.vector_bytes for o in batch.objects)


async def test_export_gives_back_what_was_written_with_its_vectors_and_expiry(index: Any) -> None:
    await fill(index)
    exported = {doc: (fp, passages, vectors) for doc, fp, passages, vectors in await index.export()}
    assert set(exported) == {"beach", "cassis", "office", "event"} and exported["beach"][0] == "fp-beach"
    assert [p.id for p in exported["beach"][1]] == ["beach#0", "beach#1"]
    written = await EMB.embed([f"{p.title}\n{p.text}" for p in PASSAGES[:2]], role="passage")
    assert np.allclose(exported["beach"][2], written, atol=1e-6)
    soon = Passage("fair#0", "fair", "Fair", "The fair ends tomorrow.", "https://f.example", "en",
                   expires_at=time.time() + 86_400)
    await index.replace_document("fair", "fp-fair", [soon], await EMB.embed(["fair"], role="passage"))
    assert [p.id for p in await index.expiring(time.time() + 2 * 86_400)] == ["fair#0"]  # not the ended festival
    assert await index.expiring(time.time() + 3_600) == []  # not yet within the hour
    await index.ping()
