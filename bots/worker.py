"""``loci worker``: answers from the inbox and delivers from the outbox until SIGTERM or SIGINT.

Run as many as needed against a shared PostgreSQL and Redis (``LOCI_DATABASE_URL``,
``LOCI_REDIS_URL``); on a signal the message in hand is finished before the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from genius_loci.config.settings import Settings
from genius_loci.core.errors import LociError

from .bootstrap import Service, build_service
from .housekeeping import housekeeping

log = logging.getLogger("genius_loci.worker")


async def run_worker(settings: Settings) -> int:
    service = build_service(settings)
    try:
        await service.state.migrate()
        await service.runtime.warm_up()
        await service.runtime.ensure_index()
        await service.learn()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("worker started", extra={"event": "worker.started"})
        await asyncio.gather(service.inbox_worker.run(stop), service.dispatcher.run(stop), _learn(service, stop))
        log.info("worker stopped", extra={"event": "worker.stopped"})
        return 0
    finally:
        await service.aclose()


async def run_housekeeping(settings: Settings) -> int:
    """``loci housekeeping``: the retention purge, the sources' re-sync and the partners' digest, until SIGTERM or
    SIGINT — the scheduler of a scale-out deployment (run one)."""
    service = build_service(settings)
    try:
        await service.state.migrate()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("housekeeping started", extra={"event": "housekeeping.started"})
        await housekeeping(service, settings, stop)
        return 0
    finally:
        await service.aclose()


async def _learn(service: Service, stop: asyncio.Event) -> None:
    """Every minute, the votes cast and lessons approved through other processes join this one's ranking."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=60)
        try:
            await service.learn()
        except LociError as exc:
            log.error("votes or lessons not loaded", extra={"event": "learning.failed", "reason": str(exc)})
