"""Polite HTTP for ingestion: per-host concurrency and pacing, robots.txt, conditional GET,
redirects, retries with backoff on 429/5xx and timeouts, and a size limit."""

from __future__ import annotations

import asyncio
import email.utils
import time
import urllib.robotparser
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from genius_loci.core.errors import SourceError

RETRYABLE = {429, 500, 502, 503, 504}
ALLOW_ALL = ["User-agent: *", "Allow: /"]
DISALLOW_ALL = ["User-agent: *", "Disallow: /"]


class HttpStatusError(SourceError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class _Retryable(Exception):
    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(status)
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    user_agent: str = "GeniusLoci/0.1 (territory assistant; +https://ampmetropole.fr)"
    per_host: int = 2
    min_interval: float = 0.25  # seconds between two requests to one host
    timeout: float = 15.0
    max_bytes: int = 10 * 1024 * 1024
    attempts: int = 3
    backoff: float = 0.5
    max_retry_after: float = 30.0
    max_redirects: int = 5


@dataclass(frozen=True, slots=True)
class Page:
    url: str  # after redirects
    status: int  # 200, or 304 when the validators matched
    content: bytes = b""
    content_type: str = ""
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None


class _Host:
    def __init__(self, slots: int) -> None:
        self.slots = asyncio.Semaphore(slots)
        self.pace = asyncio.Lock()
        self.last = 0.0
        self.robots: urllib.robotparser.RobotFileParser | None = None
        self.robots_lock = asyncio.Lock()


class HttpClient:
    def __init__(self, policy: FetchPolicy = FetchPolicy(), transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.policy = policy
        self._client = httpx.AsyncClient(
            http2=transport is None, transport=transport, follow_redirects=True,
            max_redirects=policy.max_redirects, timeout=httpx.Timeout(policy.timeout),
            headers={"User-Agent": policy.user_agent}, limits=httpx.Limits(max_connections=64))
        self._hosts: dict[str, _Host] = {}

    def _host(self, url: str) -> _Host:
        key = urlsplit(url).netloc.lower()
        if key not in self._hosts:
            self._hosts[key] = _Host(self.policy.per_host)
        return self._hosts[key]

    async def allowed(self, url: str) -> bool:
        """robots.txt says this agent may fetch ``url`` (RFC 9309: a 4xx robots.txt allows all,
        an unreachable one forbids all)."""
        host = self._host(url)
        async with host.robots_lock:
            if host.robots is None:
                parts = urlsplit(url)
                parser = urllib.robotparser.RobotFileParser()
                try:
                    page = await self._get(f"{parts.scheme}://{parts.netloc}/robots.txt", {}, host)
                    parser.parse(page.content.decode("utf-8", "replace").splitlines())
                except HttpStatusError as exc:
                    parser.parse(ALLOW_ALL if 400 <= exc.status < 500 else DISALLOW_ALL)
                except SourceError:
                    parser.parse(DISALLOW_ALL)
                host.robots = parser
        return host.robots.can_fetch(self.policy.user_agent, url)

    async def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Page:
        """GET with the validators of a previous fetch; raises ``SourceError`` with a clear reason."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return await self._get(url, headers, self._host(url))

    async def _get(self, url: str, headers: dict[str, str], host: _Host) -> Page:
        policy = self.policy
        problem = ""
        for attempt in range(1, policy.attempts + 1):
            hint: float | None = None
            async with host.slots:
                await self._pace(host)
                try:
                    return await self._once(url, headers)
                except _Retryable as exc:
                    problem, hint = f"HTTP {exc.status}", exc.retry_after
                except httpx.TimeoutException:
                    problem = f"timed out after {policy.timeout:g} s"
                except httpx.TooManyRedirects as exc:
                    raise SourceError(f"GET {url}: more than {policy.max_redirects} redirects") from exc
                except (httpx.TransportError, httpx.InvalidURL) as exc:
                    problem = f"{type(exc).__name__}: {exc}"
            if attempt < policy.attempts:
                wait = policy.backoff * 2 ** (attempt - 1)
                await asyncio.sleep(min(policy.max_retry_after, max(wait, hint or 0.0)))
        raise SourceError(f"GET {url}: {problem} after {policy.attempts} attempts")

    async def _once(self, url: str, headers: dict[str, str]) -> Page:
        async with self._client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return Page(str(response.url), 304)
            if response.status_code in RETRYABLE:
                raise _Retryable(response.status_code, _retry_after(response.headers.get("Retry-After")))
            if response.status_code >= 400:
                raise HttpStatusError(f"GET {url}: HTTP {response.status_code}", response.status_code)
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.policy.max_bytes:
                raise SourceError(f"GET {url}: {int(declared):,} bytes, over the {self.policy.max_bytes:,} limit")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > self.policy.max_bytes:
                    raise SourceError(f"GET {url}: over the {self.policy.max_bytes:,}-byte limit")
            content_type = response.headers.get("Content-Type", "")
            return Page(str(response.url), 200, bytes(body), content_type.split(";")[0].strip().lower(),
                        response.charset_encoding, response.headers.get("ETag"),
                        response.headers.get("Last-Modified"))

    async def _pace(self, host: _Host) -> None:
        async with host.pace:
            wait = host.last + self.policy.min_interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            host.last = time.monotonic()

    async def aclose(self) -> None:
        await self._client.aclose()


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    parsed = email.utils.parsedate_to_datetime(value) if value else None
    return max(0.0, parsed.timestamp() - time.time()) if parsed else None
