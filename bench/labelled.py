"""The bundled corpus's labelled questions, counted: ``python -m bench.labelled``.

Asks every question of tests/eval/questions.yaml of the assistant over the index of ``LOCI_DATA_DIR`` (built from the
bundled corpus when empty), as the CI floors do (``bots/evaluate_labelled.py``): right source in the top 3, answered,
cited right, in the question's language, located within the radius; the unanswerable abstained on, and those
about the territory. Prints a table and the JSON (also written to bench/results/labelled.json).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import save_results
from genius_loci.bots.bootstrap import build_runtime
from genius_loci.bots.evaluate_labelled import evaluate_labelled, load_questions
from genius_loci.config.settings import load_settings

QUESTIONS = Path(__file__).resolve().parents[1] / "tests" / "eval" / "questions.yaml"
PAIRS = (("right source in the top 3", "right_in_top3", "n_answerable"), ("answered", "answered", "n_answerable"),
         ("cited right", "cited_right", "n_answerable"),
         ("in the question's language", "same_language", "n_answerable"),
         ("located within the radius", "located_within_radius", "n_located"),
         ("unanswerable abstained", "abstained", "n_unanswerable"),
         ("… about the territory", "abstained_about_territory", "n_about_territory"))


async def main() -> dict[str, Any]:
    runtime = build_runtime(load_settings())
    try:
        await runtime.ensure_index()
        return await evaluate_labelled(runtime.assistant, load_questions(QUESTIONS))
    finally:
        await runtime.aclose()


if __name__ == "__main__":
    counts = asyncio.run(main())
    table = Table(title="labelled questions (tests/eval/questions.yaml)")
    for col in ("", "count", "of", "share"):
        table.add_column(col)
    for label, part, whole in PAIRS:
        table.add_row(label, str(counts[part]), str(counts[whole]), f"{counts[part] / max(1, counts[whole]):.3f}")
    Console().print(table)
    save_results("labelled", counts)
