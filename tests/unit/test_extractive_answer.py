"""The extractive answer's size: a short quote for a question, several passages combined for a list or a plan."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from genius_loci.config.loader import load_territory
from genius_loci.connectors.answer_types import asks_for_list
from genius_loci.connectors.answerers.extractive import MAX_SENTENCES, ExtractiveAnswerer
from genius_loci.core.answering.citations import resolve_citations
from genius_loci.core.ingestion import embedding_text
from genius_loci.core.types import Hit, Passage, Query

VOICE = load_territory(Path(__file__).resolve().parents[2] / "config" / "territory.yaml").voice
SIGHTS = [
    Hit(Passage("mazarin#0", "mazarin", "Le quartier Mazarin", "Le quartier Mazarin est à voir à Aix. Ses hôtels "
                "particuliers datent du XVIIe siècle. La fontaine des Quatre-Dauphins est au centre. Le musée Granet "
                "expose Cézanne. Les rues sont calmes.", "https://aix.example/mazarin", "fr"), 2.0),
    Hit(Passage("cours#0", "cours", "Le cours Mirabeau", "Le cours Mirabeau est à voir à Aix, bordé de platanes. "
                "Ses cafés sont célèbres.", "https://aix.example/cours", "fr"), 1.9),
    Hit(Passage("atelier#0", "atelier", "L'atelier de Cézanne", "L'atelier de Cézanne est à voir à Aix, sur la "
                "colline des Lauves.", "https://aix.example/atelier", "fr"), 1.8),
]


@pytest.mark.parametrize(("question", "listing"), [
    ("Que visiter à Aix-en-Provence en un jour ?", True),
    ("What are the must see places in Marseille?", True),
    ("What are the opening hours of the Mucem?", False),
    ("¿Qué ver en Cassis?", True),
    ("Was kann man in Aubagne machen?", True),
    ("Quand a ouvert le Mucem ?", False),
    ("Where can I swim?", False),
])
def test_a_question_that_asks_for_a_list_or_a_plan(question: str, listing: bool) -> None:
    assert asks_for_list(question) is listing


async def test_a_plan_combines_more_passages_than_a_question() -> None:
    answerer = ExtractiveAnswerer(VOICE)
    plan, _, plan_cited = resolve_citations(
        (await answerer.compose(Query("Que visiter à Aix en un jour ?", "fr"), SIGHTS)).text, SIGHTS)
    one, _, one_cited = resolve_citations(
        (await answerer.compose(Query("Qu'y a-t-il à voir à Aix ?", "fr"), SIGHTS)).text, SIGHTS)
    assert len(one_cited) <= 2 and one.count(". ") + 1 <= MAX_SENTENCES + 1
    assert len(plan_cited) == 3 and len(plan) > len(one)


class TableEmbedder:
    """Vectors chosen by the test for the passages (as the index embeds them), one shared vector for the rest."""

    def __init__(self, table: dict[str, np.ndarray]) -> None:
        self._table = table

    async def embed(self, texts: list[str], role: str = "passage") -> np.ndarray:
        rest = np.array([0.0, 0.0, 1.0])
        return np.array([self._table.get(t, rest) for t in texts])


def _unit(*values: float) -> np.ndarray:
    v = np.array(values)
    return v / np.linalg.norm(v)


MALL_FR = Hit(Passage("mall-fr#0", "mall-fr", "Plan-de-Campagne", "Plan-de-Campagne est une grande zone commerciale "
                      "entre Marseille et Aix.", "https://example.org/mall", "fr"), 5.6)
MARKETS_EN = Hit(Passage("markets-en#0", "markets-en", "Markets", "Markets are held every morning in Aix.",
                         "https://example.org/markets", "en"), 5.0)
MALL_EN = Hit(Passage("mall-en#0", "mall-en", "Plan-de-Campagne", "Plan-de-Campagne is a large shopping area "
                      "between Marseille and Aix.", "https://example.org/mall", "en"), 5.0)


@pytest.mark.parametrize(("second", "cosine", "quoted"), [
    (MARKETS_EN, 0.81, "mall-fr#0"),  # another page: the best one is quoted, in its language
    (MALL_EN, 0.93, "mall-en#0"),  # its translation: quoted in the person's language
])
async def test_the_persons_language_is_preferred_only_for_a_passage_that_says_the_same_thing(
        second: Hit, cosine: float, quoted: str) -> None:
    table = {embedding_text(MALL_FR.passage): _unit(1.0, 0.0, 0.0),
             embedding_text(second.passage): _unit(cosine, math.sqrt(1 - cosine ** 2), 0.0)}
    answerer = ExtractiveAnswerer(VOICE, TableEmbedder(table))  # type: ignore[arg-type]
    hits = [MALL_FR, second]
    _, _, cited = resolve_citations(
        (await answerer.compose(Query("Is there a big shopping centre between Marseille and Aix?", "en"), hits)).text,
        hits)
    assert cited[0].passage.id == quoted


async def test_the_sentence_quoted_is_the_one_with_what_is_asked_not_the_pages_subject() -> None:
    """The page is about Notre-Dame de la Garde: the sentence that answers "how to go up" holds "monter", not only the
    words of the title. Without an embedder, the words alone choose."""
    page = Hit(Passage("garde#0", "garde", "Notre-Dame de la Garde", "La basilique Notre-Dame de la Garde veille sur "
                       "Marseille depuis une colline. Elle est surmontée d'une statue dorée. La vue embrasse la rade. "
                       "On y monte à pied depuis le Vieux-Port ou avec le bus 60.", "https://example.org/garde", "fr"),
               3.0)
    answer = (await ExtractiveAnswerer(VOICE, max_sentences=1).compose(
        Query("Comment monter à Notre-Dame de la Garde ?", "fr"), [page])).text
    assert "bus 60" in answer and "veille" not in answer


async def test_a_question_in_a_third_language_finds_its_words_in_the_sentence_that_holds_them() -> None:
    """Asked in Spanish, with no Spanish page: read by its own stemmer too, "microelectrónica" reaches the English
    "microelectronics" (the English stemmer leaves the Spanish word whole, the French one cuts it to "industri")."""
    sectors = Hit(Passage("sectors-en#0", "sectors-en", "Key sectors", "The economy rests on aerospace around "
                          "Marignane and microelectronics around Rousset.", "https://example.org/sectors", "en"), 2.0)
    parks = Hit(Passage("parks-fr#0", "parks-fr", "Parcs d'activités", "Les entreprises trouvent des parcs d'activités "
                        "dans la région, les zones de Rousset et de Gémenos pour l'industrie.",
                        "https://example.org/parks", "fr"), 1.8)
    hits = [sectors, parks]
    answer = (await ExtractiveAnswerer(VOICE, max_sentences=1).compose(
        Query("¿Hay industria de microelectrónica en la región?", "es"), hits)).text
    _, _, cited = resolve_citations(answer, hits)
    assert [c.passage.id for c in cited] == ["sectors-en#0"]


async def test_the_quote_is_in_the_first_passage_s_language_when_neither_is_the_person_s() -> None:
    """Asked in Italian over an English and a French page: a French sentence sharing more of the question's words
    ("principali", "zona" read as French) does not shut out the best page because it is in English."""
    sectors = Hit(Passage("sectors-en#0", "sectors-en", "Key sectors", "The economy rests on aerospace, "
                          "microelectronics, logistics and energy.", "https://example.org/sectors", "en"), 2.0)
    parks = Hit(Passage("parks-fr#0", "parks-fr", "Parcs d'activités", "Les principales zones d'activités sont à "
                        "Rousset et à Gémenos.", "https://example.org/parks", "fr"), 1.8)
    hits = [sectors, parks]
    answer = (await ExtractiveAnswerer(VOICE, max_sentences=1).compose(
        Query("Quali sono i settori principali della zona?", "it"), hits)).text
    _, _, cited = resolve_citations(answer, hits)
    assert [c.passage.id for c in cited] == ["sectors-en#0"]
