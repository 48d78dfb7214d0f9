"""Dense candidates scored by their best sentence as well as the whole passage (LOCI_DENSE_SENTENCES)."""

from pathlib import Path

import numpy as np

from genius_loci.connectors.embeddings.cache import CachedEmbedder
from genius_loci.connectors.embeddings.sentences import SentenceVectors
from genius_loci.connectors.index.embedded import EmbeddedIndex
from genius_loci.core.retrieval.hybrid import HybridRetriever
from genius_loci.core.types import Passage
from tests.fakes import HashEmbedder

LONG = Passage("long", "long", "Histoire", "La ville fut fondée par des marins grecs venus de Phocée. Son port antique "
               "servait au commerce du vin et de l'huile. Les remparts médiévaux entouraient la colline. Des moulins "
               "tournaient sur les hauteurs. Le musée expose des amphores.", "", "fr")
SHORT = Passage("short", "short", "Moulins", "Des moulins à vent se dressaient autrefois ici.", "", "fr")


async def test_a_passage_whose_one_sentence_answers_comes_before_one_about_everything(tmp_path: Path) -> None:
    embedder = HashEmbedder()
    index = EmbeddedIndex(":memory:", embedder_name=embedder.name, dim=embedder.dim)
    for p in (LONG, SHORT):
        await index.replace_document(p.id, "fp", [p], await embedder.embed([f"{p.title}\n{p.text}"], role="passage"))
    question = await embedder.embed(["Qui a fondé la ville, des marins grecs de Phocée ?"], role="query")

    plain = await HybridRetriever(index, embedder).dense(question[0], 2)
    scored = await HybridRetriever(index, embedder, sentences=SentenceVectors(embedder)).dense(question[0], 2)
    long_plain = next(h for h in plain if h.passage.id == "long")
    long_scored = next(h for h in scored if h.passage.id == "long")
    assert long_scored.scores["dense"] > long_plain.scores["dense"]  # its first sentence is the question's
    assert long_scored.scores["passage_dense"] == long_plain.scores["dense"]
    assert [h.score for h in scored] == sorted((h.score for h in scored), reverse=True)
    short_scored = next(h for h in scored if h.passage.id == "short")
    assert short_scored.score == next(h for h in plain if h.passage.id == "short").score  # one sentence: unchanged


async def test_sentences_are_embedded_once_at_ingestion_and_then_read_from_the_cache(tmp_path: Path) -> None:
    inner = HashEmbedder()
    embedder = CachedEmbedder(inner, tmp_path / "embeddings.sqlite")
    vectors = SentenceVectors(embedder)
    assert await vectors.warm([LONG, SHORT]) == 5  # the one-sentence passage has none of its own
    computed = embedder.computed
    again = SentenceVectors(embedder)  # another process, the same cache
    question = (await embedder.embed(["Le musée expose des amphores"], role="query"))[0]
    best = await again.best(question, [LONG, SHORT])
    assert embedder.computed == computed + 1  # only the question
    assert best[1] == -1.0 and best[0] > 0.9
    assert np.isclose(best[0], float(question @ (await embedder.embed(["Le musée expose des amphores."],
                                                                         role="passage"))[0]))
    embedder.close()
