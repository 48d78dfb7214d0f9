"""Retrieval metrics over ranked lists."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

CUTOFFS = (1, 5, 10)
MRR_CUTOFF = 10


@dataclass(slots=True)
class RetrievalTally:
    """Accumulates one method's results query by query."""

    hits_at: dict[int, int] = field(default_factory=lambda: dict.fromkeys(CUTOFFS, 0))
    reciprocal_ranks: list[float] = field(default_factory=list)
    milliseconds: list[float] = field(default_factory=list)

    def add(self, ranked_ids: Sequence[str], relevant: set[str], ms: float) -> None:
        rank = next((i for i, pid in enumerate(ranked_ids, start=1) if pid in relevant), None)
        for k in CUTOFFS:
            if rank is not None and rank <= k:
                self.hits_at[k] += 1
        self.reciprocal_ranks.append(1.0 / rank if rank is not None and rank <= MRR_CUTOFF else 0.0)
        self.milliseconds.append(ms)

    def summary(self) -> dict[str, float]:
        n = len(self.reciprocal_ranks)
        if n == 0:
            return {**{f"R@{k}": 0.0 for k in CUTOFFS}, "MRR@10": 0.0, "ms_per_query": 0.0}
        out = {f"R@{k}": round(self.hits_at[k] / n, 4) for k in CUTOFFS}
        out["MRR@10"] = round(sum(self.reciprocal_ranks) / n, 4)
        out["ms_per_query"] = round(statistics.fmean(self.milliseconds), 3)
        return out


def report(n_queries: int, tallies: Mapping[str, RetrievalTally]) -> dict[str, object]:
    """The public JSON shape of ``loci eval retrieval --json``."""
    return {"n_queries": n_queries, "methods": {m: t.summary() for m, t in tallies.items()}}
