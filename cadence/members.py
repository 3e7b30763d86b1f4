"""Members: each user's time zone, cached from Slack's users.info."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cadence.models import Member

FRESH_FOR = timedelta(days=1)  # people travel; look their zone up again daily


def zones(s: Session, team_id: str, user_ids: Iterable[str], now: datetime) -> dict[str, str]:
    """Cached zones of those users that are still fresh."""
    rows = s.exec(
        select(Member).where(Member.team_id == team_id, col(Member.user_id).in_(set(user_ids)))
    )
    return {m.user_id: m.tz for m in rows if now - m.fetched_at < FRESH_FOR}


def remember(s: Session, team_id: str, found: dict[str, str], now: datetime) -> None:
    for user_id, tz in found.items():
        for _attempt in range(2):  # a concurrent request may insert the same member first
            member = s.get(Member, (team_id, user_id)) or Member(team_id=team_id, user_id=user_id)
            member.tz, member.fetched_at = tz, now
            s.add(member)
            try:
                s.commit()
                break
            except sa.exc.IntegrityError:
                s.rollback()
