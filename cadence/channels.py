"""A channel's own digest moment: the day, time and zone its weekly digest goes out at,
set with `/discovery digest settings`; without one, the last of its owners' Friday 16:00."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from cadence import ids, members, weeks
from cadence.models import EPOCH, ChannelDigest, Question, Status

LAST_OWNER = "last_owner"  # the modal's choice: no moment of the channel's own
FIXED = "fixed"


@dataclass(frozen=True)
class DigestDraft:
    """The channel digest form, before it is checked."""

    channel_id: str
    when: str  # LAST_OWNER or FIXED
    day: str  # "0" to "6"
    time: str  # "HH:MM"
    tz: str  # an IANA zone name


def check(draft: DigestDraft) -> dict[str, str]:
    """Problems by field, as codes the Slack layer turns into words; empty when valid."""
    errors = {}
    if not ids.is_slack_id(draft.channel_id):
        errors["when"] = "gone"
    if draft.when not in (LAST_OWNER, FIXED):
        errors["when"] = "required"
    if draft.when == FIXED:
        if draft.day not in {str(d) for d in range(7)}:
            errors["day"] = "required"
        if members.minutes(draft.time) is None:
            errors["time"] = "required"
        if weeks.zone(draft.tz).key != draft.tz:
            errors["tz"] = "required"
    return errors


def setting(s: Session, team_id: str, channel_id: str) -> ChannelDigest | None:
    return s.get(ChannelDigest, (team_id, channel_id))


def save(s: Session, team_id: str, user_id: str, draft: DigestDraft, now: datetime):
    """Store a checked setting (or drop it: back to the last owner's Friday); the channel's
    questions are looked at again at the next tick. Returns the setting, None for none."""
    found = setting(s, team_id, draft.channel_id)
    if draft.when == LAST_OWNER:
        if found is not None:
            s.delete(found)
        chosen = None
    else:
        chosen = found or ChannelDigest(team_id=team_id, channel_id=draft.channel_id)
        chosen.day, chosen.minute = int(draft.day), members.minutes(draft.time) or 0
        chosen.tz, chosen.updated_by, chosen.updated_at = draft.tz, user_id, now
        s.add(chosen)
    s.execute(
        sa.update(Question)
        .where(
            Question.team_id == team_id,
            Question.channel_id == draft.channel_id,
            Question.status == Status.OPEN.value,
        )
        .values(next_check=EPOCH)
    )
    s.flush()
    return chosen
