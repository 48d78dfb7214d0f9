"""Reading a message in its conversation, and the needs that widen keyword search (real territory files)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from genius_loci.config.loader import load_intents, load_territory
from genius_loci.connectors.index.postings import Postings
from genius_loci.core.followup import FollowUps, Reading
from genius_loci.core.intents import Intents
from genius_loci.core.retrieval.hybrid import NEIGHBOUR_TERM_WEIGHT, PLACE_TERM_WEIGHT, keyword_text
from genius_loci.core.types import IncomingMessage
from genius_loci.core.understanding import understand

CONFIG = Path(__file__).resolve().parents[2] / "config"
TERRITORY = load_territory(CONFIG / "territory.yaml")
GAZETTEER = TERRITORY.gazetteer()
INTENTS = Intents(load_intents(CONFIG / "intents.yaml"))
FOLLOW = FollowUps(GAZETTEER, INTENTS)


def read_all(*messages: str) -> list[Reading]:
    readings: list[Reading] = []
    for text in messages:
        readings.append(FOLLOW.read(text, readings[-1] if readings else None))
    return readings


def test_the_issue_conversation_is_read_turn_by_turn() -> None:
    first, cassis, journey, calissons = read_all("Où se baigner à Marseille ?", "Et à Cassis ?",
                                                 "Comment y aller depuis Marseille ?", "Where can I eat calissons?")
    assert (first.reason, first.subject) == ("new", "Marseille")
    assert (cassis.reason, cassis.text, cassis.subject) == ("other place", "Où se baigner à Cassis ?", "Cassis")
    # "depuis Marseille" is where the journey starts: the subject stays Cassis
    assert (journey.reason, journey.text, journey.subject) == ("points back", "Comment y aller depuis Marseille ? "
                                                                               "(Cassis)", "Cassis")
    assert (calissons.reason, calissons.text) == ("standalone", "Where can I eat calissons?")
    assert not calissons.carried


@pytest.mark.parametrize(("previous", "text", "reason", "completed"), [
    ("When did the Mucem open?", "Is it free?", "points back", "Is it free? (Mucem)"),
    ("When did the Mucem open?", "c'est payant ?", "points back", "c'est payant ? (Mucem)"),
    ("Quels sont les horaires du Mucem ?", "Et le Château d'If ?", "continues",
     "Quels sont les horaires du Mucem — Et le Château d'If ?"),
    ("Où se baigner à Marseille ?", "And in Aix?", "other place", "Où se baigner à Aix-en-Provence ?"),
    ("Cassis beaches?", "and in winter?", "continues", "Cassis beaches — and in winter?"),
    ("Strände in Cassis?", "Und im Winter?", "continues", "Strände in Cassis — Und im Winter?"),
    ("Is there a monthly pass for the metro?", "Does my employer pay for it?", "continues",
     "Is there a monthly pass for the metro — Does my employer pay for it?"),
    ("Que faire à Cassis ?", "Where can I eat?", "points back", "Where can I eat? (Cassis)"),
    ("Comment créer ma start-up à Marseille ?", "Y a-t-il des espaces de coworking ?", "same place",
     "Y a-t-il des espaces de coworking ? (Marseille)"),
    ("When did the Mucem open?", "Is there a restaurant with a sea view?", "same place",
     "Is there a restaurant with a sea view? (Mucem)"),
    ("How do I get from Marseille airport to the Old Port?", "How long does it take?", "continues",
     "How do I get from Marseille airport to the Old Port — How long does it take?"),
    # nothing to ask about but the previous question: "where exactly?", "must we book?", "how do I apply?"
    ("Gibt es in der Region eine Luftfahrtindustrie?", "Wo genau?", "continues",
     "Gibt es in der Region eine Luftfahrtindustrie — Wo genau?"),
    ("Kann ich in Marseille einen Master machen?", "Wie bewerbe ich mich?", "continues",
     "Kann ich in Marseille einen Master machen — Wie bewerbe ich mich?"),
    ("Que faire à Cassis ?", "Il faut réserver ?", "continues", "Que faire à Cassis — Il faut réserver ?"),
    ("Dov'è l'atelier di Cézanne?", "Bisogna prenotare?", "continues",
     "Dov'è l'atelier di Cézanne — Bisogna prenotare?"),
    ("Kann man im Sommer in den Calanques wandern?", "Muss man vorher reservieren?", "continues",
     "Kann man im Sommer in den Calanques wandern — Muss man vorher reservieren?"),
    ("We just landed at Marignane, how do we get into Marseille?", "How long does the ride take?", "continues",
     "We just landed at Marignane, how do we get into Marseille — How long does the ride take?"),
    # a new need after "and": asked about the same place, not joined to the previous need
    ("On cherche où voir le coucher de soleil à Marseille", "Et pour dîner face à la mer ?", "same place",
     "Et pour dîner face à la mer ? (Marseille)"),
    # ... keeping what qualified the previous question (a wheelchair: accessible hotels)
    ("Mon père est en fauteuil roulant, y a-t-il des plages adaptées ?", "Et les hôtels ?", "same place",
     "Et les hôtels ? (fauteuil roulant)"),
    # whether something of its own is there: about the previous subject, not joined to the previous question
    ("Wie komme ich von Marseille nach Aix-en-Provence?", "Gibt es dort einen Wochenmarkt?", "points back",
     "Gibt es dort einen Wochenmarkt? (Aix-en-Provence)"),
    # a qualifier alone (a price, a discount, opening hours) asks about the previous question's topic
    ("Is there a monthly pass for the metro?", "Is there a discount for seniors?", "continues",
     "Is there a monthly pass for the metro — Is there a discount for seniors?"),
    # a third person's possessive points back at the previous subject: Nostradamus's house
    ("Dove ha vissuto Nostradamus?", "Si può visitare la sua casa?", "points back",
     "Si può visitare la sua casa? (Nostradamus)"),
    # ... not one's own ("on … ses"), nor Spanish "son" ("are")
    ("Que faire à Cassis ?", "Peut-on amener ses chiens à la plage ?", "standalone", None),
    ("¿Cuándo es el festival de piano de La Roque-d'Anthéron?", "¿Los conciertos son al aire libre?", "standalone",
     None),
    # ... or its subject, when it named no need: the festival's tickets, the Mucem's closing time
    ("Wann findet das Klavierfestival in La Roque-d'Anthéron statt?", "Was kostet eine Karte?", "continues",
     "Wann findet das Klavierfestival in La Roque-d'Anthéron statt — Was kostet eine Karte?"),
    ("¿El Mucem tiene restaurante?", "¿A qué hora cierra?", "continues",
     "¿El Mucem tiene restaurante — ¿A qué hora cierra?"),
    # "until" is grammar: "how far does it go?" has one word of its own, asked of the previous question
    ("¿Hay algún tren que vaya por la costa?", "¿Hasta dónde llega?", "continues",
     "¿Hay algún tren que vaya por la costa — ¿Hasta dónde llega?"),
    # how long it takes or lasts is grammar, not a subject of its own: the crossing to the island asked of
    ("Peut-on visiter le Château d'If ?", "La traversée dure combien de temps ?", "points back",
     "La traversée dure combien de temps ? (Château d'If)"),
    ("Come si arriva alle isole Frioul?", "Quanto tempo dura la traversata?", "continues",
     "Come si arriva alle isole Frioul — Quanto tempo dura la traversata?"),
    # a choice among what the previous answer gave, whatever need it adds (read about Marseille, the families were
    # asked of no neighbourhood)
    ("Which neighbourhoods of Marseille are close to the sea?", "And which one is good for families?", "continues",
     "Which neighbourhoods of Marseille are close to the sea — And which one is good for families?"),
    ("Quels quartiers de Marseille sont au bord de la mer ?", "Lequel est le plus calme ?", "continues",
     "Quels quartiers de Marseille sont au bord de la mer — Lequel est le plus calme ?"),
    # where it takes place, or where exactly it is, asks nothing of its own
    ("Wann ist das Klavierfestival von La Roque-d'Anthéron?", "Wo finden die Konzerte statt?", "points back",
     "Wo finden die Konzerte statt? (La Roque-d'Anthéron)"),
    ("¿Qué es ITER?", "¿Dónde se encuentra exactamente?", "continues",
     "¿Qué es ITER — ¿Dónde se encuentra exactamente?"),
    # the same journey by other means (alone, "by bus" is the city's buses); a season is no subject ("D'estate")
    ("D'estate si può andare in macchina fino alle calanche?", "E con l'autobus?", "continues",
     "D'estate si può andare in macchina fino alle calanche — E con l'autobus?"),
    ("How do I get to the airport?", "And by bus?", "continues", "How do I get to the airport — And by bus?"),
    # an object pronoun after "who" points back: "la" is no article there (the painter of the mountain asked of)
    ("¿Se puede subir a la montaña Sainte-Victoire?", "¿Quién la pintó tantas veces?", "continues",
     "¿Se puede subir a la montaña Sainte-Victoire — ¿Quién la pintó tantas veces?"),
    ("Que voir à la Vieille Charité ?", "Qui l'a construite ?", "continues",
     "Que voir à la Vieille Charité — Qui l'a construite ?"),
    ("Cosa vedere al Palais Longchamp?", "Chi l'ha costruito?", "continues",
     "Cosa vedere al Palais Longchamp — Chi l'ha costruito?"),
    # the same question at another season or in another month (joined, July outweighed winter)
    ("Qu'est-ce qui se passe à Marseille en juillet ?", "Et en hiver ?", "other time",
     "Qu'est-ce qui se passe à Marseille en hiver ?"),
    ("What's on in Aix in July?", "And in August?", "other time", "What's on in Aix in August?"),
    ("Où se baigner à Cassis en été ?", "Et en hiver ?", "other time", "Où se baigner à Cassis en hiver ?"),
    # ... and with no place to keep, the new need alone (joined, "industries" outweighed "hydrogen")
    ("Which industries are strong here?", "And hydrogen?", "standalone", None),
    ("Welche Branchen sind hier stark?", "Und Wasserstoff?", "standalone", None),
    # standing on their own: nothing carried over
    ("Que faire à Cassis ?", "ok", "standalone", None),
    ("Que faire à Cassis ?", "Where can I eat calissons?", "standalone", None),
    # one word of its own, but it is what is asked for ("place for …"): not the previous question narrowed
    ("We just landed at Marignane, what's the easiest way into Marseille?", "Any good place for bouillabaisse?",
     "standalone", None),
    ("Que faire à Cassis ?", "Is there a wine bar in Aix?", "standalone", None),
    # a need of its own (sailing, not kitesurfing) and a place of its own: not the previous question elsewhere
    ("Où faire du kitesurf dans le coin ?", "Et de la voile à Marseille ?", "standalone", None),
    ("Que faire à Cassis ?", "Qu'y a-t-il à voir à La Ciotat ?", "standalone", None),
    ("Que faire à Cassis ?", "Mucem ?", "standalone", None),
    ("Quel est le prix d'un loyer à Paris ?", "Y a-t-il des espaces de coworking ?", "standalone", None),
    ("Que faire à Cassis ?", "How do I enrol my children in a school when we move to Marseille next year?",
     "standalone", None),
])
def test_follow_ups_and_new_topics(previous: str, text: str, reason: str, completed: str | None) -> None:
    before = FOLLOW.read(previous, None)
    got = FOLLOW.read(text, before)
    assert got.reason == reason
    assert got.text == (completed if completed is not None else text)


def test_grammar_words_with_an_apostrophe_are_not_the_subject() -> None:
    first = FOLLOW.read("Qu'y a-t-il à voir à La Ciotat ?", None)
    second = FOLLOW.read("C'est là que la pétanque a été inventée ?", first)
    assert (second.reason, second.subject) == ("continues", "La Ciotat")
    third = FOLLOW.read("What about Aubagne?", second)
    # another place asks the topic's opening question about it, without what was joined to it
    assert (third.reason, third.text) == ("other place", "Qu'y a-t-il à voir à Aubagne ?")


def test_a_sentence_s_first_word_is_not_the_subject() -> None:
    first = FOLLOW.read("We run a logistics business and need land near a container terminal. What's available?",
                        None)
    assert first.subject == ""
    assert FOLLOW.read("Who should we talk to?", first).text == "Who should we talk to?"


def test_a_landmark_is_what_the_conversation_is_about() -> None:
    """After "Wo liegt der Campus Luminy?", "there" is the campus: completed with Marseille, the question about what
    one studies there was answered from the university's page on all its programmes."""
    _, subjects = read_all("Wo liegt der Campus Luminy?", "Welche Fächer kann man dort studieren?")
    assert (subjects.reason, subjects.text) == ("points back", "Welche Fächer kann man dort studieren? (Luminy)")
    # a place the campus is not: the question about it points back at the campus ("Calanques" is in Marseille too)
    _, hike = read_all("Ich studiere bald in Luminy. Wie komme ich zum Campus?",
                       "Kann man von dort zu den Calanques wandern?")
    assert hike.text == "Kann man von dort zu den Calanques wandern? (Luminy)"
    assert read_all("Que voir au Vieux-Port ?", "Et à Cassis ?")[1].text == "Que voir au Cassis ?"
    assert FOLLOW.subject("Où se baigner à Marsiglia ?") == "Marseille"  # another name: the commune


@pytest.mark.parametrize("text", ["D'estate si può andare in macchina fino alle calanche?",
                                  "Summer in Cassis: where to swim?", "En Août, que faire ?"])
def test_a_season_or_a_month_is_not_the_subject(text: str) -> None:
    """"D'estate si può andare…?" had "estate" for its subject: "E con l'autobus?" was read as "… (estate)"."""
    assert FOLLOW.subject(text) in ("", "Cassis")


def test_german_nouns_are_not_taken_for_the_subject() -> None:
    """German capitalises every noun: "Winter", "Zug" and "Museum" are not what the conversation is about."""
    _, parking, winter, train = read_all("Wo kann man in Cassis baden?", "Gibt es dort Parkplätze?",
                                         "Und im Winter?", "Wie komme ich mit dem Zug hin?")
    assert (parking.reason, parking.subject) == ("points back", "Cassis")
    assert (winter.reason, winter.subject) == ("continues", "Cassis")
    assert (train.reason, train.text) == ("points back", "Wie komme ich mit dem Zug hin? (Cassis)")
    museum = FOLLOW.read("Ist das Museum kostenlos?", FOLLOW.read("Was kann man in Aubagne besichtigen?", None))
    assert museum.subject == "Aubagne"
    assert FOLLOW.subject("Wie kommt man zum Château d'If?") == "Château d'If"  # a name of several words


def test_a_first_message_is_new() -> None:
    assert FOLLOW.read("Et à Cassis ?", None) == Reading("Et à Cassis ?", "new", "Cassis")


@pytest.mark.parametrize(("text", "need"), [
    ("Où se baigner à Marseille ?", "swim"), ("Where can I swim?", "swim"), ("Wo kann man baden?", "swim"),
    ("¿Dónde está la playa?", "swim"), ("Dove posso fare il bagno?", "swim"), ("Combien coûte un loyer ?", "rent"),
    ("Wo finde ich eine Wohnung?", "rent"), ("Is the tram wheelchair accessible?", "accessible"),
    ("Where do I park the car?", "park"), ("¿Cómo pido una beca?", "grants"), ("Où dîner ce soir ?", "eat"),
    ("Where can we have dinner?", "eat"), ("Dove cenare?", "eat"), ("Wo kann man zu Abend essen?", "eat"),
    ("Où jeter un vieux canapé ?", "waste"), ("Come funziona la raccolta dei rifiuti?", "waste"),
    ("Gibt es eine Luft- und Raumfahrtindustrie?", "aerospace"), ("Quels projets dans l'énergie ?", "energy"),
    ("Is there a shopping centre near Aix?", "shopping"),
    ("Où faire du kitesurf ?", "watersports"), ("Wo kann man segeln?", "watersports"),
    ("What shouldn't we miss in Marseille?", "sights"), ("Cosa da non perdere ad Aix?", "sights"),
    ("Wo sitzt die Halbleiterindustrie?", "microelectronics"), ("Are there data centres?", "digital"),
    ("¿Un tren por la costa?", "coast"), ("Wo gibt es eine Dachterrasse?", "view"),
    ("Ist Marseille sicher?", "safety"), ("Où boire un verre ?", "nightlife"),
    ("Where can we go out in the evening?", "nightlife"), ("Cours Julien and La Plaine are lively", "nightlife"),
    ("le cours Julien et la Plaine sont animés", "nightlife"),
    ("Wie melde ich meine Tochter in der Grundschule an?", "school"),
    ("Who do we call if our child gets sick at night?", "health"), ("Mon fils est malade", "health"),
    ("Is there a chip industry near Aix?", "microelectronics"),
    ("¿Hay escuelas de ingeniería en Marsella?", "engineering"), ("Où sont les écoles d'ingénieurs ?", "engineering"),
    ("Ci sono facoltà di ingegneria?", "engineering"), ("¿A qué hora cierra?", "opening_hours"),
    ("What time does it close?", "opening_hours"), ("Wann schließt das Museum?", "opening_hours"),
    ("¿Dónde puedo bañarme?", "swim"), ("Where to stay in Aix?", "sleep"), ("Où loger à Cassis ?", "sleep"),
    ("Getting around Marseille without a car", "get_around"), ("Come muoversi a Marsiglia?", "get_around"),
    ("Où habiter près d'Aix ?", "neighbourhood"), ("Wo wohnen Familien?", "neighbourhood"),
    ("Wo finde ich einen Hausarzt?", "health"), ("Is the mistral strong in winter?", "weather"),
    ("Quand fait-il meilleur pour randonner ?", "weather"), ("When is the best time to visit?", "weather"),
    ("¿Cuál es la mejor época para ir?", "weather"), ("¿Hay barcos lanzadera?", "journey"),
    ("¿Qué plato típico hay que probar?", "eat"), ("Qual è il piatto tipico?", "eat"),
    ("Quelle est la spécialité locale ?", "eat"), ("Welche Spezialitäten gibt es?", "eat"),
])
def test_needs_are_recognised_in_five_languages(text: str, need: str) -> None:
    assert need in INTENTS.of(text)


def test_a_phrase_holding_a_need_s_word_need_not_say_the_need() -> None:
    """"free" says a price ("Is the Mucem free?"), "a free afternoon" does not (intents.yaml's "-" entries)."""
    assert "price" in INTENTS.of("Is the Mucem free?")
    assert "price" not in INTENTS.of("We have a free afternoon in Marseille, what shouldn't we miss?")
    assert "price" in INTENTS.of("We have a free afternoon: is the Mucem free?")
    assert not any(w.startswith("-") or w == "afternoon" for w in INTENTS.vocabulary("Is it free?"))
    lexicon = Intents({"price": ["free", "-free time"]})
    assert lexicon.said("free time, free entry") == {"price": ["free"]} and lexicon.of("free time") == ()


def test_the_metropolis_is_not_the_metro() -> None:
    """"metro" also matches the words it starts, but "la métropole" (the territory itself) asks for no transport."""
    assert "get_around" in INTENTS.of("Le métro passe-t-il la nuit ?")
    assert "get_around" not in INTENTS.of("Où installer un entrepôt dans la métropole ?")
    assert "get_around" not in INTENTS.of("How many communes are in the metropolis?")
    assert "get_around" in INTENTS.of("Which metro lines cross the Metropolis?")


def test_words_starting_or_holding_a_need_s_word_need_not_say_the_need() -> None:
    """"acces" (journey) also starts "accessible", and "famille" (children) is in "médecin de famille"."""
    assert INTENTS.of("Are the beaches accessible too?") == ("swim", "accessible")
    assert "journey" in INTENTS.of("Accès au Mucem ?")
    assert INTENTS.of("Mi sono appena trasferita ad Aix, come trovo un medico di famiglia?") == ("health",)
    assert INTENTS.of("And how do I find a family doctor?") == ("health",)
    assert "children" in INTENTS.of("Que faire en famille ?")
    # "station" and "train" start "stationnement" (parking) and "training"
    assert INTENTS.of("Le stationnement est payant au Vieux-Port") == ("park", "price")
    assert "train" not in INTENTS.of("Is there training for engineers?")
    assert "train" in INTENTS.of("Which train station?")
    # "How does it work?" asks how the previous thing works, not for a job
    assert INTENTS.of("How does it work?") == () and "jobs" in INTENTS.of("Can someone help her find work?")
    asked = FOLLOW.read("Is there a monthly pass for the metro in Marseille?", None)
    assert FOLLOW.read("How does it work?", asked).text == ("Is there a monthly pass for the metro in Marseille — "
                                                            "How does it work?")


def test_neighbours_reach_other_languages_but_not_the_words_already_said() -> None:
    words = INTENTS.neighbours("Où se baigner à Marseille ?").split()
    assert {"plage", "beach", "strand", "playa"} <= set(words)
    assert "baign" in words and "marseille" not in words
    assert INTENTS.of("What is the capital of Australia?") == () and INTENTS.neighbours("Hello there") == ""


def test_place_names_count_less_than_the_need_in_keyword_search() -> None:
    query = understand(IncomingMessage("t", "u", "Où se baigner à Marseille ?"), "fr", GAZETTEER,
                       TERRITORY.bbox, INTENTS)
    text, weighted = keyword_text(query)
    assert "marseille" not in text and "baigner" in text
    assert weighted[0] == ("marseille", PLACE_TERM_WEIGHT)
    assert weighted[1][1] == NEIGHBOUR_TERM_WEIGHT and "plage" in weighted[1][0]
    italian = understand(IncomingMessage("t", "u", "Dove fare il bagno a Marsiglia?"), "it", GAZETTEER,
                         TERRITORY.bbox, INTENTS)
    # the pages say "Marseille": the territory's name is searched beside the one the question uses
    assert italian.places == ("marseille",)
    assert keyword_text(italian)[1][0] == ("marsiglia marseille", PLACE_TERM_WEIGHT)
    only_place = understand(IncomingMessage("t", "u", "Cassis ?"), "fr", GAZETTEER, TERRITORY.bbox, INTENTS)
    assert keyword_text(only_place) == ("Cassis ?", ())  # nothing else to look for: the name counts fully


def test_the_journey_origin_is_not_the_place_asked_about() -> None:
    query = understand(IncomingMessage("t", "u", "Comment aller à Cassis depuis Marseille ?"), "fr", GAZETTEER,
                       TERRITORY.bbox, INTENTS)
    assert query.place is not None and query.place.name == "Cassis"
    assert set(query.named) == {"cassis", "marseille"}


def test_postings_weigh_terms() -> None:
    postings = Postings(["marseil plag", "marseil port marseil", "baign"])
    plain = postings.score(["marseil", "plag"])
    weighted = postings.score(["marseil", "plag"], {"marseil": 0.3})
    assert np.argmax(weighted) == 0 and weighted[1] == pytest.approx(plain[1] * 0.3, rel=1e-5)


@pytest.mark.parametrize("text", ["Une plage près d'ici ?", "Any restaurant near here?",
                                  "Is there a restaurant near here?",
                                  "¿Hay un mercado cerca de aquí?", "Gibt es hier in der Nähe einen Parkplatz?",
                                  "Is there an island to visit nearby?", "Any pharmacy close by?"])
def test_near_here_is_the_place_the_conversation_is_about_unless_the_person_shared_where_they_are(
        text: str) -> None:
    """Without this, "Une plage près d'ici ?" after "Je passe la journée à Cassis." asked the person to share a
    location."""
    before = FOLLOW.read("Je passe la journée à Cassis.", None)
    got = FOLLOW.read(text, before)
    assert (got.reason, got.text, got.subject) == ("same place", f"{text} (Cassis)", "Cassis")
    # a shared location is where "here" is: nothing is added
    assert not FOLLOW.read(text, before, located=True).text.endswith("(Cassis)")
    # nor when the message names its own reference, or the conversation is about no place
    assert FOLLOW.read("Un restaurant près du Mucem ?", before).text == "Un restaurant près du Mucem ?"
    assert not FOLLOW.read(text, FOLLOW.read("When did the Mucem open?", None)).text.endswith(")")


def test_the_qualifiers_are_needs_of_the_lexicon() -> None:
    from genius_loci.core.followup import QUALIFIERS
    assert set(QUALIFIERS) <= set(load_intents(CONFIG / "intents.yaml"))


def test_a_thing_named_with_a_definite_article_that_the_previous_answer_spoke_of_continues_its_question() -> None:
    """Without this, "On peut marcher sur les lieux de ses souvenirs ?" after Pagnol's birthplace stood on its own
    and abstained: "les lieux" are those the answer quoted ("souvenir" is a need's word, shopping's)."""
    before = FOLLOW.read("Où est né Marcel Pagnol ?", None)
    answer = ("Marcel Pagnol est né à Aubagne en 1895 ; les lieux de ses souvenirs d'enfance se parcourent à pied. "
              "[1]")
    got = FOLLOW.read("On peut marcher sur les lieux de ses souvenirs ?", before, answered=answer)
    assert (got.reason, got.text) == ("continues", "Où est né Marcel Pagnol — On peut marcher sur les lieux de ses "
                                                   "souvenirs ?")
    # the answer did not speak of it: the message stands on its own
    other = "Marcel Pagnol est né à Aubagne en 1895. [1]"
    assert FOLLOW.read("On peut marcher sur les lieux de ses souvenirs ?", before, answered=other).reason == \
        "standalone"
    # a need's word after the article asks about that need, whatever the answer said ("la universidad")
    visa = FOLLOW.read("¿Necesito un visado para estudiar en Marsella?", None)
    said = "Aix-Marseille Université accueille les étudiants étrangers ; la universidad ayuda con el visado. [1]"
    assert FOLLOW.read("¿La universidad ofrece cursos de francés?", visa, answered=said).reason == "standalone"
    # nor does a thing named without one ("an island")
    cinema = FOLLOW.read("Which town here is the birthplace of cinema?", None)
    island = "La Ciotat, where the Lumière brothers shot their first films, faces the island of Île Verte. [1]"
    assert not FOLLOW.read("Can we swim to an island?", cinema, answered=island).carried


@pytest.mark.parametrize(("text", "outside"), [
    ("Que visiter à Lyon ?", True),
    ("Combien de temps en TGV depuis Paris ?", False),  # a journey here
    ("Is there a rail connection to Lyon?", False),  # a connection from here: the port's rail links answer it
    ("¿Hay conexión con Lyon?", False),
])
def test_a_place_outside_the_territory_is_not_here_unless_the_question_is_about_getting_there(
        text: str, outside: bool) -> None:
    query = understand(IncomingMessage("t", "u", text), "fr", GAZETTEER, TERRITORY.bbox, INTENTS)
    assert (query.outside is not None) is outside


def test_there_is_the_commune_of_the_page_the_previous_answer_came_from_when_the_conversation_named_none() -> None:
    """Without this, "E cos'altro si può vedere in quella città?" after the Foreign Legion's museum was joined to the
    museum's question and answered from the Mucem's page."""
    museum = FOLLOW.read("Dove si trova il museo della Legione straniera?", None)
    got = FOLLOW.read("E cos'altro si può vedere in quella città?", museum, cited="Aubagne, Pagnol country")
    assert (got.reason, got.text) == ("points back", "E cos'altro si può vedere in quella città? (Aubagne)")
    assert got.subject == museum.subject  # the conversation's subject is unchanged
    # the place phrases point back of themselves ("cette", "diese" alone do not)
    legion = FOLLOW.read("Où est le musée de la Légion étrangère ?", None)
    assert FOLLOW.read("Que voir d'autre dans cette ville ?", legion, cited="Aubagne, pays de Pagnol").text == \
        "Que voir d'autre dans cette ville ? (Aubagne)"
    assert FOLLOW.read("Was kann man in dieser Stadt noch sehen?", legion, cited="Aubagne, Pagnol country").text == \
        "Was kann man in dieser Stadt noch sehen? (Aubagne)"
    # a page naming no commune says nothing of where "there" is
    assert FOLLOW.read("E cos'altro si può vedere in quella città?", museum, cited="Mucem").reason == "continues"
    # a commune the conversation named stays "there"
    cassis = FOLLOW.read("Que faire à Cassis ?", None)
    assert FOLLOW.read("Comment y aller ?", cassis, cited="Aubagne, Pagnol country").text.endswith("(Cassis)")
