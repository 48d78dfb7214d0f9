"""Translation by a language model, where one is configured: a question in another language read in the
corpus' main language for keyword search, and the quotes of a source in another language given in the person's.

Every translation is an extra: on a provider error, beyond its time budget, or when the result is not faithful
to the original (a number, a date or a link lost, a length far off, several lines for one), what there was
without it stands (the question read as it was written, the quote in its own language with its language named).
Each outcome is logged and counted in ``loci_translations_total``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter

from .errors import LociError
from .metrics import Metrics
from .ports import Translator

log = logging.getLogger("genius_loci.translation")

# a translation is this many times longer or shorter than its original at most (FR <-> DE wording differs by
# about a third; a model that answers instead of translating writes several times more)
MAX_LENGTH_RATIO = 2.5
_NUMBER = re.compile(r"\d+(?:[.,:h]\d+)*")
_LINK = re.compile(r"https?://\S+|[\w.+-]+@[\w-]+\.[\w.]+")
_THOUSANDS = re.compile(r"(?<=\d)[\s\u00a0\u202f.,'](?=\d{3}\b)")


def figures(text: str) -> Counter[str]:
    """The numbers of a text (thousands separators dropped: "1 500" and "1,500" are one number) and its links."""
    plain = _THOUSANDS.sub("", text)
    found = [re.sub(r"\D", "", n) for n in _NUMBER.findall(_LINK.sub(" ", plain))]
    return Counter(found + [link.rstrip(".,;)") for link in _LINK.findall(text)])


def unfaithful(original: str, translation: str) -> str | None:
    """Why ``translation`` cannot stand for ``original`` (None when it can)."""
    if not translation.strip():
        return "empty"
    if "\n" in translation.strip() and "\n" not in original.strip():
        return "several lines"
    ratio = len(translation) / max(len(original), 1)
    if not 1 / MAX_LENGTH_RATIO <= ratio <= MAX_LENGTH_RATIO:
        return "length"
    if figures(original) - figures(translation):
        return "figures"
    return None


class Translations:
    """The translator within ``budget_seconds``, its results checked; None whenever the original must stand."""

    def __init__(self, translator: Translator, *, budget_seconds: float, metrics: Metrics | None = None) -> None:
        self._translator = translator
        self._budget = budget_seconds
        self._metrics = metrics or Metrics()

    async def translate(self, text: str, *, source: str, target: str, purpose: str) -> str | None:
        if source == target or not text.strip():
            return None
        try:
            translated = await asyncio.wait_for(
                self._translator.translate(text, source=source, target=target), timeout=self._budget)
        except (LociError, TimeoutError) as exc:
            outcome = "timeout" if isinstance(exc, TimeoutError) else "provider"
            self._dropped(purpose, outcome, source, target)
            return None
        translated = translated.strip()
        reason = unfaithful(text, translated)
        if reason is not None:
            self._dropped(purpose, "unfaithful", source, target, reason)
            return None
        self._metrics.count("loci_translations_total", purpose=purpose, outcome="ok")
        return translated

    def _dropped(self, purpose: str, outcome: str, source: str, target: str, reason: str = "") -> None:
        self._metrics.count("loci_translations_total", purpose=purpose, outcome=outcome)
        log.warning("translation dropped", extra={"event": "translation.dropped", "purpose": purpose,
                                                   "outcome": outcome, "reason": reason or outcome,
                                                   "source": source, "target": target})
