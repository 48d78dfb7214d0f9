from pathlib import Path

from genius_loci.connectors.index.embedded import EmbeddedIndex
from genius_loci.core.retrieval.diversity import diversify
from genius_loci.core.retrieval.hybrid import HybridRetriever
from genius_loci.core.types import Hit, Passage, Query
from tests.fakes import HashEmbedder


def _hit(pid: str, doc: str, score: float) -> Hit:
    return Hit(Passage(pid, doc, doc, "text", "", "fr"), score)


def test_a_page_beyond_its_first_passages_waits_behind_the_other_pages() -> None:
    ranked = [_hit("a1", "a", 9), _hit("a2", "a", 8), _hit("a3", "a", 7), _hit("b1", "b", 6),
              _hit("a4", "a", 5), _hit("c1", "c", 4)]
    assert [h.passage.id for h in diversify(ranked, per_page=2)] == ["a1", "a2", "b1", "c1", "a3", "a4"]
    assert [h.passage.id for h in diversify(ranked, per_page=1)] == ["a1", "b1", "c1", "a2", "a3", "a4"]
    assert diversify([], per_page=2) == []


async def test_search_results_come_from_several_pages(tmp_path: Path) -> None:
    """A long page whose every passage matches does not fill the first results on its own."""
    emb = HashEmbedder()
    index = EmbeddedIndex(tmp_path / "i.sqlite", embedder_name=emb.name, dim=emb.dim)
    long_page = [Passage(f"guide-{i}", "guide", "Guide", f"Calanques de Cassis, randonnée numéro {i} : sentier "
                         "des calanques, accès aux calanques en été.", "", "fr") for i in range(6)]
    other = [Passage("parc-1", "parc", "Parc national", "Le parc national des Calanques règle l'accès en été.",
                     "", "fr")]
    for doc, passages in (("guide", long_page), ("parc", other)):
        await index.replace_document(doc, "fp", passages, await emb.embed([p.text for p in passages], role="passage"))
    query = Query(text="accès aux calanques en été", language="fr")
    undiversified = await HybridRetriever(index, emb, per_page=100).hybrid(query, 3)
    assert {h.passage.doc_id for h in undiversified} == {"guide"}  # the case this is for
    first = await HybridRetriever(index, emb).hybrid(query, 3)
    assert [h.passage.doc_id for h in first] == ["guide", "guide", "parc"]
