"""How sure the assistant may be that the best hit answers the question."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..types import Hit, Query


@dataclass(frozen=True, slots=True)
class ConfidenceModel:
    """A logistic score of the best hit's dense similarity, raised when both retrievers rank it high.

    ``midpoint`` and ``scale`` were read off the sample corpus's labelled questions
    (tests/eval/questions.yaml): questions it answers have a best similarity of 0.81-0.91 with
    multilingual-e5-small, questions it cannot answer 0.75-0.78. The result reads as a probability.
    A best hit that dense search did not return at all counts as unrelated.
    """

    midpoint: float = 0.80
    scale: float = 0.01
    agreement_bonus: float = 1.0

    async def __call__(self, query: Query, hits: Sequence[Hit]) -> float:
        if not hits:
            return 0.0
        top = hits[0]
        if "dense" not in top.scores:
            return 0.0
        logit = (top.scores["dense"] - self.midpoint) / self.scale
        if top.ranks.get("bm25", 99) <= 3 and top.ranks.get("dense", 99) <= 3:
            logit += self.agreement_bonus
        return 1.0 / (1.0 + math.exp(-max(min(logit, 50.0), -50.0)))
