"""Benchmarks: each prints a table and its JSON, and keeps the JSON in bench/results/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def save_results(name: str, result: Any, *, echo: bool = True) -> Path:
    """Writes ``result`` to bench/results/NAME.json and, with ``echo``, prints it as one JSON line."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    if echo:
        print(json.dumps(result))
    return path
