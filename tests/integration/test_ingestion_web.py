"""Ingestion of real HTTP sources served by a local fixture site (tests/fixture_site.py)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from genius_loci.bots.bootstrap import build_fetchers
from genius_loci.connectors.chunking import SectionChunker
from genius_loci.connectors.embeddings.cache import CachedEmbedder
from genius_loci.connectors.index.embedded import EmbeddedIndex
from genius_loci.connectors.sources.cache import FetchCache
from genius_loci.connectors.sources.http import FetchPolicy, HttpClient
from genius_loci.core.ingestion import Ingestor
from genius_loci.core.types import Filters, SearchRequest, SourceSpec
from tests.fakes import HashEmbedder, KeywordDetector
from tests.fixture_site import N_PAGES, Site

POLICY = FetchPolicy(per_host=8, min_interval=0.0, timeout=1.0, max_bytes=5 * 1024 * 1024, attempts=2,
                     backoff=0.05)


@dataclass
class Rig:
    site: Site
    ingestor: Ingestor
    index: EmbeddedIndex
    model: HashEmbedder
    sources: list[SourceSpec]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sources(base: str) -> list[SourceSpec]:
    poi_map = {"id": "id", "title": "name", "text": "about", "lat": "lat", "lon": "lon", "url": "web",
               "start": "start", "end": "end"}
    return [
        SourceSpec("site", "sitemap", f"{base}/sitemap.xml", base, "marseille-tourism", ("tourist",), ("fr",),
                   max_pages=500),
        SourceSpec("agenda", "feed", f"{base}/feed.xml", base, languages=("fr",)),
        SourceSpec("poi", "opendata", f"{base}/poi.json", base, languages=("fr",), mapping=poi_map),
        SourceSpec("poi-csv", "opendata", f"{base}/poi.csv", base, languages=("fr",),
                   mapping={"id": "code", "title": "nom", "text": "texte", "lat": "latitude", "lon": "longitude"}),
        SourceSpec("poi-geo", "opendata", f"{base}/poi.geojson", base, languages=("fr",),
                   mapping={"id": "ref", "title": "label", "text": "desc"}),
        SourceSpec("brochure", "pdf", f"{base}/brochure.pdf", f"{base}/brochure.pdf", languages=("fr",)),
        SourceSpec("one-page", "page", f"{base}/latin1", f"{base}/latin1", languages=("fr",)),
        SourceSpec("down", "page", f"http://127.0.0.1:{_closed_port()}/", "http://down.example"),
        SourceSpec("broken", "page", f"{base}/error", f"{base}/error"),
    ]


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    with Site() as site:
        model = HashEmbedder()
        embedder = CachedEmbedder(model, tmp_path / "emb.sqlite")
        index = EmbeddedIndex(tmp_path / "index.sqlite", embedder_name=model.name, dim=model.dim)
        http = HttpClient(POLICY)
        cache = FetchCache(tmp_path / "fetch.sqlite")
        ingestor = Ingestor(fetchers=build_fetchers(http, cache, KeywordDetector(), "fr"), chunker=SectionChunker(),
                            embedder=embedder, writer=index)
        yield Rig(site, ingestor, index, model, _sources(site.base))
        await http.aclose()
        index.close()


async def test_first_sync_of_every_kind_with_failures_reported(rig: Rig) -> None:
    report = await rig.ingestor.run(rig.sources)
    assert set(report.sources_failed) == {"down", "broken"}
    assert "HTTP 500 after 2 attempts" in report.sources_failed["broken"]
    assert report.sources_ok == 7
    problems = " | ".join(report.problems["site"])
    for expected in ("disallowed by robots.txt", "HTTP 404", "HTTP 500", "timed out", "byte limit"):
        assert expected in problems, expected
    fingerprints = await rig.index.fingerprints()
    b = rig.site.base
    site_docs = {d for d in fingerprints if d.startswith("site::")}
    # 210 pages, the malformed, latin-1 and (after one retry) flaky pages; the redirect to page 5 is a duplicate
    assert f"site::{b}/malformed" in site_docs and f"site::{b}/latin1" in site_docs and f"site::{b}/flaky" in site_docs
    assert f"site::{b}/redirect/5" not in site_docs and report.duplicates >= 1
    assert len(site_docs) == N_PAGES + 3
    assert f"site::{b}/private/secret.html" not in site_docs
    assert rig.site.hits[("/flaky", 503)] == 1 and rig.site.hits[("/flaky", 200)] == 1
    hits = await rig.index.search(SearchRequest("bm25", 3, text="église romane café", language="fr"))
    assert hits and "église romane" in hits[0].passage.text.lower()  # decoded from ISO-8859-1
    pdf = await rig.index.search(SearchRequest("bm25", 3, text="brochure sentiers calanques", language="fr"))
    assert pdf[0].passage.doc_id == "brochure"
    assert {"agenda::future", "agenda::news-1"} <= set(fingerprints) and "agenda::past" not in fingerprints
    assert {"poi::p1", "poi::p2", "poi::p4", "poi-csv::c1", "poi-csv::c2", "poi-geo::g1"} <= set(fingerprints)
    assert "poi::p3" not in fingerprints  # its end date has passed


async def test_unchanged_resync_uses_304_and_embeds_nothing(rig: Rig) -> None:
    await rig.ingestor.run(rig.sources)
    embedded = rig.model.calls
    started = time.perf_counter()
    again = await rig.ingestor.run(rig.sources)
    assert (again.added, again.updated, again.removed) == (0, 0, 0)
    assert rig.model.calls == embedded
    assert sum(n for (path, status), n in rig.site.hits.items() if path.startswith("/pages/") and status == 304) \
        >= N_PAGES
    assert again.sources_unchanged == 7
    assert time.perf_counter() - started < 30


async def test_changed_vanished_and_failing_pages(rig: Rig) -> None:
    await rig.ingestor.run(rig.sources)
    before = rig.model.calls
    rig.site.version[3] = 2  # edited
    rig.site.removed.add(7)  # gone from the sitemap
    rig.site.broken.add(9)  # failing today: keep what was indexed
    report = await rig.ingestor.run(rig.sources)
    b = rig.site.base
    assert (report.updated, report.removed, report.added) == (1, 1, 0)
    fingerprints = await rig.index.fingerprints()
    assert f"site::{b}/pages/7.html" not in fingerprints and f"site::{b}/pages/9.html" in fingerprints
    assert any("pages/9.html: HTTP 500" in p for p in report.problems["site"])
    assert 0 < rig.model.calls - before <= 3  # only page 3's chunks


async def test_events_drop_out_of_answers_after_their_end(rig: Rig) -> None:
    await rig.ingestor.run(rig.sources)
    request = SearchRequest("bm25", 5, text="fête calanques kayak", language="fr")
    assert (await rig.index.search(request))[0].passage.doc_id == "agenda::future"
    after = SearchRequest("bm25", 5, text="fête calanques kayak", language="fr",
                          filters=Filters(active_at=4_200_000_000.0))  # after 2099-06-03
    assert "agenda::future" not in {h.passage.doc_id for h in await rig.index.search(after)}
    hits = await rig.index.search(SearchRequest("bm25", 5, text="Plage Catalans", language="fr"))
    geo = next(h.passage.geo for h in hits if h.passage.doc_id == "poi::p1")
    assert geo is not None and (geo.lat, geo.lon) == (43.2905, 5.3590)


async def test_dry_run_changes_nothing(rig: Rig) -> None:
    report = await rig.ingestor.run(rig.sources, dry_run=True)
    assert report.dry_run and report.added > N_PAGES and report.chunks > N_PAGES
    assert await rig.index.fingerprints() == {} and rig.model.calls == 0


def test_policy_waits_between_requests_to_one_host() -> None:
    async def two_requests() -> float:
        with Site() as site:
            http = HttpClient(FetchPolicy(per_host=4, min_interval=0.3, timeout=2))
            started = time.perf_counter()
            await asyncio.gather(http.get(f"{site.base}/pages/1.html"), http.get(f"{site.base}/pages/2.html"))
            await http.aclose()
            return time.perf_counter() - started

    assert asyncio.run(two_requests()) >= 0.3
