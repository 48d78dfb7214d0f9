"""Splitting documents into passages of a few paragraphs, each carrying the document's title."""

from __future__ import annotations

import re
from dataclasses import dataclass

from genius_loci.core.types import Document, Passage

from .analysis import SENTENCE_END


@dataclass(frozen=True, slots=True)
class ParagraphChunker:
    """Packs whole paragraphs up to ``max_chars``; a longer paragraph is cut between sentences."""

    max_chars: int = 1200

    def split(self, document: Document) -> list[Passage]:
        pieces: list[str] = []
        for para in re.split(r"\n\s*\n", document.text):
            para = " ".join(para.split())
            if not para:
                continue
            pieces.extend(self._cut(para) if len(para) > self.max_chars else [para])
        chunks: list[str] = []
        for piece in pieces:
            if chunks and len(chunks[-1]) + 2 + len(piece) <= self.max_chars:
                chunks[-1] = f"{chunks[-1]}\n\n{piece}"
            else:
                chunks.append(piece)
        return [
            Passage(f"{document.id}#{i}", document.id, document.title, text, document.url, document.language,
                    document.owner, document.audiences, document.geo)
            for i, text in enumerate(chunks)
        ]

    def _cut(self, paragraph: str) -> list[str]:
        out: list[str] = []
        for sentence in SENTENCE_END.split(paragraph):
            if out and len(out[-1]) + 1 + len(sentence) <= self.max_chars:
                out[-1] = f"{out[-1]} {sentence}"
            else:
                out.append(sentence[: self.max_chars])
        return out
