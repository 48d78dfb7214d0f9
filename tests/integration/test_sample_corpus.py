"""Ask the assembled assistant real questions about the bundled corpus, in several languages."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from genius_loci.bots.bootstrap import Runtime
from genius_loci.bots.evaluate_labelled import evaluate_labelled, load_questions
from genius_loci.connectors.rerank.confidence import MISSING_FACT_CEILING
from genius_loci.core.types import Answer, GeoPoint, IncomingMessage

QUESTIONS = load_questions(Path(__file__).resolve().parents[1] / "eval" / "questions.yaml")


def ask(runtime: Runtime, text: str, **kw: Any) -> Answer:
    return asyncio.run(runtime.assistant.handle(IncomingMessage(channel="test", user_id="t", text=text, **kw)))


def test_french_question_gets_a_french_answer_from_the_right_source(runtime: Runtime) -> None:
    answer = ask(runtime, "Comment monter à Notre-Dame de la Garde ?")
    assert answer.status == "answered" and answer.language == "fr"
    assert answer.text.startswith("Voici ce que je peux vous dire")
    # the basilica's page, or the day-in-Marseille page whose sentence says how to go up (bus or tourist train)
    assert answer.citations[0].passage_id.split("#")[0] in {"notre-dame-garde-fr", "day-marseille-fr"}
    assert "bus" in answer.text
    assert answer.redirect is not None and answer.redirect.partner == "marseille-tourism"


def test_english_question_gets_an_english_answer_from_the_right_source(runtime: Runtime) -> None:
    answer = ask(runtime, "Where can I find student housing?")
    assert answer.status == "answered" and answer.language == "en"
    assert answer.citations[0].title == "Student housing"
    assert answer.citations[0].url == "https://www.crous-aix-marseille.fr"
    assert answer.redirect is not None and answer.redirect.partner == "crous"


def test_cross_lingual_question_is_answered_in_its_language_from_another(runtime: Runtime) -> None:
    answer = ask(runtime, "Wo wurde Cézanne geboren?")
    assert answer.status == "answered" and answer.language == "de"
    assert answer.text.startswith("Das sagen unsere Quellen")
    assert "1839" in answer.text


def test_question_outside_the_corpus_gets_i_dont_know_and_a_partner(runtime: Runtime) -> None:
    answer = ask(runtime, "What is the capital of Australia?")
    assert answer.status == "abstained"
    assert "My sources don't say" in answer.text and answer.redirect is not None


@pytest.mark.parametrize("text", [
    "How much is the monthly metro pass?", "Wie viel kostet die Fähre zum Château d'If?",
    "¿Cuánto cuesta el abono de transporte mensual?", "Is the Mucem open on Mondays?",
    "À quelle heure ouvre le musée Granet ?", "Wie hoch ist die Gewerbesteuer in Marseille?"])
def test_a_price_opening_hours_or_a_tax_the_sources_do_not_give_are_not_answered_from_the_page_that_is_close(
        runtime: Runtime, text: str) -> None:
    """The pages about the pass, the ferry and the museums say they exist, not what they cost or when they open;
    no page gives a tax (answered at 0.95, 0.88, 0.98 and, from the airport page, 0.49 before)."""
    answer = ask(runtime, text)
    assert answer.status == "abstained" and answer.confidence <= MISSING_FACT_CEILING and answer.redirect is not None


@pytest.mark.parametrize("text", ["Is there a left-luggage office at Saint-Charles station?",
                                  "Is there a wine bar in Cassis you recommend?", "Où louer un paddle à La Ciotat ?",
                                  "Peut-on amener son chien sur les plages de La Ciotat ?"])
def test_asking_whether_something_exists_is_not_answered_from_pages_that_do_not_name_it(
        runtime: Runtime, text: str) -> None:
    """The station's, Cassis' and La Ciotat's pages say nothing of left luggage, bars, paddles or dogs (answered at
    0.49, 0.41, 0.55 and 0.93 before)."""
    answer = ask(runtime, text)
    assert answer.status == "abstained" and answer.confidence <= MISSING_FACT_CEILING and answer.redirect is not None


@pytest.mark.parametrize(("text", "sources"), [
    ("Where can I eat calissons?", {"aix-overview-en", "aix-overview-fr", "day-aix-en", "day-aix-fr"}),
    ("Où acheter des santons à Marseille ?", {"christmas-santons-fr", "christmas-santons-en"}),
    # "good" and "place" are in no page about food: they counted as missing words (0.17)
    ("Any good place for bouillabaisse?", {"food-marseille-en", "food-marseille-fr", "eat-marseille-places-en",
                                           "eat-marseille-places-fr"}),
])
def test_asking_where_to_get_a_thing_is_answered_from_a_page_that_names_it(runtime: Runtime, text: str,
                                                                          sources: set[str]) -> None:
    """The pages about eating in Marseille rank first on the need but do not name calissons ("Where can I eat
    calissons?" was answered from the Old Port's restaurants at 0.76); Aix's page, whose speciality they are, does."""
    answer = ask(runtime, text)
    assert answer.status == "answered", answer
    assert answer.citations[0].passage_id.split("#")[0] in sources, answer.citations


@pytest.mark.parametrize("text", ["Où acheter une carte SIM à Marseille ?", "Where can I eat calissons in Cassis?"])
def test_asking_where_to_get_a_thing_no_page_names_is_not_answered(runtime: Runtime, text: str) -> None:
    """No page names SIM cards; Aix's page names calissons, but not in Cassis."""
    answer = ask(runtime, text)
    assert answer.status == "abstained" and answer.confidence <= MISSING_FACT_CEILING


# The unanswerable questions abstained on, all and those about the territory that the corpus does not cover
# (`about: territory`: rents, bike hire, taxi fares, and — 20 added later — paddle hire, left luggage, a dog on
# the metro, a swimming pool…). Reached: 47/63 and 29/45 with evidence weights that keep their sign (45/63 and 27/45
# before; 44/63 and 26/45 with an earlier model, 37/43 and 19/25 before the 20: most "is there a … in …?" about a
# service no page mentions is answered from the town's page); 53/63 and 35/45 once a question asking whether
# something exists, where to rent it or whether it may be brought along is held down when its passages do not name
# the thing; 58/63 and 40/45 once a word of another language that no page holds is translated by the embedding
# model to tell whether the passages name it ("piscina", "Hallenbad"), 57/63 and 39/45 with the model also trained
# on the tune conversations; 60/63 and 42/45 once a foreign word that only stands out from the passages' words must
# also share four letters with its nearest one ("Hund" stood out towards "down"); 0 of 25 before the learned
# confidence.
FLOOR_ABSTAINED = 0.90
FLOOR_TERRITORY = 0.85


async def test_labelled_questions_meet_the_floors(runtime: Runtime) -> None:
    """tests/eval/questions.yaml (five languages, audiences, shared locations): a right source in the
    top 3 for >= 90 % of answerable questions; with a location, the first passage within the radius the
    question asks for >= 90 %; >= 95 % of answerable questions answered (148/153 measured); the unanswerable
    abstained (floors above); the answer in the question's language >= 95 %. ``python -m bench.labelled`` prints
    the counts."""
    assert len(QUESTIONS) >= 150 and {q["lang"] for q in QUESTIONS} == {"fr", "en", "es", "it", "de"}
    c = await evaluate_labelled(runtime.assistant, QUESTIONS)
    answerable, unanswerable = c["n_answerable"], c["n_unanswerable"]
    assert c["right_in_top3"] / answerable >= 0.90, c
    assert c["located_within_radius"] / c["n_located"] >= 0.90, c
    assert c["answered"] / answerable >= 0.95, c
    assert c["abstained"] / unanswerable >= FLOOR_ABSTAINED, c
    assert c["abstained_about_territory"] / c["n_about_territory"] >= FLOOR_TERRITORY, c
    assert c["same_language"] / answerable >= 0.95, c


def test_shared_location_gives_distance_and_outside_places_are_said_so(runtime: Runtime) -> None:
    here = ask(runtime, "Where can I swim near me?", location=GeoPoint(43.2951, 5.3740))
    assert here.status == "answered" and "km from you" in here.text
    lyon = ask(runtime, "Que visiter à Lyon ?")
    assert lyon.status == "abstained" and "Lyon n'est pas dans le territoire" in lyon.text


def _title(runtime: Runtime, source_id: str) -> str:
    source = next(s for s in runtime.sources if s.id == source_id)
    return Path(source.location).read_text(encoding="utf-8").splitlines()[0].removeprefix("# ").strip()


@pytest.mark.parametrize("text", ["", "😀🎉", "a" * 20_000, "Что посмотреть в Марселе летом?"])
def test_bad_input_never_raises(runtime: Runtime, text: str) -> None:
    answer = ask(runtime, text)
    assert answer.status == "rejected" and answer.text
