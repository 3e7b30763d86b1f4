"""Scheduled sends: each tick asks `cadence` what is due at `now` and sends it once.

A send first claims its (team, kind, target, period) row in the Delivery ledger; a second
process, a retry or a restart that finds the row taken sends nothing. A send that fails for
any reason gives its claim back for a later tick and never stops the other sends.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.app import Store
from bot.channels import post_to_channel
from bot.members import time_zones
from bot.views.cadence import digest_blocks, flag_blocks, invite_blocks, owner_message_blocks
from bot.views.interviews import follow_up_blocks
from cadence import deliveries, interviews, schedule
from cadence.db import SchedulerLock
from cadence.deliveries import Key
from cadence.schedule import Digest

log = logging.getLogger("discovery.scheduler")


def _reason(error: BaseException) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error"))
    return f"{type(error).__name__}: {error}".strip()


def _settle(s: Session, key: Key, now: datetime, after: Callable[[Session], None] | None) -> None:
    deliveries.sent(s, key, now)
    if after is not None:
        after(s)


async def _send_once(
    store: Store,
    key: Key,
    now: datetime,
    send: Callable[[], Awaitable[object]],
    after: Callable[[Session], None] | None = None,
) -> bool:
    """Claim the send in the ledger, make it, and give the claim back if it failed; once
    sent, mark it so, with `after` in the same transaction."""
    if not await store.run(deliveries.claim, key, now):
        return False
    try:
        await send()
    except Exception as e:  # whatever Slack or the network did, a later tick retries
        log.warning("%s to %s failed (%s); a later tick retries", key[1], key[2], _reason(e))
        await store.run(deliveries.release, key, now)
        return False
    await store.run(_settle, key, now, after)
    return True


async def _post_digest(client: AsyncWebClient, digest: Digest) -> None:
    """Post in the digest's channel; when the bot cannot get in, its owners hear that it
    needs an invitation, inside the digest's claim: once with it, or retried with it."""
    text, blocks = digest_blocks(digest)
    if await post_to_channel(client, digest.channel_id, text, blocks):
        return
    for owner in digest.owners:
        mine = [e.overview.question for e in digest.entries]
        text, blocks = invite_blocks(digest.channel_id, [q for q in mine if q.owner_id == owner])
        await client.chat_postMessage(channel=owner, text=text, blocks=blocks)


async def _zones(client: AsyncWebClient, store: Store, now: datetime) -> dict:
    zones: dict[tuple[str, str], str] = {}
    for team_id, owners in (await store.run(schedule.owners)).items():
        found = await time_zones(client, store, team_id, owners, now)
        zones.update({(team_id, u): tz for u, tz in found.items()})
    return zones


async def tick(client: AsyncWebClient, store: Store, now: datetime) -> Counter[str]:
    """Send everything due at `now`; returns how many messages of each kind went out."""
    zones = await _zones(client, store, now)
    due = await store.run(schedule.due, now, zones)
    jobs: list[tuple[Key, Callable[[], Awaitable[object]], Callable | None]] = []

    def dm(user: str, text: str, blocks: list) -> Callable[[], Awaitable[object]]:
        return lambda: client.chat_postMessage(channel=user, text=text, blocks=blocks)

    for message in due.reminders + due.nudges:
        text, blocks = owner_message_blocks(message, reminder=message.kind == schedule.REMINDER)
        jobs.append((message.key, dm(message.owner_id, text, blocks), None))
    for interview, question in await store.run(interviews.awaiting_follow_up, now):
        key = (
            interview.team_id,
            schedule.FOLLOW_UP,
            str(interview.id),
            interview.planned_at.isoformat(),
        )
        jobs.append(
            (key, dm(interview.interviewer_id, *follow_up_blocks(question, interview)), None)
        )
    for digest in due.digests:
        jobs.append((digest.key, lambda d=digest: _post_digest(client, d), None))
    for overview in due.flags:
        q = overview.question
        key = schedule.flag_key(q)
        told = partial(schedule.flagged, team_id=q.team_id, question_id=q.id, flags=int(key[3]))
        jobs.append((key, dm(q.owner_id, *flag_blocks(overview)), told))

    sent: Counter[str] = Counter()
    for key, send, after in jobs:
        try:
            sent[key[1]] += await _send_once(store, key, now, send, after)
        except Exception:  # the database, most likely: this send waits, the others go on
            log.exception("%s to %s could not be claimed", key[1], key[2])
    sent = +sent
    if sent:
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(sent.items()))
        log.info("tick at %s: sent %s", now.isoformat(), counts)
    return sent


def start(client: AsyncWebClient, store: Store) -> AsyncIOScheduler:
    """Tick at the top of every minute in the running event loop, while this process holds
    the deployment's scheduler lock; a second scheduler waits for it instead of ticking."""
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # no line per idle minute
    lock = SchedulerLock(store.engine)

    def holding() -> bool:
        if lock.held():
            return True
        if lock.acquire():
            log.info("scheduler lock taken: this process sends the scheduled messages")
            return True
        return False

    if not holding():
        log.info("another scheduler holds the lock; waiting for it")

    async def job() -> None:
        if holding():
            await tick(client, store, datetime.now(UTC))

    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(job, "cron", second=0, coalesce=True, max_instances=1, misfire_grace_time=50)
    scheduler.start()
    return scheduler
