"""Turning a message into a query: audience and place, on top of the chosen language."""

from __future__ import annotations

import math
import re
from dataclasses import replace

from .geo import BoundingBox, Gazetteer
from .intents import Intents
from .text import fold, words
from .types import IncomingMessage, Place, Query

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
        move moving moved relocate relocating relocation relocated demenager demenagement demenage emmenager
        emmenage habiter vivre live living logement housing school ecole dechets waste mudarse mudar mudado
        mudanza vivir trasferirsi trasferito trasferita trasferiti vivere umziehen umgezogen zugezogen wohnen"""),
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
               bbox: BoundingBox, intents: Intents | None = None) -> Query:
    """Builds the query: the audience given or inferred, the place named in the text, and the point
    to search around with how fast nearness fades.

    A shared location (in the territory) is the point, fading over 3 km; "near me", "à moins de
    2 km" make it a hard radius. A named commune is the point otherwise, fading with the commune's
    size (a few km for Cassis, tens of km for Marseille, where the name alone says little).

    The needs the text names (``intents``) bring the words other languages use for them.
    """
    text = message.text.strip()
    audience = message.audience or infer_audience(text)
    named = gazetteer.named(text)
    place = topic_place(text, named)
    tokens = set(words(text))
    # "from Paris", "depuis Lyon": a journey here, not a question about elsewhere
    outside = gazetteer.find_outside(text) if place is None and not tokens & JOURNEY_WORDS else None
    query = Query(text=text, language=language, audience=audience, place=place, outside=outside,
                  named=tuple(dict.fromkeys(name for name, _ in named)),
                  places=tuple(dict.fromkeys(fold(p.name) for _, p in named)),
                  needs=intents.of(text) if intents else (), neighbours=intents.neighbours(text) if intents else "")
    if message.location is not None and bbox.contains(message.location):
        return replace(query, geo=message.location, from_user=True, radius_km=asked_radius(text))
    if place is not None:
        return replace(query, geo=place.geo, geo_scale_km=2.0 + 4.0 * math.sqrt(place.population / 10_000))
    return query


ORIGIN_WORDS = frozenset("depuis from desde da dalla dal von aus".split())


def topic_place(text: str, named: list[tuple[str, Place]]) -> Place | None:
    """The place a question is about: the first it names that is not where a journey starts ("Comment aller à
    Cassis depuis Marseille ?" is about Cassis), else the first it names."""
    found = topic_name(text, named)
    return found[1] if found is not None else None


def topic_name(text: str, named: list[tuple[str, Place]]) -> tuple[str, Place] | None:
    """``topic_place``, with the name the question gives it (accent-folded: "luminy" for Marseille)."""
    if not named:
        return None
    folded = " " + " ".join(fold(text).split())
    for name, place in named:
        before = folded[: folded.find(" " + name)].split()[-1:] if " " + name in folded else []
        if not (set(before) & ORIGIN_WORDS):
            return name, place
    return named[0]


JOURNEY_WORDS = frozenset("""depuis venir aller rejoindre trajet from get reach travel come coming journey desde
    venir llegar ir viaje dalla dal venire arrivare viaggio von aus kommen fahren reise anreise train tgv vol flight
    avion plane bus car route road distance km rail railway connection connections link links liaison liaisons
    conexion conexiones collegamento collegamenti verbindung verbindungen anbindung""".split())
NEAR_WORDS = frozenset("""pres proche proches autour alentours near nearby nearest closest close around cerca
    cercano cercana vicino vicini vicina naehe nahe nachste nachsten umgebung""".split())
# Phrases that mean "where I am" (accent-folded): without a shared location the question cannot be answered.
# ("nearby" and "close by" are said alone; "à proximité", "nelle vicinanze" mostly name what they are near)
HERE_PHRASES = ("pres d ici", "pres de moi", "autour de moi", "a cote de moi", "near me", "near here", "nearby",
                "close by", "close to me", "around me", "around here", "cerca de mi", "cerca de aqui", "vicino a me",
                "qui vicino", "qua vicino", "in meiner nahe", "hier in der nahe", "in der nahe")
NEAR_PHRASES = (*HERE_PHRASES, "plus proche", "mas cercano", "piu vicino")
DEFAULT_NEAR_KM = 5.0
_KM = re.compile(r"(\d+(?:[.,]\d+)?)\s*km\b")


def about_here(text: str) -> bool:
    """True when the question is about where the person is ("near me", "près d'ici")."""
    folded = " ".join(fold(text).split())
    return any(p in folded for p in HERE_PHRASES)


def asked_radius(text: str) -> float | None:
    """The radius a question asks for: "within 2 km" -> 2; "near me" -> 5; otherwise None."""
    folded = fold(text)
    match = _KM.search(folded)
    if match:
        return float(match.group(1).replace(",", "."))
    if any(p in folded for p in NEAR_PHRASES) or set(words(text)) & NEAR_WORDS:
        return DEFAULT_NEAR_KM
    return None
