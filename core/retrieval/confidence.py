"""How sure the assistant may be that the best hits answer the question."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..types import Hit


@dataclass(frozen=True, slots=True)
class ConfidenceModel:
    """A logistic score of the best hit's dense similarity, raised when both retrievers agree.

    ``midpoint`` and ``scale`` were fitted on the sample corpus with questions it answers and
    questions it does not (see docs/retrieval.md); the result reads as a probability.
    """

    midpoint: float = 0.845
    scale: float = 0.015
    agreement_bonus: float = 1.0

    def __call__(self, hits: Sequence[Hit]) -> float:
        if not hits:
            return 0.0
        top = hits[0]
        similarity = top.scores.get("dense")
        if similarity is None:
            # keyword-only search: fall back on whether the passage matched at all
            return 0.5 if top.scores.get("bm25", 0.0) > 0 else 0.0
        logit = (similarity - self.midpoint) / self.scale
        if top.ranks.get("bm25", 99) <= 3 and top.ranks.get("dense", 99) <= 3:
            logit += self.agreement_bonus
        return 1.0 / (1.0 + math.exp(-logit))
