"""Session fixtures of the integration and end-to-end tests: the real embedding model and language detector on the
bundled corpus, built once (only when a test asks for them)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from genius_loci.bots.bootstrap import Runtime, build_runtime
from genius_loci.config.settings import Settings


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("loci-data")


@pytest.fixture(scope="session")
def runtime(data_dir: Path) -> Iterator[Runtime]:
    rt = build_runtime(Settings(data_dir=data_dir))
    report = asyncio.run(rt.ensure_index())
    assert report is not None and report.sources_ok >= 60 and not report.sources_failed
    yield rt
    asyncio.run(rt.aclose())
