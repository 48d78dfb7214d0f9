"""Near-duplicate detection with 64-bit SimHash over word shingles, banded for speed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import TypeVar

from .text import words

T = TypeVar("T")
SHINGLE = 3
MAX_DISTANCE = 3  # bits out of 64: "the same page with a different date or menu"
BANDS = 4  # with at most 3 differing bits, two near-duplicates agree exactly on at least one 16-bit band


def simhash(text: str) -> int:
    tokens = words(text)
    grams = [" ".join(tokens[i:i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1))]
    weights = [0] * 64
    for gram in grams:
        h = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if h >> bit & 1 else -1
    return sum(1 << bit for bit in range(64) if weights[bit] > 0)


def drop_near_duplicates(items: Sequence[T], texts: Iterable[str]) -> tuple[list[T], list[T]]:
    """Keeps the first of each group of near-identical texts; returns (kept, dropped)."""
    buckets: list[dict[int, list[int]]] = [{} for _ in range(BANDS)]
    kept_hashes: list[int] = []
    kept: list[T] = []
    dropped: list[T] = []
    for item, text in zip(items, texts, strict=True):
        h = simhash(text)
        bands = [(h >> (16 * b)) & 0xFFFF for b in range(BANDS)]
        candidates = {i for b, band in enumerate(bands) for i in buckets[b].get(band, ())}
        if any(bin(h ^ kept_hashes[i]).count("1") <= MAX_DISTANCE for i in candidates):
            dropped.append(item)
            continue
        index = len(kept_hashes)
        kept_hashes.append(h)
        kept.append(item)
        for b, band in enumerate(bands):
            buckets[b].setdefault(band, []).append(index)
    return kept, dropped
