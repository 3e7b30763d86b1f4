"""Scheduled sends: each tick asks `cadence` what is due at `now` and sends it once.

A send first claims its (team, kind, target, period) row in the Delivery ledger; a second
process, a retry or a restart that finds the row taken sends nothing. A send Slack surely
did not take gives its claim back for a later tick; one whose answer was lost keeps it for
the next tick, which first looks for it in the DM (bot.receipts). A failure never stops
the other sends.

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
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

import aiohttp
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot import clock, receipts
from bot.blocks import Block
from bot.channels import post_to_channel
from bot.members import time_zones
from bot.store import Store
from bot.views.cadence import VIEWS
from cadence import deliveries, schedule, workspaces
from cadence.db import SchedulerLock
from cadence.deliveries import Key
from cadence.schedule import Digest, Kind, Reply, Send

log = logging.getLogger("discovery.scheduler")


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


After = Callable[[Session], None]  # what to store with a send once it is marked sent


def _settle(s: Session, key: Key, now: datetime, *afters: After | None) -> None:
    deliveries.sent(s, key, now)
    for after in afters:
        if after is not None:
            after(s)


Look = Callable[[datetime], Awaitable[bool]]  # did the send reach Slack since then?


async def _send_once(
    store: Store,
    key: Key,
    clock: Clock,
    send: Callable[[], Awaitable[After | None]],
    after: After | None = None,
    look: Look | None = None,
    give_back: Callable[[Session, Key, datetime], None] = deliveries.release,
) -> bool | None:
    """Claim the send in the ledger and make it; once sent, mark it so, with `after` and
    what `send` returned to store in the same transaction. A claim taken over may have
    reached Slack already: with `look`, it is looked for first, and marked sent when found.
    A send that surely failed is given back (`give_back`: its claim released, for a kind
    found due again at the next tick; or kept, for a queued one). True when it went out,
    False when another process has it or had it, None when it failed and a later tick
    retries."""
    claimed_at = clock()  # the moment of claiming, so a long tick does not age its leases
    claim = await store.run(deliveries.take, key, claimed_at)
    if not claim.won:
        return False
    if claim.check_since is not None and look is not None:
        found = await _look(look, claim.check_since, key)
        if found is None:  # still unknown: the next tick looks again, from as early
            await store.run(deliveries.in_doubt, key, claimed_at, claim.check_since)
            return None
        if found:
            log.info("%s to %s had reached Slack; marked sent", key.kind, key.target)
            await store.run(_settle, key, clock(), after)
            return False
    failed = partial(_failed, store, key, claimed_at, give_back)
    try:
        more = await send()
    except SlackApiError as e:
        if e.response.get("error") not in PERMANENT:
            return await failed(e)
        log.warning("%s to %s refused (%s); not retried", key.kind, key.target, _reason(e))
        await store.run(_settle, key, clock(), after)
        return False
    except aiohttp.ClientConnectorError as e:  # no connection was made: Slack has nothing
        return await failed(e)
    except (aiohttp.ClientError, TimeoutError) as e:  # the post may be in, its answer lost
        return await _lost(store, key, claimed_at, e)
    except Exception as e:  # whatever else failed before Slack had it: a later tick retries
        return await failed(e)
    await store.run(_settle, key, clock(), after, more)
    return True


async def _look(look: Look, since: datetime, key: Key) -> bool | None:
    """Whether the send reached Slack since `since`; None when that cannot be told now.
    When Slack refuses the look for good (no im:history scope: a workspace that installed
    before it was asked for), the send goes again: at least once, as before."""
    try:
        return await look(since)
    except SlackApiError as e:
        if e.response.get("error") == "ratelimited":
            return None
        log.warning(
            "%s to %s: cannot look for it (%s); sent again", key.kind, key.target, _reason(e)
        )
        return False
    except Exception as e:
        log.warning("%s to %s: could not look for it (%s)", key.kind, key.target, _reason(e))
        return None


async def _failed(
    store: Store,
    key: Key,
    claimed_at: datetime,
    give_back: Callable[[Session, Key, datetime], None],
    error: Exception,
) -> None:
    log.warning("%s to %s failed (%s); a later tick retries", key.kind, key.target, _reason(error))
    await store.run(give_back, key, claimed_at)


async def _lost(store: Store, key: Key, claimed_at: datetime, error: Exception) -> None:
    """The send may have reached Slack (a reset connection, an answer slower than the
    client's timeout): the claim is kept, in doubt, for the next tick, which looks for the
    message in the DM before sending again. Not looked for now: Slack may still be working
    on a request whose answer timed out, so a look now can miss a message that lands a
    moment later (and resend it), and the error often means Slack is out of reach, so the
    look would fail too. A minute later Slack has had that minute."""
    log.warning(
        "%s to %s: no answer (%s); the next tick checks", key.kind, key.target, _reason(error)
    )
    await store.run(deliveries.in_doubt, key, claimed_at)


@dataclass(frozen=True)
class Job:
    """One scheduled send: `send` with a workspace's client; `dm`, the user of a DM (its
    history tells whether a send in doubt went out); `queued`, a send `deliveries.queue`
    stored, whose claim a failure keeps for the next tick; `then`, what follows once it
    went out (a digest's thread)."""

    key: Key
    send: Callable[[AsyncWebClient], Awaitable[After | None]]
    after: After | None = None
    dm: str | None = None
    queued: bool = False
    then: Callable[[AsyncWebClient], Awaitable[None]] | None = None

    async def run(self, client: AsyncWebClient, store: Store, clock: Clock) -> bool | None:
        look = partial(receipts.in_dm, client, self.dm, self.key) if self.dm else None
        give_back = deliveries.in_doubt if self.queued else deliveries.release
        send = partial(self.send, client)
        sent = await _send_once(store, self.key, clock, send, self.after, look, give_back)
        if sent and self.then is not None:
            await self.then(client)
        return sent


def _job(send: Send, store: Store, clock: Clock) -> Job:
    """A send as its kind's view renders it: a DM carrying its ledger key as message
    metadata, the digest's post in its channel (its thread after it), or a reply in a
    digest's thread. A kind without a view is an error."""
    if send.key.kind == Kind.DIGEST:
        thread: list[Send] = []
        post = partial(_post_digest, store=store, send=send, clock=clock, thread=thread)
        then = partial(post_thread, store=store, clock=clock, replies=thread)
        return Job(send.key, post, send.after, then=then)
    text, blocks = VIEWS[send.key.kind](send.what)
    if send.key.kind == Kind.SNAPSHOT:
        reply = partial(_reply, key=send.key, reply=send.what, text=text, blocks=blocks)
        return Job(send.key, reply, queued=True)
    user = send.dm

    async def dm(client: AsyncWebClient) -> None:
        meta = receipts.metadata(send.key)
        await client.chat_postMessage(channel=user, text=text, blocks=blocks, metadata=meta)

    return Job(send.key, dm, send.after, dm=user)


async def _post_digest(
    client: AsyncWebClient, *, store: Store, send: Send, clock: Clock, thread: list[Send]
) -> After | None:
    """Post in the digest's channel; its thread's replies (into `thread`) are queued in the
    transaction that marks the digest sent. Each reply is then a send of its own, keyed
    (kind, thread, interview), so a failure retries only the replies missing, never the
    digest. When the bot cannot get in, each owner hears once that it needs an invitation,
    and there is no thread (`/discovery digest` posts one, once the bot is invited). A
    failed invitation fails the digest, so both are tried again."""
    digest: Digest = send.what
    text, blocks = VIEWS[send.key.kind](digest)
    meta = receipts.metadata(send.key)
    ts = await post_to_channel(client, send.key.target, text, blocks, meta)
    if ts:
        thread.extend(digest.thread(ts))
        return partial(deliveries.queue, keys=[r.key for r in thread], now=clock())
    for invite in digest.invites():
        if await _job(invite, store, clock).run(client, store, clock) is None:
            raise RuntimeError(f"the invitation to {invite.dm} did not go out")
    return None


async def _reply(
    client: AsyncWebClient, *, key: Key, reply: Reply, text: str, blocks: list[Block]
) -> None:
    """A snapshot in its digest's thread. A bot no longer in the channel gives it up: the
    digest it belongs to is there, and a thread needs no invitation DM of its own."""
    meta = receipts.metadata(key)
    channel = reply.channel_id
    if not await post_to_channel(client, channel, text, blocks, meta, reply.thread_ts):
        log.warning("%s to %s: not in the channel any more; given up", key.kind, key.target)


async def post_thread(
    client: AsyncWebClient, *, store: Store, clock: Clock, replies: list[Send]
) -> None:
    """The replies of a digest just posted (and queued), one after the other; any left
    unsent is sent by a later tick."""
    for send in replies:
        try:
            await _job(send, store, clock).run(client, store, clock)
        except Exception:  # the database, most likely: a later tick sends what is left
            log.exception("%s to %s could not be claimed", send.key.kind, send.key.target)


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
    sent: Counter[str] = Counter()
    for job in [_job(send, store, clock) for send in due.sends]:
        team_id = job.key.team_id
        if team_id not in by_team:
            by_team.update(await _clients(clients, [team_id]))
        client = by_team[team_id]
        if client is None:  # an uninstalled workspace: nothing to send with
            continue
        try:
            sent[job.key.kind] += bool(await job.run(client, store, clock))
        except Exception:  # the database, most likely: this send waits, the others go on
            log.exception("%s to %s could not be claimed", job.key.kind, job.key.target)
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
