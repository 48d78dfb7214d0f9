"""``loci serve`` on the Weaviate index (``LOCI_INDEX=weaviate``) as deployed, against the local fake Weaviate
(weaviate-client's own gRPC servicer and the REST endpoints it calls): the corpus ingested into it, questions
answered from it, its health in ``/readyz``, a Weaviate that goes down losing no message, and ``loci index
migrate`` both ways with counts and sample searches compared."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from genius_loci.bots.bootstrap import Runtime
from tests.fake_weaviate import FakeWeaviate

from .serve import LOCI, own_data_dir, serving, wait_until

TENANT = "aix-marseille-provence"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeWeaviate]:
    server = FakeWeaviate()
    yield server
    server.close()


def weaviate_env(fake: FakeWeaviate, collection: str = "Passages") -> dict[str, str]:
    return {"LOCI_INDEX": "weaviate", "LOCI_WEAVIATE_URL": fake.url, "LOCI_WEAVIATE_GRPC_PORT": str(fake.grpc_port),
            "LOCI_WEAVIATE_COLLECTION": collection, "LOCI_WEAVIATE_TENANT": TENANT,
            "LOCI_WEAVIATE_SKIP_INIT_CHECKS": "true"}


@pytest.fixture(scope="module")
def base(runtime: Runtime, fake: FakeWeaviate, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    here = own_data_dir(runtime, tmp_path_factory, "weaviate")  # its embeddings cache: nothing embedded again
    env = {**weaviate_env(fake), "LOCI_STT": "off", "LOCI_ASK_TIMEOUT_SECONDS": "3"}
    with serving(env, here) as (url, _):
        yield url


def loci(data_dir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "LOCI_DATA_DIR": str(data_dir), **env}
    full.pop("LOCI_SETTINGS_FILE", None)
    return subprocess.run([LOCI, *args], capture_output=True, text=True, env=full, timeout=600, check=False)


def test_the_corpus_is_ingested_into_weaviate_and_answered_from_it(base: str, fake: FakeWeaviate,
                                                                 runtime: Runtime) -> None:
    stored = fake.collections["Passages"].tenants[TENANT]
    assert len(stored) == runtime.index.count()  # every passage, with its vector
    assert all(o.vector is not None and o.vector.shape == (384,) for o in stored.values())
    before = len(fake.requests_of("Search"))
    r = httpx.post(f"{base}/api/ask", json={"session_id": "wv-1", "text": "Quand a ouvert le Mucem ?"}, timeout=30)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "answered" and "2013" in body["answer"] and "Mucem" in body["citations"][0]["title"]
    searches = fake.requests_of("Search")[before:]
    assert {s.tenant for s in searches} == {TENANT}
    assert any(s.HasField("bm25_search") for s in searches) and any(s.HasField("near_vector") for s in searches)
    assert httpx.get(f"{base}/readyz").json() == {"status": "ready"}


def test_a_weaviate_that_is_down_is_said_and_loses_no_message(base: str, fake: FakeWeaviate) -> None:
    fake.down = True
    try:
        ready = httpx.get(f"{base}/readyz")
        assert ready.status_code == 503 and "Weaviate" in " ".join(ready.json()["problems"])
        asked = {"session_id": "wv-2", "text": "Où se baigner à Marseille ?", "message_id": "wv-down-1"}
        waiting = httpx.post(f"{base}/api/ask", json=asked, timeout=30)
        assert waiting.status_code == 503 and "wv-down-1" in waiting.json()["error"]
        assert "search index is unavailable" in waiting.json()["error"] and "kept" in waiting.json()["error"]
    finally:
        fake.down = False

    def answered() -> dict[str, object] | None:
        r = httpx.post(f"{base}/api/ask", json=asked, timeout=30)
        return r.json() if r.status_code == 200 else None

    body = wait_until(answered, 90)  # the inbox kept it and retried
    assert body["status"] in ("answered", "abstained")
    assert httpx.get(f"{base}/readyz").status_code == 200


def test_migrate_copies_vectors_both_ways_and_compares(runtime: Runtime, fake: FakeWeaviate,
                                                       tmp_path_factory: pytest.TempPathFactory) -> None:
    source = own_data_dir(runtime, tmp_path_factory, "migrate-from")
    env = weaviate_env(fake, "Migrated")
    out = loci(source, env, "index", "migrate", "--to", "weaviate", "--json")
    assert out.returncode == 0, out.stderr
    there = json.loads(out.stdout)
    assert there["passages"]["from"] == there["passages"]["to"] == runtime.index.count()
    assert there["dense_agree"] == 1.0 and there["samples"] == 20
    assert len(fake.collections["Migrated"].tenants[TENANT]) == runtime.index.count()

    back = tmp_path_factory.mktemp("migrate-back")
    out = loci(back, env, "index", "migrate", "--to", "embedded", "--json")
    assert out.returncode == 0, out.stderr
    home = json.loads(out.stdout)
    assert home["passages"] == {"from": runtime.index.count(), "to": runtime.index.count()}
    assert home["dense_agree"] == 1.0
    init = loci(back, env, "index", "init", "--json")
    assert init.returncode == 0 and "ready" in json.loads(init.stdout)["done"]
