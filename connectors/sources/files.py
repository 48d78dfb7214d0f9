"""Sources that are local text or Markdown files (the bundled sample corpus, an agency's own notes)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from genius_loci.core.errors import SourceError
from genius_loci.core.ports import Fetched
from genius_loci.core.types import Document, SourceSpec


class FileFetcher:
    """Reads the file at the source's location; a first line ``# Title`` becomes the title."""

    def __init__(self, default_language: str) -> None:
        self._default_language = default_language

    async def fetch(self, source: SourceSpec) -> Fetched:
        return Fetched(await asyncio.to_thread(self._read, source))

    def _read(self, source: SourceSpec) -> list[Document]:
        path = Path(source.location)
        try:
            raw = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceError(f"cannot read {path}: {exc}") from exc
        title, _, body = raw.partition("\n") if raw.startswith("# ") else ("", "", raw)
        title = title.removeprefix("# ").strip() or path.stem.replace("-", " ")
        if not body.strip():
            raise SourceError(f"{path} holds no text")
        language = source.languages[0] if source.languages else self._default_language
        return [Document(source.id, title, body.strip(), source.url, language, source.owner, source.audiences,
                         source.geo)]
