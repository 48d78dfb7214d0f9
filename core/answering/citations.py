"""Checking an answerer's ``[n]`` citations against the passages it was given."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..types import Citation, Hit

_MARKER = re.compile(r"[ \t]*\[(\d{1,3})\]")


def resolve_citations(text: str, hits: Sequence[Hit]) -> tuple[str, tuple[Citation, ...], list[Hit]]:
    """Renumbers valid markers 1, 2, ... in order of first use and drops out-of-range ones.

    Returns the rewritten text, the citations, and the hits they point to (in citation order).
    """
    mapping: dict[int, int] = {}
    cited: list[Hit] = []

    def renumber(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if not 1 <= n <= len(hits):
            return ""
        if n not in mapping:
            mapping[n] = len(mapping) + 1
            cited.append(hits[n - 1])
        return f" [{mapping[n]}]"

    rewritten = _MARKER.sub(renumber, text)
    rewritten = re.sub(r"[ \t]{2,}", " ", rewritten).strip()
    citations = tuple(
        Citation(i, h.passage.title, h.passage.url, h.passage.id) for i, h in enumerate(cited, start=1))
    return rewritten, citations, cited
