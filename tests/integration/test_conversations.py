"""Everyday conversations on the bundled territory (tests/eval/conversations.yaml): follow-ups, topic shifts,
language switches and shared places, played through the real conversation layer, with floors."""

from __future__ import annotations

from pathlib import Path

from genius_loci.bots.bootstrap import Runtime
from genius_loci.bots.evaluate_conversations import evaluate_conversations, load_script

SCRIPT = Path(__file__).resolve().parents[1] / "eval" / "conversations.yaml"


async def test_scripted_conversations_meet_the_floors(runtime: Runtime) -> None:
    """Measured (both parts, 191 turns): right source 0.871 (held-out 0.800; 0.818 before questions asking whether
    something exists were held down when their passages do not name it), right language 0.990 (0.986),
    unanswerable abstained 0.826 (0.727), stand-alone messages carried over 0.045 (0.083: two of the four are
    existential questions given the conversation's commune — "Y a-t-il une pharmacie ouverte la nuit ?
    (Marseille)" —, one asks what is near here and is read about the conversation's commune rather than asking
    for a location — the script labels them as standing alone; before that rule 0.063, and right source 0.800),
    follow-ups completed 0.729 (0.864; the second tune batch's follow-ups are harder: "C'è ombra sull'isola?" names
    its subject by a common noun). The issue's target (>= 0.90 right source on the held-out part) is not met: the
    floors guard what is reached."""
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
        assert part["right_source"] >= 0.78, part
        assert part["right_language"] >= 0.94, part
        assert part["carried_over_wrongly"] <= 0.09, part
    assert result["follow_ups_completed"] >= 0.7, result
    assert held_out["follow_ups_completed"] >= 0.85, held_out
    assert result["abstained_when_unanswerable"] >= 0.75, result
