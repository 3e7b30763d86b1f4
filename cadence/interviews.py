"""Interviews: Jobs-to-be-Done summaries, their insights, and the question's codebook of themes."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cadence import ids, pool, preselection, questions, search, weeks

if TYPE_CHECKING:  # the matcher needs numpy: loaded by the first coding, not by the scheduler
    from cadence.matching import Matcher, Preselection, Ranked, Ranking
from cadence.models import (
    JTBD_PARTS,
    Insight,
    Interview,
    PersonStatus,
    Question,
    Segment,
    Theme,
)

MAX_INSIGHTS = 20
MAX_INSIGHT = 1000
MAX_INTERVIEWEE = 200
MAX_PART = 3000  # each JTBD part and the quote, as their columns
FOLLOW_UP_AFTER = timedelta(hours=1)
FOLLOW_UP_WITHIN = timedelta(days=7)
PLAN_WITHIN = timedelta(days=366)  # a plan further ahead is a typo, not a plan
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s*")


class NotAllowed(Exception):
    """Only the interviewer or the question's owner changes an interview."""


@dataclass(frozen=True)
class Summary:
    """A summary as typed into the modal, before it is checked."""

    question_id: str
    held_on: str  # ISO date
    interviewee: str = ""
    company: str = ""
    segment: str = ""
    parts: dict[str, str] = field(default_factory=dict)  # JTBD part -> text
    quote: str = ""
    insights: str = ""  # one per line


def insight_lines(text: str) -> list[str]:
    """Insights typed one per line; list bullets and blank lines dropped."""
    lines = (_BULLET.sub("", line).strip() for line in text.splitlines())
    return [line for line in lines if line]


def lines_to_code(summary: Summary) -> tuple[list[str], bool]:
    """The insights to code, and whether they are offered: the key-insights lines; or, when
    there are none, each line of the JTBD parts (cut to what an insight holds), so that
    nothing typed is lost for saturation. Offered lines count unless the interviewer
    unchecks them."""
    lines = insight_lines(summary.insights)
    if lines:
        return lines, False
    parts = [summary.parts.get(part, "") for part in JTBD_PARTS]
    offered = [line[:MAX_INSIGHT] for text in parts for line in insight_lines(text)]
    return offered[:MAX_INSIGHTS], bool(offered)


def check_summary(summary: Summary, today: date) -> dict[str, str]:
    """Problems by block, as codes the Slack layer turns into words; empty when valid."""
    errors: dict[str, str] = {}
    if ids.number(summary.question_id) is None:
        errors["question"] = "required"
    try:
        if date.fromisoformat(summary.held_on) > today:
            errors["held_on"] = "future_date"
    except ValueError:
        errors["held_on"] = "required"
    if summary.segment and summary.segment not in {s.value for s in Segment}:
        errors["segment"] = "required"
    if len(summary.interviewee.strip()) > MAX_INTERVIEWEE:
        errors["interviewee"] = "too_long"
    if len(summary.company.strip()) > MAX_INTERVIEWEE:
        errors["company"] = "too_long"
    for part, text in summary.parts.items():
        if len(text.strip()) > MAX_PART:
            errors[part] = "too_long"
    if len(summary.quote.strip()) > MAX_PART:
        errors["quote"] = "too_long"
    lines = insight_lines(summary.insights)
    if len(lines) > MAX_INSIGHTS:
        errors["insights"] = "too_many_insights"
    elif any(len(line) > MAX_INSIGHT for line in lines):
        errors["insights"] = "too_long"
    elif not lines and not any(v.strip() for v in summary.parts.values()):
        errors["insights"] = "need_content"
    return errors


def check_plan(question_id: str, when: str, now: datetime) -> dict[str, str]:
    """Problems of a planned interview by block; `when` is a Unix time, as Slack gives it."""
    errors = check_when(when, now)
    if ids.number(question_id) is None:
        errors["question"] = "required"
    return errors


def check_when(when: str, now: datetime) -> dict[str, str]:
    """Problems of the moment an interview is planned for, a Unix time."""
    at = ids.number(when)
    if at is None:
        return {"when": "required"}
    if datetime.fromtimestamp(at, UTC) <= now:
        return {"when": "past_time"}
    if datetime.fromtimestamp(at, UTC) > now + PLAN_WITHIN:
        return {"when": "far_future"}
    return {}


def get(s: Session, team_id: str, interview_id: int) -> Interview | None:
    if ids.number(interview_id) is None:
        return None
    interview = s.get(Interview, interview_id)
    return interview if interview is not None and interview.team_id == team_id else None


def default_held_on(interview: Interview | None, now: datetime, tz: str) -> date:
    """The date a summary defaults to: when it was held, or planned, else today; never ahead
    of today in the interviewer's zone."""
    today = weeks.local_today(now, tz)
    if interview is not None and interview.held_on is not None:
        return interview.held_on
    if interview is not None and interview.planned_at is not None:
        return min(weeks.local_today(interview.planned_at, tz), today)
    return today


def changeable(s: Session, team_id: str, interview_id: int, user_id: str) -> Interview:
    """The interview, if this user may change it: its interviewer or its question's owner."""
    interview = get(s, team_id, interview_id)
    if interview is None:
        raise LookupError(interview_id)
    owner = _question(s, team_id, interview.question_id).owner_id
    if user_id not in (interview.interviewer_id, owner):
        raise NotAllowed(interview_id)
    return interview


def _question(s: Session, team_id: str, question_id: int) -> Question:
    question = questions.get(s, team_id, question_id)
    if question is None:
        raise LookupError(question_id)
    return question


def save(
    s: Session,
    team_id: str,
    summary: Summary,
    user_id: str,
    now: datetime,
    interview_id: int | None = None,
    submission: str | None = None,
) -> Interview:
    """Store a checked summary: a new interview, or one planned or logged before."""
    question = _question(s, team_id, ids.number(summary.question_id) or 0)
    if interview_id is None:
        interview = Interview(
            team_id=team_id, interviewer_id=user_id, created_at=now, submission=submission
        )
    else:
        interview = changeable(s, team_id, interview_id, user_id)
    moved_from = interview.question_id if interview.question_id != question.id else None
    held_before = interview.held_on
    interview.question_id = question.id
    interview.interviewee = summary.interviewee.strip()[:MAX_INTERVIEWEE]
    interview.company = summary.company.strip()[:MAX_INTERVIEWEE]
    interview.segment = summary.segment or question.segment
    interview.held_on = date.fromisoformat(summary.held_on)
    for part in JTBD_PARTS:
        setattr(interview, part, summary.parts.get(part, "").strip())
    interview.quote = summary.quote.strip()
    interview.updated_at = now
    s.add(interview)
    s.flush()
    if moved_from is not None:
        settle(s, team_id, moved_from)
    if interview_id is not None and (moved_from or held_before != interview.held_on):
        questions.recount(s, team_id, question.id)  # its place in the curve moved
    search.sync_interview(s, team_id, interview.id)
    if held_before is None and interview.candidate_id is not None:
        pool.interviewed(s, interview, now)
    return interview


def submitted(s: Session, team_id: str, submission: str) -> Interview | None:
    """The interview a modal submission stored already, if Slack sent it before."""
    return s.exec(
        select(Interview).where(Interview.team_id == team_id, Interview.submission == submission)
    ).first()


def plan(
    s: Session,
    team_id: str,
    question_id: int,
    interviewee: str,
    planned_at: datetime,
    user_id: str,
    now: datetime,
    submission: str | None = None,
    candidate_id: int | None = None,
) -> tuple[Interview, Question]:
    """Plan an interview, with a person of the pool (booked: it counts in this week's
    progress) or anyone; the same modal submitted again gives back the one it planned."""
    question = _question(s, team_id, question_id)
    if submission and (seen := submitted(s, team_id, submission)) is not None:
        return seen, question
    candidate = pool.get(s, team_id, candidate_id) if candidate_id else None
    if candidate is not None and candidate.status == PersonStatus.OPTED_OUT.value:
        candidate = None  # they said no since the suggestion: planned, but not with them
    if candidate is not None:
        pool.mark(s, team_id, candidate.id, question.id, pool.Contacted.BOOKED, now)
        interviewee = interviewee.strip() or candidate.name
    interview = Interview(
        team_id=team_id,
        question_id=question.id,
        interviewer_id=user_id,
        interviewee=interviewee.strip()[:MAX_INTERVIEWEE],
        segment=question.segment,
        planned_at=planned_at,
        created_at=now,
        updated_at=now,
        submission=submission,
        candidate_id=candidate.id if candidate else None,
    )
    s.add(interview)
    s.flush()
    return interview, question


def reschedule(
    s: Session, team_id: str, interview_id: int, planned_at: datetime, user_id: str, now: datetime
) -> tuple[Interview, Question]:
    """Move a planned interview to another moment: its follow-up comes an hour after it."""
    interview = changeable(s, team_id, interview_id, user_id)
    if interview.held_on is not None:
        raise LookupError(interview_id)  # held already: nothing to move
    interview.planned_at, interview.updated_at = planned_at, now
    s.add(interview)
    s.flush()
    return interview, _question(s, team_id, interview.question_id)


def no_show(s: Session, team_id: str, interview_id: int, user_id: str, now: datetime) -> Question:
    """The interviewee did not come: the planned interview no longer counts as booked."""
    interview = changeable(s, team_id, interview_id, user_id)
    if interview.held_on is not None:
        raise LookupError(interview_id)  # logged since: it happened
    question = _question(s, team_id, interview.question_id)
    pool.no_show(s, interview, now)
    search.sync_interview(s, team_id, interview_id)
    return question


def insights_of(s: Session, team_id: str, interview_id: int) -> list[Insight]:
    return list(
        s.exec(
            select(Insight)
            .where(Insight.team_id == team_id, Insight.interview_id == interview_id)
            .order_by(col(Insight.id))
        )
    )


def themes_of(s: Session, team_id: str, question_id: int) -> list[Theme]:
    return list(
        s.exec(
            select(Theme)
            .where(Theme.team_id == team_id, Theme.question_id == question_id)
            .order_by(col(Theme.id))
        )
    )


@dataclass(frozen=True)
class Coding:
    """An interview's insights as stored, each coded to a theme, and the themes the question
    had before them (the choices to offer when asking the interviewer to confirm).

    `rankings`: per insight, those themes by score, the best preselected (the insight coded
    to it) only where that is safe (cadence.preselection); otherwise the insight has a theme
    of its own, never another insight's of the same interview: when two look alike,
    `proposals` names the theme it may share, for the interviewer to confirm. Nothing is
    merged that nobody saw."""

    insights: list[Insight]
    themes: list[Theme]
    proposals: dict[int, int] = field(default_factory=dict)  # insight id -> theme id
    rankings: dict[int, Ranking] = field(default_factory=dict)  # insight id -> its ranking
    offered: bool = False  # the insights are lines of the JTBD parts, each to keep or not

    @property
    def to_confirm(self) -> bool:
        """Whether the interviewer should see the coding step."""
        return bool(self.insights and (self.themes or self.proposals or self.offered))


def code_insights(
    s: Session,
    team_id: str,
    interview: Interview,
    lines: Sequence[str],
    matcher: Matcher,
    now: datetime,
    offered: bool = False,
) -> Coding:
    """Replace the interview's insights with `lines`, each ranked against the question's
    themes (by name and the insights already coded to them) and coded to the best where the
    workspace's rule finds it safe, or else to a theme of its own. `offered`: the lines are
    offered (`lines_to_code`), for the interviewer to keep or not."""
    from cadence.matching import suggest

    _clear(s, team_id, interview)
    if s.get_bind().dialect.name == "postgresql":
        # One coding at a time per question, so that two interviews logged at once with the
        # same new insight find each other's theme instead of founding two.
        s.execute(sa.text("SELECT pg_advisory_xact_lock(1, :q)"), {"q": interview.question_id})
    themes = themes_of(s, team_id, interview.question_id)
    rule = preselection.rule_for(s, team_id)
    rankings = _rank(s, team_id, interview.question_id, lines, matcher, rule)
    stored: list[Insight] = []
    own: list[tuple[int, str]] = []  # this interview's new themes, and the insight of each
    look_alike: list[int | None] = []
    for line, ranking in zip(lines, rankings, strict=True):
        theme_id = ranking.preselect
        alike = None
        if theme_id is None:
            alike = suggest(matcher, line, own).theme
            theme_id = found_theme(s, team_id, interview.question_id, line, now)
            own.append((theme_id, line))
        insight = Insight(
            team_id=team_id,
            interview_id=interview.id,
            theme_id=theme_id,
            text=line,
            created_at=now,
            preselected=ranking.preselect is not None,
            ranked=preselection.snapshot(ranking),
        )
        s.add(insight)
        stored.append(insight)
        look_alike.append(alike)
    s.flush()
    settle(s, team_id, interview.question_id)
    search.sync_interview(s, team_id, interview.id)
    alive = {t.id for t in themes_of(s, team_id, interview.question_id)}
    proposals = {i.id: t for i, t in zip(stored, look_alike, strict=True) if t is not None}
    ranked = {i.id: r for i, r in zip(stored, rankings, strict=True)}
    return Coding(stored, [t for t in themes if t.id in alive], proposals, ranked, offered)


def _clear(s: Session, team_id: str, interview: Interview) -> None:
    """Delete the interview's insights; an edit that moved it from another question leaves
    that one's themes, settled again."""
    old = insights_of(s, team_id, interview.id)
    for insight in old:
        s.delete(insight)
    s.flush()
    for moved_from in s.exec(
        select(Theme.question_id).where(
            col(Theme.id).in_({i.theme_id for i in old}),
            Theme.question_id != interview.question_id,
        )
    ).unique():
        settle(s, team_id, moved_from)


def _rank(
    s: Session,
    team_id: str,
    question_id: int,
    lines: Sequence[str],
    matcher: Matcher,
    rule: Preselection,
) -> list[Ranking]:
    """The lines ranked against the question's themes: by their kept vectors (cadence.kept)
    with the app's matcher, else by their texts."""
    from cadence import kept
    from cadence.matching import default_matcher, rank, rank_kept

    if matcher is default_matcher():
        themes, weights = kept.themes(s, team_id, question_id)
        return rank_kept(default_matcher(), lines, themes, weights, rule)
    return rank(matcher, lines, reference(s, team_id, themes_of(s, team_id, question_id)), rule)


def rank_against(
    s: Session,
    team_id: str,
    question_id: int,
    texts: Sequence[str],
    themes: Sequence[Theme],
    matcher: Matcher,
    excluding: Sequence[int] = (),
) -> list[Ranking]:
    """`texts` ranked against some of the question's themes, matched by their texts but those
    `excluding` (`reference`), with the IDF of its kept vectors for the app's matcher: the
    scores the coding step gave."""
    from cadence import kept
    from cadence.matching import default_matcher, rank

    weights = kept.sync(s, team_id, question_id)[1] if matcher is default_matcher() else None
    coded = reference(s, team_id, themes, excluding)
    return rank(matcher, texts, coded, preselection.GLOBAL, weights)


def coding_of(
    s: Session, team_id: str, interview: Interview, matcher: Matcher | None = None
) -> Coding:
    """The coding step of an interview stored before, as its first answer offered it: its
    insights, and the themes its question had before it (what the step proposed among the
    interview's own insights is not kept); ranked again when given the matcher, each
    insight's preselection being the theme it kept, if it did."""
    earlier = [
        t
        for t in themes_of(s, team_id, interview.question_id)
        if t.created_at < interview.created_at
    ]
    insights = insights_of(s, team_id, interview.id)
    if matcher is None or not earlier:
        return Coding(insights, earlier)
    from cadence.matching import Ranking

    texts = [i.text for i in insights]
    excluding = [i.id for i in insights]
    ranked = rank_against(s, team_id, interview.question_id, texts, earlier, matcher, excluding)
    rankings = {
        i.id: Ranking(r.themes, i.theme_id if i.preselected else None)
        for i, r in zip(insights, ranked, strict=True)
    }
    return Coding(insights, earlier, rankings=rankings)


def find_themes(
    s: Session,
    team_id: str,
    insight_id: int,
    query: str,
    matcher: Matcher,
    limit: int = 100,
) -> list[tuple[Theme, Ranked]]:
    """The type-ahead past Slack's 100 options: the themes of the insight's question (other
    than the one it founded) whose name holds every word typed, best score first."""
    insight = s.get(Insight, insight_id) if ids.number(insight_id) else None
    interview = get(s, team_id, insight.interview_id) if insight else None
    if insight is None or interview is None:
        return []
    words = query.casefold().split()
    themes = [
        t
        for t in themes_of(s, team_id, interview.question_id)
        if t.id != insight.theme_id or not only_this_insight(s, insight)
        if all(w in t.name.casefold() for w in words)
    ]
    if not themes:
        return []
    q = interview.question_id
    (ranking,) = rank_against(s, team_id, q, [insight.text], themes, matcher, [insight.id])
    by_id = {t.id: t for t in themes}
    return [(by_id[r.theme], r) for r in ranking.themes[:limit]]


# A theme is matched by its name and its latest insights: enough to know what it means, and
# a question with a thousand interviews costs no more to code than one with a hundred.
INSIGHTS_PER_THEME = 20


def reference(
    s: Session, team_id: str, themes: Sequence[Theme], excluding: Sequence[int] = ()
) -> list[tuple[int, str]]:
    """What a theme is matched by: (theme, text) of each theme's name and latest insights
    (but those `excluding`, insights whose own coding is in question)."""
    latest = latest_insights(s, team_id, [t.id for t in themes], excluding)
    return [(t.id, t.name) for t in themes] + [(theme, text) for theme, _, text in latest]


def latest_insights(
    s: Session, team_id: str, theme_ids: list[int], excluding: Sequence[int] = ()
) -> list[tuple[int, int, str]]:
    """(theme, insight id, text) of the latest INSIGHTS_PER_THEME insights of each theme,
    newest first."""
    latest = (
        sa.select(
            Insight.theme_id,
            Insight.id,
            Insight.text,
            sa.func.row_number()
            .over(partition_by=Insight.theme_id, order_by=col(Insight.id).desc())
            .label("n"),
        )
        .where(
            Insight.team_id == team_id,
            col(Insight.theme_id).in_(theme_ids),
            col(Insight.id).not_in(excluding),
        )
        .subquery()
    )
    rows = s.execute(
        sa.select(latest.c.theme_id, latest.c.id, latest.c.text)
        .where(latest.c.n <= INSIGHTS_PER_THEME)
        .order_by(latest.c.theme_id, latest.c.n)
    )
    return [(theme_id, insight_id, text) for theme_id, insight_id, text in rows]


def found_theme(s: Session, team_id: str, question_id: int, name: str, now: datetime) -> int:
    """A new theme of the question, named after the insight that founds it."""
    theme = Theme(team_id=team_id, question_id=question_id, name=name[:300], created_at=now)
    s.add(theme)
    s.flush()
    return theme.id


NEW_THEME = "new"


def recode(
    s: Session,
    team_id: str,
    interview_id: int,
    choices: dict[int, str],
    user_id: str,
    now: datetime,
    dropped: Collection[int] = (),
) -> None:
    """Apply the interviewer's theme choices (insight id -> theme id or NEW_THEME): each is a
    decision about the themes the app ranked first for the insight (cadence.preselection),
    and an insight filed elsewhere than the app preselected no longer counts as preselected.
    An insight without a choice (the step closed) keeps its coding and says nothing. The
    insights `dropped` (offered lines unchecked) are deleted, with a theme only they had."""
    interview = changeable(s, team_id, interview_id, user_id)
    insights = insights_of(s, team_id, interview_id)
    for insight in [i for i in insights if i.id in dropped]:
        insights.remove(insight)
        s.delete(insight)
    if dropped:
        s.flush()
        search.sync_interview(s, team_id, interview_id)
    valid = {t.id for t in themes_of(s, team_id, interview.question_id)}
    for insight in insights:
        choice = choices.get(insight.id)
        if choice is None:
            continue
        before = insight.theme_id
        if choice == NEW_THEME:
            if not only_this_insight(s, insight):
                insight.theme_id = found_theme(s, team_id, interview.question_id, insight.text, now)
        elif ids.number(choice) in valid:
            insight.theme_id = ids.number(choice)
        insight.preselected = insight.preselected and insight.theme_id == before
        s.add(insight)
        preselection.record(
            s,
            team_id,
            interview.question_id,
            insight.id,
            preselection.ranked_of(insight),
            insight.theme_id,
            now,
        )
    s.flush()
    settle(s, team_id, interview.question_id)


def only_this_insight(s: Session, insight: Insight) -> bool:
    others = s.exec(
        select(Insight.id).where(Insight.theme_id == insight.theme_id, Insight.id != insight.id)
    ).first()
    return others is None


def new_themes(s: Session, team_id: str, interview: Interview) -> int:
    """Themes that first appear in this interview (no earlier-held interview has them)."""
    mine = {i.theme_id for i in insights_of(s, team_id, interview.id)}
    earlier = set(
        s.exec(
            select(Insight.theme_id)
            .join(Interview, col(Insight.interview_id) == Interview.id)
            .where(
                Insight.team_id == team_id,
                Interview.question_id == interview.question_id,
                Interview.id != interview.id,
                col(Interview.held_on) <= interview.held_on,
            )
        )
    )
    return len(mine - earlier)


def settle(s: Session, team_id: str, question_id: int) -> None:
    """After a change to the question's coding: themes that no insight is coded to any more
    go, its curve and saturation state are recounted and its theme labels reindexed."""
    used = select(Insight.id).where(col(Insight.theme_id) == col(Theme.id))
    for theme in s.exec(
        select(Theme).where(
            Theme.team_id == team_id, Theme.question_id == question_id, ~sa.exists(used)
        )
    ):
        s.delete(theme)
    s.flush()
    questions.recount(s, team_id, question_id)
    search.sync_question(s, team_id, question_id)
    keep(s, team_id, question_id)


def keep(s: Session, team_id: str, question_id: int) -> None:
    """The question's kept theme vectors follow its coding and names (cadence.kept)."""
    from cadence import kept

    kept.sync(s, team_id, question_id)


def delete(s: Session, team_id: str, interview_id: int, user_id: str) -> Interview:
    interview = changeable(s, team_id, interview_id, user_id)
    for insight in insights_of(s, team_id, interview_id):
        s.delete(insight)
    s.delete(interview)
    s.flush()
    settle(s, team_id, interview.question_id)
    search.sync_interview(s, team_id, interview_id)
    return interview


def recent(s: Session, team_id: str, question_id: int, limit: int) -> list[Interview]:
    """The latest logged interviews of a question, newest first."""
    return list(
        s.exec(
            select(Interview)
            .where(
                Interview.team_id == team_id,
                Interview.question_id == question_id,
                col(Interview.held_on).is_not(None),
            )
            .order_by(col(Interview.held_on).desc(), col(Interview.id).desc())
            .limit(limit)
        )
    )


def awaiting_follow_up(s: Session, now: datetime) -> list[tuple[Interview, Question]]:
    """Planned interviews, in every workspace, an hour past and not yet summarised, with their
    questions; one older than FOLLOW_UP_WITHIN gets no late "how did it go?"."""
    due = (
        select(Interview, Question)
        .join(Question, col(Question.id) == Interview.question_id)
        .where(
            col(Interview.held_on).is_(None),
            col(Interview.planned_at) <= now - FOLLOW_UP_AFTER,
            col(Interview.planned_at) > now - FOLLOW_UP_AFTER - FOLLOW_UP_WITHIN,
        )
        .order_by(col(Interview.planned_at))
    )
    return list(s.exec(due).all())
