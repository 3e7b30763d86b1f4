"""A question's codebook, curated by people: rename a theme, merge one into another, move an
insight. Saturation, counts and the digest follow, since they are computed from the coding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cadence import interviews, preselection, questions, search
from cadence.models import Insight, Interview, Question, Theme

if TYPE_CHECKING:
    from cadence.matching import Matcher

MAX_LABEL = 80


class NotCurator(Exception):
    """Only the question's owner and its interviewers curate its codebook."""


@dataclass(frozen=True)
class Entry:
    theme: Theme
    insights: int
    interviews: int
    first_seen: date | None


def _curated(s: Session, team_id: str, question_id: int, user_id: str) -> Question:
    question = questions.get(s, team_id, question_id)
    if question is None:
        raise LookupError(question_id)
    if user_id != question.owner_id:
        interviewed = s.exec(
            select(Interview.id).where(
                Interview.team_id == team_id,
                Interview.question_id == question_id,
                Interview.interviewer_id == user_id,
            )
        ).first()
        if interviewed is None:
            raise NotCurator(question_id)
    return question


def entries(s: Session, team_id: str, question_id: int) -> list[Entry]:
    """The question's themes with how much each was heard, most heard first."""
    counted = s.exec(
        select(
            Insight.theme_id,
            sa.func.count(col(Insight.id)),
            sa.func.count(sa.distinct(Insight.interview_id)),
            sa.func.min(Interview.held_on),
        )
        .join(Interview, col(Insight.interview_id) == Interview.id)
        .where(Insight.team_id == team_id, Interview.question_id == question_id)
        .group_by(Insight.theme_id)
    ).all()
    counts = {theme: (n, m, first) for theme, n, m, first in counted}
    found = [
        Entry(t, *counts.get(t.id, (0, 0, None)))
        for t in interviews.themes_of(s, team_id, question_id)
    ]
    return sorted(found, key=lambda e: (-e.insights, e.theme.id))


def check_label(label: str) -> str | None:
    """An error code for a theme label, None when it will do."""
    if not label.strip():
        return "required"
    return "label_too_long" if len(label.strip()) > MAX_LABEL else None


def theme_of(s: Session, team_id: str, theme_id: int) -> Theme:
    theme = s.get(Theme, theme_id) if theme_id else None
    if theme is None or theme.team_id != team_id:
        raise LookupError(theme_id)
    return theme


def rename(s: Session, team_id: str, theme_id: int, user_id: str, label: str) -> Theme:
    """A short label instead of the founding insight's words; that insight stays its first."""
    theme = theme_of(s, team_id, theme_id)
    _curated(s, team_id, theme.question_id, user_id)
    theme.name = label.strip()[:MAX_LABEL]
    s.add(theme)
    s.flush()
    search.sync_question(s, team_id, theme.question_id)
    interviews.keep(s, team_id, theme.question_id)
    return theme


def merge(
    s: Session,
    team_id: str,
    theme_id: int,
    into_id: int,
    user_id: str,
    now: datetime | None = None,
    matcher: Matcher | None = None,
) -> Theme:
    """Move every insight of one theme into another of the same question; the first goes.
    Given `now`, each insight moved is kept as the team's decision (`_decided`)."""
    theme, into = theme_of(s, team_id, theme_id), theme_of(s, team_id, into_id)
    if theme.question_id != into.question_id or theme.id == into.id:
        raise LookupError(into_id)
    _curated(s, team_id, theme.question_id, user_id)
    if now is not None:
        moved = insights_of_theme(s, team_id, theme.id)[-interviews.INSIGHTS_PER_THEME :]
        _decided(s, team_id, theme.question_id, moved, into.id, now, matcher, {theme.id})
    s.execute(
        sa.update(Insight)
        .where(Insight.team_id == team_id, Insight.theme_id == theme.id)
        .values(theme_id=into.id, preselected=False)
    )
    s.delete(theme)
    s.flush()
    interviews.settle(s, team_id, into.question_id)
    return into


def move(
    s: Session,
    team_id: str,
    insight_id: int,
    to: int | None,
    user_id: str,
    now: datetime,
    matcher: Matcher | None = None,
) -> Insight:
    """One insight to another theme of its question, or (`to` None) to a new theme of its own;
    a theme left without insights goes. Kept as the team's decision (`_decided`)."""
    insight = s.get(Insight, insight_id) if insight_id else None
    if insight is None or insight.team_id != team_id:
        raise LookupError(insight_id)
    interview = interviews.get(s, team_id, insight.interview_id)
    if interview is None:
        raise LookupError(insight_id)
    _curated(s, team_id, interview.question_id, user_id)
    if to is None:
        target = None
    else:
        theme = theme_of(s, team_id, to)
        if theme.question_id != interview.question_id:
            raise LookupError(to)
        target = theme.id
    own = {insight.theme_id} if interviews.only_this_insight(s, insight) else set()
    _decided(s, team_id, interview.question_id, [insight], target, now, matcher, own)
    insight.theme_id = target or interviews.found_theme(
        s, team_id, interview.question_id, insight.text, now
    )
    insight.preselected = False
    s.add(insight)
    s.flush()
    interviews.settle(s, team_id, interview.question_id)
    return insight


def _decided(
    s: Session,
    team_id: str,
    question_id: int,
    filed: list[Insight],
    chosen: int | None,
    now: datetime,
    matcher: Matcher | None,
    leaving: set[int] = frozenset(),
) -> None:
    """A person filed these insights under `chosen` (None: a theme of each one's own): a
    decision about the themes the app ranks first for each, against the question's themes
    but those `leaving` (merged away, or founded by the insight alone), matched without the
    insights themselves."""
    from cadence.matching import default_matcher

    themes = [t for t in interviews.themes_of(s, team_id, question_id) if t.id not in leaving]
    if not filed or not themes:
        return
    texts, excluding = [i.text for i in filed], [i.id for i in filed]
    matcher = matcher or default_matcher()
    rankings = interviews.rank_against(s, team_id, question_id, texts, themes, matcher, excluding)
    for insight, ranking in zip(filed, rankings, strict=True):
        ranked = list(ranking.top)
        if chosen is not None and ranking.of(chosen) not in ranked:
            ranked.append(ranking.of(chosen))  # the person's choice, wherever it ranked
        preselection.record(s, team_id, question_id, insight.id, ranked, chosen, now)


def insights_of_theme(s: Session, team_id: str, theme_id: int) -> list[Insight]:
    return list(
        s.exec(
            select(Insight)
            .where(Insight.team_id == team_id, Insight.theme_id == theme_id)
            .order_by(col(Insight.id))
        )
    )
