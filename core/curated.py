"""Curated sources: approved lessons (core.teaching) indexed like any page — cited with their link, attributed to
their partner — and preferred for questions like the ones they were written for, in any language.

Every process keeps its index and its preferences in step with the lessons in the state store: before a question
it asks the store whether any lesson changed (one cheap query), and if so syncs — only the lessons that changed
are embedded (no re-ingestion). So an approval or a withdrawal made anywhere (Slack, ``loci teach``, another
worker) counts from the next question in every process sharing the data directory or the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .ingestion import Ingestor, IngestReport
from .ports import Chunker, Embedder, Fetched, IndexWriter
from .teaching import Lesson, LessonBook
from .types import AUDIENCES, Document, Hit, Passage, SourceSpec

log = logging.getLogger("genius_loci.curated")

SOURCE = "curated"  # the id and kind of the source that holds the lessons (document ids ``curated::<lesson>``)
SPEC = SourceSpec(SOURCE, SOURCE, "state store", "")
# Cosine between a question and one a lesson was written for, for the lesson to be preferred: the content gaps'
# "same need" (core.gaps.JOIN; one need asked in two languages 0.905-0.969). Questions about the same place share
# much of their vector ("Où se baigner à Cassis ?" is at 0.933 of "Can I rent a kayak in Cassis?"), so the needs a
# question names (core.intents) must also be among those of the lesson's questions (see docs/learning.md).
SIMILAR = 0.91
PREFER_MARGIN = 1.0  # score units a preferred lesson is put ahead of the best other passage
GAP_QUESTIONS = 20  # a lesson also answers this many of its gap's latest questions, as asked


def document_of(lesson: Lesson, language: str) -> Document:
    return Document(f"{SOURCE}::{lesson.id}", lesson.question, lesson.answer, lesson.url, language, lesson.partner,
                    AUDIENCES)


@dataclass(frozen=True, slots=True)
class _Entry:
    lesson: str
    passage: Passage
    questions: np.ndarray  # unit vectors, one row per question the lesson answers
    needs: frozenset[str]  # what its questions ask for (core.intents)


class CuratedBoard:
    """The approved lessons this process knows, with the questions each answers, searched by cosine."""

    def __init__(self, *, similar: float = SIMILAR) -> None:
        self.similar = similar
        self._entries: list[_Entry] = []

    def __len__(self) -> int:
        return len(self._entries)

    def replace(self, entries: Sequence[tuple[str, Passage, np.ndarray, Collection[str]]]) -> None:
        board = []
        for lesson, passage, vectors, needs in entries:
            matrix = np.asarray(vectors, dtype=np.float32)
            norms = np.linalg.norm(matrix, axis=1, keepdims=True)
            board.append(_Entry(lesson, passage, matrix / np.where(norms == 0, 1.0, norms), frozenset(needs)))
        self._entries = board

    def match(self, vector: Sequence[float] | np.ndarray, needs: Collection[str] = ()) -> tuple[Passage, float] | None:
        """The lesson written for questions most like this one, when like enough and asking for nothing its
        questions do not, and the cosine."""
        wanted = set(needs)
        entries = [e for e in self._entries if wanted <= e.needs]
        if not entries:
            return None
        query = np.asarray(vector, dtype=np.float32)
        query = query / (float(np.linalg.norm(query)) or 1.0)
        best = max(((entry, float(np.max(entry.questions @ query))) for entry in entries), key=lambda e: e[1])
        return (best[0].passage, best[1]) if best[1] >= self.similar else None

    def prefer(self, vector: Sequence[float] | np.ndarray, hits: list[Hit], needs: Collection[str] = ()) -> list[Hit]:
        """``hits`` with the matching lesson first (taken from the candidates, or added), its similarity in its
        scores as ``curated``; unchanged when no lesson matches."""
        found = self.match(vector, needs)
        if found is None:
            return hits
        passage, similarity = found
        rest = [h for h in hits if h.passage.id != passage.id]
        mine = next((h for h in hits if h.passage.id == passage.id), Hit(passage, 0.0, {}))
        top = max([h.score for h in rest], default=0.0)
        preferred = replace(mine, score=max(top, mine.score) + PREFER_MARGIN,
                            scores={**mine.scores, "curated": similarity})
        return [preferred, *rest]


class LessonFetcher:
    """The ``curated`` source: the approved lessons, as documents."""

    def __init__(self, book: LessonBook, language_of: Callable[[str], str]) -> None:
        self._book = book
        self._language_of = language_of
        self.fetched: list[tuple[Lesson, Document]] = []  # what the last fetch read (the board is built from it)

    async def fetch(self, source: SourceSpec) -> Fetched:
        self.fetched = [(lesson, document_of(lesson, self._language_of(lesson.answer)))
                        for lesson in await self._book.lessons("approved")]
        return Fetched([doc for _, doc in self.fetched])


class Curriculum:
    """Keeps this process's index and board in step with the approved lessons."""

    def __init__(self, book: LessonBook, writer: IndexWriter, chunker: Chunker, embedder: Embedder,
                 board: CuratedBoard | None, language_of: Callable[[str], str],
                 needs_of: Callable[[str], Collection[str]] = lambda _: ()) -> None:
        self._book = book
        self._needs_of = needs_of
        self._fetcher = LessonFetcher(book, language_of)
        self._ingestor = Ingestor(fetchers={SOURCE: self._fetcher}, chunker=chunker, embedder=embedder,
                                  writer=writer)
        self._chunker = chunker
        self._embedder = embedder
        self._board = board
        self._revision: str | None = None
        self._lock = asyncio.Lock()

    async def refresh(self) -> bool:
        """Syncs when a lesson changed since the last sync (in any process); True when it did."""
        revision = await self._book.lessons_revision()
        if revision == self._revision:
            return False
        async with self._lock:
            if revision == self._revision:
                return False
            await self.sync()
            self._revision = revision
        return True

    async def sync(self) -> IngestReport:
        """Indexes the approved lessons that changed, removes the others, and rebuilds the preferences."""
        report = await self._ingestor.run([SPEC])
        if self._board is not None:
            lessons = self._fetcher.fetched  # read by the run above: the lessons are read once per sync
            asked = [await self._questions(lesson) for lesson, _ in lessons]
            flat = [q for questions in asked for q in questions]
            vectors = await self._embedder.embed(flat, role="query") if flat else np.zeros((0, 0))
            entries = []
            row = 0
            for (lesson, doc), questions in zip(lessons, asked, strict=True):
                passages = self._chunker.split(doc)
                if passages:
                    needs = {need for q in questions for need in self._needs_of(q)}
                    entries.append((lesson.id, passages[0], vectors[row:row + len(questions)], needs))
                row += len(questions)
            self._board.replace(entries)
        if report.added or report.updated or report.removed:
            log.info("curated sources synced", extra={"event": "curated.synced", "added": report.added,
                                                       "updated": report.updated, "removed": report.removed})
        return report

    async def _questions(self, lesson: Lesson) -> list[str]:
        """The question the partner wrote, and the latest ones of its gap as people asked them."""
        questions = [lesson.question]
        if lesson.gap_id:
            gap = await self._book.gap(lesson.gap_id)
            if gap is not None:
                latest = sorted(gap[1], key=lambda q: -q.created_at)[:GAP_QUESTIONS]
                questions += [q.question for q in latest]
        return list(dict.fromkeys(questions))
