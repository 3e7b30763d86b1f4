"""Scheduled sends: each tick asks `cadence` what is due at `now` and sends it once.

A send first claims its (team, kind, target, period) row in the Delivery ledger; a second
process, a retry or a restart that finds the row taken sends nothing. A send that fails for
any reason gives its claim back for a later tick and never stops the other sends.

With one bot token (single-workspace mode) every send goes through one client; with OAuth
installs each workspace's sends go with its own token, and a workspace without one (it
uninstalled the app) gets nothing. Each tick also deletes the data of workspaces uninstalled
more than DATA_RETENTION_DAYS ago.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot import clock
from bot.channels import post_to_channel
from bot.members import time_zones
from bot.store import Store
from bot.views.cadence import digest_blocks, flag_blocks, invite_blocks, owner_message_blocks
from bot.views.interviews import follow_up_blocks
from cadence import deliveries, interviews, schedule, workspaces
from cadence.db import SchedulerLock
from cadence.deliveries import Key
from cadence.schedule import Digest

log = logging.getLogger("discovery.scheduler")
INVITE = "digest_invite"  # the bot needs an invitation to a digest's channel


def _reason(error: BaseException) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error"))
    return f"{type(error).__name__}: {error}".strip()


# Slack's answers that a later tick would get again: the send is given up, not retried.
PERMANENT = {
    "account_inactive",
    "cannot_dm_bot",
    "invalid_blocks",
    "is_archived",
    "msg_blocks_too_long",
    "msg_too_long",
    "user_disabled",
    "user_not_found",
}
Clock = Callable[[], datetime]
# A client for every workspace (single-workspace mode), or a workspace's client by its team
# id, None when it has no token (OAuth installs: bot.oauth.team_clients).
Clients = AsyncWebClient | Callable[[str], Awaitable[AsyncWebClient | None]]
RETENTION = timedelta(days=workspaces.RETENTION_DAYS)


def _settle(s: Session, key: Key, now: datetime, after: Callable[[Session], None] | None) -> None:
    deliveries.sent(s, key, now)
    if after is not None:
        after(s)


async def _send_once(
    store: Store,
    key: Key,
    clock: Clock,
    send: Callable[[], Awaitable[object]],
    after: Callable[[Session], None] | None = None,
) -> bool | None:
    """Claim the send in the ledger, make it, and give the claim back if it failed; once
    sent, mark it so, with `after` in the same transaction. True when it went out, False
    when another process has it or had it, None when it failed and a later tick retries."""
    claimed_at = clock()  # the moment of claiming, so a long tick does not age its leases
    if not await store.run(deliveries.claim, key, claimed_at):
        return False
    try:
        await send()
    except SlackApiError as e:
        if e.response.get("error") not in PERMANENT:
            return await _failed(store, key, claimed_at, e)
        log.warning("%s to %s refused (%s); not retried", key[1], key[2], _reason(e))
        await store.run(_settle, key, clock(), after)
        return False
    except Exception as e:  # whatever the network did, a later tick retries
        return await _failed(store, key, claimed_at, e)
    await store.run(_settle, key, clock(), after)
    return True


async def _failed(store: Store, key: Key, claimed_at: datetime, error: Exception) -> None:
    log.warning("%s to %s failed (%s); a later tick retries", key[1], key[2], _reason(error))
    await store.run(deliveries.release, key, claimed_at)


async def _post_digest(client: AsyncWebClient, *, store: Store, digest: Digest, clock: Clock):
    """Post in the digest's channel; when the bot cannot get in, each owner hears once that
    it needs an invitation. A failed invitation fails the digest, so both are tried again."""
    text, blocks = digest_blocks(digest)
    if await post_to_channel(client, digest.channel_id, text, blocks):
        return
    for owner in digest.owners:
        mine = [
            e.overview.question for e in digest.entries if e.overview.question.owner_id == owner
        ]
        ask = invite_blocks(digest.channel_id, mine)
        key = (digest.team_id, INVITE, owner, f"{digest.channel_id}:{digest.week.isoformat()}")

        async def dm(owner: str = owner, message: tuple = ask) -> None:
            await client.chat_postMessage(channel=owner, text=message[0], blocks=message[1])

        if await _send_once(store, key, clock, dm) is None:
            raise RuntimeError(f"the invitation to {owner} did not go out")


async def _zones(
    owners_by_team: dict[str, set[str]],
    clients: dict[str, AsyncWebClient | None],
    store: Store,
    now: datetime,
) -> dict:
    zones: dict[tuple[str, str], str] = {}
    for team_id, owners in owners_by_team.items():
        client = clients.get(team_id)
        if client is None:
            continue
        found = await time_zones(client, store, team_id, owners, now)
        zones.update({(team_id, u): tz for u, tz in found.items()})
    return zones


async def _clients(clients: Clients, teams: list[str]) -> dict[str, AsyncWebClient | None]:
    """Each of `teams`: its client."""
    if isinstance(clients, AsyncWebClient):
        return dict.fromkeys(teams, clients)
    found: dict[str, AsyncWebClient | None] = {}
    for team_id in teams:
        try:
            found[team_id] = await clients(team_id)
        except Exception:  # the installation store: this workspace waits, the others go on
            log.exception("no token for workspace %s", team_id)
            found[team_id] = None
    return found


async def _purge(store: Store, now: datetime, retention: timedelta) -> None:
    try:
        await store.run(deliveries.prune, now)
        for team_id in await store.run(workspaces.purge, now, retention):
            log.info("deleted the data of workspace %s, uninstalled %s ago", team_id, retention)
    except Exception:  # the database, most likely: a later tick tries again
        log.exception("old ledger rows or uninstalled workspaces could not be deleted")


async def tick(
    clients: Clients, store: Store, now: datetime, retention: timedelta = RETENTION
) -> Counter[str]:
    """Send everything due at `now`, each workspace's with its client; delete the data of
    workspaces uninstalled `retention` before. Returns how many messages of each kind went
    out."""
    started = time.monotonic()

    def clock() -> datetime:  # `now` as the tick goes on: --at plus the time it takes
        return now + timedelta(seconds=time.monotonic() - started)

    await _purge(store, now, retention)
    owners = await store.run(schedule.owners, now)
    by_team = await _clients(clients, list(owners))
    zones = await _zones(owners, by_team, store, now)
    unreachable = {team_id for team_id, client in by_team.items() if client is None}
    due = await store.run(schedule.due, now, zones, unreachable)
    Send = Callable[[AsyncWebClient], Awaitable[object]]
    jobs: list[tuple[Key, Send, Callable | None]] = []  # a key's first item is its team

    def dm(user: str, text: str, blocks: list) -> Send:
        return lambda client: client.chat_postMessage(channel=user, text=text, blocks=blocks)

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
        post = partial(_post_digest, store=store, digest=digest, clock=clock)
        jobs.append((digest.key, post, None))
    for overview in due.flags:
        q = overview.question
        key = schedule.flag_key(q)
        told = partial(schedule.flagged, team_id=q.team_id, question_id=q.id, flags=int(key[3]))
        jobs.append((key, dm(q.owner_id, *flag_blocks(overview)), told))

    sent: Counter[str] = Counter()
    for key, send, after in jobs:
        if key[0] not in by_team:
            by_team.update(await _clients(clients, [key[0]]))
        client = by_team[key[0]]
        if client is None:  # an uninstalled workspace: nothing to send with
            continue
        try:
            sent[key[1]] += bool(await _send_once(store, key, clock, partial(send, client), after))
        except Exception:  # the database, most likely: this send waits, the others go on
            log.exception("%s to %s could not be claimed", key[1], key[2])
    sent = +sent
    if sent:
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(sent.items()))
        log.info("tick at %s: sent %s", now.isoformat(), counts)
    return sent


def start(clients: Clients, store: Store, retention: timedelta = RETENTION) -> AsyncIOScheduler:
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
            await tick(clients, store, clock.now(), retention)

    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(job, "cron", second=0, coalesce=True, max_instances=1, misfire_grace_time=50)
    scheduler.start()
    return scheduler
