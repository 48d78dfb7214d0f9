"""The index on Weaviate (weaviate-client v4, async): the same ports as the embedded index — keyword (BM25) and
vector search with the same filters, writes by document — so that the core keeps its fusion, reranking and
confidence over the candidates Weaviate returns.

One collection holds the passages (``LOCI_WEAVIATE_COLLECTION``), optionally one tenant per territory
(``LOCI_WEAVIATE_TENANT``: multi-tenancy). Vectors come from the project's embedder (no Weaviate vectoriser).
Keyword search runs on ``terms``: each passage's words analysed as the embedded index analyses them (folded, stop
words out, stemmed), tokenised on whitespace, so that BM25 sees the same terms in both backends.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import weaviate
from weaviate.classes.config import Configure, DataType, Property, Tokenization
from weaviate.classes.data import DataObject, GeoCoordinate
from weaviate.classes.init import AdditionalConfig, Auth, Timeout
from weaviate.classes.query import Filter, MetadataQuery
from weaviate.classes.query import GeoCoordinate as GeoQuery
from weaviate.classes.tenants import Tenant
from weaviate.exceptions import WeaviateBaseError

from genius_loci.core.errors import ConfigError, ProviderError
from genius_loci.core.types import Filters, GeoPoint, Hit, Passage, SearchRequest, Vector

from ..analysis import current, indexed_terms, stamped, written
from .embedded import weighted_terms

NEVER = 1e18  # the expiry of a passage that does not expire (a number, so one range filter covers all)
FULL_WEIGHT = 0.5  # Weaviate's BM25 has no per-term weight: terms counting at least this much are searched
NAMESPACE = uuid.UUID("6f1c3d8e-2b0a-4c59-9a8e-6a4f0c2b7d11")  # passage ids -> stable object uuids
PROPERTIES = ["passage_id", "doc_id", "title", "text", "url", "language", "owner", "audiences", "geo", "expires_at",
              "fingerprint"]
STATS_SECONDS = 300.0  # term statistics (for the reranker) are read again after this long


def schema_properties() -> list[Property]:
    keyword = Tokenization.FIELD

    def field(name: str, tokenization: Tokenization = keyword) -> Property:
        """A text property filtered on, not searched by BM25 (``terms`` is)."""
        return Property(name=name, data_type=DataType.TEXT, tokenization=tokenization, index_searchable=False,
                        index_filterable=True)

    return [field("passage_id"), field("doc_id"), field("title", tokenization=Tokenization.WORD),
            field("text", tokenization=Tokenization.WORD), field("url"), field("language"), field("owner"),
            Property(name="audiences", data_type=DataType.TEXT_ARRAY, tokenization=keyword, index_filterable=True),
            Property(name="geo", data_type=DataType.GEO_COORDINATES),
            Property(name="expires_at", data_type=DataType.NUMBER, index_filterable=True,
                     index_range_filters=True),
            field("fingerprint"),
            Property(name="terms", data_type=DataType.TEXT, tokenization=Tokenization.WHITESPACE,
                     index_searchable=True, index_filterable=False)]


class WeaviateIndex:
    """Implements ``Index`` and ``IndexWriter`` (and the term statistics the reranker reads) on Weaviate."""

    def __init__(self, url: str, *, grpc_port: int, collection: str, tenant: str | None = None,
                 api_key: str | None = None, skip_init_checks: bool = False, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"LOCI_WEAVIATE_URL must be http(s)://host[:port], not {url!r}")
        secure = parts.scheme == "https"
        self._client = weaviate.use_async_with_custom(
            http_host=parts.hostname, http_port=parts.port or (443 if secure else 80), http_secure=secure,
            grpc_host=parts.hostname, grpc_port=grpc_port, grpc_secure=secure,
            auth_credentials=Auth.api_key(api_key) if api_key else None, skip_init_checks=skip_init_checks,
            additional_config=AdditionalConfig(timeout=Timeout(init=timeout, query=timeout, insert=timeout)))
        self.name = collection
        self.tenant = tenant
        self._connect_lock = asyncio.Lock()
        self._languages: set[str] = set()
        self._count = 0
        self._df: Counter[str] = Counter()
        self._fresh_at = 0.0

    # -- connection and schema --------------------------------------------------------------------
    async def _collection(self) -> Any:
        async with self._connect_lock:
            if not self._client.is_connected():
                try:
                    await self._client.connect()
                except (WeaviateBaseError, OSError) as exc:
                    raise ProviderError(f"Weaviate is unreachable: {exc}") from exc
        collection = self._client.collections.use(self.name)
        return collection.with_tenant(self.tenant) if self.tenant else collection

    async def init(self, *, add_missing: bool = False) -> str:
        """Creates the collection (and the tenant) when missing; with ``add_missing`` (``loci index init``, an
        upgrade's step) also adds the properties a collection made by an earlier version lacks. Says what it did."""
        await self._collection()
        done = []
        try:
            if not await self._client.collections.exists(self.name):
                await self._client.collections.create(
                    self.name, properties=schema_properties(), vector_config=Configure.Vectors.self_provided(),
                    multi_tenancy_config=Configure.multi_tenancy(enabled=bool(self.tenant)))
                done.append(f"collection {self.name} created")
            elif add_missing:  # a collection made by an earlier version: the properties it lacks are added
                added = await self._add_missing()
                if added:
                    done.append(f"properties added: {', '.join(added)}")
            if self.tenant:
                tenants = await self._client.collections.use(self.name).tenants.get()
                if self.tenant not in tenants:
                    await self._client.collections.use(self.name).tenants.create([Tenant(name=self.tenant)])
                    done.append(f"tenant {self.tenant} created")
        except WeaviateBaseError as exc:
            if await self._ready_now():  # another process created it meanwhile
                return f"collection {self.name} is ready"
            raise ProviderError(f"Weaviate refused the schema: {exc}") from exc
        return "; ".join(done) or f"collection {self.name} is ready"

    async def _add_missing(self) -> list[str]:
        """Adds each property of the schema the collection does not have (Weaviate refuses a name it has)."""
        config = self._client.collections.use(self.name).config
        added = []
        for prop in schema_properties():
            try:
                await config.add_property(prop)
                added.append(prop.name)
            except WeaviateBaseError as exc:
                if "already exists" not in str(exc):
                    raise
        return added

    async def _ready_now(self) -> bool:
        try:
            if not await self._client.collections.exists(self.name):
                return False
            return not self.tenant or self.tenant in await self._client.collections.use(self.name).tenants.get()
        except WeaviateBaseError:
            return False

    async def ping(self) -> None:
        """Raises ``ProviderError`` when Weaviate does not answer (``/readyz``)."""
        await self._collection()
        try:
            if not await self._client.is_ready():
                raise ProviderError("Weaviate is not ready")
        except WeaviateBaseError as exc:
            raise ProviderError(f"Weaviate is unreachable: {exc}") from exc

    async def aclose(self) -> None:
        await self._client.close()

    # -- write side -------------------------------------------------------------------------------
    async def replace_document(self, doc_id: str, fingerprint: str, passages: Sequence[Passage],
                               vectors: Vector) -> None:
        if len(passages) != len(vectors):
            raise ValueError("one vector per passage is needed")
        collection = await self._collection()
        objects = [DataObject(properties=_properties(p, fingerprint), vector=np.asarray(v, dtype=np.float32).tolist(),
                              uuid=uuid.uuid5(NAMESPACE, p.id)) for p, v in zip(passages, vectors, strict=True)]
        try:
            await collection.data.delete_many(where=Filter.by_property("doc_id").equal(doc_id))
            if objects:
                result = await collection.data.insert_many(objects)
                if result.has_errors:
                    first = next(iter(result.errors.values()))
                    raise ProviderError(f"Weaviate refused passages of {doc_id}: {first.message}")
        except WeaviateBaseError as exc:
            raise ProviderError(f"Weaviate failed to write {doc_id}: {exc}") from exc
        self._changed()

    async def remove_documents(self, doc_ids: Sequence[str]) -> int:
        if not doc_ids:
            return 0
        collection = await self._collection()
        try:
            for start in range(0, len(doc_ids), 100):
                chunk = list(doc_ids[start:start + 100])
                await collection.data.delete_many(where=Filter.by_property("doc_id").contains_any(chunk))
        except WeaviateBaseError as exc:
            raise ProviderError(f"Weaviate failed to delete documents: {exc}") from exc
        self._changed()
        return len(doc_ids)

    async def fingerprints(self) -> Mapping[str, str]:
        return {p["doc_id"]: current(p["fingerprint"]) for p in await self._all(["doc_id", "fingerprint"])}

    async def _all(self, properties: list[str]) -> list[dict[str, Any]]:
        collection = await self._collection()
        try:
            return [dict(o.properties) async for o in collection.iterator(return_properties=properties)]
        except WeaviateBaseError as exc:
            raise ProviderError(f"Weaviate failed to list passages: {exc}") from exc

    def _changed(self) -> None:
        self._fresh_at = 0.0  # read again at the next refresh; what was read serves meanwhile

    # -- read side --------------------------------------------------------------------------------
    async def search(self, request: SearchRequest) -> list[Hit]:
        collection = await self._collection()
        where = _filter(request.filters)
        try:
            if request.method == "bm25":
                wanted, weights = weighted_terms(request)
                query = " ".join(dict.fromkeys(t for t in wanted if weights.get(t, 1.0) >= FULL_WEIGHT))
                if not query:
                    return []
                found = await collection.query.bm25(query=query, query_properties=["terms"], limit=request.k,
                                                    filters=where, return_properties=PROPERTIES,
                                                    return_metadata=MetadataQuery(score=True))
                return [Hit(_passage(o.properties), float(o.metadata.score or 0.0),
                            {"bm25": float(o.metadata.score or 0.0)}) for o in found.objects]
            if request.vector is None:
                raise ValueError("a dense search needs a vector")
            found = await collection.query.near_vector(
                near_vector=np.asarray(request.vector, dtype=np.float32).tolist(), limit=request.k, filters=where,
                return_properties=PROPERTIES, return_metadata=MetadataQuery(distance=True))
        except WeaviateBaseError as exc:
            raise ProviderError(f"Weaviate search failed: {exc}") from exc
        hits = []
        for o in found.objects:
            score = 1.0 - float(o.metadata.distance if o.metadata.distance is not None else 1.0)
            hits.append(Hit(_passage(o.properties), score, {"dense": score}))
        return hits

    def languages(self) -> set[str]:
        """The languages of the passages, as last read (``refresh``)."""
        return set(self._languages)

    async def refresh(self) -> None:
        """Reads what ``languages``, ``count`` and the term statistics (the reranker's idf) need: at start, after
        this process wrote, and every few minutes (other processes write too); cheap when nothing is due."""
        if self._fresh_at and time.monotonic() - self._fresh_at < STATS_SECONDS:
            return
        rows = await self._all(["language", "terms"])
        df: Counter[str] = Counter()
        for r in rows:
            df.update(set(str(r.get("terms") or "").split()))
        self._languages = {r["language"] for r in rows if r.get("language")}
        self._count, self._df, self._fresh_at = len(rows), df, time.monotonic()

    def count(self) -> int:
        return self._count

    def document_frequencies(self, wanted: Sequence[str]) -> dict[str, int]:
        return {t: self._df[t] for t in dict.fromkeys(wanted) if self._df[t]}

    async def expiring(self, until: float) -> list[Passage]:
        """The passages that stop being found between now and ``until`` (events ending)."""
        collection = await self._collection()
        where = Filter.all_of([Filter.by_property("expires_at").greater_than(time.time()),
                               Filter.by_property("expires_at").less_or_equal(until)])
        try:
            found = await collection.query.fetch_objects(filters=where, limit=10_000, return_properties=PROPERTIES)
        except WeaviateBaseError as exc:
            raise ProviderError(f"Weaviate search failed: {exc}") from exc
        return [_passage(o.properties) for o in found.objects]

    async def export(self) -> list[tuple[str, str, list[Passage], np.ndarray]]:
        """Every document, its fingerprint, passages and vectors (``loci index migrate``)."""
        collection = await self._collection()
        docs: dict[str, tuple[str, list[Passage], list[np.ndarray]]] = {}
        try:
            async for o in collection.iterator(return_properties=PROPERTIES, include_vector=True):
                vector = o.vector.get("default") if isinstance(o.vector, dict) else o.vector
                fp, passages, vectors = docs.setdefault(str(o.properties["doc_id"]),
                                                        (written(str(o.properties.get("fingerprint") or "")), [], []))
                passages.append(_passage(o.properties))
                vectors.append(np.asarray(vector, dtype=np.float32))
        except WeaviateBaseError as exc:
            raise ProviderError(f"Weaviate failed to list passages: {exc}") from exc
        out = []
        for doc_id, (fp, passages, vectors) in docs.items():
            order = sorted(range(len(passages)), key=lambda i: _position(passages[i].id))
            out.append((doc_id, fp, [passages[i] for i in order], np.vstack([vectors[i] for i in order])))
        return out


def _position(passage_id: str) -> int:
    tail = passage_id.rsplit("#", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _properties(p: Passage, fingerprint: str) -> dict[str, Any]:
    props: dict[str, Any] = {
        "passage_id": p.id, "doc_id": p.doc_id, "title": p.title, "text": p.text, "url": p.url,
        "language": p.language, "owner": p.owner or "", "audiences": list(p.audiences),
        "expires_at": p.expires_at if p.expires_at is not None else NEVER, "fingerprint": stamped(fingerprint),
        "terms": indexed_terms(p.title, p.text, p.language)}
    if p.geo is not None:
        props["geo"] = GeoCoordinate(latitude=p.geo.lat, longitude=p.geo.lon)
    return props


def _passage(props: Mapping[str, Any]) -> Passage:
    geo = props.get("geo")
    expires = props.get("expires_at")
    return Passage(str(props["passage_id"]), str(props["doc_id"]), str(props.get("title") or ""),
                   str(props.get("text") or ""), str(props.get("url") or ""), str(props.get("language") or ""),
                   props.get("owner") or None, tuple(props.get("audiences") or ()),
                   GeoPoint(geo.latitude, geo.longitude) if geo is not None else None,
                   None if expires is None or expires >= NEVER else float(expires))


def _filter(f: Filters) -> Any:
    """The embedded index's filters, as Weaviate's: not expired, languages, owners, audiences, a radius."""
    now = f.active_at if f.active_at is not None else time.time()
    parts = [Filter.by_property("expires_at").greater_than(now)]
    if f.languages:
        parts.append(Filter.by_property("language").contains_any(list(f.languages)))
    if f.owners:
        parts.append(Filter.by_property("owner").contains_any(list(f.owners)))
    if f.audiences:
        parts.append(Filter.by_property("audiences").contains_any(list(f.audiences)))
    if f.near is not None and f.radius_km is not None:
        parts.append(Filter.by_property("geo").within_geo_range(
            coordinate=GeoQuery(latitude=f.near.lat, longitude=f.near.lon), distance=f.radius_km * 1000.0))
    return Filter.all_of(parts) if len(parts) > 1 else parts[0]



