"""Fakes for the core's ports: small, deterministic, speaking the same protocol as the real ones."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from genius_loci.connectors.analysis import STOPWORDS, fold
from genius_loci.core.ports import LanguageGuess
from genius_loci.core.types import Role, Vector


class HashEmbedder:
    """Bag-of-words vectors: texts sharing words are close. ``calls`` counts texts embedded."""

    name = "hash-512"
    dim = 512

    def __init__(self) -> None:
        self.calls = 0

    def embed_sync(self, texts: Sequence[str], role: Role) -> Vector:
        self.calls += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in fold(text).split():
                word = word.strip("?!.,;:")
                if len(word) > 2 and not any(word in stop for stop in STOPWORDS.values()):
                    out[i, int(hashlib.md5(word[:5].encode()).hexdigest(), 16) % self.dim] += 1.0
            norm = np.linalg.norm(out[i])
            if norm:
                out[i] /= norm
        return out

    async def embed(self, texts: Sequence[str], *, role: Role) -> Vector:
        return self.embed_sync(texts, role)


class KeywordDetector:
    """Detects a language from a few give-away words; None when it sees none."""

    WORDS: ClassVar[dict[str, set[str]]] = {
             "fr": {"où", "est", "le", "la", "les", "comment", "quel"}, "en": {"the", "where", "how", "is", "what"},
             "es": {"dónde", "el", "cómo", "qué"}, "de": {"wo", "ist", "der", "die", "wie"},
             "ru": {"что", "где", "как"}}

    def detect(self, text: str) -> LanguageGuess | None:
        tokens = set(text.lower().replace("?", " ").split())
        scores = {lang: len(tokens & words) for lang, words in self.WORDS.items()}
        best = max(scores, key=lambda k: scores[k])
        return LanguageGuess(best, 0.9) if scores[best] else None
