"""Scheduled sends: each tick asks `cadence` what is due at `now` and sends it once.

A send first claims its (team, kind, target, period) row in the Delivery ledger; a second
process, a retry or a restart that finds the row taken sends nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Store
from bot.interview_ui import follow_up_blocks
from cadence import deliveries, interviews

FOLLOW_UP = "interview_follow_up"

log = logging.getLogger("discovery.scheduler")


async def _send_once(
    client: AsyncWebClient, store: Store, key: tuple[str, str, str, str], now: datetime, **message
) -> bool:
    """Claim the send in the ledger, post it, and give the claim back if Slack failed."""
    if not await store.run(deliveries.claim, *key, now):
        return False
    try:
        await client.chat_postMessage(**message)
    except SlackApiError as e:
        log.warning("send %s failed (%s); the next tick retries", key, e.response.get("error"))
        await store.run(deliveries.release, *key)
        return False
    await store.run(deliveries.sent, *key, now)
    return True


async def follow_ups(client: AsyncWebClient, store: Store, now: datetime) -> int:
    """ "How did it go?" an hour after each planned interview, once."""
    sent = 0
    for interview, question in await store.run(interviews.awaiting_follow_up, now):
        key = (
            interview.team_id,
            FOLLOW_UP,
            str(interview.id),
            interview.planned_at.isoformat(),
        )
        text, blocks = follow_up_blocks(question, interview)
        sent += await _send_once(
            client, store, key, now, channel=interview.interviewer_id, text=text, blocks=blocks
        )
    return sent


async def tick(client: AsyncWebClient, store: Store, now: datetime) -> int:
    """Send everything due at `now`; returns how many messages went out."""
    sent = await follow_ups(client, store, now)
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
