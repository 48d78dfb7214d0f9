"""The embedded index: one SQLite file (FTS5 for BM25, vectors as blobs) searched with numpy in memory."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from genius_loci.core.errors import IndexUnavailable
from genius_loci.core.types import Filters, GeoPoint, Hit, Passage, SearchRequest, Vector

from ..analysis import current, indexed_terms, read_as, stamped, written
from .postings import Postings

log = logging.getLogger("genius_loci.index")

SCHEMA_VERSION = "2"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (doc_id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS passages (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    url TEXT NOT NULL,
    language TEXT NOT NULL,
    owner TEXT,
    audiences TEXT NOT NULL,
    lat REAL,
    lon REAL,
    expires_at REAL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS passages_doc ON passages (doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5 (terms, tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS passages_vocab USING fts5vocab (passages_fts, 'row');
"""


class EmbeddedIndex:
    """Implements both ``Index`` and ``IndexWriter`` on a single SQLite file (or ``:memory:``)."""

    def __init__(self, path: Path | str, *, embedder_name: str, dim: int) -> None:
        self.path = path
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._db.executescript(_SCHEMA)
            self._check_meta(embedder_name, dim)
            self._reanalyse_stale()
        except sqlite3.DatabaseError as exc:
            raise IndexUnavailable(
                f"The index file {path} cannot be read ({exc}). Delete it or run `loci ingest --rebuild`."
            ) from exc
        self._dim = dim
        self._lock = threading.RLock()
        self._loaded = False
        self._version = -1
        self._passages: list[Passage] = []
        self._matrix = np.zeros((0, dim), dtype=np.float32)
        self._expires = np.zeros(0, dtype=np.float64)
        self._lat = np.zeros(0, dtype=np.float64)
        self._lon = np.zeros(0, dtype=np.float64)
        self._language = np.zeros(0, dtype=object)
        self._owner = np.zeros(0, dtype=object)
        self._audiences = np.zeros(0, dtype=np.int64)
        self._audience_bit: dict[str, int] = {}
        self._postings = Postings(())
        self._languages: frozenset[str] = frozenset()

    def _check_meta(self, embedder_name: str, dim: int) -> None:
        meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        wanted = {"schema": SCHEMA_VERSION, "embedder": embedder_name, "dim": str(dim)}
        if not meta:
            self._db.executemany("INSERT INTO meta VALUES (?, ?)", wanted.items())
            return
        for key, value in wanted.items():
            if meta.get(key) != value:
                raise IndexUnavailable(
                    f"The index file {self.path} was built with {key}={meta.get(key)!r}, not {value!r}. "
                    "Run `loci ingest --rebuild` to build it again.")

    def _reanalyse_stale(self) -> None:
        """Documents whose keyword terms an earlier analysis wrote (``ANALYSIS_VERSION``) are analysed again in
        place, from the titles and texts the index holds: nothing is fetched or embedded, and every command that
        opens the index after an upgrade searches it with the terms the questions are read with."""
        stale = [(doc, fp) for doc, fp in self._db.execute("SELECT doc_id, fingerprint FROM documents").fetchall()
                 if not current(fp)]
        if not stale:
            return
        self._db.execute("BEGIN")
        try:
            for doc, fp in stale:
                rows = self._db.execute("SELECT rowid, title, text, language FROM passages WHERE doc_id = ?",
                                        (doc,)).fetchall()
                for rowid, title, text, language in rows:
                    self._db.execute("DELETE FROM passages_fts WHERE rowid = ?", (rowid,))
                    self._db.execute("INSERT INTO passages_fts (rowid, terms) VALUES (?, ?)",
                                     (rowid, indexed_terms(title, text, language)))
                self._db.execute("UPDATE documents SET fingerprint = ? WHERE doc_id = ?", (stamped(fp), doc))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        log.info("index terms analysed again", extra={"event": "index.reanalysed", "documents": len(stale)})

    # -- write side -------------------------------------------------------------------------
    async def replace_document(self, doc_id: str, fingerprint: str, passages: Sequence[Passage],
                               vectors: Vector) -> None:
        if len(passages) != len(vectors):
            raise ValueError("one vector per passage is needed")
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._delete(doc_id)
                for passage, vector in zip(passages, vectors, strict=True):
                    cur = self._db.execute(
                        "INSERT INTO passages (id, doc_id, title, text, url, language, owner, audiences, lat, "
                        "lon, expires_at, vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (passage.id, doc_id, passage.title, passage.text, passage.url, passage.language,
                         passage.owner, json.dumps(list(passage.audiences)),
                         passage.geo.lat if passage.geo else None, passage.geo.lon if passage.geo else None,
                         passage.expires_at, np.asarray(vector, dtype=np.float32).tobytes()))
                    self._db.execute("INSERT INTO passages_fts (rowid, terms) VALUES (?, ?)",
                                     (cur.lastrowid, indexed_terms(passage.title, passage.text, passage.language)))
                self._db.execute("INSERT OR REPLACE INTO documents VALUES (?, ?)", (doc_id, stamped(fingerprint)))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._loaded = False

    def _delete(self, doc_id: str) -> None:
        rowids = [r for (r,) in self._db.execute("SELECT rowid FROM passages WHERE doc_id = ?", (doc_id,))]
        self._db.executemany("DELETE FROM passages_fts WHERE rowid = ?", [(r,) for r in rowids])
        self._db.execute("DELETE FROM passages WHERE doc_id = ?", (doc_id,))
        self._db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))

    async def remove_documents(self, doc_ids: Sequence[str]) -> int:
        with self._lock:
            self._db.execute("BEGIN")
            for doc_id in doc_ids:
                self._delete(doc_id)
            self._db.execute("COMMIT")
            self._loaded = False
        return len(doc_ids)

    async def fingerprints(self) -> Mapping[str, str]:
        with self._lock:
            return {doc: current(fp) for doc, fp in self._db.execute("SELECT doc_id, fingerprint FROM documents")}

    # -- read side --------------------------------------------------------------------------
    def count(self) -> int:
        """How many passages: from memory while it is current (the reranker asks for every question), else the
        file."""
        with self._lock:
            if self._loaded and self._db.execute("PRAGMA data_version").fetchone()[0] == self._version:
                return len(self._passages)
            return int(self._db.execute("SELECT count(*) FROM passages").fetchone()[0])

    def passages(self, limit: int) -> list[Passage]:
        """The first ``limit`` passages, in insertion order (samples for benchmarks and checks)."""
        with self._lock:
            self._ensure_loaded()
            return self._passages[:limit]

    def document_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        """In how many passages each (analysed) term occurs: the inverse document frequency's input."""
        with self._lock:
            self._ensure_loaded()
            return {t: n for t in dict.fromkeys(terms) if (n := self._postings.frequency(t))}

    async def refresh(self) -> None:
        """Nothing to read ahead: every search checks the file (the Weaviate index reads its statistics here)."""

    async def ping(self) -> None:
        with self._lock:
            self._db.execute("SELECT 1 FROM meta LIMIT 1")

    async def expiring(self, until: float) -> list[Passage]:
        """The passages that stop being found between now and ``until`` (events ending)."""
        now = time.time()
        with self._lock:
            self._ensure_loaded()
            return [p for p in self._passages if p.expires_at is not None and now < p.expires_at <= until]

    async def export(self) -> list[tuple[str, str, list[Passage], np.ndarray]]:
        """Every document, its fingerprint, passages and vectors (``loci index migrate``)."""
        with self._lock:
            self._ensure_loaded()
            fingerprints = dict(self._db.execute("SELECT doc_id, fingerprint FROM documents").fetchall())
            rows: dict[str, list[int]] = {}
            for i, p in enumerate(self._passages):
                rows.setdefault(p.doc_id, []).append(i)
            return [(doc, written(fingerprints.get(doc, "")), [self._passages[i] for i in at], self._matrix[at].copy())
                    for doc, at in rows.items()]

    async def aclose(self) -> None:
        self.close()

    def languages(self) -> set[str]:
        with self._lock:
            self._ensure_loaded()
            return set(self._languages)

    async def search(self, request: SearchRequest) -> list[Hit]:
        if request.method == "bm25":
            # numpy releases the interpreter for most of the work: run it beside the query embedding
            return await asyncio.to_thread(self._keyword, request)
        if request.vector is None:
            raise ValueError("a dense search needs a vector")
        return self._dense(request.vector, request.k, request.filters)

    def _keyword(self, request: SearchRequest) -> list[Hit]:
        wanted, weights = weighted_terms(request)
        if not wanted:
            return []
        with self._lock:
            self._ensure_loaded()
            scores = self._postings.score(wanted, weights)
            found = np.flatnonzero(scores)
            found = found[self._mask(request.filters, found)]
            return [Hit(self._passages[i], s, {"bm25": s}) for i, s in _top(found, scores[found], request.k)]

    def _dense(self, vector: Vector, k: int, filters: Filters) -> list[Hit]:
        with self._lock:
            self._ensure_loaded()
            if not self._passages:
                return []
            query = np.asarray(vector, dtype=np.float32)
            admitted = self._mask(filters)
            rows = np.flatnonzero(admitted)
            scores = (self._matrix @ query)[rows]
            return [Hit(self._passages[i], s, {"dense": s}) for i, s in _top(rows, scores, k)]

    def _mask(self, f: Filters, rows: np.ndarray | None = None) -> np.ndarray:
        """Which passages (all, or those at ``rows``) every filter admits."""
        def at(values: np.ndarray) -> np.ndarray:
            return values if rows is None else values[rows]

        keep = at(self._expires) > _now(f)
        if f.near is not None and f.radius_km is not None:
            keep &= _haversine_km(at(self._lat), at(self._lon), f.near) <= f.radius_km
        if f.languages:
            keep &= np.isin(at(self._language), list(f.languages))
        if f.owners:
            keep &= np.isin(at(self._owner), list(f.owners))
        if f.audiences:
            bits = sum(1 << self._audience_bit[a] for a in f.audiences if a in self._audience_bit)
            keep &= (at(self._audiences) & bits) != 0
        return keep

    def _ensure_loaded(self) -> None:
        """Reads the passages into memory on first use, and again once another process (``loci ingest``, a lesson
        approved elsewhere) committed a change to the file: SQLite's ``data_version`` tells, for a few µs."""
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        if self._loaded and version == self._version:
            return
        rows = self._db.execute(
            "SELECT rowid, id, doc_id, title, text, url, language, owner, audiences, lat, lon, expires_at, vector "
            "FROM passages ORDER BY rowid").fetchall()
        self._passages = [
            Passage(r[1], r[2], r[3], r[4], r[5], r[6], r[7], tuple(json.loads(r[8])),
                    GeoPoint(r[9], r[10]) if r[9] is not None else None, r[11]) for r in rows]
        self._expires = np.array([r[11] if r[11] is not None else np.inf for r in rows], dtype=np.float64)
        self._lat = np.array([r[9] if r[9] is not None else np.nan for r in rows], dtype=np.float64)
        self._lon = np.array([r[10] if r[10] is not None else np.nan for r in rows], dtype=np.float64)
        self._matrix = (np.vstack([np.frombuffer(r[12], dtype=np.float32) for r in rows])
                        if rows else np.zeros((0, self._dim), dtype=np.float32))
        self._language = np.array([p.language for p in self._passages], dtype=object)
        self._owner = np.array([p.owner for p in self._passages], dtype=object)
        self._audience_bit = {a: i for i, a in enumerate(sorted({a for p in self._passages for a in p.audiences}))}
        self._audiences = np.array([sum(1 << self._audience_bit[a] for a in set(p.audiences)) for p in self._passages],
                                   dtype=np.int64)
        analysed = dict(self._db.execute("SELECT rowid, terms FROM passages_fts").fetchall())
        self._postings = Postings(analysed.get(r[0], "") for r in rows)
        self._languages = frozenset(p.language for p in self._passages)
        self._loaded = True
        self._version = version

    def close(self) -> None:
        self._db.close()


def weighted_terms(request: SearchRequest) -> tuple[list[str], dict[str, float]]:
    """The request's terms read as its language, and the weight of those that do not count fully: a term of
    ``weighted`` text counts as its part says, unless the main text also has it."""
    wanted = read_as(request.text, request.asked_in, request.language)
    full = set(wanted)
    weights: dict[str, float] = {}
    for text, weight in request.weighted:
        for term in read_as(text, request.asked_in, request.language):
            if term not in full:
                weights[term] = max(weights.get(term, 0.0), weight)
    return wanted + list(weights), weights


def _top(rows: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The ``k`` best (row, score) pairs, best first (ties in row order)."""
    if k <= 0 or not len(rows):
        return []
    if len(rows) > k:
        best = np.argpartition(-scores, k - 1)[:k]
        rows, scores = rows[best], scores[best]
    order = np.lexsort((rows, -scores))
    return [(int(rows[i]), float(scores[i])) for i in order]


def _now(f: Filters) -> float:
    return f.active_at if f.active_at is not None else time.time()


def _haversine_km(lat: np.ndarray, lon: np.ndarray, point: GeoPoint) -> np.ndarray:
    p1, p2 = np.radians(lat), math.radians(point.lat)
    a = (np.sin((p2 - p1) / 2) ** 2
         + np.cos(p1) * math.cos(p2) * np.sin(np.radians(point.lon - lon) / 2) ** 2)
    with np.errstate(invalid="ignore"):
        distance = 2 * 6371.0088 * np.arcsin(np.sqrt(a))
    return np.where(np.isnan(distance), np.inf, distance)
