from pathlib import Path

import pytest

from genius_loci.config.loader import load_gazetteer, load_partners
from genius_loci.core.geo import BoundingBox, Gazetteer
from genius_loci.core.language import choose_language
from genius_loci.core.ports import LanguageGuess
from genius_loci.core.routing import Router
from genius_loci.core.types import GeoPoint, Hit, Partner, Passage, Query
from genius_loci.core.understanding import infer_audience
from tests.fakes import KeywordDetector

CONFIG = Path(__file__).resolve().parents[2] / "config"
SUPPORTED = ("fr", "en", "es", "it", "de")


@pytest.mark.parametrize(("text", "hint", "expected", "supported"), [
    ("Où est le Vieux-Port ?", None, "fr", True),
    ("Where is the beach?", "fr", "en", True),
    ("merci", "en", "fr", True),            # one-word messages: settled by the word list
    ("hello", None, "en", True),
    ("Cassis?", "de", "de", True),          # nothing to detect: the hint wins
    ("Cassis?", None, "fr", True),          # ... or the default
    ("Что посмотреть где в Марселе?", None, "fr", False),
])
def test_choose_language(text: str, hint: str | None, expected: str, supported: bool) -> None:
    choice = choose_language(text, KeywordDetector(), SUPPORTED, "fr", hint)
    assert (choice.language, choice.supported) == (expected, supported)


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer(load_gazetteer(CONFIG / "communes.csv"), {"Vieux-Port": "Marseille", "Aix": "Aix-en-Provence"})


def test_gazetteer_has_the_92_communes(gazetteer: Gazetteer) -> None:
    assert len(gazetteer) == 92


@pytest.mark.parametrize(("text", "name"), [
    ("Que faire à Aix-en-Provence ?", "Aix-en-Provence"),
    ("que faire a aix en provence", "Aix-en-Provence"),
    ("restaurants near the Vieux Port", "Marseille"),
    ("un week-end à Aix", "Aix-en-Provence"),
    ("plages de Châteauneuf-les-Martigues", "Châteauneuf-les-Martigues"),
    ("BERRE L'ETANG", "Berre-l'Étang"),
    ("What about Paris?", None),
])
def test_gazetteer_finds_places_with_or_without_accents(gazetteer: Gazetteer, text: str, name: str | None) -> None:
    place = gazetteer.find(text)
    assert (place.name if place else None) == name


def test_a_name_of_the_whole_territory_names_none_of_its_places() -> None:
    """"Aix-Marseille" is the metropolis or its university: not Aix-en-Provence, nor Marseille."""
    places = load_gazetteer(CONFIG / "communes.csv")
    whole = Gazetteer(places, {"Aix": "Aix-en-Provence"}, whole=("Aix-Marseille-Provence", "Aix-Marseille"))
    assert whole.named("Une bourse pour étudier à Aix-Marseille ?") == []
    assert whole.find("la métropole Aix-Marseille-Provence") is None
    assert [p.name for _, p in whole.named("Aix-Marseille Université, campus d'Aix")] == ["Aix-en-Provence"]
    assert Gazetteer(places, {"Aix": "Aix-en-Provence"}).find("étudier à Aix-Marseille").name == "Aix-en-Provence"


def test_a_landmark_is_found_as_its_commune_and_known_by_its_own_name() -> None:
    places = load_gazetteer(CONFIG / "communes.csv")
    gazetteer = Gazetteer(places, {"Marsiglia": "Marseille"},
                          landmarks={"Vieux-Port": "Marseille", "Vieux Port": "Marseille", "Luminy": "Marseille"})
    assert [(n, p.name) for n, p in gazetteer.named("Wo liegt der Campus Luminy?")] == [("luminy", "Marseille")]
    assert gazetteer.landmark("luminy") == "Luminy"
    assert gazetteer.landmark("vieux port") == "Vieux-Port"  # the first of the names that fold alike
    assert gazetteer.landmark("marsiglia") is None  # another name of the commune, not a place within it
    assert gazetteer.landmark("marseille") is None
    with pytest.raises(ValueError, match="Atlantis"):
        Gazetteer(places, landmarks={"Agora": "Atlantis"})


def test_distance_and_bbox() -> None:
    vieux_port, cassis = GeoPoint(43.2951, 5.3740), GeoPoint(43.2140, 5.5380)
    assert 15.0 < vieux_port.distance_km(cassis) < 16.5
    box = BoundingBox(43.10, 4.75, 43.80, 5.85)
    assert box.contains(cassis) and not box.contains(GeoPoint(48.8566, 2.3522))
    with pytest.raises(ValueError):
        GeoPoint(91.0, 0.0)


def test_audience_inference() -> None:
    assert infer_audience("I want to invest and open an office") == "investor"
    assert infer_audience("logement étudiant à Aix") == "student"
    assert infer_audience("Wo ist der Strand?") == "tourist"
    assert infer_audience("bonjour") is None


def _hit(owner: str | None) -> Hit:
    return Hit(Passage("p", "p", "t", "x", "https://e.org", "fr", owner), 1.0)


def test_router_prefers_owner_then_topic_then_audience_then_agency() -> None:
    partners = load_partners(CONFIG / "partners.yaml")
    agency = Partner("agency", "Agency", "https://agency.example")
    router = Router(partners, agency)
    assert router.for_answer(Query("x", "fr"), [_hit("cassis-tourism"), _hit("port")]).partner == "cassis-tourism"
    assert router.for_answer(Query("Où prendre le tramway ?", "fr"), [_hit(None)]).partner == "lepilote"
    assert router.for_question(Query("any scholarship for students?", "en")).partner == "crous"
    assert router.for_question(Query("zzz", "en", audience="investor")).partner == "provence-promotion"
    assert router.for_question(Query("zzz", "en")).partner == "agency"
    assert router.for_question(Query("Where can I rent a bike in Aix?", "en", named=("aix",))).partner == \
        "aix-tourism"
    # the place named says where; what is asked says who knows: the airport, not Aix's tourist office listed first
    airport = Query("Comment aller à l'aéroport depuis Aix ?", "fr", named=("aix",))
    assert router.for_question(airport).partner == "airport"
    for rent in ("Combien coûte un loyer à Aix-en-Provence ?", "How much is the rent in Aix-en-Provence?",
                 "¿Cuánto cuesta el alquiler en Aix-en-Provence?"):
        assert router.for_question(Query(rent, "fr", named=("aix en provence",))).partner == "metropole", rent
    kayak = Query("Can I rent a kayak in Cassis?", "en", named=("cassis",))  # renting a thing is not the rent
    assert router.for_question(kayak).partner == "cassis-tourism"
    # the tourist office's topics name Marseille, but a resident's question goes to whoever serves residents
    family = "We're relocating with two kids. Which parts of Marseille suit families?"
    assert router.for_question(Query(family, "en")).partner == "marseille-tourism"
    assert router.for_question(Query(family, "en", audience="resident")).partner == "metropole"
    assert router.for_question(Query("Une plage à Marseille ?", "fr", audience="tourist")).partner == \
        "marseille-tourism"


def test_moving_here_is_a_residents_question_in_every_language() -> None:
    assert infer_audience("We're relocating with two kids") == "resident"
    assert infer_audience("Je viens d'emménager à Marseille") == "resident"
    assert infer_audience("Me acabo de mudar a Aix") == "resident"
    assert infer_audience("Mi sono appena trasferita ad Aix") == "resident"
    assert infer_audience("Wir sind gerade nach Marseille umgezogen") == "resident"


def test_bundled_partners_are_at_least_twelve_real_organisations() -> None:
    partners = load_partners(CONFIG / "partners.yaml")
    assert len(partners) >= 12
    assert all(p.url.startswith("https://") for p in partners)
    covered = {a for p in partners for a in p.audiences}
    assert covered == {"tourist", "investor", "resident", "student"}


class _UnsureDetector:
    """Guesses English with the low confidence the real detector gives short questions full of names."""

    def detect(self, text: str) -> LanguageGuess | None:
        return LanguageGuess("en", 0.44)


@pytest.mark.parametrize(("text", "expected"), [
    ("When did the Mucem open?", "en"),         # its grammar words settle it, whatever the conversation's language
    ("Where can I eat calissons?", "en"),
    ("Any good place for bouillabaisse?", "en"),
    ("Mucem ?", "fr"),                          # nothing settles it: the conversation's language
])
def test_clear_grammar_words_beat_the_conversations_language(text: str, expected: str) -> None:
    assert choose_language(text, _UnsureDetector(), SUPPORTED, "de", "fr").language == expected


def test_a_french_question_with_an_english_looking_word_stays_french() -> None:
    # "car" (a coach in French) and no English grammar word, after English questions
    assert choose_language("Comment aller d'Aix à Marseille en car ?", _UnsureDetector(), SUPPORTED, "de",
                           "en").language == "fr"


@pytest.mark.parametrize(("text", "hint", "expected"), [
    ("Comment candidater en master ?", "en", "fr"),  # one French grammar word and no other language's
    ("E i musei?", "it", "it"),                      # a one-letter word is no evidence: English "I", Italian "i"
    ("Le Mucem, what time?", "de", "de"),            # grammar words of two languages: the conversation's
])
def test_an_unsure_detector_yields_to_one_language_s_grammar_words(text: str, hint: str, expected: str) -> None:
    """The real detector read "Comment candidater en master ?" as English (0.25) after English questions, and the
    reply was in English; "comment" is a French grammar word, and the message has no other language's."""
    assert choose_language(text, _UnsureDetector(), SUPPORTED, "de", hint).language == expected


@pytest.mark.parametrize(("text", "names", "hint", "expected"), [
    ("Cassis ?", ["cassis"], None, "fr"),            # only a place: the default, not the detector's weak guess
    ("La Ciotat", ["la ciotat"], "de", "de"),        # ... or the conversation's language
    ("Cassis beach?", ["cassis"], None, "en"),       # a word of its own: detected
])
def test_a_message_that_is_only_place_names_says_nothing_of_its_language(
        text: str, names: list[str], hint: str | None, expected: str) -> None:
    """The real detector read "Cassis ?" as Italian (0.24), and with no hint the answer was framed in Italian."""
    assert choose_language(text, _UnsureDetector(), SUPPORTED, "fr", hint, names=names).language == expected


def test_without_its_place_names_a_place_alone_takes_the_detectors_guess() -> None:
    assert choose_language("Cassis ?", _UnsureDetector(), SUPPORTED, "fr").language == "en"


@pytest.mark.parametrize(("text", "hint", "expected"), [
    ("Dove si svolge?", "es", "it"),  # "si" is Spanish "yes", and Italian grammar beside "dove"
    ("Si", "it", "es"),               # alone, the short word settles it
    ("Gracias", "de", "es"),
])
def test_a_short_word_settles_the_language_unless_the_others_are_another_languages_grammar(
        text: str, hint: str, expected: str) -> None:
    """"Dove si svolge?" after Italian questions was answered in Spanish: "si" settled it as "yes"."""
    assert choose_language(text, _UnsureDetector(), SUPPORTED, "fr", hint).language == expected
