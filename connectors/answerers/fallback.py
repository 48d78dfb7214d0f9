"""An answerer that falls back on another one when the first fails or is too slow for the channel."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence

from genius_loci.core.errors import LociError
from genius_loci.core.metrics import Metrics
from genius_loci.core.ports import Answerer
from genius_loci.core.types import Draft, Hit, Query

log = logging.getLogger("genius_loci.answering")
_MARKER = re.compile(r"\[(\d{1,3})\]")


class UngroundedAnswer(LociError):
    """The model's answer cites none of the passages it was given."""


class FallbackAnswerer:
    """Asks ``primary`` within ``budget_seconds``; on a provider error, a timeout, or an answer that cites
    none of the passages, ``fallback`` answers (the extractive answerer never fails): no one gets an empty
    or ungrounded reply. Each fallback is logged and counted in ``loci_answer_fallbacks_total``."""

    def __init__(self, primary: Answerer, fallback: Answerer, budget_seconds: float,
                 metrics: Metrics | None = None) -> None:
        self._primary = primary
        self._fallback = fallback
        self._budget = budget_seconds
        self._metrics = metrics or Metrics()
        self.name = primary.name

    async def compose(self, query: Query, hits: Sequence[Hit]) -> Draft:
        try:
            draft = await asyncio.wait_for(self._primary.compose(query, hits), timeout=self._budget)
            if not any(1 <= int(n) <= len(hits) for n in _MARKER.findall(draft.text)):
                raise UngroundedAnswer("the answer cites no passage")  # not given to anyone
            return draft
        except (LociError, TimeoutError) as exc:
            reason = ("timeout" if isinstance(exc, TimeoutError)
                      else "uncited" if isinstance(exc, UngroundedAnswer) else "provider")
            self._metrics.count("loci_answer_fallbacks_total", primary=self._primary.name, reason=reason)
            log.warning("answerer fell back", extra={"event": "answerer.fallback", "primary": self._primary.name,
                                                     "reason": reason, "detail": str(exc) or reason})
            return await self._fallback.compose(query, hits)
