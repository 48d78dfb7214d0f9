"""``loci eval conversations``: scripted conversations played through the real conversation layer (follow-ups,
language, shared places, memory) over the deployment's index, with a throw-away state database."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from genius_loci.connectors.store.migrate import upgrade
from genius_loci.connectors.store.sql import SqlStore
from genius_loci.core.assistant import Assistant
from genius_loci.core.conversation import Conversation, MemoryPolicy
from genius_loci.core.errors import LociError
from genius_loci.core.evaluation import ConversationTally
from genius_loci.core.types import GeoPoint, IncomingMessage

from .bootstrap import Runtime

PARTS = ("tune", "held-out")


def load_script(path: Path) -> list[dict[str, Any]]:
    """Reads and checks a conversation script (see tests/eval/conversations.yaml for the format)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LociError(f"cannot read the script {path}: {exc}") from exc
    if not isinstance(data, list) or not data:
        raise LociError(f"{path} must be a list of conversations")
    seen: set[str] = set()
    for n, conv in enumerate(data, 1):
        turns = conv.get("turns") if isinstance(conv, dict) else None
        if not isinstance(turns, list) or not turns:
            raise LociError(f"{path}: conversation {n} has no turns")
        if conv.get("part", "tune") not in PARTS:
            raise LociError(f"{path}: conversation {conv.get('id', n)}: part must be one of {', '.join(PARTS)}")
        # each conversation is a new person, known by its id: two with one id would be one person's
        if str(conv.get("id", n)) in seen:
            raise LociError(f"{path}: conversation {n}: the id {conv.get('id')!r} is already another's")
        seen.add(str(conv.get("id", n)))
        for turn in turns:
            if not isinstance(turn, dict) or not ("share" in turn or {"say", "lang", "expect"} <= turn.keys()):
                raise LociError(f"{path}: conversation {conv.get('id', n)}: each turn needs say, lang and expect "
                                f"(or share: [lat, lon])")
    return data


async def evaluate_conversations(runtime: Runtime, script: list[dict[str, Any]], *, part: str | None = None,
                                 progress: Callable[[int], None] | None = None,
                                 trace: Callable[[dict[str, Any]], None] | None = None,
                                 assistant: Assistant | None = None) -> dict[str, Any]:
    """Plays each conversation as a new person, turn by turn; reports the whole set and each part. ``assistant``:
    another one than the runtime's (the confidence model's training plays the tune part with its own)."""
    tallies = {p: ConversationTally() for p in PARTS}
    with tempfile.TemporaryDirectory(prefix="loci-eval-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'state.sqlite'}"
        await upgrade(url)
        store = SqlStore.from_url(url)
        try:
            assistant = assistant or runtime.assistant
            conversation = Conversation(assistant, store, runtime.territory.voice, store.forget,
                                        MemoryPolicy(), followups=assistant.follow_ups())
            for n, conv in enumerate(script):
                where = conv.get("part", "tune")
                if part is not None and where != part:
                    continue
                user = f"eval:{conv.get('id', n)}"
                for t, turn in enumerate(conv["turns"]):
                    turn_id = f"{user}:{t}"
                    if "share" in turn:
                        lat, lon = turn["share"]
                        await conversation.handle(IncomingMessage("eval", user, "", location=GeoPoint(lat, lon)),
                                                  turn_id)
                        continue
                    message = IncomingMessage("eval", user, str(turn["say"]), audience=conv.get("audience"))
                    reading = await conversation.read(message)
                    answer = await conversation.handle(message, turn_id)
                    cited = [c.passage_id.split("#")[0] for c in answer.citations]
                    tallies[where].add(expect=turn["expect"], language_ok=answer.language == turn["lang"],
                                       answered=answer.status == "answered", cited=cited,
                                       follow=bool(turn.get("follow")), carried=reading.carried)
                    if trace is not None:
                        trace({"conversation": conv.get("id", n), "part": where, "say": turn["say"],
                               "read_as": reading.text, "reason": reading.reason, "status": answer.status,
                               "confidence": round(answer.confidence, 3), "language": answer.language,
                               "cited": cited, "expect": turn["expect"]})
                if progress is not None:
                    progress(1)
        finally:
            await store.close()
    whole = ConversationTally()
    for tally in tallies.values():
        for name in whole.__dataclass_fields__:
            setattr(whole, name, getattr(whole, name) + getattr(tally, name))
    played = sum(1 for c in script if part is None or c.get("part", "tune") == part)
    return {**whole.report(), "n_conversations": played,
            "parts": {p: t.report() for p, t in tallies.items() if t.turns}}
