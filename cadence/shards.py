"""The scheduler's work, sharded by workspace across any number of worker processes.

Each workspace belongs to one of SHARDS shards. A worker holds a shard by a lease row it
renews at every tick; each worker keeps a heartbeat row, and takes a fair share of the
shards (SHARDS over the live workers, rounded up), giving back what is over its share. A
worker that dies stops renewing: after LEASE its heartbeat no longer counts and its shards
are free, and the others take them. One worker alone holds them all. The Delivery ledger
keeps each send once even while a shard changes hands.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Set
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, select

from cadence.db import dialect_insert
from cadence.models import UTCDateTime

SHARDS = 16
LEASE = timedelta(minutes=3)  # three ticks missed: the worker is taken for dead


class SchedulerWorker(SQLModel, table=True):
    """A scheduler worker's heartbeat."""

    worker: str = Field(primary_key=True, max_length=128)
    seen_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))


class SchedulerShard(SQLModel, table=True):
    """A shard's lease: its worker sends its workspaces' messages until `expires_at`."""

    shard: int = Field(primary_key=True)
    worker: str = Field(max_length=128)
    expires_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))


def of(team_id: str) -> int:
    """The shard of a workspace (a stable hash: the same in every process)."""
    return zlib.crc32(team_id.encode()) % SHARDS


def hold(s: Session, worker: str, now: datetime) -> frozenset[int]:
    """The shards `worker` sends for at this tick: its heartbeat, its fair share kept and
    renewed, the shards over it given back, free ones taken up to it."""
    insert = dialect_insert(s)
    beat = insert(SchedulerWorker).values(worker=worker, seen_at=now)
    s.execute(beat.on_conflict_do_update(index_elements=["worker"], set_={"seen_at": now}))
    free = [{"shard": n, "worker": "", "expires_at": now - LEASE} for n in range(SHARDS)]
    s.execute(insert(SchedulerShard).values(free).on_conflict_do_nothing())
    live = s.exec(select(sa.func.count()).where(col(SchedulerWorker.seen_at) > now - LEASE)).one()
    share = math.ceil(SHARDS / max(live, 1))
    leases = list(s.exec(select(SchedulerShard).order_by(col(SchedulerShard.shard))))
    mine = [lease.shard for lease in leases if lease.worker == worker and lease.expires_at > now]
    keep, over = mine[:share], mine[share:]
    _lease(s, over, worker, now)  # given back: free at once
    for lease in leases:
        if len(keep) >= share:
            break
        if lease.expires_at <= now and _take(s, lease, worker, now):
            keep.append(lease.shard)
    _lease(s, keep, worker, now + LEASE)
    s.execute(sa.delete(SchedulerWorker).where(col(SchedulerWorker.seen_at) < now - LEASE * 10))
    return frozenset(keep)


def _lease(s: Session, shards: Set[int], worker: str, until: datetime) -> None:
    s.execute(
        sa.update(SchedulerShard)
        .where(col(SchedulerShard.shard).in_(shards), SchedulerShard.worker == worker)
        .values(expires_at=until)
    )


def _take(s: Session, lease: SchedulerShard, worker: str, now: datetime) -> bool:
    """Compare and set: of two workers taking the same free shard, one gets it."""
    taken = s.execute(
        sa.update(SchedulerShard)
        .where(
            SchedulerShard.shard == lease.shard,
            SchedulerShard.worker == lease.worker,
            SchedulerShard.expires_at == lease.expires_at,
        )
        .values(worker=worker, expires_at=now + LEASE)
        .returning(SchedulerShard.shard)
    )
    return taken.first() is not None
