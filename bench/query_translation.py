"""Translation by a language model (``LOCI_TRANSLATE``), side by side in one run: ``python -m bench.query_translation``.

1. The question translated into the corpus' main language for keyword search: hybrid (fusion + the shipped
   reranker) R@5 / MRR@10 and ms per question on the 100 PIAF questions translated into EN, ES, IT and DE
   (tests/eval/piaf_crosslingual_queries.jsonl), without translation, with the configured model's translations,
   and with the French originals standing for a perfect translation (the ceiling of the approach).
   The question translations the faithfulness check refused are listed, with the reason.
2. Quotes translated for the answer: the first two sentences of ``--quotes`` PIAF passages translated into English
   by the model: the share that passes the faithfulness check (``core.translation``) and seconds per quote.

The model is the one the settings configure (``LOCI_LLM_BASE_URL`` and ``LOCI_LLM_MODEL``, or ``LOCI_LLM_LOCAL=true``
for the bundled local one); without one, only "off" and the ceiling are measured. Prints a table and the JSON (also
written to bench/results/query_translation.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import save_results
from genius_loci.bots.bootstrap import Runtime, build_runtime, build_translator
from genius_loci.bots.evaluate import evaluate_retrieval, load_beir
from genius_loci.config.settings import load_settings
from genius_loci.connectors.analysis import sentences
from genius_loci.connectors.llm.translator import OpenAICompatibleTranslator
from genius_loci.connectors.rerank.linear import LinearModel
from genius_loci.core.errors import ProviderError
from genius_loci.core.metrics import Metrics
from genius_loci.core.translation import Translations, unfaithful

ROOT = Path(__file__).resolve().parents[1]
PIAF = ROOT.parent / "shared" / "data" / "piaf"
TRANSLATED = ROOT / "tests" / "eval" / "piaf_crosslingual_queries.jsonl"


class Originals:
    """A perfect translator: the French question each translated one was made from."""

    name = "originals"

    def __init__(self) -> None:
        french = {r["_id"]: r["text"] for r in _jsonl(PIAF / "queries.jsonl")}
        self._by_text = {r["text"]: french[r["_id"]] for r in _jsonl(TRANSLATED)}

    async def translate(self, text: str, *, source: str, target: str) -> str:
        return self._by_text[text]


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


async def retrieval(runtime: Runtime, limit: int | None) -> dict[str, Any]:
    voice = runtime.territory.voice
    model = LinearModel.load(runtime.settings.reranker_path)
    data = load_beir(PIAF / "corpus.jsonl", TRANSLATED, PIAF / "qrels.tsv")
    modes: dict[str, Translations | None] = {"off": None,
                                             "originals": Translations(Originals(), budget_seconds=60)}
    metrics = Metrics()
    translator = build_translator(runtime.settings, runtime.llm_client)  # as the assistant has it
    if translator is not None:
        modes["model"] = Translations(translator, budget_seconds=runtime.settings.translate_timeout_seconds,
                                      metrics=metrics)
    out: dict[str, Any] = {}
    for mode, translations in modes.items():
        result = await evaluate_retrieval(
            data, embedder=runtime.embedder, detector=runtime.detector, languages=voice.languages,
            default_language=voice.default_language, limit=limit, reranker_model=model, translations=translations)
        methods = result["methods"]
        assert isinstance(methods, dict)
        out[mode] = {"hybrid": methods["hybrid"]}
    if translator is not None:
        out["model"]["translations"] = {o: metrics.value("loci_translations_total", outcome=o, purpose="question")
                                        for o in ("ok", "provider", "timeout", "unfaithful")}
        out["model"]["unfaithful"] = await _unfaithful(translator, data.queries[:limit] if limit else data.queries)
    return out


async def _unfaithful(translator: OpenAICompatibleTranslator, queries: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The question translations the check refused, and why (read from the translator's memory: no model call)."""
    refused = []
    for q in queries:
        try:
            text = await translator.translate(q["text"], source=q["language"], target="fr")
        except (ProviderError, TimeoutError):
            continue
        reason = unfaithful(q["text"], text.strip())
        if reason is not None:
            refused.append({"question": q["text"], "translation": text, "reason": reason})
    return refused


async def quotes(runtime: Runtime, n: int) -> dict[str, Any] | None:
    translator = build_translator(runtime.settings, runtime.llm_client)
    if translator is None:
        return None
    rows = _jsonl(PIAF / "corpus.jsonl")[:n]
    kept, reasons, seconds = 0, {}, []
    for row in rows:
        quote = " ".join(sentences(row["text"])[:2])
        started = time.perf_counter()
        try:
            text = await translator.translate(quote, source="fr", target="en")
            reason = unfaithful(quote, text.strip())
        except (ProviderError, TimeoutError) as exc:
            reason = "timeout" if isinstance(exc, TimeoutError) else "provider"
        seconds.append(time.perf_counter() - started)
        if reason is None:
            kept += 1
        else:
            reasons[reason] = reasons.get(reason, 0) + 1
    return {"n": len(rows), "kept": round(kept / len(rows), 3), "dropped": reasons,
            "median_seconds": round(statistics.median(seconds), 2), "model": runtime.settings.llm_model}


async def run(limit: int | None, n_quotes: int) -> dict[str, Any]:
    runtime = build_runtime(load_settings(), with_llm=True)
    try:
        return {"retrieval": await retrieval(runtime, limit), "quotes": await quotes(runtime, n_quotes),
                "model": runtime.settings.llm_model}
    finally:
        await runtime.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=None, help="translated questions (default: all 100)")
    parser.add_argument("--quotes", type=int, default=30, help="PIAF passages whose opening is translated")
    args = parser.parse_args()
    result = asyncio.run(run(args.limit, args.quotes))
    table = Table(title="The 100 translated PIAF questions, keyword search also with the question translated")
    for col in ("translation", "R@5", "MRR@10", "ms per question"):
        table.add_column(col, justify="right")
    for mode, row in result["retrieval"].items():
        h = row["hybrid"]
        label = {"off": "none", "originals": "the French originals (ceiling)",
                 "model": f"model {result['model']}"}[mode]
        table.add_row(label, f"{h['R@5']:.3f}", f"{h['MRR@10']:.3f}", f"{h['ms_per_query']:.0f}")
    Console().print(table)
    for refused in result["retrieval"].get("model", {}).get("unfaithful", []):
        print(f"refused ({refused['reason']}): {refused['question']!r} -> {refused['translation']!r}")
    if result["quotes"] is None:
        print("no language model configured (LOCI_LLM_BASE_URL and LOCI_LLM_MODEL, or LOCI_LLM_LOCAL=true): "
              "the model's own rows are not measured")
    save_results("query_translation", result)


if __name__ == "__main__":
    main()
