"""Ask the assembled assistant real questions about the bundled corpus, in several languages."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml

from genius_loci.bots.bootstrap import Runtime
from genius_loci.core.types import Answer, IncomingMessage

QUESTIONS: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "eval" / "questions.yaml").read_text(encoding="utf-8"))


def ask(runtime: Runtime, text: str, **kw: Any) -> Answer:
    return asyncio.run(runtime.assistant.handle(IncomingMessage(channel="test", user_id="t", text=text, **kw)))


def test_french_question_gets_a_french_answer_from_the_right_source(runtime: Runtime) -> None:
    answer = ask(runtime, "Comment monter à Notre-Dame de la Garde ?")
    assert answer.status == "answered" and answer.language == "fr"
    assert answer.text.startswith("Voici ce que je peux vous dire")
    assert "Notre-Dame de la Garde" in answer.citations[0].title
    assert answer.redirect is not None and answer.redirect.partner == "marseille-tourism"


def test_english_question_gets_an_english_answer_from_the_right_source(runtime: Runtime) -> None:
    answer = ask(runtime, "Where can I find student housing?")
    assert answer.status == "answered" and answer.language == "en"
    assert answer.citations[0].title == "Student housing"
    assert answer.citations[0].url == "https://www.crous-aix-marseille.fr"
    assert answer.redirect is not None and answer.redirect.partner == "crous"


def test_cross_lingual_question_is_answered_in_its_language_from_another(runtime: Runtime) -> None:
    answer = ask(runtime, "Wo wurde Cézanne geboren?")
    assert answer.status == "answered" and answer.language == "de"
    assert answer.text.startswith("Das sagen unsere Quellen")
    assert "1839" in answer.text


def test_question_outside_the_corpus_gets_i_dont_know_and_a_partner(runtime: Runtime) -> None:
    answer = ask(runtime, "What is the capital of Australia?")
    assert answer.status == "abstained"
    assert "I don't know" in answer.text and answer.redirect is not None


def test_labelled_questions_meet_the_floor(runtime: Runtime) -> None:
    """The first citation is a right source for most answerable questions; the rest abstain."""
    answerable = [q for q in QUESTIONS if q["expect"] != "none"]
    unanswerable = [q for q in QUESTIONS if q["expect"] == "none"]
    right = 0
    for q in answerable:
        answer = ask(runtime, q["q"])
        assert answer.language == q["lang"], q["q"]
        if answer.citations and answer.citations[0].title and any(
                answer.citations[0].title == _title(runtime, sid) for sid in q["expect"]):
            right += 1
    abstained = sum(ask(runtime, q["q"]).status == "abstained" for q in unanswerable)
    assert right / len(answerable) >= 0.85, f"{right}/{len(answerable)} right sources"
    assert abstained / len(unanswerable) >= 0.8, f"{abstained}/{len(unanswerable)} abstained"


def _title(runtime: Runtime, source_id: str) -> str:
    source = next(s for s in runtime.sources if s.id == source_id)
    return Path(source.location).read_text(encoding="utf-8").splitlines()[0].removeprefix("# ").strip()


@pytest.mark.parametrize("text", ["", "😀🎉", "a" * 20_000, "Что посмотреть в Марселе летом?"])
def test_bad_input_never_raises(runtime: Runtime, text: str) -> None:
    answer = ask(runtime, text)
    assert answer.status == "rejected" and answer.text
