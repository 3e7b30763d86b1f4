"""Interview snapshots (after Teresa Torres): one compact card per interview, with what
every surface that shows an interview needs, read in a fixed number of queries however many
interviews are asked for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cadence.models import JTBD_PARTS, Insight, Interview, Question, Theme


@dataclass(frozen=True)
class Coded:
    """An insight and the theme it is coded to; `new` when the theme first appears in this
    interview (no interview held before it has the theme)."""

    text: str
    theme_id: int
    theme: str
    new: bool


@dataclass(frozen=True)
class Snapshot:
    interview: Interview
    question: Question
    insights: tuple[Coded, ...]

    @property
    def parts(self) -> list[tuple[str, str]]:
        """The JTBD parts that were filled in, in the journey's order."""
        return [(p, getattr(self.interview, p)) for p in JTBD_PARTS if getattr(self.interview, p)]

    @property
    def first_insight(self) -> str:
        return self.insights[0].text if self.insights else ""


def of_interviews(s: Session, team_id: str, interview_ids: Sequence[int]) -> list[Snapshot]:
    """Snapshots of the workspace's logged interviews among `interview_ids`, in that order."""
    rows = s.exec(
        select(Interview, Question)
        .join(Question, col(Question.id) == Interview.question_id)
        .where(
            Interview.team_id == team_id,
            col(Interview.id).in_(list(interview_ids)),
            col(Interview.held_on).is_not(None),
        )
    ).all()
    found = {interview.id: (interview, question) for interview, question in rows}
    picked = [found[i] for i in interview_ids if i in found]
    return _snapshots(s, team_id, picked)


def of_question(s: Session, team_id: str, question_id: int) -> list[Snapshot]:
    """Snapshots of every logged interview of a question, oldest first."""
    rows = s.exec(
        select(Interview, Question)
        .join(Question, col(Question.id) == Interview.question_id)
        .where(
            Interview.team_id == team_id,
            Interview.question_id == question_id,
            col(Interview.held_on).is_not(None),
        )
        .order_by(col(Interview.held_on), col(Interview.id))
    ).all()
    return _snapshots(s, team_id, list(rows))


def _snapshots(
    s: Session, team_id: str, picked: list[tuple[Interview, Question]]
) -> list[Snapshot]:
    """Their insights with their themes, and where each theme first appeared: two queries."""
    if not picked:
        return []
    coded: dict[int, list[tuple[int, str, str]]] = {i.id: [] for i, _ in picked}
    found = s.execute(
        sa.select(Insight.interview_id, Insight.theme_id, Insight.text, Theme.name)
        .join(Theme, col(Theme.id) == Insight.theme_id)
        .where(Insight.team_id == team_id, col(Insight.interview_id).in_(list(coded)))
        .order_by(col(Insight.id))
    )
    for interview_id, theme_id, text, name in found:
        coded[interview_id].append((theme_id, text, name))
    first = _first_interview_of_themes(s, team_id, {q.id for _, q in picked})
    return [
        Snapshot(
            interview,
            question,
            tuple(
                Coded(text, theme, name, first.get(theme) == interview.id)
                for theme, text, name in coded[interview.id]
            ),
        )
        for interview, question in picked
    ]


def _first_interview_of_themes(s: Session, team_id: str, question_ids: set[int]) -> dict[int, int]:
    """theme id -> the earliest-held interview coded to it (ties: the first logged)."""
    ranked = (
        sa.select(
            Insight.theme_id,
            Interview.id,
            sa.func.row_number()
            .over(
                partition_by=Insight.theme_id,
                order_by=(col(Interview.held_on), col(Interview.id)),
            )
            .label("n"),
        )
        .join(Interview, col(Interview.id) == Insight.interview_id)
        .where(
            Interview.team_id == team_id,
            col(Interview.question_id).in_(question_ids),
            col(Interview.held_on).is_not(None),
        )
        .subquery()
    )
    rows = s.execute(sa.select(ranked.c.theme_id, ranked.c.id).where(ranked.c.n == 1))
    return dict(rows.all())


def for_channel(snaps: Sequence[Snapshot]) -> tuple[Snapshot, ...]:
    """Snapshots as a channel may see them: a person of the candidate pool is not named
    there (names stay in DMs and modals). The interview is copied, never changed."""
    return tuple(
        replace(s, interview=Interview(**{**s.interview.model_dump(), "interviewee": ""}))
        if s.interview.candidate_id
        else s
        for s in snaps
    )
