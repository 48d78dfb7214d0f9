"""Teaching with a bag-of-words embedder at the edge: a lesson's life (propose → approve → edit → withdraw) and
its audit trail; an approved lesson indexed without re-ingestion and preferred for questions like its own;
withdrawn, gone; erasure keeps lessons, not names."""

from __future__ import annotations

from pathlib import Path

import pytest

from genius_loci.connectors.chunking import SectionChunker
from genius_loci.connectors.store.sql import SqlStore
from genius_loci.core.assistant import Assistant
from genius_loci.core.curated import CuratedBoard, Curriculum
from genius_loci.core.gaps import GapFinder
from genius_loci.core.teaching import Teaching, TeachingError
from genius_loci.core.types import IncomingMessage
from tests.fakes import HashEmbedder
from tests.unit.conftest import build_index
from tests.unit.test_gaps import Clock, turn

KAYAK = "https://www.ot-cassis.com/kayak"
ANSWER = "Kayak rental in Cassis: several hire shops on the Port de Cassis beach rent kayaks from April to October."


async def test_a_lesson_is_proposed_reviewed_edited_withdrawn_and_every_change_audited(store: SqlStore) -> None:
    teaching = Teaching(store, ["cassis-tourism", "port"], clock=Clock())
    gap = await GapFinder(store, HashEmbedder(), clock=Clock()).observe(
        turn(1, "louer kayak Cassis", partner="cassis-tourism"))
    assert gap is not None
    lesson = await teaching.propose(gap_id=gap, answer=ANSWER, url=KAYAK, author="slack:alice")
    assert (lesson.status, lesson.partner, lesson.question) == ("pending", "cassis-tourism", "louer kayak Cassis")
    with pytest.raises(TeachingError, match="only a pending"):
        await teaching.withdraw((await teaching.reject(lesson.id, "slack:bob")).id, "slack:bob")
    for bad, field in ((dict(url="ot-cassis.com"), "url"), (dict(answer=" "), "answer"),
                       (dict(partner="nobody"), "partner"), (dict(answer="x" * 3001), "answer")):
        with pytest.raises(TeachingError) as caught:
            await teaching.propose(**{"gap_id": gap, "answer": ANSWER, "url": KAYAK, "author": "a", **bad})
        assert caught.value.field == field
    with pytest.raises(TeachingError, match="no gap"):
        await teaching.propose(gap_id="nope", answer=ANSWER, url=KAYAK, author="a")

    second = await teaching.propose(gap_id=gap, answer=ANSWER, url=KAYAK, author="slack:alice")
    approved = await teaching.approve(second.id, "slack:bob")
    assert approved.status == "approved" and approved.reviewer == "slack:bob"
    assert (await store.gap(gap))[0].status == "closed"  # type: ignore[index]  # taught
    edited = await teaching.edit(second.id, "slack:alice", url="https://www.ot-cassis.com/kayak-2")
    assert edited.status == "pending" and edited.reviewer is None  # back to review, not cited meanwhile
    await teaching.withdraw(second.id, "cli:ops")
    trail = await teaching.history(second.id)
    assert [(c.actor, c.action) for c in trail] == [("slack:alice", "proposed"), ("slack:bob", "approved"),
                                                     ("slack:alice", "edited"), ("cli:ops", "withdrawn")]
    assert trail[2].before["url"] == KAYAK and trail[2].after["url"].endswith("kayak-2")  # type: ignore[index]
    assert [x.id for x in await teaching.lessons("withdrawn")] == [second.id]

    exported = await store.export("slack:alice")
    assert {x["id"] for x in exported["lessons"]} == {lesson.id, second.id}
    assert [c["action"] for c in exported["lesson_changes"]] == ["proposed", "proposed", "edited"]
    assert await store.forget("slack:alice") > 0
    assert {x.author for x in await teaching.lessons()} == {"erased"}  # the content stays, the name goes
    assert (await store.export("slack:alice"))["lesson_changes"] == []


async def test_an_approved_lesson_is_indexed_at_once_preferred_for_its_questions_and_withdrawn(
        store: SqlStore, assistant: Assistant, tmp_path: Path) -> None:
    embedder = HashEmbedder()
    index = await build_index(tmp_path / "index.sqlite", embedder)
    board = CuratedBoard(similar=0.6)
    curriculum = Curriculum(store, index, SectionChunker(), embedder, board, lambda text: "en")
    teaching = Teaching(store, ["cassis-tourism"])
    retriever = assistant.retriever
    retriever.curated = board
    retriever._index = index  # the assistant fixture's index, on a file shared with another "process" below

    async def top(question: str) -> tuple[str, float]:
        answer = await assistant.handle(IncomingMessage("web", "u", question))
        return (answer.citations[0].url if answer.citations else answer.status), answer.confidence

    before = await top("rent a kayak in Cassis?")
    assert before[0] != KAYAK
    assert await curriculum.refresh() and not await curriculum.refresh()  # nothing changed: no sync
    lesson = await teaching.propose(question="rent a kayak in Cassis", answer=ANSWER, url=KAYAK,
                                    partner="cassis-tourism", author="cli:ops")
    assert await curriculum.refresh() and len(board) == 0  # pending: not cited
    await teaching.approve(lesson.id, "cli:reviewer")
    embedded = embedder.calls
    assert await curriculum.refresh()
    assert embedder.calls - embedded == 2  # the lesson's one passage and its one question: no re-ingestion
    url, confidence = await top("Can I rent a kayak in Cassis?")
    assert url == KAYAK and confidence >= 0.6
    assert (await top("Where is the airport shuttle?"))[0] != KAYAK  # another need: the sources as before

    await teaching.withdraw(lesson.id, "cli:ops")
    assert await curriculum.refresh()
    assert (await top("Can I rent a kayak in Cassis?"))[0] != KAYAK
    index.close()
