"""``loci worker``: answers from the inbox and delivers from the outbox until SIGTERM or SIGINT.

Run as many as needed against a shared PostgreSQL and Redis (``LOCI_DATABASE_URL``,
``LOCI_REDIS_URL``); on a signal the message in hand is finished before the process exits.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from genius_loci.config.settings import Settings

from .bootstrap import build_service

log = logging.getLogger("genius_loci.worker")


async def run_worker(settings: Settings) -> int:
    service = build_service(settings)
    try:
        await service.state.migrate()
        await service.runtime.warm_up()
        await service.runtime.ensure_index()
        await service.learn_votes()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("worker started", extra={"event": "worker.started"})
        await asyncio.gather(service.inbox_worker.run(stop), service.dispatcher.run(stop))
        log.info("worker stopped", extra={"event": "worker.stopped"})
        return 0
    finally:
        await service.aclose()
