"""Scale-out on one machine, as deployed: PostgreSQL for state, Redis for the inbox and outbox, the (fake) Weaviate
for the index, two ``loci serve --no-worker`` web processes and two ``loci worker`` processes on loopback. Every
question is sent to both web processes at once (a platform's retry landing on the other replica): each is answered
exactly once, by one worker, and both replicas return that answer."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from genius_loci.bots.bootstrap import Runtime
from tests.fake_weaviate import FakeWeaviate
from tests.services import POSTGRES_ADMIN_URL, REDIS_URL, require

from .serve import LOCI, own_data_dir, serving

QUESTIONS = ["Quand a ouvert le Mucem ?", "Where was Cézanne born?", "Où se baigner à Marseille ?",
             "How do I get from the airport to Saint-Charles?", "Comment monter à Notre-Dame de la Garde ?"]
N = 30


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    require("PostgreSQL", "127.0.0.1", 5432)
    import asyncpg

    name = f"loci_scale_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def deployment(runtime: Runtime, database: str, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[tuple[list[str], list[Path], Path]]:
    require("Redis", "127.0.0.1", 6379)
    fake = FakeWeaviate()
    here = own_data_dir(runtime, tmp_path_factory, "scale-out")
    env = {"LOCI_DATABASE_URL": database, "LOCI_REDIS_URL": REDIS_URL, "LOCI_REDIS_NAMESPACE": uuid.uuid4().hex[:12],
           "LOCI_INDEX": "weaviate", "LOCI_WEAVIATE_URL": fake.url, "LOCI_WEAVIATE_GRPC_PORT": str(fake.grpc_port),
           "LOCI_WEAVIATE_TENANT": "aix-marseille-provence", "LOCI_WEAVIATE_SKIP_INIT_CHECKS": "true",
           "LOCI_STT": "off", "LOCI_LOG_LEVEL": "INFO", "LOCI_ASK_TIMEOUT_SECONDS": "60",
           "LOCI_PSEUDONYM_KEY": uuid.uuid4().hex}  # one key for every replica: one person, one pseudonym
    full = {**os.environ, "LOCI_DATA_DIR": str(here), **env}
    for step in (["db", "upgrade"], ["index", "init"], ["ingest"]):  # once, before the processes start
        done = subprocess.run([LOCI, *step], env=full, capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr
    logs = [here / f"worker-{n}.log" for n in (1, 2)]
    workers = []
    with contextlib.ExitStack() as stack:
        for log in logs:
            out = stack.enter_context(log.open("wb"))
            workers.append(subprocess.Popen([LOCI, "worker"], env=full, stdout=out, stderr=subprocess.STDOUT))
        try:
            web = [stack.enter_context(serving(env, here, "--no-worker", log_name=f"{name}.log"))
                   for name in ("web-1", "web-2")]
            yield [url for url, _ in web], logs, here
        finally:
            for w in workers:
                w.terminate()
            for w in workers:
                w.wait(timeout=60)
            fake.close()




def test_two_web_and_two_worker_processes_answer_each_message_exactly_once(
        deployment: tuple[list[str], list[Path], Path]) -> None:
    urls, logs, _ = deployment
    ids = [f"scale-{uuid.uuid4().hex[:8]}-{n}" for n in range(N)]

    async def send_all() -> list[tuple[httpx.Response, httpx.Response]]:
        async with httpx.AsyncClient(timeout=120) as client:
            async def twice(n: int, message_id: str) -> tuple[httpx.Response, httpx.Response]:
                body = {"session_id": f"s-{n % 7}", "text": QUESTIONS[n % len(QUESTIONS)], "message_id": message_id}
                first, second = await asyncio.gather(client.post(f"{urls[0]}/api/ask", json=body),
                                                     client.post(f"{urls[1]}/api/ask", json=body))
                return first, second
            return await asyncio.gather(*(twice(n, m) for n, m in enumerate(ids)))

    pairs = asyncio.run(send_all())
    for first, second in pairs:
        assert first.status_code == second.status_code == 200, (first.text, second.text)
        assert first.json()["answer"] == second.json()["answer"]
    answered: Counter[str] = Counter()
    by_worker = []
    for log in logs:
        mine = [json.loads(line)["item"] for line in log.read_text().splitlines()
                if '"inbox.answered"' in line]
        by_worker.append(len([i for i in mine if i.startswith("web:scale-")]))
        answered.update(mine)
    assert {f"web:{m}" for m in ids} <= set(answered)
    assert all(answered[f"web:{m}"] == 1 for m in ids)  # exactly once, whichever web process took it
    assert sum(by_worker) == N
