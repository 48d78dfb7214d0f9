"""The person's audience (from the channel, the profile or the question) lifts the passages written for it."""

from pathlib import Path

from genius_loci.connectors.index.embedded import EmbeddedIndex
from genius_loci.core.retrieval.hybrid import HybridRetriever
from genius_loci.core.types import Passage, Query
from tests.fakes import HashEmbedder


async def test_a_passage_for_the_persons_audience_comes_first_when_two_are_close(tmp_path: Path) -> None:
    emb = HashEmbedder()
    index = EmbeddedIndex(tmp_path / "i.sqlite", embedder_name=emb.name, dim=emb.dim)
    pages = [Passage("eat#0", "eat", "Où manger", "Où manger à Marseille : restaurants du Vieux-Port, pas cher à "
                     "Noailles.", "", "fr", audiences=("tourist",)),
             Passage("students#0", "students", "Vie étudiante", "Manger pas cher à Marseille : les restaurants "
                     "universitaires, pas cher.", "", "fr", audiences=("student",))]
    pages += [Passage(f"other-{i}#0", f"other-{i}", f"Autre {i}", f"Page {i} sur les musées, les plages et les "
                      f"transports d'Aix, numéro {i}.", "", "fr", audiences=("resident",)) for i in range(6)]
    for p in pages:
        await index.replace_document(p.doc_id, "fp", [p], await emb.embed([p.text], role="passage"))
    retriever = HybridRetriever(index, emb)
    text = "Où manger pas cher à Marseille ?"
    anyone = await retriever.hybrid(Query(text=text, language="fr"), 2)
    assert [h.passage.doc_id for h in anyone] == ["students", "eat"]  # close: the students' page a little ahead
    tourist = await retriever.hybrid(Query(text=text, language="fr", audience="tourist"), 2)
    assert [h.passage.doc_id for h in tourist] == ["eat", "students"]
    student = await retriever.hybrid(Query(text=text, language="fr", audience="student"), 2)
    assert [h.passage.doc_id for h in student] == ["students", "eat"]
