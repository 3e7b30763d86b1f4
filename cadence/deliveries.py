"""The Delivery ledger: a scheduled send claims (team, kind, target, period) before it goes.

The unique constraint makes the claim atomic across processes: whoever inserts the row
sends; a restart, a retry, a second scheduler or a DST change finds it taken.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from cadence.models import Delivery


def claim(s: Session, team_id: str, kind: str, target: str, period: str, now: datetime) -> bool:
    s.add(Delivery(team_id=team_id, kind=kind, target=target, period=period, claimed_at=now))
    try:
        s.commit()
        return True
    except sa.exc.IntegrityError:
        s.rollback()
        return False


def _row(s: Session, team_id: str, kind: str, target: str, period: str) -> Delivery | None:
    return s.exec(
        select(Delivery).where(
            Delivery.team_id == team_id,
            Delivery.kind == kind,
            Delivery.target == target,
            Delivery.period == period,
        )
    ).first()


def sent(s: Session, team_id: str, kind: str, target: str, period: str, now: datetime) -> None:
    row = _row(s, team_id, kind, target, period)
    if row is not None:
        row.sent_at = now
        s.add(row)
        s.commit()


def release(s: Session, team_id: str, kind: str, target: str, period: str) -> None:
    """Give a claim back after a failed send, so the next tick tries again."""
    row = _row(s, team_id, kind, target, period)
    if row is not None:
        s.delete(row)
        s.commit()
