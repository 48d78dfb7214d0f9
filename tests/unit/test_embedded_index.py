from pathlib import Path

import numpy as np
import pytest

from genius_loci.connectors.index.embedded import EmbeddedIndex
from genius_loci.core.errors import IndexUnavailable
from genius_loci.core.types import Filters, SearchRequest
from tests.fakes import HashEmbedder
from tests.unit.conftest import build_index


async def test_bm25_stems_and_folds_accents(tmp_path: Path) -> None:
    index = await build_index(tmp_path / "i.sqlite", HashEmbedder())
    hits = await index.search(SearchRequest("bm25", 5, text="pêcheurs de CASSIS", language="fr"))
    assert hits[0].passage.doc_id == "cassis"
    assert hits[0].scores["bm25"] > 0


async def test_dense_search_and_filters(tmp_path: Path) -> None:
    emb = HashEmbedder()
    index = await build_index(tmp_path / "i.sqlite", emb)
    vec = (await emb.embed(["shuttle bus airport"], role="query"))[0]
    hits = await index.search(SearchRequest("dense", 3, vector=vec))
    assert hits[0].passage.doc_id == "airport"
    only_investors = await index.search(SearchRequest("dense", 3, vector=vec, filters=Filters(audiences=("investor",))))
    assert [h.passage.doc_id for h in only_investors] == ["invest"]
    fr_only = await index.search(
        SearchRequest("bm25", 3, text="port", language="fr", filters=Filters(languages=("fr",))))
    assert {h.passage.language for h in fr_only} == {"fr"}


async def test_replace_and_remove_documents_persist(tmp_path: Path) -> None:
    path = tmp_path / "i.sqlite"
    emb = HashEmbedder()
    index = await build_index(path, emb)
    assert index.count() == 3
    assert await index.remove_documents(["cassis"]) == 1
    index.close()
    reopened = EmbeddedIndex(path, embedder_name=emb.name, dim=emb.dim)
    assert reopened.count() == 2
    assert set(await reopened.fingerprints()) == {"airport", "invest"}
    hits = await reopened.search(SearchRequest("bm25", 5, text="Cassis", language="fr"))
    assert hits == []
    vec = np.ones(emb.dim, dtype=np.float32) / np.sqrt(emb.dim)
    assert len(await reopened.search(SearchRequest("dense", 5, vector=vec))) == 2


async def test_query_without_terms_returns_nothing(tmp_path: Path) -> None:
    index = await build_index(tmp_path / "i.sqlite", HashEmbedder())
    assert await index.search(SearchRequest("bm25", 5, text="le la les ?", language="fr")) == []


def test_corrupt_index_file_is_reported_clearly(tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(IndexUnavailable, match="cannot be read"):
        EmbeddedIndex(path, embedder_name="x", dim=4)


async def test_index_built_by_another_embedder_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite"
    (await build_index(path, HashEmbedder())).close()
    with pytest.raises(IndexUnavailable, match="rebuild"):
        EmbeddedIndex(path, embedder_name="other-model", dim=HashEmbedder.dim)
