"""The extractive answer's size: a short quote for a question, several passages combined for a list or a plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from genius_loci.config.loader import load_territory
from genius_loci.connectors.answer_types import asks_for_list
from genius_loci.connectors.answerers.extractive import MAX_SENTENCES, ExtractiveAnswerer
from genius_loci.core.answering.citations import resolve_citations
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
