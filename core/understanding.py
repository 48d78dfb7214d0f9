"""Turning a message into a query: audience and place, on top of the chosen language."""

from __future__ import annotations

from .geo import BoundingBox, Gazetteer
from .text import words
from .types import IncomingMessage, Query

TIE_ORDER = ("student", "investor", "resident", "tourist")



def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words (accent-folded, any answer language) that reveal who is asking.
AUDIENCE_WORDS: dict[str, frozenset[str]] = {
    "investor": _words("""
        invest investir investment investissement investor investisseur entreprise company business
        implantation bureaux office offices startup start factory usine foncier inversion inversor
        empresa investimento azienda investieren unternehmen firma"""),
    "student": _words("""
        student students etudiant etudiants etudiante universite university master licence phd
        doctorat campus crous parcoursup estudiante universidad studente universita studium
        studieren universitat hochschule"""),
    "resident": _words("""
        move moving demenager demenagement habiter vivre live living logement housing school ecole
        dechets waste mudarse vivir trasferirsi vivere umziehen wohnen"""),
    "tourist": _words("""
        visit visiter visite tourist touriste hotel beach plage musee museum restaurant holiday
        vacances vacaciones playa museo vacanze spiaggia urlaub strand besuchen"""),
}


def infer_audience(text: str) -> str | None:
    """The audience whose words the text uses most, or None when it names none."""
    tokens = set(words(text))
    # on a tie the more specific audience wins: "logement étudiant" is a student's question
    counts = {a: len(tokens & AUDIENCE_WORDS[a]) for a in TIE_ORDER}
    best = max(counts, key=lambda a: counts[a])
    return best if counts[best] else None


def understand(message: IncomingMessage, language: str, gazetteer: Gazetteer,
               bbox: BoundingBox) -> Query:
    """Builds the query: the audience given or inferred, a place named in the text, and the point
    to search around: the shared location when it lies in the territory.

    A named place is not turned into a search point: the text already names it for both
    retrievers, and a commune's centre misleads for a city the size of Marseille.
    """
    text = message.text.strip()
    audience = message.audience or infer_audience(text)
    place = gazetteer.find(text)
    geo = message.location if message.location is not None and bbox.contains(message.location) else None
    return Query(text=text, language=language, audience=audience, place=place, geo=geo)
