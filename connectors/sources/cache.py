"""What the last fetch of each URL gave: its validators and the documents extracted from it.

A 304 answer then costs no download and no extraction: the cached documents are returned as they were.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

from genius_loci.core.types import Document, GeoPoint


def _encode(docs: list[Document]) -> str:
    return json.dumps([[d.id, d.title, d.text, d.url, d.language, d.owner, list(d.audiences),
                        [d.geo.lat, d.geo.lon] if d.geo else None, d.expires_at] for d in docs], ensure_ascii=False)


def _decode(raw: str) -> list[Document]:
    return [Document(r[0], r[1], r[2], r[3], r[4], r[5], tuple(r[6]), GeoPoint(*r[7]) if r[7] else None, r[8])
            for r in json.loads(raw)]


class FetchCache:
    def __init__(self, path: Path | str) -> None:
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS pages (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, "
                         "documents TEXT NOT NULL, fetched_at REAL NOT NULL)")
        self._lock = threading.Lock()

    def validators(self, url: str) -> tuple[str | None, str | None]:
        with self._lock:
            row = self._db.execute("SELECT etag, last_modified FROM pages WHERE url = ?", (url,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def documents(self, url: str) -> list[Document] | None:
        with self._lock:
            row = self._db.execute("SELECT documents FROM pages WHERE url = ?", (url,)).fetchone()
        return _decode(row[0]) if row else None

    def store(self, url: str, etag: str | None, last_modified: str | None, docs: list[Document]) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?)",
                             (url, etag, last_modified, _encode(docs), time.time()))

    def close(self) -> None:
        self._db.close()
