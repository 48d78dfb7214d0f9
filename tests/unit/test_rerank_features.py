"""The reranker's reading of what a passage is about: the needs it names in any language, the place asked about."""

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from genius_loci.config.loader import load_intents
from genius_loci.connectors.answer_types import asked_type, asks_for_fact, has_type, holds_fact
from genius_loci.connectors.rerank.confidence import (
    FACT_NEEDS,
    ConfidenceFeatures,
    ConfidenceWeights,
    MissingFactCeiling,
    holds,
    need_terms,
)
from genius_loci.connectors.rerank.confidence import NAMES as CONFIDENCE_NAMES
from genius_loci.connectors.rerank.features import NAMES, AnalysisCache, features, question_terms
from genius_loci.connectors.rerank.linear import LinearModel, LinearReranker
from genius_loci.connectors.rerank.named import _translated, thing_asked, thing_sought
from genius_loci.core.errors import ConfigError
from genius_loci.core.intents import Intents
from genius_loci.core.types import Hit, Passage, Query
from tests.fakes import HashEmbedder

ROOT = Path(__file__).resolve().parents[2]
INTENTS = Intents({"swim": ["baign", "plage", "swim", "beach", "strand"], "eat": ["manger", "restaurant", "eat"]})


def passage(pid: str, title: str, text: str, language: str = "fr") -> Passage:
    return Passage(pid, pid, title, text, f"https://example.org/{pid}", language)


def column(rows: list[list[float]], name: str) -> list[float]:
    return [row[NAMES.index(name)] for row in rows]


def test_a_page_about_the_need_asked_in_another_language_and_the_place_asked_about_is_seen() -> None:
    beaches = passage("beaches", "Les plages du Prado", "À Marseille, la plage du Prado est surveillée l'été.")
    safety = passage("safety", "Sécurité", "Baignez-vous sur les plages surveillées, à Cassis comme ailleurs.")
    food = passage("food", "Où manger à Marseille", "Les restaurants du Vieux-Port servent la bouillabaisse.")
    hits = [Hit(p, 1.0 - n / 10, {"bm25": 5.0 - n, "dense": 0.8}, {"bm25": n + 1, "dense": n + 1})
            for n, p in enumerate((safety, beaches, food))]
    query = Query("Wo kann man in Marseille am Strand baden?", "de", named=("marseille",), needs=("swim",))
    rows = features(query, hits, lambda term: 1.0, AnalysisCache(intents=INTENTS))
    assert len(rows[0]) == len(NAMES)
    assert column(rows, "needs_share") == [1.0, 1.0, 0.0]
    assert column(rows, "needs_in_title") == [0.0, 1.0, 0.0]  # only "Les plages du Prado" is about it
    assert column(rows, "place_in") == [0.0, 1.0, 1.0]
    assert column(rows, "place_in_title") == [0.0, 0.0, 1.0]


def test_a_question_naming_no_need_and_no_place_reads_nothing_there() -> None:
    hits = [Hit(passage("p", "Le Mucem", "Le Mucem a ouvert en 2013."), 1.0, {"bm25": 3.0}, {"bm25": 1})]
    rows = features(Query("Quand le Mucem a-t-il ouvert ?", "fr"), hits, lambda term: 1.0,
                    AnalysisCache(intents=INTENTS))
    assert [column(rows, n)[0] for n in ("needs_share", "needs_in_title", "place_in", "place_in_title")] == [0.0] * 4


def test_the_shipped_models_are_trained_on_these_features() -> None:
    reranker = LinearModel.load(ROOT / "config" / "reranker.json")
    assert reranker.weights.shape == (len(NAMES),)
    confidence = ConfidenceWeights.load(ROOT / "config" / "confidence.json")
    assert confidence.weights.shape == (len(CONFIDENCE_NAMES),)
    assert 0.0 < confidence.probability(list(confidence.mean)) < 1.0
    assert np.all(np.isfinite(reranker.score([list(reranker.mean)])))


def test_a_model_trained_on_other_features_says_how_to_fix_it(tmp_path: Path) -> None:
    old = tmp_path / "reranker.json"
    old.write_text('{"features": ["z_bm25"], "weights": [1.0], "mean": [0.0], "scale": [1.0]}', encoding="utf-8")
    with pytest.raises(ConfigError, match="train it again"):
        LinearModel.load(old)


@pytest.mark.parametrize(("question", "kind"), [
    ("Combien coûte l'entrée du Mucem ?", "amount"),
    ("Quel est le loyer moyen d'un bureau à la Joliette ?", "amount"),
    ("Was kostet ein Zimmer im Studentenwohnheim?", "amount"),
    ("Wie hoch ist die Gewerbesteuer in Marseille?", "amount"),
    ("How many students at Aix-Marseille University?", "count"),
    ("Depuis quand le vin de Cassis est-il une AOC ?", "date"),
    ("Where can I swim?", None),
    # how long: minutes, not a count ("une vingtaine de minutes" holds no figure)
    ("La traversée dure combien de temps ?", "duration"),
    ("How long does the climb take?", "duration"),
    ("¿Cuánto se tarda en llegar a la cruz?", "duration"),
    ("Wie lange dauert die Fahrt?", "duration"),
    ("Combien d'habitants compte Aubagne ?", "count"),
])
def test_the_answer_type_a_question_asks_for(question: str, kind: str | None) -> None:
    assert asked_type(question) == kind


@pytest.mark.parametrize(("question", "fact"), [
    ("Combien coûte l'entrée du Mucem ?", "price"),
    ("¿Cuánto cuesta la entrada?", "price"),
    ("How much is the ferry to the Frioul?", "price"),
    ("C'est payant ?", "price"),
    ("Was kostet ein Zimmer im Studentenwohnheim?", "price"),
    ("À quelle heure ferme la pharmacie le dimanche ?", "hours"),
    ("Is the Mucem open on Mondays?", "hours"),
    ("¿A qué hora abre la oficina de correos?", "hours"),
    ("Il museo è aperto la domenica?", "hours"),
    ("Wann öffnet das Museum?", "hours"),
    ("Wie hoch ist die Gewerbesteuer in Marseille?", "rate"),
    ("Quel est le taux de chômage à Marseille ?", "rate"),
    ("¿Cuál es la tasa de paro en Marsella?", "rate"),
    ("How much time does the hike take?", None),
    ("Wie hoch ist die Sainte-Victoire?", None),  # a height
    ("Y a-t-il des aides pour payer les frais d'inscription ?", None),  # whether help exists, not a price
    ("Quand a ouvert le Mucem ?", None),  # a date, not opening hours
])
def test_a_question_asks_a_price_opening_hours_a_rate_or_none(question: str, fact: str | None) -> None:
    assert asks_for_fact(question) == fact


def test_passages_that_do_not_give_the_fact_cannot_answer_the_question() -> None:
    mucem = passage("mucem", "Le Mucem", "Le Mucem a ouvert en 2013. Il relie le fort Saint-Jean par une passerelle.")
    priced = passage("tarifs", "Tarifs", "L'entrée coûte 11 € ; elle est gratuite le premier dimanche du mois.")
    timed = passage("horaires", "Horaires", "Ouvert de 10 h à 18 h, sauf le mardi.")
    assert not holds([Hit(mucem, 1.0)], "price") and not holds([Hit(mucem, 1.0)], "hours")
    assert holds([Hit(mucem, 1.0), Hit(priced, 0.9)], "price")
    assert holds([Hit(timed, 1.0)], "hours") and not holds([Hit(timed, 1.0)], "price")
    assert holds_fact("Markets on Tuesdays, Thursdays and Saturdays.", "hours")
    assert not holds_fact("Il compte environ 67 000 places.", "hours")
    assert holds_fact("Le chômage atteint 9,5 % en 2023.", "rate") and holds_fact("Taxe : 1 200 € par an.", "rate")
    assert not holds_fact("A free shuttle bus links the station to the terminal.", "rate")  # free is a price
    assert holds_fact("A free shuttle bus links the station to the terminal.", "price")
    # what a compound says is absent is no price: the loans are interest-free, the stations step-free
    assert not holds_fact("Honour loans are interest-free and need no guarantee.", "price")
    assert not holds_fact("Most metro stations are step-free.", "price")


async def test_the_ceiling_holds_down_whichever_calibrator_when_the_passages_lack_the_fact() -> None:
    async def sure(query: Query, hits: Sequence[Hit]) -> float:
        return 0.9

    ceiling = MissingFactCeiling(sure, passages=1)
    mucem = Hit(passage("mucem", "Le Mucem", "Le Mucem a ouvert en 2013."), 1.0)
    priced = Hit(passage("tarifs", "Tarifs", "L'entrée coûte 11 €."), 0.9)
    price = Query("Combien coûte l'entrée du Mucem ?", "fr")
    assert await ceiling(price, [mucem, priced]) == 0.05  # the amount is in the second hit, not the one answered from
    assert await ceiling(price, [priced, mucem]) == 0.9
    assert await ceiling(Query("Quand a ouvert le Mucem ?", "fr"), [mucem]) == 0.9  # no such fact asked


class _Held:
    """Document frequencies of a tiny index."""

    def __init__(self, *texts: tuple[str, str]) -> None:
        from genius_loci.connectors.analysis import terms

        self._terms = {t for text, language in texts for t in terms(text, language)}

    def document_frequencies(self, wanted: Sequence[str]) -> dict[str, int]:
        return {t: 1 for t in wanted if t in self._terms}

    def count(self) -> int:
        return 1


@pytest.mark.parametrize(("question", "thing"), [
    ("Is there a surf school in La Ciotat?", ["surf"]),  # "school" names a need; La Ciotat a place
    ("Is there a left-luggage office at Saint-Charles station?", ["left", "luggage", "office"]),  # a name goes
    ("Y a-t-il une piscine municipale à Aubagne ?", ["piscine", "municipale"]),
    ("¿Hay barcos lanzadera en Marsella?", ["lanzadera"]),  # "barcos" names the boat need
    ("Is there a train from Marseille to Cassis?", []),  # a journey's words
    ("Combien y a-t-il d'habitants à Aix ?", []),  # a number asked, not whether something exists
    ("Où se baigner à Cassis ?", []),
    ("Où louer un paddle à La Ciotat ?", ["paddle"]),  # where to rent one: whether it exists
    ("Peut-on amener son chien sur les plages de La Ciotat ?", ["chien"]),  # whether it may be brought along
    ("Y a-t-il des visites adaptées au Mucem ?", ["visites", "adaptées"]),  # as written: accents are kept
    ("Are dogs allowed on the beaches in Cassis?", ["dogs"]),
    ("Can I take my bike on the train?", ["bike"]),
    ("Can I take the train to Cassis?", []),  # no thing of one's own brought along
    # how many or how nice, and where it goes, are not the thing: "¿Hay algún tren bonito que vaya por la costa?"
    # abstained because no page says "bonito"
    ("¿Hay algún tren bonito que vaya por la costa?", ["tren", "costa"]),  # neither a need's word here
    ("Is there a nice beach near Cassis?", []),
    ("C'è qualche bella spiaggia a Cassis?", ["spiaggia"]),
    ("Is there a pretty village with a market?", ["village", "market"]),
    # asked after "what", it asks what there is: "What is there to see in Martigues?" was held at 0.05, no page
    # saying "see"
    ("What is there to see in Martigues?", []),
    ("Qu'y a-t-il à voir à Aubagne ?", []),
    ("¿Qué hay en el puerto de Cassis?", []),
    ("Was gibt es in Cassis zu sehen?", []),
    ("Cosa c'è da fare a Cassis?", []),
])
def test_what_a_question_asks_whether_it_exists(question: str, thing: list[str]) -> None:
    intents = Intents({"school": ["ecole", "school"], "boat": ["bateau", "barco", "boat"],
                       "train": ["train", "station"], "swim": ["plage", "beach"]})
    places = ("la ciotat", "aubagne", "marsella", "marseille", "cassis", "aix")
    named = tuple(n for n in places if n in question.lower())
    assert thing_asked(Query(question, "en", named=named), intents) == thing


@pytest.mark.parametrize(("question", "thing"), [
    ("Gibt es ein Hallenbad in Aubagne?", ["hallenbad"]),  # a German noun is capitalised, not a name
    ("Gibt es am Bahnhof Saint-Charles eine Gepäckaufbewahrung?", ["gepäckaufbewahrung"]),  # a hyphenated name
    ("Gibt es in der Region eine Surfschule?", ["surfschule"]),  # "Region" says where
    ("Gibt es dort Surfschulen?", ["surfschulen"]),  # "dort" says where, not what
    # whether it may be brought along, or where to rent one, with the German verb last
    ("Darf man mit dem Hund in die Metro in Aubagne?", ["hund", "metro"]),  # no need of the metro here
    ("Kann man Fahrräder in den Zug mitnehmen?", ["fahrräder", "zug"]),
    ("Wo kann ich in Aubagne ein Fahrrad mieten?", ["fahrrad"]),
])
def test_what_a_german_question_asks_whether_it_exists(question: str, thing: list[str]) -> None:
    intents = Intents({"train": ["gare", "station", "bahnhof"]})
    named = ("aubagne",) if "Aubagne" in question else ()
    assert thing_asked(Query(question, "de", named=named), intents) == thing


@pytest.mark.parametrize(("question", "language", "thing"), [
    ("Where can I eat calissons?", "en", ["calissons"]),  # "eat" names the need
    ("Any good place for bouillabaisse?", "en", ["bouillabaisse"]),
    ("Où acheter des santons à Marseille ?", "fr", ["santons"]),
    ("Où peut-on goûter une bouillabaisse ?", "fr", ["bouillabaisse"]),
    ("¿Dónde puedo comprar calissons?", "es", ["calissons"]),
    ("Dove posso assaggiare la bouillabaisse?", "it", ["bouillabaisse"]),
    ("Wo kann man Calissons kaufen?", "de", ["calissons"]),  # the German verb comes last
    ("¿Dónde compro calissons?", "es", ["calissons"]), ("Dove trovo i calissons?", "it", ["calissons"]),
    ("Où j'achète des santons ?", "fr", ["santons"]), ("Wo kaufe ich Calissons?", "de", ["calissons"]),
    ("Un bon endroit pour manger une bouillabaisse ?", "fr", ["bouillabaisse"]),
    ("¿Un buen sitio para comer paella?", "es", ["paella"]),
    ("Un buon posto per la pizza?", "it", ["pizza"]),
    ("Ein guter Ort für Fischsuppe?", "de", ["fischsuppe"]),
    ("Best place to stay in Marseille?", "en", []),  # staying is not getting something
    ("Where can I eat in Marseille?", "en", []),  # a need and a place: nothing of its own sought
    ("Où se trouve le Mucem ?", "fr", []),  # where a named thing is, not where to get one
    ("Is there a surf school in La Ciotat?", "en", []),  # whether it exists: the existence check's alone
    # getting rid of a thing is not getting it: "… an old sofa? (Marseille)" put the Old Port's page first, which
    # names "old" and Marseille, ahead of the page on bulky waste, which names neither
    ("Where can I get rid of an old sofa in Marseille?", "en", []),
])
def test_what_a_question_asks_where_to_find_buy_or_eat(question: str, language: str, thing: list[str]) -> None:
    named = ("marseille",) if "Marseille" in question else ()
    assert thing_sought(Query(question, language, named=named), INTENTS) == thing


@pytest.mark.parametrize(("question", "language", "wanted"), [
    ("Any good place for bouillabaisse?", "en", ["bouillabaiss"]),
    ("Un bon endroit pour manger une bouillabaisse ?", "fr", ["mang", "bouillabaiss"]),  # the verb says the need
    ("Where can I eat calissons?", "en", ["eat", "calisson"]),
    ("What is a good place?", "en", ["good", "place"]),  # not asking for a place to get something
    ("Où faire du kitesurf dans le coin ?", "fr", ["fair", "kitesurf"]),  # "in the area" names nothing asked
    ("Wo kann man hier in der Gegend segeln?", "de", ["segel"]),
])
def test_a_page_need_not_hold_the_words_asking_for_a_good_place_or_saying_the_area(question: str, language: str,
                                                                 wanted: list[str]) -> None:
    assert question_terms(Query(question, language)) == wanted


def test_the_words_asking_for_a_good_place_count_for_nothing_in_the_coverage() -> None:
    food = passage("food", "What to eat in Marseille", "Bouillabaisse began as a fishermen's stew.", "en")
    row = features(Query("Any good place for bouillabaisse?", "en"), [Hit(food, 1.0, {"bm25": 3.0})],
                   lambda term: 1.0)[0]
    assert row[NAMES.index("idf_coverage")] == 1.0


async def test_the_passages_naming_what_is_sought_go_ahead_of_those_that_do_not() -> None:
    """"Where can I eat calissons?": the pages about eating in Marseille rank first on the need, but only Aix's page
    names calissons; it goes first, and the scores are dealt out again so that the first keeps the best."""
    eat = Hit(passage("eat", "Where to eat in Marseille", "Restaurants around the Old Port serve fish.", "en"), 3.0)
    food = Hit(passage("food", "What to eat in Marseille", "Bouillabaisse is a fish stew.", "en"), 2.0)
    aix = Hit(passage("aix", "Aix-en-Provence", "The calisson, an almond sweet, is the city's speciality.", "en"), 1.0)
    held = _Held(*((h.passage.text, "en") for h in (eat, food, aix)))
    reranker = LinearReranker(_Fused(), held, intents=INTENTS)
    ranked = await reranker.rerank(Query("Where can I eat calissons?", "en", needs=("eat",)), [eat, food, aix])
    assert ranked is not None
    assert [h.passage.id for h in ranked] == ["aix", "eat", "food"]
    assert [h.score for h in ranked] == [3.0, 2.0, 1.0]
    # another kind of question keeps the model's order; so does one whose first passage names the thing
    other = await reranker.rerank(Query("What is a calisson?", "en"), [eat, food, aix])
    assert other is not None and [h.passage.id for h in other] == ["eat", "food", "aix"]
    named = await reranker.rerank(Query("Where can I eat fish?", "en", needs=("eat",)), [eat, food, aix])
    assert named is not None and [h.passage.id for h in named] == ["eat", "food", "aix"]
    # a place asked about must be named too: Aix's page says nothing of calissons in Cassis
    elsewhere = await reranker.rerank(Query("Where can I eat calissons in Cassis?", "en", needs=("eat",),
                                            named=("cassis",), places=("cassis",)), [eat, food, aix])
    assert elsewhere is not None and [h.passage.id for h in elsewhere] == ["eat", "food", "aix"]
    in_aix = await reranker.rerank(Query("Where can I eat calissons in Aix?", "en", needs=("eat",), named=("aix",),
                                         places=("aix en provence",)), [eat, food, aix])
    assert in_aix is not None and in_aix[0].passage.id == "aix"


class _Fused:
    """A reranker model that keeps the fused order (its score is the hit's)."""

    def score(self, rows: list[list[float]]) -> np.ndarray:
        return -np.arange(len(rows), dtype=float) + 3.0


async def test_the_ceiling_holds_down_an_answer_whose_passages_do_not_name_what_is_asked_whether_it_exists() -> None:
    async def sure(query: Query, hits: Sequence[Hit]) -> float:
        return 0.9

    station = Hit(passage("gare", "Saint-Charles station", "Saint-Charles station is at the top of a stairway.",
                          "en"), 1.0)
    luggage = Hit(passage("consigne", "Left luggage", "A left-luggage office is open at the station.", "en"), 0.9)
    bahnhof = Hit(passage("gare-fr", "La gare Saint-Charles", "La gare est au sommet d'un escalier.", "fr"), 1.0)
    held = _Held((station.passage.text, "en"), (luggage.passage.text, "en"), (bahnhof.passage.text, "fr"))
    ceiling = MissingFactCeiling(sure, passages=1, intents=Intents({"train": ["gare", "station", "bahnhof"]}),
                                 stats=held)
    asked = Query("Is there a left-luggage office at Saint-Charles station?", "en")
    assert await ceiling(asked, [station, luggage]) == 0.05  # named in the second hit, not the one answered from
    assert await ceiling(asked, [luggage, station]) == 0.9
    # a word of another language that no passage holds says nothing ("Gepäckaufbewahrung" read as French)
    assert await ceiling(Query("Gibt es am Bahnhof eine Gepäckaufbewahrung?", "de"), [bahnhof]) == 0.9
    # in the question's own language every word counts: "escalier" is in the page, "consigne" in no page
    assert await ceiling(Query("Y a-t-il un escalier à la gare ?", "fr"), [bahnhof]) == 0.9
    assert await ceiling(Query("Y a-t-il une consigne à la gare ?", "fr"), [bahnhof]) == 0.05
    # an accented word is named whatever its accents ("adaptées": "adaptees" and "adaptées" stem apart)
    tours = Hit(passage("musees", "Musées", "Les musées proposent des visites adaptées.", "fr"), 1.0)
    ceiling = MissingFactCeiling(sure, passages=1, intents=Intents({}), stats=_Held((tours.passage.text, "fr")))
    assert await ceiling(Query("Y a-t-il des visites adaptées ?", "fr"), [tours]) == 0.9
    # where to find, buy or eat a thing: the passages answered from must name it too
    assert await ceiling(Query("Où trouver des visites adaptées ?", "fr"), [tours]) == 0.9
    assert await ceiling(Query("Où trouver des santons ?", "fr"), [tours]) == 0.05


@pytest.mark.parametrize(("sentence", "held"), [
    ("À une vingtaine de minutes de bateau du Vieux-Port, l'archipel du Frioul offre des criques.", True),
    ("The classic climb takes about two and a half hours.", True),
    ("La ruta dura unos veinte minutos.", True),
    ("Die Fahrt dauert eine halbe Stunde.", True),
    ("It is a 20-minute walk from the station.", True),
    ("Une navette maritime dessert les deux destinations toute l'année.", False),
    ("Le bus passe toutes les heures.", False),
    ("Pagnol est né à Aubagne en 1895.", False),
])
def test_a_sentence_says_how_long_or_not(sentence: str, held: bool) -> None:
    assert has_type(sentence, "duration") is held


def test_a_sentence_holds_an_amount_or_not() -> None:
    assert has_type("L'entrée coûte 11 € en plein tarif.", "amount")
    assert not has_type("Le musée est ouvert tous les jours sauf le mardi.", "amount")
    assert has_type("Compter 1 200 euros par mois, ou EUR 900 en colocation.", "amount")
    assert not has_type("Lancée en 1995, Euroméditerranée est l'une des plus grandes opérations.", "amount")


class Frequencies:
    """Term statistics of a small index: every word in one passage of ten."""

    def document_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        return dict.fromkeys(terms, 1)

    def count(self) -> int:
        return 10


async def test_the_date_asked_for_is_found_in_the_sentence_that_holds_as_many_of_the_question_words() -> None:
    # "cassis" in the opening, "vin" in the sentence with the year: the tie goes to the one holding a date
    cassis = passage("cassis", "Cassis", "Cassis est un petit port de pêche aux maisons colorées. Son vin blanc a été "
                     "l'une des premières appellations de France, en 1936. Des bateaux partent du port.")
    other = passage("other", "Ailleurs", "Un autre texte sans rapport.")
    confidence = ConfidenceFeatures(Frequencies(), HashEmbedder())
    hits = [Hit(cassis, 2.0, {"bm25": 5.0, "dense": 0.8}), Hit(other, 1.0, {"bm25": 1.0, "dense": 0.7})]
    row = await confidence.row(Query("Depuis quand le vin de Cassis est-il une AOC ?", "fr"), hits)
    assert row is not None
    assert row[CONFIDENCE_NAMES.index("type_asked")] == 1.0
    assert row[CONFIDENCE_NAMES.index("type_found")] == 1.0
    undated = passage("cassis", "Cassis", "Cassis est un petit port de pêche. Son vin blanc est réputé.")
    question = Query("Depuis quand le vin de Cassis est-il une AOC ?", "fr")
    row = await confidence.row(question, [Hit(undated, 2.0), hits[1]])
    assert row is not None and row[CONFIDENCE_NAMES.index("type_found")] == 0.0


CONTACT = Intents({"contact": ["contact", "talk to", "who should we"], "children": ["kids", "families", "enfant"]})


def test_the_words_a_question_says_a_need_with_are_found_in_a_page_that_names_the_need() -> None:
    wanted = ["talk", "kid"]
    assert need_terms("Who should we talk to about the kids?", wanted, {"contact"}, CONTACT) == {"talk"}
    assert need_terms("Who should we talk to about the kids?", wanted, {"contact", "children"}, CONTACT) == {
        "talk", "kid"}
    assert need_terms("Who should we talk to?", ["talk"], set(), CONTACT) == set()  # the page names no need


async def test_coverage_with_needs_counts_a_need_said_in_everyday_words_as_found_in_the_page_naming_it() -> None:
    contacts = passage("contacts", "Investor contacts", "The agency's investor desk is the first contact for a "
                       "company looking at the territory.", "en")
    other = passage("other", "Elsewhere", "An unrelated text about the weather.", "en")
    confidence = ConfidenceFeatures(Frequencies(), HashEmbedder(), CONTACT)
    question = Query("Who should we talk to?", "en", needs=("contact",))
    row = await confidence.row(question, [Hit(contacts, 2.0, {"bm25": 1.0, "dense": 0.8}), Hit(other, 1.0)])
    assert row is not None
    assert row[CONFIDENCE_NAMES.index("top_best_sentence_coverage")] == 0.0  # "talk" is not the page's word
    assert row[CONFIDENCE_NAMES.index("coverage_with_needs")] == 1.0  # but it names the contact need "talk to" says
    row = await confidence.row(question, [Hit(other, 2.0, {"bm25": 1.0, "dense": 0.8}), Hit(contacts, 1.0)])
    assert row is not None and row[CONFIDENCE_NAMES.index("coverage_with_needs")] == 0.0


async def test_a_sentence_is_read_under_its_page_title_and_the_title_words_are_not_missing() -> None:
    # "y" in the sentence stands for the park the title names ("Les feux … y sont interdits")
    park = passage("park", "Le Parc national des Calanques", "Le parc s'étend de Marseille à La Ciotat. Le bivouac "
                   "y est interdit.")
    other = passage("other", "Ailleurs", "Un autre texte sans rapport.")
    confidence = ConfidenceFeatures(Frequencies(), HashEmbedder())
    question = Query("Le bivouac est-il interdit dans les calanques ?", "fr")
    row = await confidence.row(question, [Hit(park, 2.0, {"bm25": 1.0, "dense": 0.8}), Hit(other, 1.0)])
    assert row is not None
    assert row[CONFIDENCE_NAMES.index("coverage_with_needs")] == 1.0
    assert row[CONFIDENCE_NAMES.index("missing_rare")] == 0.0
    untitled = passage("park", "Parc", park.text)  # same id and text, another title: the analysis is read again
    row = await confidence.row(question, [Hit(untitled, 2.0, {"bm25": 1.0, "dense": 0.8}), Hit(other, 1.0)])
    assert row is not None
    assert 0.0 < row[CONFIDENCE_NAMES.index("coverage_with_needs")] < 1.0
    assert row[CONFIDENCE_NAMES.index("missing_rare")] > 0.0  # "calanques" is nowhere in that page


async def test_a_page_naming_prices_does_not_cover_a_question_asking_for_one() -> None:
    intents = Intents({"rent": ["loyer", "alquiler"], "price": ["combien coute", "cuanto cuesta", "prix"]})
    living = passage("living", "Vivre ici", "Les prix de l'immobilier et les loyers varient d'un quartier à l'autre.")
    confidence = ConfidenceFeatures(Frequencies(), HashEmbedder(), intents)
    question = Query("¿Cuánto cuesta el alquiler?", "es", needs=("rent", "price"))
    row = await confidence.row(question, [Hit(living, 2.0, {"bm25": 1.0, "dense": 0.8})])
    assert row is not None
    assert 0.0 < row[CONFIDENCE_NAMES.index("coverage_with_needs")] < 1.0  # "alquiler" found, "cuánto cuesta" not


def test_the_needs_whose_answer_is_a_fact_are_needs_of_the_lexicon() -> None:
    assert set(load_intents(ROOT / "config" / "intents.yaml")) >= FACT_NEEDS


async def test_the_amount_asked_for_counts_only_in_a_passage_about_what_it_is_the_amount_of() -> None:
    async def sure(query: Query, hits: Sequence[Hit]) -> float:
        return 0.9

    intents = Intents({"rent": ["loyer", "alquiler", "immobilier"], "price": ["combien coute", "cuanto cuesta"]})
    ceiling = MissingFactCeiling(sure, passages=2, intents=intents)
    living = Hit(passage("living", "Vivre ici", "Les prix de l'immobilier varient d'un quartier à l'autre."), 1.0)
    festival = Hit(passage("festival", "Le Festival d'Aix", "Les places commencent à 10 €."), 0.9)
    rents = Hit(passage("rents", "Loyers", "Un studio se loue environ 600 € par mois."), 0.8)
    rent = Query("¿Cuánto cuesta el alquiler en Aix?", "es", needs=("rent", "price"))
    assert await ceiling(rent, [living, festival]) == 0.05  # the festival's price is not the rent
    assert await ceiling(rent, [living, rents]) == 0.9
    entry = Query("¿Cuánto cuesta la entrada?", "es", needs=("price",))  # no topic named: any passage's amount
    assert await ceiling(entry, [living, festival]) == 0.9


class _Vectors:
    """Word vectors whose cosines with the question's word are given: ``near`` for one word, 0.80 for the rest."""

    def __init__(self, nearest: str, near: float) -> None:
        self._nearest, self._near = nearest, near

    async def of(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 1:  # the question's word
            return np.array([[1.0, 0.0]])
        rows = [(self._near if t == self._nearest else 0.80) for t in texts]
        return np.array([[c, math.sqrt(1 - c * c)] for c in rows])


@pytest.mark.parametrize(("asked", "nearest", "near", "named"), [
    ("krippenmarkt", "market", 0.87, True),  # it stands out and is a part of the word: a compound's part
    ("hund", "down", 0.877, False),  # it stands out as much, but shares nothing with the word
    ("fahrrad", "faire", 0.884, False),
    ("coche", "voiture", 0.94, True),  # near enough to be its translation, however written
])
async def test_a_foreign_word_standing_out_is_translated_only_by_a_part_of_it(
        asked: str, nearest: str, near: float, named: bool) -> None:
    own = [nearest, *(f"word{i}" for i in range(20))]
    assert await _translated([asked], own, _Vectors(nearest, near)) is named  # type: ignore[arg-type]
