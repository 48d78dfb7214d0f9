"""Fetchers for remote sources: a page, a whole site by its sitemap, a news or event feed, a PDF,
an open-data file (JSON, GeoJSON or CSV) mapped to documents."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser

from genius_loci.core.errors import SourceError
from genius_loci.core.ports import Fetched
from genius_loci.core.types import Document, GeoPoint, SourceSpec

from .cache import FetchCache
from .extract import decode, fragment_to_text, html_to_text, pdf_to_text
from .http import HttpClient, Page

LanguageOf = Callable[[str, SourceSpec], str]
_SITEMAP_NS = re.compile(r"^\{[^}]+\}")


class WebLoader:
    """What every remote fetcher shares: robots, conditional GET with cached extraction, language."""

    def __init__(self, http: HttpClient, cache: FetchCache, language_of: LanguageOf) -> None:
        self.http = http
        self.cache = cache
        self.language_of = language_of

    async def load(self, url: str, parse: Callable[[Page], list[Document]]) -> list[Document]:
        """The documents at ``url``: a web address, or a local file path (read as it is)."""
        if not url.startswith(("http://", "https://")):
            try:
                content = await asyncio.to_thread(Path(url).read_bytes)
            except OSError as exc:
                raise SourceError(f"cannot read {url}: {exc.strerror}") from exc
            return await self._parse(parse, Page(url, 200, content))
        if not await self.http.allowed(url):
            raise SourceError(f"{url}: disallowed by robots.txt")
        etag, last_modified = self.cache.validators(url)
        page = await self.http.get(url, etag=etag, last_modified=last_modified)
        if page.status == 304:
            cached = self.cache.documents(url)
            if cached is not None:
                return cached
            page = await self.http.get(url)
        docs = await self._parse(parse, page)
        self.cache.store(url, page.etag, page.last_modified, docs)
        return docs

    @staticmethod
    async def _parse(parse: Callable[[Page], list[Document]], page: Page) -> list[Document]:
        try:
            return await asyncio.to_thread(parse, page)
        except SourceError:
            raise
        except Exception as exc:  # outside data broke a parser: report it against the source, keep going
            raise SourceError(f"{page.url}: cannot be read ({type(exc).__name__}: {exc})") from exc

    def document(self, source: SourceSpec, doc_id: str, title: str, text: str, url: str, *,
                 geo: GeoPoint | None = None, expires_at: float | None = None, language: str | None = None
                 ) -> Document:
        return Document(doc_id, title or source.id, text, url, language or self.language_of(text, source),
                        source.owner, source.audiences, geo or source.geo, expires_at)


class PageFetcher:
    def __init__(self, loader: WebLoader) -> None:
        self._loader = loader

    async def fetch(self, source: SourceSpec) -> Fetched:
        return Fetched(await self._loader.load(source.location, lambda page: [self.parse(source, page, source.id)]))

    def parse(self, source: SourceSpec, page: Page, doc_id: str) -> Document:
        if page.content_type == "application/pdf" or page.content.startswith(b"%PDF"):
            title, text = pdf_to_text(page.content, page.url)
        else:
            title, text = html_to_text(decode(page.content, page.charset), page.url)
        return self._loader.document(source, doc_id, title, text, page.url)


class SitemapFetcher:
    """Every page a sitemap (or sitemap index) lists, filtered by include/exclude and ``max_pages``.
    A page that fails this time keeps what was indexed from it."""

    def __init__(self, loader: WebLoader, pages: PageFetcher) -> None:
        self._loader = loader
        self._pages = pages

    async def fetch(self, source: SourceSpec) -> Fetched:
        urls = await self._urls(source.location, depth=0)
        wanted = [u for u in dict.fromkeys(urls) if _selected(u, source.include, source.exclude)][: source.max_pages]
        results = await asyncio.gather(*(self._page(source, u) for u in wanted))
        docs: list[Document] = []
        keep: set[str] = set()
        problems: list[str] = []
        for url, result in zip(wanted, results, strict=True):
            if isinstance(result, SourceError):
                keep.add(f"{source.id}::{url}")
                problems.append(str(result))
            else:
                docs.extend(result)
        if wanted and len(problems) == len(wanted):
            raise SourceError(f"none of the {len(wanted)} pages could be fetched; first: {problems[0]}")
        return Fetched(docs, frozenset(keep), tuple(problems))

    async def _page(self, source: SourceSpec, url: str) -> list[Document] | SourceError:
        try:
            return await self._loader.load(url, lambda page: [self._pages.parse(source, page, f"{source.id}::{url}")])
        except SourceError as exc:
            return exc

    async def _urls(self, url: str, depth: int) -> list[str]:
        page = await self._loader.http.get(url)
        try:
            root = ET.fromstring(page.content)
        except ET.ParseError as exc:
            raise SourceError(f"{url}: not a sitemap ({exc})") from exc
        kind = _SITEMAP_NS.sub("", root.tag)
        locs = [(el.text or "").strip() for el in root.iter() if _SITEMAP_NS.sub("", el.tag) == "loc"]
        if kind == "sitemapindex":
            if depth >= 2:
                raise SourceError(f"{url}: sitemap indexes nested too deep")
            nested = await asyncio.gather(*(self._urls(loc, depth + 1) for loc in locs if loc))
            return [u for urls in nested for u in urls]
        if kind != "urlset":
            raise SourceError(f"{url}: not a sitemap (root element <{kind}>)")
        return [loc for loc in locs if loc]


class FeedFetcher:
    """RSS/Atom items; event feeds (``ev:startdate``/``ev:enddate``) expire at their end date."""

    def __init__(self, loader: WebLoader) -> None:
        self._loader = loader

    async def fetch(self, source: SourceSpec) -> Fetched:
        return Fetched(await self._loader.load(source.location, lambda page: self._parse(source, page)))

    def _parse(self, source: SourceSpec, page: Page) -> list[Document]:
        feed = feedparser.parse(page.content)
        if not feed.entries:
            raise SourceError(f"{page.url}: no feed items ({feed.get('bozo_exception', 'empty feed')})")
        docs = []
        now = time.time()
        for entry in feed.entries:
            link = entry.get("link") or source.url
            key = entry.get("id") or link
            body = entry.get("content", [{}])[0].get("value") if entry.get("content") else entry.get("summary", "")
            text = fragment_to_text(body or "")
            start, end = entry.get("ev_startdate"), entry.get("ev_enddate")
            expires = parse_date(end, end_of_day=True) if end else None
            if expires is not None and expires <= now:
                continue
            if start or end:
                text = f"({start or '?'} – {end or '?'}) {text}"
            title = fragment_to_text(entry.get("title", ""))
            docs.append(self._loader.document(source, f"{source.id}::{key}", title, text or title, link,
                                              expires_at=expires))
        return docs


class PdfFetcher:
    def __init__(self, loader: WebLoader) -> None:
        self._loader = loader

    async def fetch(self, source: SourceSpec) -> Fetched:
        def parse(page: Page) -> list[Document]:
            title, text = pdf_to_text(page.content, page.url)
            return [self._loader.document(source, source.id, title, text, source.url or page.url)]
        return Fetched(await self._loader.load(source.location, parse))


class OpenDataFetcher:
    """Records of a JSON, GeoJSON or CSV file (remote or local), one document each, by ``mapping``:
    ``id``, ``title``, ``text`` (a field or a list), ``url``, ``lat``/``lon``, ``start``/``end``,
    ``language``, and optionally ``records`` (the path of the list in a JSON object) and ``format``."""

    def __init__(self, loader: WebLoader) -> None:
        self._loader = loader

    async def fetch(self, source: SourceSpec) -> Fetched:
        return Fetched(await self._loader.load(source.location, lambda page: self._parse(source, page.content)))

    def _parse(self, source: SourceSpec, content: bytes) -> list[Document]:
        m = source.mapping
        if "title" not in m:
            raise SourceError(f"source {source.id}: an opendata mapping needs at least 'title'")
        records = list(_records(content, m, source))
        docs = []
        now = time.time()
        for n, rec in enumerate(records):
            title = _field(rec, m.get("title"))
            if not title:
                continue
            texts = m.get("text", [])
            text_fields = [texts] if isinstance(texts, str) else list(texts)
            text = "\n".join(v for v in (_field(rec, f) for f in text_fields) if v) or title
            expires = parse_date(_field(rec, m.get("end")), end_of_day=True) if m.get("end") else None
            if expires is not None and expires <= now:
                continue
            start = _field(rec, m.get("start")) if m.get("start") else ""
            if start or m.get("end"):
                text = f"({start or '?'} – {_field(rec, m.get('end')) or '?'}) {text}"
            geo = _geo(rec, m)
            key = _field(rec, m.get("id")) or str(n)
            docs.append(self._loader.document(
                source, f"{source.id}::{key}", title, text, _field(rec, m.get("url")) or source.url, geo=geo,
                expires_at=expires, language=_field(rec, m.get("language")) or None))
        return docs


def _records(content: bytes, mapping: Mapping[str, Any], source: SourceSpec) -> Iterable[Mapping[str, Any]]:
    fmt = mapping.get("format") or ("csv" if source.location.lower().endswith(".csv") else "json")
    if fmt == "csv":
        text = decode(content, None).lstrip("\ufeff")
        header = text.split("\n", 1)[0]
        delimiter = max(",;\t", key=header.count)
        return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
    try:
        data = json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"{source.location}: not valid JSON ({exc})") from exc
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        return [{**(f.get("properties") or {}), "__geometry": f.get("geometry")} for f in data.get("features", [])]
    path = mapping.get("records")
    if path:
        for part in str(path).split("."):
            data = data.get(part, []) if isinstance(data, dict) else []
    elif isinstance(data, dict):
        data = next((data[k] for k in ("records", "results", "data", "items") if isinstance(data.get(k), list)), [])
    if not isinstance(data, list):
        raise SourceError(f"{source.location}: no list of records found")
    return [r for r in data if isinstance(r, dict)]


def _field(record: Mapping[str, Any], path: str | None) -> str:
    if not path:
        return ""
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return "" if value is None else str(value).strip()


def _geo(record: Mapping[str, Any], mapping: Mapping[str, Any]) -> GeoPoint | None:
    try:
        if mapping.get("lat") and mapping.get("lon"):
            lat, lon = _field(record, mapping["lat"]), _field(record, mapping["lon"])
            return GeoPoint(float(lat.replace(",", ".")), float(lon.replace(",", "."))) if lat and lon else None
        geometry = record.get("__geometry")
        if isinstance(geometry, Mapping) and geometry.get("type") == "Point":
            lon_, lat_ = geometry["coordinates"][:2]
            return GeoPoint(float(lat_), float(lon_))
    except (ValueError, TypeError, KeyError):
        return None
    return None


def parse_date(value: str | None, *, end_of_day: bool = False) -> float | None:
    """Unix time of an ISO 8601 date or date-time; a bare date as an end means the end of that day."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if end_of_day and len(value.strip()) == 10:
        parsed += timedelta(days=1)
    return parsed.timestamp()


def _selected(url: str, include: Iterable[str], exclude: Iterable[str]) -> bool:
    include = list(include)
    if include and not any(re.search(p, url) for p in include):
        return False
    return not any(re.search(p, url) for p in exclude)
