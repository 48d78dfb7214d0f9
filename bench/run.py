"""One command for the skeleton's measurements: ``make bench`` (or ``python -m bench.run``).

1. Answer latency of the assembled assistant on the labelled sample-corpus questions
   (tests/eval/questions.yaml), per step, median and p95 over every question asked ``--rounds`` times.
2. Retrieval quality and speed of bm25, dense and hybrid on the PIAF dev split, when ../shared is there.

Prints tables, then the JSON; the JSON is also written to bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from bench import save_results
from genius_loci.bots.bootstrap import Runtime, build_runtime, build_sentences
from genius_loci.bots.evaluate import evaluate_retrieval, load_beir
from genius_loci.config.settings import load_settings
from genius_loci.core.metrics import quantile
from genius_loci.core.types import IncomingMessage

ROOT = Path(__file__).resolve().parents[1]
PIAF = ROOT.parent / "shared" / "data" / "piaf"


def _p95(values: list[float]) -> float:
    return quantile(sorted(values), 0.95)


async def answer_latency(runtime: Runtime, rounds: int) -> dict[str, Any]:
    questions = yaml.safe_load((ROOT / "tests" / "eval" / "questions.yaml").read_text(encoding="utf-8"))
    await runtime.warm_up()
    steps: dict[str, list[float]] = {}
    for _ in range(rounds):
        for q in questions:
            answer = await runtime.assistant.handle(IncomingMessage("bench", "bench", q["q"]))
            for step, ms in answer.timings_ms.items():
                steps.setdefault(step, []).append(ms)
    return {"n_answers": rounds * len(questions),
            "steps_ms": {s: {"median": round(statistics.median(v), 2), "p95": round(_p95(v), 2)}
                         for s, v in steps.items()}}


async def main(rounds: int, piaf_limit: int | None) -> dict[str, Any]:
    runtime = build_runtime(load_settings())
    try:
        await runtime.ensure_index()
        result: dict[str, Any] = {"answer_latency": await answer_latency(runtime, rounds)}
        if PIAF.is_dir():
            data = load_beir(PIAF / "corpus.jsonl", PIAF / "queries.jsonl", PIAF / "qrels.tsv")
            voice = runtime.territory.voice
            result["piaf_dev_retrieval"] = await evaluate_retrieval(
                data, embedder=runtime.embedder, detector=runtime.detector, languages=voice.languages,
                default_language=voice.default_language, limit=piaf_limit,
                sentences=build_sentences(runtime.settings, runtime.embedder))
        return result
    finally:
        await runtime.aclose()


def show(result: dict[str, Any]) -> None:
    console = Console()
    lat = Table(title=f"Answer latency, ms ({result['answer_latency']['n_answers']} answers)")
    for col in ("step", "median", "p95"):
        lat.add_column(col, justify="right")
    for step, v in result["answer_latency"]["steps_ms"].items():
        lat.add_row(step, f"{v['median']:.1f}", f"{v['p95']:.1f}")
    console.print(lat)
    if "piaf_dev_retrieval" in result:
        from genius_loci.bots.console import retrieval_table

        console.print(retrieval_table(result["piaf_dev_retrieval"]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--piaf-limit", type=int, help="only the first N PIAF questions")
    args = parser.parse_args()
    outcome = asyncio.run(main(args.rounds, args.piaf_limit))
    show(outcome)
    save_results("latest", outcome)
