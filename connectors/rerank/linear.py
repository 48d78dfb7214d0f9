"""A learned linear reranker over ``features.NAMES``, loaded from a JSON model file.

The model is trained by ``bench/train_reranker.py`` (pairwise logistic loss) and shipped in
``config/reranker.json``; it needs no model library, only numpy.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from genius_loci.core.errors import ConfigError
from genius_loci.core.intents import Intents
from genius_loci.core.types import Hit, Query

from .features import NAMES, AnalysisCache, Idf, features, place_patterns, question_terms
from .named import names_thing, thing_sought

SOUGHT_REACH = 10  # the passages, best first, among which those naming the thing sought go ahead


class TermStatistics(Protocol):
    def document_frequencies(self, terms: Sequence[str]) -> Mapping[str, int]: ...

    def count(self) -> int: ...


def read_model(path: Path, names: Sequence[str], trainer: str) -> dict[str, Any]:
    """A model file's JSON, checked to be trained on ``names``; a ``ConfigError`` that says how to fix it."""
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != tuple(names):
            raise ConfigError(f"{path} was trained on other features; train it again ({trainer})")
        return data
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"cannot read the model {path}: {exc}") from exc


def question_idf(query: Query, stats: TermStatistics) -> tuple[list[str], Idf]:
    """The question's distinct terms, and the BM25 idf of a term over the index."""
    wanted = question_terms(query)
    df = stats.document_frequencies(wanted)
    n = max(1, stats.count())

    def idf(term: str) -> float:
        k = df.get(term, 0)
        return math.log((n - k + 0.5) / (k + 0.5) + 1.0)
    return wanted, idf


@dataclass(frozen=True, slots=True)
class LinearModel:
    weights: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        data = read_model(path, NAMES, "bench/train_reranker.py")
        try:
            return cls(np.array(data["weights"]), np.array(data["mean"]), np.array(data["scale"]))
        except (ValueError, KeyError) as exc:
            raise ConfigError(f"cannot read the reranker model {path}: {exc}") from exc

    def score(self, rows: list[list[float]]) -> np.ndarray:
        x = (np.array(rows, dtype=np.float64) - self.mean) / self.scale
        return np.asarray(x @ self.weights)


class LinearReranker:
    """Reorders the fused candidates of a question by the learned model.

    Word-level features mean nothing across languages, so when none of the first candidates is in
    the question's language (a German question over French pages) the fused order is kept.
    """

    def __init__(self, model: LinearModel, stats: TermStatistics, *, depth: int = 50,
                 intents: Intents | None = None) -> None:
        self._model = model
        self._stats = stats
        self.depth = depth
        self._analysis = AnalysisCache(intents=intents)
        self._intents = intents or Intents({})

    def prepare(self, query: Query, hits: Sequence[Hit]) -> None:
        """Reads the keyword search's passages ahead, while the question is being embedded."""
        for hit in hits[: self.depth]:
            if hit.passage.language == query.language:
                self._analysis.get(hit.passage)

    async def rerank(self, query: Query, hits: Sequence[Hit]) -> list[Hit] | None:
        head, tail = list(hits[: self.depth]), list(hits[self.depth:])
        if not head or all(h.passage.language != query.language for h in head[:10]):
            return None
        _, idf = question_idf(query, self._stats)
        scores = self._model.score(features(query, head, idf, self._analysis))
        ranked = [replace(head[i], score=float(scores[i])) for i in np.argsort(-scores, kind="stable")]
        return self._naming_first(query, ranked) + tail

    def _naming_first(self, query: Query, ranked: list[Hit]) -> list[Hit]:
        """For a question asking where to find, buy or eat a thing ("Where can I eat calissons?"), the first
        ``SOUGHT_REACH`` passages that name it — and the place, when the question names one — go ahead of those that
        do not, when the first does not (the pages about eating in Marseille do not say where calissons are; Aix's,
        which names them, does). The scores are dealt out again in the new order, so that the first passage still
        has the best."""
        thing = thing_sought(query, self._intents)
        if not thing:
            return ranked
        top = ranked[:SOUGHT_REACH]
        # where the question asks it, the place too: "…calissons? — Cassis" is not answered by Aix's page
        places = place_patterns((*query.named, *query.places))

        def names_all(hit: Hit) -> bool:
            analysed = self._analysis.get(hit.passage)
            return (names_thing(query, hit.passage.language, analysed, thing)
                    and (not places or any(p.search(analysed.folded) for p in places)))
        naming = [names_all(h) for h in top]
        if naming[0] or not any(naming):
            return ranked
        pairs = list(zip(top, naming, strict=True))
        moved = [h for h, names in pairs if names] + [h for h, names in pairs if not names]
        return [replace(h, score=s) for h, s in zip(moved, (h.score for h in top), strict=True)] + ranked[len(top):]
