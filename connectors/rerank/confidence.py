"""A learned, calibrated confidence: the probability that the passages an answer is written from hold the
answer, from what retrieval already knows of the best hits.

Features: the reranker's features of the first hit (both retrievers' scores and ranks, how much of the
question's weight its best sentence and its best 25-word window cover, title and bigram coverage…), the
first hit's score and its margin over the second, whether it is in the question's language, and whether the
answer type the question asks for (a date for "when", an amount for "how much", a number for "how many")
appears in its best sentence. A logistic model over them is trained by ``bench/train_confidence.py`` on
questions whose gold passages are sometimes hidden, so that "nothing here answers it" is learned too; it is
shipped in ``config/confidence.json`` and needs only numpy.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genius_loci.core.errors import ConfigError
from genius_loci.core.types import Hit, Query

from ..analysis import sentences, terms
from ..answer_types import asked_type, has_type
from .features import BASE, AnalysisCache, features
from .linear import TermStatistics

NAMES = (*(f"top_{n}" for n in BASE), "top_score", "margin", "same_language", "type_asked", "type_found",
         "log_terms")
HEAD = 10  # hits whose features are computed together (z-scores are relative to them)

@dataclass(frozen=True, slots=True)
class ConfidenceWeights:
    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def load(cls, path: Path) -> ConfidenceWeights:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if tuple(data["features"]) != NAMES:
                raise ConfigError(f"{path} was trained on other features; train it again (bench/train_confidence.py)")
            return cls(np.array(data["weights"]), float(data["bias"]), np.array(data["mean"]), np.array(data["scale"]))
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(f"cannot read the confidence model {path}: {exc}") from exc

    def probability(self, row: Sequence[float]) -> float:
        x = (np.asarray(row, dtype=np.float64) - self.mean) / self.scale
        logit = float(x @ self.weights + self.bias)
        return 1.0 / (1.0 + math.exp(-max(min(logit, 50.0), -50.0)))


class ConfidenceFeatures:
    """The feature row of a question's ranked hits (shared by the model and its training)."""

    def __init__(self, stats: TermStatistics) -> None:
        self._stats = stats
        self._analysis = AnalysisCache()

    def row(self, query: Query, hits: Sequence[Hit]) -> list[float] | None:
        if not hits:
            return None
        head = list(hits[:HEAD])
        wanted = list(dict.fromkeys(terms(query.text, query.language)))
        df = self._stats.document_frequencies(wanted)
        n = max(1, self._stats.count())

        def idf(term: str) -> float:
            k = df.get(term, 0)
            return math.log((n - k + 0.5) / (k + 0.5) + 1.0)

        top = features(query, head, idf, self._analysis)[0][: len(BASE)]
        first = head[0]
        margin = first.score - head[1].score if len(head) > 1 else 1.0
        kind = asked_type(query.text)
        found = 0.0
        if kind is not None:
            best = _best_sentence(first.passage.text, wanted, first.passage.language)
            found = float(has_type(best, kind))
        return [*top, first.score, margin, float(first.passage.language == query.language),
                float(kind is not None), found, math.log(len(wanted) + 1)]


def _best_sentence(text: str, wanted: list[str], language: str) -> str:
    wanted_set = set(wanted)
    return max(sentences(text) or [text], key=lambda s: len(wanted_set & set(terms(s, language))))


class LearnedConfidence:
    """``Calibrator`` of the core: the model's probability for a question's ranked hits."""

    def __init__(self, weights: ConfidenceWeights, stats: TermStatistics) -> None:
        self._weights = weights
        self._features = ConfidenceFeatures(stats)

    def __call__(self, query: Query, hits: Sequence[Hit]) -> float:
        row = self._features.row(query, hits)
        return 0.0 if row is None else self._weights.probability(row)
