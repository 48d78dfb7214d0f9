"""Choosing the partner a person is sent on to."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from .text import words
from .types import Hit, Partner, Query, Redirect


class Router:
    """Picks the partner that owns the cited sources, else the one whose topics the question
    names (of those serving the person's audience, when it is known), else the default contact for the audience,
    else the agency itself."""

    def __init__(self, partners: Sequence[Partner], agency: Partner) -> None:
        self._partners = {p.id: p for p in partners}
        self._agency = agency
        self._topics = [(p, tuple(f" {' '.join(words(t))} " for t in p.topics)) for p in partners]

    def for_answer(self, query: Query, cited: Sequence[Hit]) -> Redirect:
        owners = Counter(h.passage.owner for h in cited if h.passage.owner in self._partners)
        if owners:
            best = max(owners, key=lambda o: (owners[o], -_first_index(cited, o)))
            assert best is not None
            return _redirect(self._partners[best])
        return self.for_question(query)

    def for_question(self, query: Query) -> Redirect:
        text = f" {' '.join(words(query.text))} "  # "Aix?" names Aix too
        # a partner for another audience names the question's place, not its need: a family moving to Marseille
        # asks the Métropole, not the tourist office that "marseille" points at
        places = [set(words(name)) for name in query.named]
        scored = [(sum(_weight(t, places) for t in topics if t in text), p) for p, topics in self._topics
                  if not query.audience or not p.audiences or query.audience in p.audiences]
        best_score = max((s for s, _ in scored), default=0)
        if best_score > 0:
            return _redirect(next(p for s, p in scored if s == best_score))
        if query.audience:
            for partner in self._partners.values():
                if query.audience in partner.default_for:
                    return _redirect(partner)
        return _redirect(self._agency)


PLACE_TOPIC = 0.5  # a topic that is the place the question names says where, not what is asked


def _weight(topic: str, places: list[set[str]]) -> float:
    """What a topic the question names counts: less when it is (part of) a place the question names — "Comment
    aller à l'aéroport depuis Aix ?" is for the airport more than for Aix's tourist office."""
    return PLACE_TOPIC if any(set(topic.split()) <= place for place in places) else 1.0


def _first_index(hits: Sequence[Hit], owner: str | None) -> int:
    return next(i for i, h in enumerate(hits) if h.passage.owner == owner)


def _redirect(partner: Partner) -> Redirect:
    return Redirect(partner.id, partner.name, partner.url)
