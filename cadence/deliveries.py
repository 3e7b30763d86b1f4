"""The Delivery ledger: a scheduled send claims (team, kind, target, period) before it goes.

The unique constraint makes the claim atomic across processes: whoever inserts the row
sends; a restart, a retry, a second scheduler or a DST change finds it taken. A claim that
was never marked sent within LEASE belongs to a process that died mid-send: the next tick
takes it over. Slack has no idempotency key, so a send taken over may have reached Slack
already: the claim tells its taker since when to look for it before sending again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cadence.db import dialect_insert
from cadence.models import Delivery

LEASE = timedelta(minutes=10)


class Key(NamedTuple):
    """A send's row in the ledger; any 4-tuple in this order will do."""

    team_id: str
    kind: str
    target: str
    period: str


# Things Slack may send twice that must have one effect: an event it retries (by event_id)
# and a modal submitted again (by view id and values). Kept a day: Slack retries an event
# within minutes, and a second Save comes within seconds.
EVENT = "event"
VIEW = "view"
ONCE_KINDS = (EVENT, VIEW)
ONCE_KEPT = timedelta(days=1)


@dataclass(frozen=True)
class Claim:
    """The outcome of `take`: `won` when this process has the send. `check_since` is set
    when it took over a claim that was never marked sent: the send may have reached Slack
    from that moment on, so the taker looks for it before sending again."""

    won: bool
    check_since: datetime | None = None


def _is(key: Key) -> tuple[sa.ColumnElement[bool], ...]:
    team_id, kind, target, period = key
    return (
        Delivery.team_id == team_id,
        Delivery.kind == kind,
        Delivery.target == target,
        Delivery.period == period,
    )


def claim(s: Session, key: Key, now: datetime) -> bool:
    """Take the send for this process; False when another has it or it went out already."""
    return take(s, key, now).won


def take(s: Session, key: Key, now: datetime) -> Claim:
    """`claim`, telling a taker of an unsent claim since when the send may be in Slack."""
    return take_all(s, [(key, now)])[0]


def take_all(s: Session, wanted: Sequence[tuple[Key, datetime]]) -> list[Claim]:
    """`take` of each (key, now), in one INSERT: a tick's concurrent sends claim together.
    Rows are inserted in key order, so two processes claiming overlapping keys at once wait
    on each other in the same order and never deadlock."""
    ordered = sorted({Key(*key): now for key, now in wanted}.items())
    rows = [{**key._asdict(), "claimed_at": now} for key, now in ordered]
    statement = dialect_insert(s)(Delivery).values(rows).on_conflict_do_nothing()
    returning = statement.returning(*_KEY)
    won = {Key(*row) for row in s.execute(returning)} if rows else set()
    claims = {key: Claim(True) for key in won}
    for key, now in ordered:
        if key not in won:
            claims[key] = _take_over(s, key, now)
    return [claims[Key(*key)] for key, _now in wanted]


_KEY = (Delivery.team_id, Delivery.kind, Delivery.target, Delivery.period)


def _take_over(s: Session, key: Key, now: datetime) -> Claim:
    """A claim another process made and never marked sent within LEASE becomes ours."""
    earlier = s.exec(
        select(Delivery.claimed_at).where(
            *_is(key), col(Delivery.sent_at).is_(None), col(Delivery.claimed_at) < now - LEASE
        )
    ).first()
    if earlier is None:
        return Claim(False)
    # Compare and set: of two processes taking over the same claim, one wins.
    taken_over = s.execute(
        sa.update(Delivery)
        .where(*_is(key), col(Delivery.sent_at).is_(None), Delivery.claimed_at == earlier)
        .values(claimed_at=now)
        .returning(Delivery.id)
    ).first()
    return Claim(True, earlier) if taken_over is not None else Claim(False)


def sent(s: Session, key: Key, now: datetime) -> None:
    sent_all(s, [(key, now)])


def sent_all(s: Session, done: Sequence[tuple[Key, datetime]]) -> None:
    """Mark each (key, when) sent, in one statement run for them all."""
    table = Delivery.__table__
    match = [table.c[column] == sa.bindparam(f"k_{column}") for column in Key._fields]
    statement = sa.update(table).where(*match).values(sent_at=sa.bindparam("at"))
    params = [
        {**{f"k_{column}": v for column, v in Key(*key)._asdict().items()}, "at": at}
        for key, at in done
    ]
    if params:
        s.connection().execute(statement, params)


def release(s: Session, key: Key, claimed_at: datetime) -> None:
    """Give our claim back after a send that surely did not reach Slack (Slack refused it,
    or no connection was made), so a later tick tries again."""
    s.execute(
        sa.delete(Delivery).where(
            *_is(key), col(Delivery.sent_at).is_(None), Delivery.claimed_at == claimed_at
        )
    )


def first(s: Session, key: Key, now: datetime) -> bool:
    """True the first time `key` is seen, False ever after (within ONCE_KEPT): settled at
    once, in the caller's transaction, so it holds only if the effect it guards is stored."""
    if not claim(s, key, now):
        return False
    sent(s, key, now)
    return True


def prune(s: Session, now: datetime) -> None:
    """Forget the events and submissions handled more than ONCE_KEPT ago."""
    s.execute(
        sa.delete(Delivery).where(
            col(Delivery.kind).in_(ONCE_KINDS), col(Delivery.claimed_at) < now - ONCE_KEPT
        )
    )


def in_doubt(s: Session, key: Key, claimed_at: datetime, since: datetime | None = None) -> None:
    """Our send may have reached Slack, and we do not know (its answer was lost): keep the
    claim, unsent, with its lease ended, so the next tick takes it over at once and looks
    for the message first. The taker looks from `since` (the moment an earlier claim we
    took over had, so a failed look loses none of its window), or else a LEASE before our
    claim: the ended lease is stored as a claim that old."""
    s.execute(
        sa.update(Delivery)
        .where(*_is(key), col(Delivery.sent_at).is_(None), Delivery.claimed_at == claimed_at)
        .values(claimed_at=since if since is not None else claimed_at - LEASE)
    )


def queue(s: Session, keys: Iterable[Key], now: datetime) -> None:
    """Sends to make that nobody is making yet (a digest's thread replies, once the digest
    is posted): stored as claims whose lease ended long ago, so the first `take` has each
    at once, and `queued` finds those a failure left behind."""
    insert = dialect_insert(s)
    rows = [
        {"team_id": t, "kind": k, "target": target, "period": p, "claimed_at": now - 2 * LEASE}
        for t, k, target, p in keys
    ]
    if rows:
        s.execute(insert(Delivery).values(rows).on_conflict_do_nothing())


def queued(s: Session, kind: str, now: datetime) -> list[Key]:
    """The sends of `kind` not sent and not claimed by a live process: those `queue` stored
    that were never taken, failed, or whose process died."""
    rows = s.exec(
        select(Delivery.team_id, Delivery.kind, Delivery.target, Delivery.period)
        .where(
            Delivery.kind == kind,
            col(Delivery.claimed_at) < now - LEASE,
            col(Delivery.sent_at).is_(None),
        )
        .order_by(col(Delivery.id))
    )
    return [Key(*row) for row in rows]
