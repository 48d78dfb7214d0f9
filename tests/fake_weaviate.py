"""A local stand-in for Weaviate: the REST endpoints weaviate-client v4 calls (``/v1/meta``, ``/v1/schema``, tenants)
on loopback, and its gRPC API served from the client's own ``weaviate_pb2_grpc.WeaviateServicer`` — ``Search``
(BM25 over the queried text properties, near-vector by cosine, filters, ``after`` paging), ``BatchObjects``,
``BatchDelete`` and ``TenantsGet`` — answered from an in-memory store, so that what a test reads is real. Every
gRPC request is recorded, for the tests to assert what the real client sent (filters, limits, vectors, tenant)."""

from __future__ import annotations

import math
import re
import threading
import uuid
from collections import Counter
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
import numpy as np
from google.protobuf.json_format import MessageToDict
from weaviate.proto.v1 import (
    base_pb2,
    batch_delete_pb2,
    batch_pb2,
    properties_pb2,
    search_get_pb2,
    tenants_pb2,
    weaviate_pb2_grpc,
)

from tests.fake_http import FakeServer, Recorded, Reply

VERSION = "1.30.0"
K1, B = 1.2, 0.75  # Weaviate's BM25 defaults
HNSW = {"cleanupIntervalSeconds": 300, "distance": "cosine", "dynamicEfMin": 100, "dynamicEfMax": 500,
        "dynamicEfFactor": 8, "ef": -1, "efConstruction": 128, "filterStrategy": "sweeping",
        "flatSearchCutoff": 40000, "maxConnections": 32, "skip": False, "vectorCacheMaxObjects": 1000000000000}


@dataclass
class Stored:
    uuid: str
    properties: dict[str, Any]
    vector: np.ndarray | None


@dataclass
class Collection:
    name: str
    schema: dict[str, Any]
    multi_tenant: bool
    tenants: dict[str, dict[str, Stored]] = field(default_factory=dict)  # "" when not multi-tenant


class FakeWeaviate(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.collections: dict[str, Collection] = {}
        self.down = False  # True: every call fails as a Weaviate that is unreachable would
        self.grpc_requests: list[tuple[str, Any]] = []  # (method, request message)
        self._data_lock = threading.Lock()
        self.grpc = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        weaviate_pb2_grpc.add_WeaviateServicer_to_server(_Servicer(self), self.grpc)
        self.grpc_port = self.grpc.add_insecure_port("127.0.0.1:0")
        self.grpc.start()
        self.http_port = int(self.url.rsplit(":", 1)[1])

    def close(self) -> None:
        self.grpc.stop(grace=None)
        super().close()

    def requests_of(self, method: str) -> list[Any]:
        return [r for m, r in self.grpc_requests if m == method]

    # REST

    def answer(self, request: Recorded) -> Reply:
        if self.down:
            return Reply(503, {"error": [{"message": "unavailable"}]})
        path = request.path.split("?")[0]
        if path == "/v1/meta":
            return Reply(200, {"hostname": "http://[::]:8080", "version": VERSION, "modules": {}})
        if path in ("/v1/.well-known/ready", "/v1/.well-known/live"):
            return Reply(200, b"")
        if path == "/v1/.well-known/openid-configuration":
            return Reply(404, {"error": [{"message": "not found"}]})
        if path == "/v1/schema" and request.method == "POST":
            return self._create(request.params)
        if path == "/v1/schema" and request.method == "GET":
            return Reply(200, {"classes": [c.schema for c in self.collections.values()]})
        prop = re.fullmatch(r"/v1/schema/([^/]+)/properties", path)
        if prop and request.method == "POST":
            collection = self.collections.get(prop.group(1))
            if collection is None:
                return Reply(404, {"error": [{"message": "no such class"}]})
            names = {p["name"] for p in collection.schema.get("properties", [])}
            if request.params.get("name") in names:
                return Reply(422, {"error": [{"message": f"property {request.params['name']!r} already exists"}]})
            new = _property({k: v for k, v in request.params.items() if k != "_list"})
            collection.schema.setdefault("properties", []).append(new)
            return Reply(200, new)
        found = re.fullmatch(r"/v1/schema/([^/]+)(/tenants)?", path)
        if found:
            name = found.group(1)
            collection = self.collections.get(name)
            if found.group(2):
                return self._tenants(collection, request)
            if request.method == "GET":
                return Reply(200, collection.schema) if collection else Reply(404, {"error": [{"message": name}]})
            if request.method == "DELETE":
                self.collections.pop(name, None)
                return Reply(200, b"")
        return Reply(404, {"error": [{"message": f"fake Weaviate has no {request.method} {path}"}]})

    def _create(self, schema: dict[str, Any]) -> Reply:
        name = schema["class"]
        schema = {k: v for k, v in schema.items() if k != "_list"}
        schema["properties"] = [_property(p) for p in schema.get("properties", [])]
        for vector in (schema.get("vectorConfig") or {}).values():  # what a server says of its HNSW index
            vector["vectorIndexConfig"] = {**HNSW, **(vector.get("vectorIndexConfig") or {})}
        schema.setdefault("invertedIndexConfig", {
            "bm25": {"b": B, "k1": K1}, "cleanupIntervalSeconds": 60, "indexNullState": False,
            "indexPropertyLength": False, "indexTimestamps": False,
            "stopwords": {"additions": None, "preset": "en", "removals": None}})
        schema.setdefault("multiTenancyConfig", {"enabled": False, "autoTenantCreation": False,
                                                 "autoTenantActivation": False})
        schema["multiTenancyConfig"].setdefault("autoTenantCreation", False)
        schema["multiTenancyConfig"].setdefault("autoTenantActivation", False)
        schema.setdefault("replicationConfig", {"factor": 1, "asyncEnabled": False,
                                                "deletionStrategy": "NoAutomatedResolution"})
        schema.setdefault("shardingConfig", {"virtualPerPhysical": 128, "desiredCount": 1, "actualCount": 1,
                                             "desiredVirtualCount": 128, "actualVirtualCount": 128, "key": "_id",
                                             "strategy": "hash", "function": "murmur3"})
        if name in self.collections:
            return Reply(422, {"error": [{"message": f"class name {name!r} already exists"}]})
        multi = bool((schema.get("multiTenancyConfig") or {}).get("enabled"))
        self.collections[name] = Collection(name, schema, multi, {} if multi else {"": {}})
        return Reply(200, schema)

    def _tenants(self, collection: Collection | None, request: Recorded) -> Reply:
        if collection is None:
            return Reply(404, {"error": [{"message": "no such class"}]})
        if request.method == "POST":
            body = request.params.get("_list", [])
            for tenant in body:
                collection.tenants.setdefault(tenant["name"], {})
            return Reply(200, body)
        return Reply(200, [{"name": t, "activityStatus": "HOT"} for t in collection.tenants])

    # the data, for the gRPC side

    def objects(self, name: str, tenant: str) -> dict[str, Stored]:
        collection = self.collections.get(name)
        if collection is None:
            raise KeyError(f"no collection {name}")
        if collection.multi_tenant and not tenant:
            raise KeyError("has multi-tenancy enabled, but request was without tenant")
        if tenant not in collection.tenants:
            raise KeyError(f"tenant not found: {tenant!r}")
        return collection.tenants[tenant]


def _property(p: dict[str, Any]) -> dict[str, Any]:
    """A property as Weaviate describes it back, its defaults filled in."""
    text = p.get("dataType", [""])[0] in ("text", "text[]")
    return {"indexFilterable": True, "indexSearchable": text, "indexRangeFilters": False,
            "tokenization": "word" if text else None, "description": None, **p}


class _Servicer(weaviate_pb2_grpc.WeaviateServicer):
    def __init__(self, fake: FakeWeaviate) -> None:
        self.fake = fake

    def _record(self, method: str, request: Any, context: Any) -> None:
        with self.fake._data_lock:
            self.fake.grpc_requests.append((method, request))
        if self.fake.down:
            context.abort(grpc.StatusCode.UNAVAILABLE, "fake Weaviate is down")

    def _objects(self, request: Any, context: Any) -> dict[str, Stored]:
        """The objects of the request's collection and tenant, or the NOT_FOUND a server answers."""
        try:
            return self.fake.objects(request.collection, request.tenant)
        except KeyError as exc:
            context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
            raise

    def BatchObjects(self, request: Any, context: Any) -> Any:
        self._record("BatchObjects", request, context)
        errors = []
        with self.fake._data_lock:
            for i, obj in enumerate(request.objects):
                try:
                    store = self.fake.objects(obj.collection, obj.tenant)
                except KeyError as exc:
                    errors.append(batch_pb2.BatchObjectsReply.BatchError(index=i, error=str(exc)))
                    continue
                vector = (np.frombuffer(obj.vector_bytes, dtype=np.float32) if obj.vector_bytes
                          else np.array(obj.vector, dtype=np.float32) if len(obj.vector)
                          else _named_vector(obj))
                store[obj.uuid] = Stored(obj.uuid, _from_batch(obj.properties), vector)
        return batch_pb2.BatchObjectsReply(took=0.001, errors=errors)

    def BatchDelete(self, request: Any, context: Any) -> Any:
        self._record("BatchDelete", request, context)
        with self.fake._data_lock:
            store = self._objects(request, context)
            gone = [u for u, o in store.items() if _matches(request.filters, o)]
            if not request.dry_run:
                for u in gone:
                    del store[u]
        return batch_delete_pb2.BatchDeleteReply(took=0.001, matches=len(gone), successful=len(gone), failed=0)

    def TenantsGet(self, request: Any, context: Any) -> Any:
        self._record("TenantsGet", request, context)
        collection = self.fake.collections.get(request.collection)
        names = list(collection.tenants) if collection else []
        return tenants_pb2.TenantsGetReply(took=0.0, tenants=[
            tenants_pb2.Tenant(name=n, activity_status=tenants_pb2.TENANT_ACTIVITY_STATUS_HOT) for n in names])

    def Search(self, request: Any, context: Any) -> Any:
        self._record("Search", request, context)
        with self.fake._data_lock:
            store = self._objects(request, context)
            candidates = [o for o in store.values() if _matches(request.filters, o)]
        scored: list[tuple[Stored, float | None, float | None]]
        if request.HasField("bm25_search"):
            scored = [(o, s, None) for o, s in _bm25(request.bm25_search, candidates, list(store.values()))]
        elif request.HasField("near_vector"):
            query = (np.frombuffer(request.near_vector.vector_bytes, dtype=np.float32)
                     if request.near_vector.vector_bytes else _first_vector(request.near_vector))
            query = query / (float(np.linalg.norm(query)) or 1.0)
            ranked = []
            for o in candidates:
                if o.vector is None:
                    continue
                v = o.vector / (float(np.linalg.norm(o.vector)) or 1.0)
                ranked.append((o, None, 1.0 - float(v @ query)))  # cosine distance
            scored = sorted(ranked, key=lambda r: (r[2], r[0].uuid))
        else:  # a plain listing (the iterator): by uuid, after the cursor
            ordered = sorted(candidates, key=lambda o: o.uuid)
            if request.after:
                ordered = [o for o in ordered if o.uuid > request.after]
            scored = [(o, None, None) for o in ordered]
        if request.limit:
            scored = scored[:request.limit]
        return search_get_pb2.SearchReply(took=0.001, results=[_result(request, o, s, d) for o, s, d in scored])


def _named_vector(obj: Any) -> np.ndarray | None:
    for v in obj.vectors:
        return np.frombuffer(v.vector_bytes, dtype=np.float32)
    return None


def _first_vector(near: Any) -> np.ndarray:
    for v in near.vectors:
        return np.frombuffer(v.vector_bytes, dtype=np.float32)
    return np.array(near.vector, dtype=np.float32)


def _from_batch(props: Any) -> dict[str, Any]:
    out: dict[str, Any] = MessageToDict(props.non_ref_properties)
    for arr in props.text_array_properties:
        out[arr.prop_name] = list(arr.values)
    for arr in props.number_array_properties:
        out[arr.prop_name] = list(arr.values) or list(np.frombuffer(arr.values_bytes, dtype=np.float64))
    return out


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"\s+", text.lower()) if t]  # the "whitespace" tokenization


def _bm25(search: Any, candidates: list[Stored], everything: list[Stored]) -> list[tuple[Stored, float]]:
    props = list(search.properties) or ["terms"]
    query = _tokens(search.query)

    def words(o: Stored) -> list[str]:
        return [w for p in props for w in _tokens(str(o.properties.get(p) or ""))]

    docs = {o.uuid: words(o) for o in everything}
    n = len(docs) or 1
    avg = sum(len(w) for w in docs.values()) / n or 1.0
    df = Counter(t for w in docs.values() for t in set(w))
    out = []
    for o in candidates:
        tf = Counter(docs[o.uuid])
        score = 0.0
        for term in query:
            if tf[term]:
                idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                score += idf * tf[term] * (K1 + 1) / (tf[term] + K1 * (1 - B + B * len(docs[o.uuid]) / avg))
        if score > 0:
            out.append((o, score))
    return sorted(out, key=lambda r: (-r[1], r[0].uuid))


def _value(f: Any) -> Any:
    kind = f.WhichOneof("test_value")
    if kind == "value_text_array":
        return list(f.value_text_array.values)
    if kind == "value_number_array":
        return list(f.value_number_array.values)
    if kind == "value_int_array":
        return list(f.value_int_array.values)
    if kind == "value_geo":
        return f.value_geo
    return getattr(f, kind) if kind else None


def _matches(f: Any, obj: Stored) -> bool:
    """Whether ``obj`` passes the filter (no filter: everything)."""
    if f is None or not f.ByteSize():
        return True
    op = base_pb2.Filters
    if f.operator == op.OPERATOR_AND:
        return all(_matches(sub, obj) for sub in f.filters)
    if f.operator == op.OPERATOR_OR:
        return any(_matches(sub, obj) for sub in f.filters)
    name = f.target.property if f.HasField("target") else (f.on[0] if f.on else "")
    have = obj.properties.get(name)
    want = _value(f)
    if f.operator == op.OPERATOR_IS_NULL:
        return (have is None) == bool(f.value_boolean)
    if have is None:
        return False
    if f.operator == op.OPERATOR_EQUAL:
        return bool(have == want)
    if f.operator == op.OPERATOR_NOT_EQUAL:
        return bool(have != want)
    if f.operator == op.OPERATOR_GREATER_THAN:
        return bool(have > want)
    if f.operator == op.OPERATOR_GREATER_THAN_EQUAL:
        return bool(have >= want)
    if f.operator == op.OPERATOR_LESS_THAN:
        return bool(have < want)
    if f.operator == op.OPERATOR_LESS_THAN_EQUAL:
        return bool(have <= want)
    if f.operator == op.OPERATOR_CONTAINS_ANY:
        values = have if isinstance(have, list) else [have]
        return any(v in want for v in values)
    if f.operator == op.OPERATOR_WITHIN_GEO_RANGE:
        return _km(have, want) * 1000.0 <= want.distance
    raise NotImplementedError(f"fake Weaviate: filter operator {f.operator}")


def _km(have: dict[str, float], geo: Any) -> float:
    p1, p2 = math.radians(have["latitude"]), math.radians(geo.latitude)
    a = (math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2)
         * math.sin(math.radians(geo.longitude - have["longitude"]) / 2) ** 2)
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def _result(request: Any, obj: Stored, score: float | None, distance: float | None) -> Any:
    fields = {}
    wanted = set(request.properties.non_ref_properties) or set(obj.properties)
    for key, value in obj.properties.items():
        if key in wanted:
            fields[key] = _to_value(value)
    meta = search_get_pb2.MetadataResult(id=obj.uuid, id_as_bytes=uuid.UUID(obj.uuid).bytes)
    if (request.metadata.vector or len(request.metadata.vectors)) and obj.vector is not None:
        meta.vector_bytes = np.asarray(obj.vector, dtype=np.float32).tobytes()
    if score is not None:
        meta.score, meta.score_present = score, True
    if distance is not None:
        meta.distance, meta.distance_present = distance, True
    return search_get_pb2.SearchResult(
        properties=search_get_pb2.PropertiesResult(non_ref_props=properties_pb2.Properties(fields=fields),
                                                   target_collection=request.collection),
        metadata=meta)


def _to_value(value: Any) -> Any:
    if value is None:
        return properties_pb2.Value(null_value=0)
    if isinstance(value, bool):
        return properties_pb2.Value(bool_value=value)
    if isinstance(value, (int, float)):
        return properties_pb2.Value(number_value=float(value))
    if isinstance(value, str):
        return properties_pb2.Value(text_value=value)
    if isinstance(value, dict) and "latitude" in value:
        return properties_pb2.Value(geo_value=properties_pb2.GeoCoordinate(latitude=value["latitude"],
                                                                           longitude=value["longitude"]))
    if isinstance(value, list):
        return properties_pb2.Value(list_value=properties_pb2.ListValue(
            text_values=properties_pb2.TextValues(values=[str(v) for v in value])))
    raise TypeError(f"fake Weaviate cannot return {type(value)}")
