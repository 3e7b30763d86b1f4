"""The team's view: every open question of a workspace grouped by owner, owners most in need
first, and a week's totals; what `/discovery team` and the Monday team overview show."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col

from cadence import adaptive, questions
from cadence.models import Interview, Question, Status, Theme
from cadence.questions import Overview


def need(o: Overview) -> tuple[int, ...]:
    """How much a question needs its owner's (or the lead's) attention: larger, more."""
    p = o.progress
    if p.paused_until is not None:
        return (-1,)  # paused on purpose: nothing to do until it resumes
    flags = adaptive.stalled(o) + adaptive.saturated_open(o)
    return (flags, p.behind_weeks, p.idle_weeks, p.behind_by)


@dataclass(frozen=True)
class Owner:
    owner_id: str
    overviews: tuple[Overview, ...]  # most in need first

    @property
    def stalled(self) -> int:
        return sum(map(adaptive.stalled, self.overviews))

    @property
    def saturated(self) -> int:
        return sum(map(adaptive.saturated_open, self.overviews))

    @property
    def paused(self) -> int:
        return sum(o.progress.paused_until is not None for o in self.overviews)

    @property
    def need(self) -> tuple:
        return (self.stalled + self.saturated, *max(map(need, self.overviews)))


@dataclass(frozen=True)
class Totals:
    """A week's work across the workspace."""

    interviews: int
    themes: int
    closed: int


@dataclass(frozen=True)
class Team:
    owners: tuple[Owner, ...]  # most in need first
    totals: Totals | None = None

    @property
    def questions(self) -> int:
        return sum(len(o.overviews) for o in self.owners)


def rollup(s: Session, team_id: str, now: datetime, owner: str = "") -> Team:
    """Every open question (of `owner` only, if given), each in its owner's week."""
    by_owner: dict[str, list[Overview]] = defaultdict(list)
    for o in questions.overviews_of(s, team_id, None, now, owner):
        by_owner[o.question.owner_id].append(o)
    owners = [
        Owner(user, tuple(sorted(mine, key=lambda o: (*(-n for n in need(o)), o.question.number))))
        for user, mine in by_owner.items()
    ]
    owners.sort(key=lambda o: (tuple(-n for n in o.need), o.owner_id))
    return Team(tuple(owners))


def totals(
    s: Session, team_id: str, first: date, last: date, since: datetime, until: datetime
) -> Totals:
    """Interviews held from `first` to `last` (days), themes found and questions closed
    from `since` until `until`."""
    held = s.execute(
        sa.select(sa.func.count()).where(
            Interview.team_id == team_id,
            col(Interview.held_on) >= first,
            col(Interview.held_on) <= last,
        )
    ).scalar_one()
    found = s.execute(
        sa.select(sa.func.count()).where(
            Theme.team_id == team_id,
            col(Theme.created_at) >= since,
            col(Theme.created_at) < until,
        )
    ).scalar_one()
    closed = s.execute(
        sa.select(sa.func.count()).where(
            Question.team_id == team_id,
            Question.status != Status.OPEN.value,
            col(Question.closed_at) >= since,
            col(Question.closed_at) < until,
        )
    ).scalar_one()
    return Totals(held, found, closed)
