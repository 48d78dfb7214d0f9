import sqlite3
from pathlib import Path

import numpy as np
import pytest

from genius_loci.connectors.analysis import indexed_terms, terms
from genius_loci.connectors.index.embedded import EmbeddedIndex
from genius_loci.core.errors import IndexUnavailable
from genius_loci.core.types import Filters, GeoPoint, Passage, SearchRequest
from tests.fakes import HashEmbedder
from tests.unit.conftest import build_index


async def test_bm25_stems_and_folds_accents(tmp_path: Path) -> None:
    index = await build_index(tmp_path / "i.sqlite", HashEmbedder())
    hits = await index.search(SearchRequest("bm25", 5, text="pêcheurs de CASSIS", language="fr"))
    assert hits[0].passage.doc_id == "cassis"
    assert hits[0].scores["bm25"] > 0


def test_words_are_stemmed_with_their_accents_then_folded() -> None:
    """Snowball reads the accents: folded first, "randonnée" stemmed to "randonne" and missed "randonner"."""
    assert terms("randonner randonnée Randonnées", "fr") == ["randon"] * 3
    assert terms("créer créées", "fr") == ["cre", "cre"]
    assert terms("Gärten Müll Straße", "de") == ["gart", "mull", "strass"]
    assert terms("habitación habitaciones", "es") == ["habit"] * 2


def test_french_plurals_the_stemmer_leaves_whole_meet_their_singular() -> None:
    """"Peut-on faire un feu dans les calanques ?" missed "Les feux … y sont interdits": Snowball keeps "feux"."""
    assert terms("feu feux", "fr") == ["feu", "feu"]
    assert terms("jeu jeux lieux", "fr") == ["jeu", "jeu", "lieu"]
    assert terms("heureux heureuse", "fr") == ["heureu", "heureu"]  # the adjective's forms still meet
    assert terms("feux", "en") == ["feux"]


def test_french_verbs_of_the_third_person_plural_are_indexed_by_their_infinitive_too() -> None:
    """"Le navire accoste où exactement ?" found nothing: "Les paquebots accostent" was indexed "accostent"."""
    indexed = indexed_terms("Escales", "Les paquebots accostent ; des navettes relient le port.", "fr").split()
    assert set(terms("Le navire accoste", "fr")) & set(indexed) == {"accost"}
    assert "reli" in indexed and "relient" in indexed  # beside the word's own term, not in its place
    # nouns and adjectives in -ent keep meeting their other forms
    assert set(terms("les parents, différente", "fr")) <= set(indexed_terms("", "un parent différent", "fr").split())
    assert indexed_terms("", "they present", "en") == "present"


@pytest.mark.parametrize(("text", "language", "kept"), [
    ("Tell me more about Cézanne, please", "en", ["cezann"]),
    ("Could you tell me about any beaches?", "en", ["beach"]),
    ("Dites-moi, pourriez-vous me parler du Mucem ?", "fr", ["parl", "mucem"]),
    ("Erzähl mir mehr über das Mucem, bitte", "de", ["muc"]),
    ("Per favore, dimmi di più sulla Sainte-Victoire", "it", ["saint", "vict"]),
    ("¿Puedes decirme más sobre el Mucem, por favor?", "es", ["dec", "mucem"]),
    # English's contractions split at the apostrophe: "we're" and "shouldn't" leave "re" and "shouldn"
    ("We're moving; which parts suit families?", "en", ["move", "part", "suit", "famili"]),
    ("What shouldn't we miss? They don't know.", "en", ["miss"]),
])
def test_the_words_people_frame_a_question_with_are_not_searched(text: str, language: str, kept: list[str]) -> None:
    """"tell me more about Cézanne" ranked the Sainte-Victoire page first: Cézanne painted it "more than eighty
    times"."""
    assert terms(text, language) == kept


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


async def test_keyword_scores_are_fts5_bm25(tmp_path: Path) -> None:
    """The in-memory BM25 gives the scores SQLite's own bm25() gives over the same analysed terms."""
    path = tmp_path / "i.sqlite"
    index = await build_index(path, HashEmbedder())
    question = "port de pêche de Cassis et vin blanc"
    hits = await index.search(SearchRequest("bm25", 5, text=question, language="fr"))
    wanted = " OR ".join(f'"{t}"' for t in dict.fromkeys(terms(question, "fr")))
    db = sqlite3.connect(path)
    reference = dict(db.execute(
        "SELECT p.id, -bm25(passages_fts) FROM passages_fts f JOIN passages p ON p.rowid = f.rowid "
        "WHERE passages_fts MATCH ?", (wanted,)).fetchall())
    assert len(reference) >= 1
    assert {h.passage.id: h.scores["bm25"] for h in hits} == pytest.approx(reference, rel=1e-5)


async def test_keyword_search_applies_every_filter(tmp_path: Path) -> None:
    index = await build_index(tmp_path / "i.sqlite", HashEmbedder())

    async def found(filters: Filters) -> set[str]:
        return {h.passage.doc_id for h in await index.search(
            SearchRequest("bm25", 5, text="port airport bus", language="en", filters=filters))}

    assert await found(Filters()) == {"airport", "invest", "cassis"}
    assert await found(Filters(owners=("airport",))) == {"airport"}
    assert await found(Filters(audiences=("investor",))) == {"invest"}
    assert await found(Filters(audiences=("student",))) == set()
    marignane = GeoPoint(43.42, 5.21)
    assert await found(Filters(near=marignane, radius_km=5)) == {"airport"}  # "invest" has no place
    assert await found(Filters(near=GeoPoint(43.2, 5.5), radius_km=5)) == {"cassis"}
    assert await found(Filters(near=GeoPoint(43.2, 5.5), radius_km=2)) == set()


async def test_expired_passages_are_left_out_of_both_searches(tmp_path: Path) -> None:
    emb = HashEmbedder()
    index = await build_index(tmp_path / "i.sqlite", emb)
    event = Passage("fete-1", "fete", "Fête", "Fête du port de Cassis samedi", "", "fr", expires_at=1_000.0)
    await index.replace_document("fete", "fp", [event], await emb.embed([event.text], role="passage"))
    vec = (await emb.embed([event.text], role="query"))[0]
    for filters, present in ((Filters(active_at=999.0), True), (Filters(active_at=1_001.0), False)):
        keyword = await index.search(SearchRequest("bm25", 5, text="fête port", language="fr", filters=filters))
        dense = await index.search(SearchRequest("dense", 5, vector=vec, filters=filters))
        assert ("fete" in {h.passage.doc_id for h in keyword}) is present
        assert ("fete" in {h.passage.doc_id for h in dense}) is present


async def test_a_change_written_by_another_process_is_seen_at_the_next_search(tmp_path: Path) -> None:
    embedder = HashEmbedder()
    serving = await build_index(tmp_path / "i.sqlite", embedder)
    request = SearchRequest("bm25", 5, text="kayak rental", language="en")
    assert await serving.search(request) == []  # loaded in memory now
    other = EmbeddedIndex(tmp_path / "i.sqlite", embedder_name=embedder.name, dim=embedder.dim)  # `loci teach`
    passage = Passage("curated::k#0", "curated::k", "Kayak", "Kayak rental on the beach.", "https://k.example", "en")
    await other.replace_document("curated::k", "fp", [passage], await embedder.embed(["Kayak"], role="passage"))
    assert [h.passage.id for h in await serving.search(request)] == ["curated::k#0"]
    await other.remove_documents(["curated::k"])
    assert await serving.search(request) == [] and serving.count() == other.count()
    serving.close()
    other.close()
