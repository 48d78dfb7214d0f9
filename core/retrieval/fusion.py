"""Rank fusion of several retrievers' lists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..types import Hit

RRF_K = 60


def weighted_rrf(lists: Mapping[str, Sequence[Hit]], weights: Mapping[str, float],
                 k: int = RRF_K) -> list[Hit]:
    """Reciprocal-rank fusion: each retriever adds ``weight / (k + rank)`` to a passage's score.

    The fused hits keep every retriever's raw score and 1-based rank, so later stages
    (confidence, diversity, answer selection) can see why a passage came up.
    """
    fused: dict[str, float] = {}
    scores: dict[str, dict[str, float]] = {}
    ranks: dict[str, dict[str, int]] = {}
    first: dict[str, Hit] = {}
    for method, hits in lists.items():
        weight = weights.get(method, 1.0)
        for rank, hit in enumerate(hits, start=1):
            pid = hit.passage.id
            first.setdefault(pid, hit)
            fused[pid] = fused.get(pid, 0.0) + weight / (k + rank)
            scores.setdefault(pid, {})[method] = hit.score
            ranks.setdefault(pid, {})[method] = rank
    order = sorted(fused, key=lambda pid: (-fused[pid], pid))
    return [Hit(first[pid].passage, fused[pid], scores[pid], ranks[pid]) for pid in order]
