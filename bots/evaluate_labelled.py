"""The bundled corpus's labelled questions (tests/eval/questions.yaml), asked one by one: whether a right source is
among the first three passages, whether the answerable are answered and cite a right source, in the question's
language, whether a shared location's first passage lies within the radius asked, and whether the unanswerable
(those about the territory counted apart) are abstained on. Used by the CI floors and ``python -m bench.labelled``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from genius_loci.core.assistant import Assistant
from genius_loci.core.types import GeoPoint, IncomingMessage


def load_questions(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return list(data)


def _message(q: dict[str, Any]) -> IncomingMessage:
    where = GeoPoint(*q["location"]) if "location" in q else None
    return IncomingMessage("eval", "eval", q["q"], location=where, audience=q.get("audience"))


async def evaluate_labelled(assistant: Assistant, questions: list[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(("n_answerable", "right_in_top3", "answered", "cited_right", "same_language",
                            "n_located", "located_within_radius", "n_unanswerable", "abstained",
                            "n_about_territory", "abstained_about_territory"), 0)
    for q in questions:
        message = _message(q)
        if q["expect"] == "none":
            abstained = (await assistant.handle(message)).status == "abstained"
            counts["n_unanswerable"] += 1
            counts["abstained"] += abstained
            if q.get("about") == "territory":
                counts["n_about_territory"] += 1
                counts["abstained_about_territory"] += abstained
            continue
        expected = set(q["expect"])
        hits = await assistant.search(assistant.understand(message), 3)
        answer = await assistant.handle(message)
        counts["n_answerable"] += 1
        counts["right_in_top3"] += any(h.passage.doc_id in expected for h in hits)
        counts["answered"] += answer.status == "answered"
        counts["cited_right"] += bool({c.passage_id.split("#")[0] for c in answer.citations} & expected)
        counts["same_language"] += answer.language == q["lang"]
        if "location" in q:
            first = hits[0].passage.geo if hits else None
            counts["n_located"] += 1
            counts["located_within_radius"] += (first is not None
                                                and message.location is not None
                                                and message.location.distance_km(first) <= q["radius_km"])
    return counts
