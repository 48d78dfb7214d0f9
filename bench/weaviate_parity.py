"""Retrieval on Weaviate against the embedded index, side by side: ``python -m bench.weaviate_parity``.

The bundled corpus's index (built in ``LOCI_DATA_DIR`` when missing) is copied, vectors included, into Weaviate —
the real server of ``WEAVIATE_URL`` (and ``WEAVIATE_GRPC_PORT``), else the local fake (``tests/fake_weaviate.py``:
weaviate-client's own gRPC servicer, real BM25 and cosine ranking in memory) — and the labelled questions
(``tests/eval/questions.yaml``, the answerable ones) are searched through the whole pipeline (fusion, reranker,
votes and lessons left out) on both. Reports, per backend, how often a source that answers is first and among the
first three, and how often both backends put the same passage first. Prints a table and the JSON (also in
``bench/results/weaviate_parity.json``).
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from bench import save_results
from genius_loci.bots.bootstrap import build_assistant, build_runtime
from genius_loci.config.settings import load_settings
from genius_loci.connectors.index.weaviate_index import WeaviateIndex
from genius_loci.core.ingestion import source_of
from genius_loci.core.types import IncomingMessage

ROOT = Path(__file__).resolve().parents[1]


async def main() -> dict[str, Any]:
    settings = load_settings()
    runtime = build_runtime(settings)
    fake = None
    url = os.environ.get("WEAVIATE_URL")
    if url:
        grpc_port = int(os.environ.get("WEAVIATE_GRPC_PORT", "50051"))
    else:
        import sys

        sys.path.insert(0, str(ROOT))
        from tests.fake_weaviate import FakeWeaviate

        fake = FakeWeaviate()
        url, grpc_port = fake.url, fake.grpc_port
    weaviate = WeaviateIndex(url, grpc_port=grpc_port, collection=f"Parity{uuid.uuid4().hex[:8]}",
                             skip_init_checks=fake is not None)
    try:
        await runtime.ensure_index()
        await weaviate.init()
        for doc_id, fingerprint, passages, vectors in await runtime.index.export():
            await weaviate.replace_document(doc_id, fingerprint, passages, vectors)
        await weaviate.refresh()
        other = build_assistant(settings, runtime.territory, runtime.partners, weaviate, runtime.embedder,
                                runtime.detector, learning=False)
        questions = [q for q in yaml.safe_load((ROOT / "tests/eval/questions.yaml").read_text())
                     if q.get("expect") not in (None, "none")]
        tally = {"embedded": [0, 0], "weaviate": [0, 0]}
        same = 0
        for item in questions:
            message = IncomingMessage("cli", "bench", item["q"], language_hint=item.get("lang"))
            firsts = []
            for name, assistant in (("embedded", runtime.assistant), ("weaviate", other)):
                query = assistant.understand(message)
                hits = await assistant.search(query, 3)
                found = [source_of(h.passage.doc_id) for h in hits]
                tally[name][0] += bool(found) and found[0] in item["expect"]
                tally[name][1] += any(s in item["expect"] for s in found[:3])
                firsts.append(hits[0].passage.id if hits else None)
            same += firsts[0] == firsts[1]
        n = len(questions)
        result = {"questions": n, "backend": "weaviate server" if fake is None else "fake weaviate (in memory)",
                  **{name: {"right_source_at_1": round(a / n, 3), "right_source_at_3": round(b / n, 3)}
                     for name, (a, b) in tally.items()},
                  "same_first_passage": round(same / n, 3)}
    finally:
        await weaviate.aclose()
        await runtime.aclose()
        if fake is not None:
            fake.close()
    table = Table(title=f"Retrieval on the labelled questions ({result['questions']}), {result['backend']}")
    for col in ("index", "right source @1", "right source @3"):
        table.add_column(col)
    for name in ("embedded", "weaviate"):
        table.add_row(name, f"{result[name]['right_source_at_1']:.3f}", f"{result[name]['right_source_at_3']:.3f}")
    console = Console()
    console.print(table)
    console.print(f"same first passage: {result['same_first_passage']:.3f}")
    print(json.dumps(result))
    save_results("weaviate_parity", result, echo=False)
    return result


if __name__ == "__main__":
    asyncio.run(main())
