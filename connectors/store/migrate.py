"""Running the Alembic migrations programmatically (``loci db upgrade`` and at start-up)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.exc import SQLAlchemyError

from genius_loci.core.errors import ProviderError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["url"] = url
    return cfg


def upgrade_sync(url: str) -> None:
    try:
        command.upgrade(_config(url), "head")
    except (SQLAlchemyError, OSError) as exc:
        raise ProviderError(f"cannot migrate the database: {exc}") from exc


async def upgrade(url: str) -> None:
    """Brings the schema to the latest revision (a no-op when it is there already)."""
    # env.py runs its own event loop: give it a thread of its own
    await asyncio.to_thread(upgrade_sync, url)
