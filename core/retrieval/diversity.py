"""Several pages rather than one: a page's passages beyond its first few wait behind the other pages'."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ..types import Hit

PER_PAGE = 2


def diversify(hits: Sequence[Hit], per_page: int = PER_PAGE) -> list[Hit]:
    """The hits in their order, except that a page's (``doc_id``'s) hits after its first ``per_page``
    move behind every other page's hits, still in their order. The best hit never moves, so the
    confidence read from it does not change."""
    kept: list[Hit] = []
    waiting: list[Hit] = []
    seen: Counter[str] = Counter()
    for hit in hits:
        seen[hit.passage.doc_id] += 1
        (kept if seen[hit.passage.doc_id] <= per_page else waiting).append(hit)
    return kept + waiting
