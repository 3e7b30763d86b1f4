"""Members: each user's time zone, cached from Slack's users.info."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cadence.db import dialect_insert
from cadence.models import EPOCH, Member, Question, Status

FRESH_FOR = timedelta(days=1)  # people travel; look their zone up again daily


def zones(
    s: Session, team_id: str, user_ids: Iterable[str], now: datetime
) -> dict[str, tuple[str, bool]]:
    """Cached zones of those users, each with whether it is still fresh."""
    rows = s.connection().execute(_ZONES, {"team": team_id, "users": list(set(user_ids))})
    return {user: (tz, now - fetched < FRESH_FOR) for user, tz, fetched in rows if fetched > EPOCH}


_ZONES = sa.select(Member.user_id, Member.tz, Member.fetched_at).where(  # built once: hot
    Member.team_id == sa.bindparam("team"),
    col(Member.user_id).in_(sa.bindparam("users", expanding=True)),
)


def cached_zone(s: Session, team_id: str, user_id: str) -> str:
    """The user's zone as last looked up, however old; UTC for one never looked up."""
    member = s.get(Member, (team_id, user_id))
    return member.tz if member is not None and member.fetched_at > EPOCH else "UTC"


def remember(s: Session, team_id: str, found: dict[str, str], now: datetime) -> None:
    """Cache the zones looked up; a concurrent request inserting the same member first is
    an update, not an error (an upsert: the core never commits or rolls back)."""
    known = dict(
        s.exec(
            select(Member.user_id, Member.tz).where(
                Member.team_id == team_id, col(Member.user_id).in_(list(found))
            )
        ).all()
    )
    insert = dialect_insert(s)
    for user_id, tz in found.items():
        if known.get(user_id, "UTC") != tz:
            recheck(s, team_id, user_id)
        row = Member(team_id=team_id, user_id=user_id, tz=tz, fetched_at=now).model_dump()
        s.execute(
            insert(Member)
            .values(**row)
            .on_conflict_do_update(
                index_elements=["team_id", "user_id"], set_={"tz": tz, "fetched_at": now}
            )
        )


@dataclass(frozen=True)
class Prefs:
    """A member's reminder settings; the defaults are those of one who never changed them."""

    reminders: bool = True  # the weekly reminder DM
    day: int = 0  # its weekday, 0 = Monday
    minute: int = 9 * 60  # its local time, in minutes after midnight
    nudge: bool = True  # the Thursday nudge DM
    link: str = ""  # their scheduling link, for the pool's outreach drafts
    overview: bool = False  # the team overview DM on Mondays, at `minute`

    @classmethod
    def of(cls, member: Member | None) -> Prefs:
        if member is None:
            return cls()
        return cls(
            member.reminders,
            member.reminder_day,
            member.reminder_minute,
            member.nudge,
            member.scheduling_link,
            member.overview,
        )


@dataclass(frozen=True)
class PrefsDraft:
    """Settings as the modal gives them, before they are checked."""

    reminders: str  # "on" or "off"
    day: str  # "0" to "6"
    time: str  # "HH:MM"
    nudge: str  # "on" or "off"
    link: str = ""  # a scheduling link, or nothing
    overview: str = "off"  # "on" or "off"


MAX_LINK = 300


def minutes(value: str) -> int | None:
    hour, sep, minute = value.partition(":")
    if not (sep and hour.isascii() and hour.isdigit() and minute.isascii() and minute.isdigit()):
        return None
    if int(hour) >= 24 or int(minute) >= 60:
        return None
    return int(hour) * 60 + int(minute)


def check_prefs(draft: PrefsDraft) -> dict[str, str]:
    """Problems by field, as codes the Slack layer turns into words; empty when valid."""
    errors = {}
    for name in ("reminders", "nudge", "overview"):
        if getattr(draft, name) not in ("on", "off"):
            errors[name] = "required"
    if draft.day not in {str(d) for d in range(7)}:
        errors["day"] = "required"
    if minutes(draft.time) is None:
        errors["time"] = "required"
    link = draft.link.strip()
    if link and not (
        link.startswith(("https://", "http://")) and len(link) <= MAX_LINK and " " not in link
    ):
        errors["link"] = "bad_link"
    return errors


def prefs(s: Session, team_id: str, user_id: str) -> Prefs:
    return Prefs.of(s.get(Member, (team_id, user_id)))


def save_prefs(s: Session, team_id: str, user_id: str, draft: PrefsDraft) -> Prefs:
    """Store checked settings; a member new to the cache gets its zone looked up later."""
    member = s.get(Member, (team_id, user_id)) or Member(
        team_id=team_id, user_id=user_id, fetched_at=EPOCH
    )
    member.reminders = draft.reminders == "on"
    member.reminder_day = int(draft.day)
    member.reminder_minute = minutes(draft.time) or 0
    member.nudge = draft.nudge == "on"
    member.scheduling_link = draft.link.strip()
    member.overview = draft.overview == "on"
    s.add(member)
    recheck(s, team_id, user_id)
    s.flush()
    return Prefs.of(member)


def recheck(s: Session, team_id: str, user_id: str) -> None:
    """The scheduler looks at the user's open questions again at its next tick: their
    zone or settings changed, so the moments it worked out for them may have."""
    s.execute(
        sa.update(Question)
        .where(
            Question.team_id == team_id,
            Question.owner_id == user_id,
            Question.status == Status.OPEN.value,
        )
        .values(next_check=EPOCH)
    )
