"""Content gaps with the real multilingual embedder: the same unanswerable need asked in French, English and
Spanish on three channels becomes one gap with its partner; another need opens its own; `loci gaps --json`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from genius_loci.bots.bootstrap import Runtime
from genius_loci.bots.state import build_state
from genius_loci.config.settings import Settings
from genius_loci.core.conversation import Conversation
from genius_loci.core.gaps import GapFinder
from genius_loci.core.types import IncomingMessage

from .test_cli import run

ASKED = [("web", "Combien coûte un loyer à Aix-en-Provence ?"),
         ("telegram", "How much is the rent in Aix-en-Provence?"),
         ("whatsapp", "¿Cuánto cuesta el alquiler en Aix-en-Provence?"),
         ("web", "Where can I buy a SIM card in Marseille?")]


def test_one_need_in_three_languages_is_one_gap(runtime: Runtime, data_dir: Path) -> None:
    async def ask_all() -> list[str]:
        state = build_state(Settings(data_dir=data_dir))
        await state.migrate()
        conversation = Conversation(runtime.assistant, state.store, runtime.territory.voice, state.erase,
                                    gaps=GapFinder(state.store, runtime.embedder,
                                                   needs_of=runtime.assistant.needs_of))
        try:
            statuses = []
            for n, (channel, text) in enumerate(ASKED):
                answer = await conversation.handle(IncomingMessage(channel, f"{channel}:gap-{n}", text),
                                                   f"{channel}:gap-turn-{n}")
                statuses.append(f"{answer.status} {answer.confidence:.2f}")
            return statuses
        finally:
            await state.aclose()

    statuses = asyncio.run(ask_all())
    proc = run(data_dir, "gaps", "--json")
    assert proc.returncode == 0, proc.stderr
    gaps = json.loads(proc.stdout)["gaps"]
    rent = [g for g in gaps if ASKED[0][1] in g["examples"]]
    assert len(rent) == 1, (statuses, gaps)
    gap = rent[0]
    assert gap["count"] == 3 and gap["status"] == "open" and gap["partner"] == "metropole", (statuses, gap)
    assert gap["languages"] == ["en", "es", "fr"] and gap["channels"] == ["telegram", "web", "whatsapp"]
    assert gap["communes"] == ["Aix-en-Provence"] and set(gap["examples"]) == {t for _, t in ASKED[:3]}
    sim = [g for g in gaps if ASKED[3][1] in g["examples"]]
    assert len(sim) == 1 and sim[0]["id"] != gap["id"] and sim[0]["count"] == 1
    assert [g["id"] for g in json.loads(run(data_dir, "gaps", "--partner", "metropole", "--since", "1h",
                                            "--json").stdout)["gaps"]].count(gap["id"]) == 1
    assert gaps == sorted(gaps, key=lambda g: -g["count"])  # largest first
    bad = run(data_dir, "gaps", "--since", "soon")
    assert bad.returncode == 2 and "duration" in bad.stderr
