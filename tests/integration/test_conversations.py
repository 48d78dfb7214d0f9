"""Everyday conversations on the bundled territory (tests/eval/conversations.yaml): follow-ups, topic shifts,
language switches and shared places, played through the real conversation layer, with floors."""

from __future__ import annotations

from pathlib import Path

from genius_loci.bots.bootstrap import Runtime, build_assistant
from genius_loci.bots.evaluate_conversations import evaluate_conversations, load_script
from genius_loci.core.types import Hit, Query

SCRIPT = Path(__file__).resolve().parents[1] / "eval" / "conversations.yaml"


async def test_scripted_conversations_meet_the_floors(runtime: Runtime) -> None:
    """Measured (both parts, 485 turns; a third tune batch of 42 turns was written from what each audience asks,
    eight more of 254 after the rest was tuned on: 189 of them right at their first run, the unanswerable included):
    right source 0.882 (held-out 0.873, with the confidence model trained on the tune part too and pages' titles
    read as their own; 0.800 before), right language 1.000 (1.000), unanswerable abstained 0.837 (0.636),
    stand-alone messages carried over 0.033 (0.083:
    existential questions given the conversation's commune, and a "near here" read about it — the script labels
    them as standing alone), follow-ups completed 0.730 (0.909). The issue's target (>= 0.90 right source on the
    held-out part) is not met: the floors guard what is reached."""
    script = load_script(SCRIPT)
    turns = [t for c in script for t in c["turns"] if "say" in t]
    assert len(script) >= 40 and len(turns) >= 120
    assert {t["lang"] for t in turns} == {"fr", "en", "es", "it", "de"}
    assert {c["audience"] for c in script} == {"tourist", "investor", "resident", "student"}
    assert sum(bool(t.get("follow")) for t in turns) >= 30 and any("share" in t for c in script for t in c["turns"])

    result = await evaluate_conversations(runtime, script)
    held_out = result["parts"]["held-out"]
    assert result["n_turns"] == len(turns)
    for part in (result, held_out):
        assert part["right_source"] >= 0.82, part
        assert part["right_language"] >= 0.94, part
        assert part["carried_over_wrongly"] <= 0.09, part
    assert result["follow_ups_completed"] >= 0.7, result
    assert held_out["follow_ups_completed"] >= 0.85, held_out
    assert result["abstained_when_unanswerable"] >= 0.75, result


async def test_the_confidence_training_sees_each_turn_as_the_assistant_reads_it(runtime: Runtime) -> None:
    """bench/train_confidence.py plays the tune part with an assistant whose calibrator records what it is asked:
    a follow-up reaches it completed from the turn before, with the hits searched for that."""
    asked: list[tuple[Query, list[Hit]]] = []

    async def recorder(query: Query, hits: list[Hit]) -> float:
        asked.append((query, hits))
        return 1.0

    trainee = build_assistant(runtime.settings, runtime.territory, runtime.partners, runtime.index,
                              runtime.embedder, runtime.detector, learning=False, confidence=recorder)
    script = [{"id": "beach", "part": "tune", "audience": "tourist", "turns": [
        {"say": "Où se baigner à Marseille ?", "lang": "fr", "expect": ["prado-beaches-fr"]},
        {"say": "Et à Cassis ?", "lang": "fr", "expect": ["cassis-fr"], "follow": True}]}]
    result = await evaluate_conversations(runtime, script, assistant=trainee)
    assert result["n_turns"] == 2 and len(asked) == 2
    follow_up, hits = asked[1]
    assert "baigner" in follow_up.text and "Cassis" in follow_up.text, follow_up.text
    assert hits and hits[0].passage.doc_id.startswith("cassis"), [h.passage.doc_id for h in hits[:3]]
