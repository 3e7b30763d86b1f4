"""The Delivery ledger: a scheduled send claims (team, kind, target, period) before it goes.

The unique constraint makes the claim atomic across processes: whoever inserts the row
sends; a restart, a retry, a second scheduler or a DST change finds it taken. A claim that
was never marked sent within LEASE belongs to a process that died mid-send: the next tick
takes it over.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col

from cadence.db import dialect_insert
from cadence.models import Delivery

LEASE = timedelta(minutes=10)

Key = tuple[str, str, str, str]  # team, kind, target, period

# Things Slack may send twice that must have one effect: an event it retries (by event_id)
# and a modal submitted again (by view id and values). Kept a day: Slack retries an event
# within minutes, and a second Save comes within seconds.
EVENT = "event"
VIEW = "view"
ONCE_KINDS = (EVENT, VIEW)
ONCE_KEPT = timedelta(days=1)


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
    team_id, kind, target, period = key
    insert = dialect_insert(s)
    row = {"team_id": team_id, "kind": kind, "target": target, "period": period}
    statement = insert(Delivery).values(**row, claimed_at=now).on_conflict_do_nothing()
    if s.execute(statement.returning(Delivery.id)).first() is not None:
        return True
    taken_over = s.execute(
        sa.update(Delivery)
        .where(*_is(key), col(Delivery.sent_at).is_(None), col(Delivery.claimed_at) < now - LEASE)
        .values(claimed_at=now)
        .returning(Delivery.id)
    ).first()
    return taken_over is not None


def sent(s: Session, key: Key, now: datetime) -> None:
    s.execute(sa.update(Delivery).where(*_is(key)).values(sent_at=now))


def release(s: Session, key: Key, claimed_at: datetime) -> None:
    """Give our claim back after a failed send, so a later tick tries again."""
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
