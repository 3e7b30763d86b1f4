"""The scheduler's shards (cadence.shards): a worker alone holds them all, two share them,
and a dead worker's shards are taken over once their leases end."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from cadence import shards
from cadence.shards import LEASE, SHARDS

NOW = datetime.fromisoformat("2026-11-02T09:00:00+00:00")
MINUTE = timedelta(minutes=1)


def hold(db: Session, worker: str, at: datetime) -> frozenset[int]:
    held = shards.hold(db, worker, at)
    db.commit()
    return held


def test_one_worker_holds_every_shard_and_two_share_them(db: Session) -> None:
    assert hold(db, "a", NOW) == set(range(SHARDS))
    assert hold(db, "b", NOW) == set()  # all of them held, by a live worker
    a = hold(db, "a", NOW + MINUTE)  # a sees b: gives back what is over its share
    b = hold(db, "b", NOW + MINUTE)
    assert len(a) == len(b) == SHARDS // 2 and a.isdisjoint(b)
    assert hold(db, "a", NOW + 2 * MINUTE) == a and hold(db, "b", NOW + 2 * MINUTE) == b


def test_a_dead_workers_shards_are_taken_over(db: Session) -> None:
    hold(db, "a", NOW)
    hold(db, "b", NOW)
    a = hold(db, "a", NOW + MINUTE)
    hold(db, "b", NOW + MINUTE)  # then b dies
    for minutes in (2, 3):  # its leases still live: a keeps to its share
        assert hold(db, "a", NOW + minutes * MINUTE) == a
    assert hold(db, "a", NOW + MINUTE + LEASE) == set(range(SHARDS))


def test_two_workers_taking_at_once_never_hold_the_same_shard(db: Session) -> None:
    hold(db, "a", NOW)
    hold(db, "b", NOW)
    hold(db, "c", NOW)
    at = NOW + MINUTE
    held = [hold(db, w, at) for w in ("a", "b", "c")] + [hold(db, w, at) for w in "abc"]
    mine = held[3:]
    assert sum(map(len, mine)) <= SHARDS
    assert all(x.isdisjoint(y) for i, x in enumerate(mine) for y in mine[i + 1 :])
