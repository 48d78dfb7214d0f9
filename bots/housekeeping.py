"""The housekeeping of a deployment: the retention purge daily, each source re-synced when its refresh interval
has passed, what was taught through other processes every minute, and the partners' digest when due. Runs inside
``loci serve``, or alone as ``loci housekeeping`` (the scheduler of a scale-out deployment: one of them)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from genius_loci.config.settings import Settings
from genius_loci.core.errors import LociError
from genius_loci.core.ingestion import SyncSchedule

from .bootstrap import Service
from .digest import DigestSource, send_when_due

log = logging.getLogger("genius_loci.housekeeping")
DAY = 86400.0
DEDUPE_WINDOW_SECONDS = 7 * 86400


async def housekeeping(service: Service, settings: Settings, stop: asyncio.Event) -> None:
    """Retention purge daily; each source re-synced when its refresh interval has passed; every minute, what was
    taught elsewhere, and the partners' digest when due."""
    last_purge = time.monotonic()
    await _purge(service, settings)
    schedule = SyncSchedule(service.runtime.ingestor, service.state.store, service.runtime.sources)
    while not stop.is_set():
        try:
            report = await schedule.run_due(time.time())
            if report is not None:
                log.info("sources re-synced", extra={"event": "ingest.done", **report.to_dict()})
        except LociError as exc:
            log.error("re-sync failed", extra={"event": "ingest.failed", "reason": str(exc)})
        if time.monotonic() - last_purge >= DAY:
            last_purge = time.monotonic()
            await _purge(service, settings)
        try:
            await service.learn()  # votes cast and lessons approved through other processes
        except LociError as exc:
            log.error("votes or lessons not loaded", extra={"event": "learning.failed", "reason": str(exc)})
        client = service.channels.slack_client
        if client is not None:
            try:
                await send_when_due(service.state.store, DigestSource(service.state.store, service.runtime.partners,
                                                                      settings.digest_every_days),
                                    client, settings.digest_every_days)
            except LociError as exc:
                log.error("digest failed", extra={"event": "digest.failed", "reason": str(exc)})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=60)


async def _purge(service: Service, settings: Settings) -> None:
    now = time.time()
    try:
        removed = await service.state.purge(now - settings.retention_days * DAY, now - DEDUPE_WINDOW_SECONDS)
        log.info("retention purge", extra={"event": "retention.purged", "rows": removed})
    except LociError as exc:
        log.error("retention purge failed", extra={"event": "retention.failed", "reason": str(exc)})
