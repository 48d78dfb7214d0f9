"""The scripted conversations' file is checked before anything is played (bots/evaluate_conversations.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from genius_loci.bots.evaluate_conversations import load_script
from genius_loci.core.errors import LociError

TURN = '{say: "Où se baigner ?", lang: fr, expect: [prado-beaches-fr]}'


def _script(tmp_path: Path, *ids: str) -> Path:
    path = tmp_path / "script.yaml"
    path.write_text("".join(f"- id: {i}\n  part: tune\n  turns:\n    - {TURN}\n" for i in ids), encoding="utf-8")
    return path


def test_a_script_with_distinct_ids_is_read(tmp_path: Path) -> None:
    assert [c["id"] for c in load_script(_script(tmp_path, "beach-fr", "beach-en"))] == ["beach-fr", "beach-en"]


def test_two_conversations_with_one_id_are_refused(tmp_path: Path) -> None:
    """Each conversation is played as a new person known by its id: a second "piano-de" continued the first one's
    conversation, its first question read as a follow-up."""
    with pytest.raises(LociError, match="piano-de"):
        load_script(_script(tmp_path, "piano-de", "beach-fr", "piano-de"))
