"""Features of a (question, passage) pair for the learned reranker, from both retrievers' scores, from where
the question's words fall in the passage, and from what the passage is about: the needs it names (core.intents,
in any language) and the territory's places the question names."""

from __future__ import annotations

import itertools
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from genius_loci.core.intents import Intents
from genius_loci.core.retrieval.fusion import mean_and_spread
from genius_loci.core.text import fold
from genius_loci.core.types import Hit, Passage, Query

from ..analysis import sentences, terms
from ..answer_types import frame_words

BASE = ("z_bm25", "z_dense", "cosine", "inv_rank_bm25", "inv_rank_dense", "bm25_ratio", "idf_coverage",
        "title_coverage", "bigram_coverage", "log_length", "in_both", "best_sentence_coverage", "window_coverage")
NAMES = (*BASE, "sentence_x_dense", "window_x_dense", "bm25_x_dense", "coverage_x_dense", "coverage_x_bm25",
         "z_bm25_sq", "z_dense_sq", "coverage_sq", "min_z", "max_z", "needs_share", "needs_in_title", "place_in",
         "place_in_title")
WINDOW = 25  # words

Idf = Callable[[str], float]


def _z(values: Mapping[str, float]) -> dict[str, float]:
    if not values:
        return {}
    mean, spread = mean_and_spread(list(values.values()))
    return {k: (v - mean) / spread for k, v in values.items()}


@dataclass(frozen=True, slots=True)
class Analysed:
    words: list[str]
    present: frozenset[str]
    title: frozenset[str]
    sentences: tuple[frozenset[str], ...]
    pairs: frozenset[tuple[str, str]]
    needs: frozenset[str]  # what the passage is about (core.intents), read in its title and text
    title_needs: frozenset[str]
    folded: str  # title and text accent-folded, where place names are looked for
    folded_title: str


class AnalysisCache:
    """The analysed form of passages, kept between questions (a passage is analysed once)."""

    def __init__(self, size: int = 200_000, intents: Intents | None = None) -> None:
        self._intents = intents or Intents({})
        self._size = size
        self._items: OrderedDict[str, Analysed] = OrderedDict()
        self._lock = threading.Lock()  # filled from the search thread and read from the event loop

    def get(self, passage: Passage) -> Analysed:
        key = f"{passage.id}\x00{hash((passage.title, passage.text))}"  # a page re-titled is read again
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        # a sentence boundary never falls inside a word: the passage's words are its sentences' words
        per_sentence = [terms(s, passage.language) for s in sentences(passage.text)]
        words = [w for sentence in per_sentence for w in sentence]
        folded_title = " ".join(fold(passage.title).split())
        folded = f"{folded_title} {' '.join(fold(passage.text).split())}"
        item = Analysed(words, frozenset(words), frozenset(terms(passage.title, passage.language)),
                        tuple(frozenset(sentence) for sentence in per_sentence),
                        frozenset(itertools.pairwise(words)), frozenset(self._intents.of(folded)),
                        frozenset(self._intents.of(folded_title)), folded, folded_title)
        with self._lock:
            self._items[key] = item
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return item


def features(query: Query, hits: Sequence[Hit], idf: Idf, cache: AnalysisCache | None = None) -> list[list[float]]:
    """One row of ``NAMES`` per hit (the hits of one query, as fused, carrying raw scores and ranks)."""
    cache = cache or AnalysisCache()
    bm25 = {h.passage.id: h.scores["bm25"] for h in hits if "bm25" in h.scores}
    dense = {h.passage.id: h.scores["dense"] for h in hits if "dense" in h.scores}
    zb, zd = _z(bm25), _z(dense)
    floor_b, floor_d = min(zb.values(), default=0.0), min(zd.values(), default=0.0)
    min_cos = min(dense.values(), default=0.0)
    top_bm25 = max(bm25.values(), default=1.0) or 1.0
    wanted = question_terms(query)
    mass = sum(idf(t) for t in wanted) or 1.0
    pairs = set(itertools.pairwise(wanted))
    asked = set(query.needs)
    places = place_patterns(query.named)
    rows = []
    for hit in hits:
        pid = hit.passage.id
        a = cache.get(hit.passage)
        words, present, title = a.words, a.present, a.title
        coverage = sum(idf(t) for t in wanted if t in present) / mass
        best_sentence = max((sum(idf(t) for t in wanted if t in s) / mass for s in a.sentences), default=0.0)
        row_b, row_d = zb.get(pid, floor_b), zd.get(pid, floor_d)
        base = [
            row_b, row_d, dense.get(pid, min_cos),
            1.0 / hit.ranks.get("bm25", 100), 1.0 / hit.ranks.get("dense", 100),
            bm25.get(pid, 0.0) / top_bm25, coverage,
            sum(t in title for t in wanted) / max(1, len(wanted)),
            len(pairs & a.pairs) / max(1, len(pairs)),
            math.log(len(words) + 1) / 7.0, float(pid in bm25 and pid in dense),
            best_sentence, _window(words, wanted, idf, mass),
        ]
        rows.append([*base, best_sentence * row_d, base[12] * row_d, row_b * row_d, coverage * row_d,
                     coverage * row_b, row_b**2, row_d**2, coverage**2, min(row_b, row_d), max(row_b, row_d),
                     len(asked & a.needs) / len(asked) if asked else 0.0,
                     len(asked & a.title_needs) / len(asked) if asked else 0.0,
                     float(any(p.search(a.folded) for p in places)),
                     float(any(p.search(a.folded_title) for p in places))])
    return rows


def question_terms(query: Query) -> list[str]:
    """The question's distinct terms a passage answering it holds: not those only saying it asks for a good place
    or naming the area without naming it ("good", "place" in "Any good place for bouillabaisse?", "coin" in "… dans le
    coin ?": ``answer_types.frame_words``)."""
    framed = set(terms(frame_words(query.text), query.language))
    return [t for t in dict.fromkeys(terms(query.text, query.language)) if t not in framed]


def place_patterns(names: Iterable[str]) -> list[re.Pattern[str]]:
    """Patterns finding each of the place ``names`` (accent-folded) as whole words in an ``Analysed.folded``."""
    return [re.compile(rf"\b{re.escape(name)}\b") for name in dict.fromkeys(names)]


def _window(words: list[str], wanted: list[str], idf: Idf, mass: float) -> float:
    """The largest share of the question's weight found within ``WINDOW`` consecutive words."""
    wanted_set = set(wanted)
    positions = [(i, w) for i, w in enumerate(words) if w in wanted_set]
    best, start = 0.0, 0
    for end in range(len(positions)):
        while positions[end][0] - positions[start][0] > WINDOW:
            start += 1
        best = max(best, sum(idf(w) for w in {w for _, w in positions[start:end + 1]}) / mass)
    return best
