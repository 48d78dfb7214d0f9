"""Heading-aware chunking with langchain's text splitters: each chunk carries its section in its title."""

from __future__ import annotations

import re

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from genius_loci.core.types import Document, Passage

_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3")]


class SectionChunker:
    """Splits a document at its Markdown headings, then each section into pieces of about
    ``chunk_chars`` characters (cut at paragraphs, then sentences, then words)."""

    def __init__(self, chunk_chars: int = 1000, overlap_chars: int = 100) -> None:
        self._sections = MarkdownHeaderTextSplitter(_HEADERS, strip_headers=True)
        self._pieces = RecursiveCharacterTextSplitter(
            chunk_size=chunk_chars, chunk_overlap=overlap_chars,
            separators=["\n\n", "\n", ". ", "! ", "? ", "; ", ", ", " ", ""], keep_separator="end")

    def split(self, document: Document) -> list[Passage]:
        passages: list[Passage] = []
        for section in self._sections.split_text(document.text):
            headings = [section.metadata[k] for k in ("h1", "h2", "h3") if k in section.metadata]
            headings = [h for h in headings if h.strip() and h.strip() != document.title.strip()]
            title = " — ".join([document.title, *headings]) if document.title else " — ".join(headings)
            body = re.sub(r"[ \t]+\n", "\n", section.page_content).strip()
            for piece in self._pieces.split_text(body):
                piece = piece.strip()
                if piece:
                    passages.append(Passage(
                        f"{document.id}#{len(passages)}", document.id, title, piece, document.url,
                        document.language, document.owner, document.audiences, document.geo, document.expires_at))
        return passages
