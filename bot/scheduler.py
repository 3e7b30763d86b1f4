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

import asyncio
import copy
import logging
import os
import socket
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import clock, receipts
from bot.blocks import Block
from bot.channels import post_to_channel
from bot.members import time_zones
from bot.store import Store
from cadence import deliveries, schedule, shards, workspaces
from cadence.deliveries import Key
from cadence.schedule import Digest, Kind, Reply, Send

# An idle tick finds nothing to send and makes no Slack client: the HTTP client (aiohttp and
# slack_sdk's async client, 160-210 ms of its start) loads with the first client, the cron
# scheduler in `start` only.
if TYPE_CHECKING:
    import aiohttp
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from slack_sdk.web.async_client import AsyncWebClient

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
T = TypeVar("T")
Clock = Callable[[], datetime]
# A workspace's client by its team id, None when it has no token (OAuth installs:
# bot.oauth.team_clients); in single-workspace mode the one client for every workspace.
Clients = Callable[[str], Awaitable["AsyncWebClient | None"]]
RETENTION = timedelta(days=workspaces.RETENTION_DAYS)
# Workspaces sent to at once, each workspace's sends in order: Slack's rate limits are per
# workspace (and per channel), and a slow or rate-limited workspace holds up only its own.
CONCURRENCY = 100


class Throttled(Exception):
    """Slack still answered 429 after the client waited its Retry-After (slack_sdk's
    handler sleeps in the call, so in this workspace's sends only): the workspace's other
    sends wait for a later tick."""


After = Callable[[Session], None]  # what to store with a send once it is marked sent
Settled = tuple[Key, datetime, tuple[After | None, ...]]


def every_workspace(client: AsyncWebClient) -> Clients:
    """Single-workspace mode: `client` for every workspace."""

    async def the_client(_team_id: str) -> AsyncWebClient:
        return client

    return the_client


def _settle(s: Session, settled: list[Settled]) -> list[None]:
    """Mark sends sent, each with what to store with it: a group of them in one
    transaction."""
    deliveries.sent_all(s, [(key, at) for key, at, _afters in settled])
    for _key, _at, afters in settled:
        for after in afters:
            if after is not None:
                after(s)
    return [None] * len(settled)


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
    retries; Throttled when Slack rate-limits the workspace (the claim given back)."""
    import aiohttp  # loaded with the client that sends

    claimed_at = clock()  # the moment of claiming, so a long tick does not age its leases
    claim = await store.grouped(deliveries.take_all, (key, claimed_at))
    if not claim.won:
        return False
    if claim.check_since is not None and look is not None:
        found = await _look(look, claim.check_since, key)
        if found is None:  # still unknown: the next tick looks again, from as early
            await store.run(deliveries.in_doubt, key, claimed_at, claim.check_since)
            return None
        if found:
            log.info("%s to %s had reached Slack; marked sent", key.kind, key.target)
            await store.grouped(_settle, (key, clock(), (after,)))
            return False
    failed = partial(_failed, store, key, claimed_at, give_back)
    try:
        more = await send()
    except SlackApiError as e:
        if e.response.get("error") == "ratelimited":  # past the client's own retries
            await failed(e)
            raise Throttled(key.team_id) from e
        if e.response.get("error") not in PERMANENT:
            return await failed(e)
        log.warning("%s to %s refused (%s); not retried", key.kind, key.target, _reason(e))
        await store.grouped(_settle, (key, clock(), (after,)))
        return False
    except aiohttp.ClientConnectorError as e:  # no connection was made: Slack has nothing
        return await failed(e)
    except (aiohttp.ClientError, TimeoutError) as e:  # the post may be in, its answer lost
        return await _lost(store, key, claimed_at, e)
    except Exception as e:  # whatever else failed before Slack had it: a later tick retries
        return await failed(e)
    await store.grouped(_settle, (key, clock(), (after, more)))
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
    from bot.views.cadence import VIEWS  # the templates, once something is due

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
    from bot.views.cadence import VIEWS

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


async def _each(items: Iterable[T], fn: Callable[[T], Awaitable[object]]) -> None:
    """`fn` of every item, CONCURRENCY at a time."""
    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(item: T) -> None:
        async with slots:
            await fn(item)

    await asyncio.gather(*(one(item) for item in items))


async def _zones(
    owners_by_team: dict[str, set[str]],
    clients: dict[str, AsyncWebClient | None],
    store: Store,
    now: datetime,
) -> dict:
    zones: dict[tuple[str, str], str] = {}

    async def of(team_id: str) -> None:
        client = clients.get(team_id)
        if client is not None:
            found = await time_zones(client, store, team_id, owners_by_team[team_id], now)
            zones.update({(team_id, u): tz for u, tz in found.items()})

    await _each(owners_by_team, of)
    return zones


class _HTTP:
    """One HTTP session, its connections kept alive, for all of a tick's Web API calls
    (slack_sdk's default is a session and a connection per call)."""

    def __init__(self) -> None:
        self.session: aiohttp.ClientSession | None = None

    def attach(self, client: AsyncWebClient | None) -> AsyncWebClient | None:
        """`client` for this tick: a copy with the session (the client itself may serve
        another tick, whose session closes when that tick ends)."""
        if client is None or (client.session is not None and not client.session.closed):
            return client
        if self.session is None:
            from bot.http import session_for

            self.session = session_for(client)
        ours = copy.copy(client)
        ours.session = self.session
        return ours

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


async def _clients(
    clients: Clients, teams: Iterable[str], http: _HTTP
) -> dict[str, AsyncWebClient | None]:
    """Each of `teams`: its client."""
    found: dict[str, AsyncWebClient | None] = {}

    async def find(team_id: str) -> None:
        try:
            found[team_id] = http.attach(await clients(team_id))
        except Exception:  # the installation store: this workspace waits, the others go on
            log.exception("no token for workspace %s", team_id)
            found[team_id] = None

    await _each(teams, find)
    return found


async def _purge(store: Store, now: datetime, retention: timedelta) -> None:
    try:
        await store.run(deliveries.prune, now)
        for team_id in await store.run(workspaces.purge, now, retention):
            log.info("deleted the data of workspace %s, uninstalled %s ago", team_id, retention)
    except Exception:  # the database, most likely: a later tick tries again
        log.exception("old ledger rows or uninstalled workspaces could not be deleted")


async def tick(
    clients: Clients,
    store: Store,
    now: datetime,
    retention: timedelta = RETENTION,
    held: Set[int] | None = None,
) -> Counter[str]:
    """Send everything due at `now` (in the workspaces of the `held` shards, or in all),
    each workspace's with its client; delete the data of workspaces uninstalled `retention`
    before (the holder of shard 0). Returns how many messages of each kind went out."""
    started = time.monotonic()

    def clock() -> datetime:  # `now` as the tick goes on: --at plus the time it takes
        return now + timedelta(seconds=time.monotonic() - started)

    mine = schedule.everyone if held is None else (lambda team: shards.of(team) in held)
    if held is None or 0 in held:
        await _purge(store, now, retention)
    http = _HTTP()
    try:
        owners = await store.run(schedule.owners, now, mine)
        by_team = await _clients(clients, owners, http)
        zones = await _zones(owners, by_team, store, now)
        unreachable = {team_id for team_id, client in by_team.items() if client is None}
        due = await store.run(schedule.due, now, zones, unreachable, mine)
        sent = await _send_all(due.sends, clients, by_team, store, clock, http)
    finally:
        await http.close()
    if sent:
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(sent.items()))
        log.info("tick at %s: sent %s", now.isoformat(), counts)
    return sent


async def _send_all(
    sends: list[Send],
    clients: Clients,
    by_team: dict[str, AsyncWebClient | None],
    store: Store,
    clock: Clock,
    http: _HTTP,
) -> Counter[str]:
    """Each workspace's sends in order, CONCURRENCY workspaces at once, each rendered just
    before it goes. Returns how many messages of each kind went out."""
    by_workspace: dict[str, list[Send]] = defaultdict(list)
    for due in sends:
        by_workspace[due.key.team_id].append(due)
    sent: Counter[str] = Counter()

    async def send(team_id: str) -> None:
        if team_id not in by_team:
            by_team.update(await _clients(clients, [team_id], http))
        client = by_team[team_id]
        if client is None:  # an uninstalled workspace: nothing to send with
            return
        for due in by_workspace[team_id]:
            try:
                went = await _job(due, store, clock).run(client, store, clock)
            except Throttled:
                log.warning("workspace %s is rate limited: its other sends wait", team_id)
                return
            except Exception:  # the database, most likely: this send waits, the others go on
                log.exception("%s to %s could not be claimed", due.key.kind, due.key.target)
                continue
            sent[due.key.kind] += bool(went)  # after the await: the count is shared

    await _each(by_workspace, send)
    return +sent


def start(clients: Clients, store: Store, retention: timedelta = RETENTION) -> AsyncIOScheduler:
    """Tick at the top of every minute in the running event loop, for the workspaces of the
    shards this worker holds (cadence.shards): a worker alone sends for all of them; more
    share them, and take over those of a worker that died."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # no line per idle minute
    worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    held: set[int] = set()

    async def hold(now: datetime) -> frozenset[int]:
        try:
            mine = await store.run(shards.hold, worker, now)
        except Exception:  # the database: this minute's sends wait for the next
            log.exception("the scheduler's shards could not be held")
            return frozenset()
        if mine != held:
            log.info("this worker sends for %d of %d shards", len(mine), shards.SHARDS)
            held.clear()
            held.update(mine)
        return mine

    async def job() -> None:
        now = clock.now()
        mine = await hold(now)
        if mine:
            await tick(clients, store, now, retention, mine)

    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(job, "cron", second=0, coalesce=True, max_instances=1, misfire_grace_time=50)
    scheduler.start()
    asyncio.get_running_loop().create_task(hold(clock.now()))  # known before the first tick
    return scheduler
