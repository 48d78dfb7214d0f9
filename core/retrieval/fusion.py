"""Fusing several retrievers' ranked lists into one."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from ..types import Hit, Passage

Weight = Callable[[str, Passage], float]
"""The weight of a retriever's score for one passage (``method``, ``passage``)."""


def mean_and_spread(values: Sequence[float]) -> tuple[float, float]:
    """The mean and the population standard deviation (1.0 when all values are equal), in floats
    (``statistics.pstdev`` computes in exact fractions: 1 ms a question in the reranker alone)."""
    mean = math.fsum(values) / len(values)
    return mean, math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values)) or 1.0


def zscores(hits: Sequence[Hit]) -> dict[str, float]:
    """Each hit's score as standard deviations from the list's mean: comparable across retrievers."""
    if not hits:
        return {}
    mean, spread = mean_and_spread([h.score for h in hits])
    return {h.passage.id: (h.score - mean) / spread for h in hits}


def weighted_zscore(lists: Mapping[str, Sequence[Hit]], weight: Weight) -> list[Hit]:
    """Sums each retriever's z-normalised score, weighted per passage; a passage a retriever did not
    return gets that retriever's lowest z-score. Fused hits keep every raw score and 1-based rank."""
    z = {method: zscores(hits) for method, hits in lists.items()}
    floor = {method: min(values.values(), default=0.0) for method, values in z.items()}
    first: dict[str, Hit] = {}
    scores: dict[str, dict[str, float]] = {}
    ranks: dict[str, dict[str, int]] = {}
    for method, hits in lists.items():
        for rank, hit in enumerate(hits, start=1):
            pid = hit.passage.id
            first.setdefault(pid, hit)
            scores.setdefault(pid, {})[method] = hit.score
            ranks.setdefault(pid, {})[method] = rank
    fused = {pid: sum(weight(m, first[pid].passage) * z[m].get(pid, floor[m]) for m in lists) for pid in first}
    order = sorted(fused, key=lambda pid: (-fused[pid], pid))
    return [Hit(first[pid].passage, fused[pid], scores[pid], ranks[pid]) for pid in order]
