"""Open questions: what the team doesn't know yet, who can tell them, and how it is going."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cadence import ids, members, saturation, search, weeks
from cadence.models import (
    Insight,
    Interview,
    Question,
    Segment,
    Status,
    Theme,
    WorkspaceStamp,
)

MAX_TEXT = 300
MAX_LONG_TEXT = 3000
MIN_TARGET, MAX_TARGET, DEFAULT_TARGET = 1, 10, 3
_REF = re.compile(r"^#?([0-9]+)\b\s*(.*)$", re.S)


class NotOwner(Exception):
    def __init__(self, question: Question) -> None:
        super().__init__(question.owner_id)
        self.question = question


class NotOpen(Exception):
    def __init__(self, question: Question) -> None:
        super().__init__(question.status)
        self.question = question


@dataclass(frozen=True)
class Draft:
    """A new question as typed into the modal, before it is checked."""

    text: str
    hypothesis: str = ""
    segment: str = ""
    owner_id: str = ""
    channel_id: str = ""
    weekly_target: str = str(DEFAULT_TARGET)
    # The saturation rule: a preset, or numbers typed in the modal's optional section.
    preset: str = ""
    base: str = ""
    run: str = ""
    threshold: str = ""


def check_draft(draft: Draft) -> dict[str, str]:
    """Problems by field name, as codes the Slack layer turns into words; empty when valid."""
    _, errors = saturation.check_rule(draft.preset, draft.base, draft.run, draft.threshold)
    if not draft.text.strip():
        errors["text"] = "required"
    elif len(draft.text.strip()) > MAX_TEXT:
        errors["text"] = "too_long"
    if len(draft.hypothesis) > MAX_LONG_TEXT:
        errors["hypothesis"] = "too_long"
    if draft.segment not in {s.value for s in Segment}:
        errors["segment"] = "required"
    if not ids.is_slack_id(draft.owner_id):
        errors["owner"] = "required"
    if not ids.is_slack_id(draft.channel_id):
        errors["channel"] = "required"
    target = ids.number(draft.weekly_target)
    if target is None or not MIN_TARGET <= target <= MAX_TARGET:
        errors["target"] = "target_range"
    return errors


def create(
    s: Session,
    team_id: str,
    draft: Draft,
    created_by: str,
    now: datetime,
    submission: str | None = None,
) -> Question:
    """Store a checked draft under the workspace's next number. A `submission` seen before
    (Slack's retry of the same modal) gives back the question it stored."""
    if submission:
        seen = s.exec(
            select(Question).where(Question.team_id == team_id, Question.submission == submission)
        ).first()
        if seen is not None:
            return seen
    if s.get_bind().dialect.name == "postgresql":
        # Numbers are per workspace: one creation at a time in each (released at commit).
        s.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:team))"), {"team": team_id})
    rule, _ = saturation.check_rule(draft.preset, draft.base, draft.run, draft.threshold)
    rule = rule or saturation.DEFAULT
    question = Question(
        team_id=team_id,
        # Counted by the INSERT itself: on SQLite it holds the write lock while it counts.
        number=select(sa.func.coalesce(sa.func.max(Question.number), 0) + 1)
        .where(Question.team_id == team_id)
        .scalar_subquery(),
        text=draft.text.strip(),
        hypothesis=draft.hypothesis.strip(),
        segment=draft.segment,
        owner_id=draft.owner_id,
        channel_id=draft.channel_id,
        weekly_target=ids.number(draft.weekly_target) or DEFAULT_TARGET,
        sat_base=rule.base,
        sat_run=rule.run,
        sat_threshold=rule.threshold,
        created_by=created_by,
        created_at=now,
        updated_at=now,
        submission=submission,
    )
    s.add(question)
    s.flush()
    s.refresh(question, ["number"])
    search.sync_question(s, team_id, question.id)
    return question


def get(s: Session, team_id: str, question_id: int) -> Question | None:
    if ids.number(question_id) is None:
        return None
    question = s.get(Question, question_id)
    return question if question is not None and question.team_id == team_id else None


def open_questions(s: Session, team_id: str, owner_id: str | None = None) -> list[Question]:
    query = select(Question).where(
        Question.team_id == team_id, Question.status == Status.OPEN.value
    )
    if owner_id is not None:
        query = query.where(Question.owner_id == owner_id)
    return list(s.exec(query.order_by(col(Question.number))))


@dataclass(frozen=True)
class Lookup:
    """What a reference named: one question, several (ambiguous), or none."""

    question: Question | None = None
    candidates: tuple[Question, ...] = ()
    rest: str = ""  # what followed a number, e.g. the conclusion in `close #3 ...`


def split_ref(text: str) -> tuple[int | None, str]:
    """`#12 the rest` or `12 the rest` gives (12, 'the rest'); anything else is a fragment."""
    m = _REF.match(text.strip())
    return (int(m.group(1)), m.group(2).strip()) if m else (None, text.strip())


def _by_number(number: int) -> int:
    """A number no question can have when it overflows the column: found as none."""
    return number if number <= ids.MAX_ID else 0


def find(s: Session, team_id: str, ref: str) -> Lookup:
    """A question by number (any status) or by a fragment of an open question's text."""
    number, rest = split_ref(ref)
    if number is not None:
        question = s.exec(
            select(Question).where(
                Question.team_id == team_id, Question.number == _by_number(number)
            )
        ).first()
        return Lookup(question, (), rest)
    fragment = rest.casefold()
    hits = [q for q in open_questions(s, team_id) if fragment in q.text.casefold()]
    exact = [q for q in hits if q.text.casefold() == fragment]
    if len(hits) == 1 or len(exact) == 1:
        return Lookup((exact or hits)[0])
    return Lookup(None, tuple(hits))


def owned(
    s: Session, team_id: str, question_id: int, user_id: str, open_only: bool = True
) -> Question:
    """The question, if `user_id` owns it (and, with `open_only`, it is still open): the one
    check before closing it, skipping its week or changing its rule."""
    question = get(s, team_id, question_id)
    if question is None:
        raise LookupError(question_id)
    if question.owner_id != user_id:
        raise NotOwner(question)
    if open_only and question.status != Status.OPEN.value:
        raise NotOpen(question)
    return question


def close(
    s: Session,
    team_id: str,
    question_id: int,
    user_id: str,
    status: Status,
    conclusion: str,
    now: datetime,
) -> Question:
    question = owned(s, team_id, question_id, user_id)
    question.status = status.value
    question.conclusion = conclusion.strip()[:MAX_LONG_TEXT]
    question.closed_at = question.updated_at = now
    s.add(question)
    search.sync_question(s, team_id, question.id)
    return question


def other_segment(segment: str) -> str:
    """The next segment to hear from when a question is answered for this one."""
    order = [s.value for s in Segment if s is not Segment.OTHER]
    return order[(order.index(segment) + 1) % len(order)] if segment in order else order[0]


def overviews_of(
    s: Session, team_id: str, chosen: Sequence[Question] | None, now: datetime, owner: str = ""
) -> list[Overview]:
    """`overviews` of the chosen questions (None: the open ones, of `owner` if given), each
    counted in its owner's zone as cached (the scheduler keeps owners' zones fresh; one never
    looked up counts in UTC). One transaction, no call to Slack."""
    if chosen is None:
        chosen = open_questions(s, team_id, owner or None)
    owners = {q.owner_id for q in chosen}
    zones = {user: tz for user, (tz, _fresh) in members.zones(s, team_id, owners, now).items()}
    return overviews(s, team_id, chosen, now, zones)


def first_open(s: Session, team_id: str, now: datetime, limit: int) -> tuple[list[Overview], int]:
    """`overviews_of` the workspace's first `limit` open questions by number, and how many
    are open: a list shows no more, whatever the workspace holds."""
    rows = s.execute(_FIRST_OPEN, {"team": team_id, "limit": limit}).all()
    first = [q for q, _ in rows]
    return overviews_of(s, team_id, first, now), rows[0][1] if rows else 0


# The tables `first_open` reads: every write to them gives the workspace a new version
# (migration 0013's triggers), so an answer kept with its stamp is never stale.
LIST_TABLES = ("question", "interview", "theme", "member")


@dataclass(frozen=True)
class Stamp:
    """What a list's answer rests on: the workspace's version and the minute (a list shows
    dates, in its owners' zones, and no time of day)."""

    version: int
    minute: datetime


def stamp(c: sa.Connection, team_id: str, now: datetime) -> Stamp:
    """What the workspace's list at `now` rests on: one statement, needing no transaction.
    Read before the list's own queries, it makes their answer at least as new as itself:
    the answer holds while the stamp read again is the same."""
    version = c.execute(_VERSION, {"team": team_id}).scalar()
    return Stamp(version or 0, now.replace(second=0, microsecond=0))


_VERSION = sa.select(WorkspaceStamp.version).where(WorkspaceStamp.team_id == sa.bindparam("team"))

# Built once: a list is the hottest request, and building a statement costs more than
# running it on a small workspace.
_FIRST_OPEN = (
    select(Question, sa.func.count().over().label("total"))
    .where(Question.team_id == sa.bindparam("team"), Question.status == Status.OPEN.value)
    .order_by(col(Question.number))
    .limit(sa.bindparam("limit"))
)


def pause_of(question: Question) -> weeks.Pause | None:
    if question.paused_from is None or question.paused_until is None:
        return None
    return question.paused_from, question.paused_until


def rule_of(question: Question) -> saturation.Rule:
    return saturation.Rule(question.sat_base, question.sat_run, question.sat_threshold)


def set_rule(
    s: Session, team_id: str, question_id: int, user_id: str, rule: saturation.Rule, now: datetime
) -> Question:
    """A question's owner changes its saturation rule; its state follows at once."""
    question = owned(s, team_id, question_id, user_id, open_only=False)
    question.sat_base, question.sat_run, question.sat_threshold = (
        rule.base,
        rule.run,
        rule.threshold,
    )
    question.updated_at = now
    _restate(question)
    s.add(question)
    s.flush()
    return question


@dataclass(frozen=True)
class Overview:
    """Everything the list, status and Home views show about one question."""

    question: Question
    progress: weeks.Progress
    themes: int
    saturation: saturation.Saturation
    booked: int = 0  # interviews planned this week, not yet logged

    @property
    def behind_by(self) -> int:
        """Interviews still to find this week: a booked one is on its way."""
        return max(self.progress.behind_by - self.booked, 0)


def overviews(
    s: Session,
    team_id: str,
    questions: Sequence[Question],
    now: datetime,
    time_zones: dict[str, str],
    until: date | None = None,
) -> list[Overview]:
    """Progress, themes and saturation of many questions in two queries, none of which
    reads a question's whole history: interviews counted by day in SQL over the weeks a
    streak can span, themes counted in SQL, saturation from each question's kept curve.

    `time_zones` maps owners to their zone: each question's week is its owner's. With
    `until`, progress is as of that day at the latest (a late digest shows its own week).
    """
    if not questions:
        return []
    todays, opened = {}, {}
    for q in questions:
        tz = time_zones.get(q.owner_id, "UTC")
        today = weeks.local_today(now, tz)
        todays[q.id] = min(today, until) if until else today
        opened[q.id] = weeks.local_today(q.created_at, tz)
    since = weeks.week_start(min(todays.values())) - timedelta(weeks=weeks.STREAK_LOOKBACK_WEEKS)
    ids = [q.id for q in questions]
    days: dict[int, list[date]] = defaultdict(list)
    # .all(): fetched in one call, not row by row (a third of the query's time on a list)
    found = s.connection().execute(_DAYS, {"team": team_id, "ids": ids, "since": since}).all()
    for question_id, held_on, count in found:
        days[question_id] += [held_on] * count
    theme_counts = dict(s.connection().execute(_THEMES, {"team": team_id, "ids": ids}).all())
    booked = _booked(s, team_id, questions, todays, time_zones)
    return [
        Overview(
            question=q,
            progress=_progress(
                tuple(days[q.id]),
                q.weekly_target,
                todays[q.id],
                opened[q.id],
                pause_of(q),
                q.counted_from,
            ),
            themes=theme_counts.get(q.id, 0),
            saturation=_assessed(q.curve, rule_of(q)),
            booked=booked[q.id],
        )
        for q in questions
    ]


def _booked(
    s: Session,
    team_id: str,
    questions: Sequence[Question],
    todays: dict[int, date],
    time_zones: dict[str, str],
) -> dict[int, int]:
    """Interviews planned in each question's week (its owner's), not logged yet."""
    since = weeks.week_start(min(todays.values())) - timedelta(days=1)
    start = datetime.combine(since, datetime.min.time(), tzinfo=UTC)
    found: dict[int, int] = defaultdict(int)
    owner = {q.id: q.owner_id for q in questions}
    rows = s.connection().execute(_PLANNED, {"team": team_id, "ids": list(owner), "since": start})
    for question_id, planned_at in rows:
        day = weeks.local_today(planned_at, time_zones.get(owner[question_id], "UTC"))
        found[question_id] += weeks.week_start(day) == weeks.week_start(todays[question_id])
    return found


# Built once (bound at each call): the list's hot path.
_DAYS = (
    sa.select(Interview.question_id, Interview.held_on, sa.func.count())
    .where(
        Interview.team_id == sa.bindparam("team"),
        col(Interview.question_id).in_(sa.bindparam("ids", expanding=True)),
        col(Interview.held_on) >= sa.bindparam("since"),
    )
    .group_by(Interview.question_id, Interview.held_on)
)
_PLANNED = sa.select(Interview.question_id, Interview.planned_at).where(
    Interview.team_id == sa.bindparam("team"),
    col(Interview.question_id).in_(sa.bindparam("ids", expanding=True)),
    col(Interview.held_on).is_(None),
    col(Interview.planned_at) >= sa.bindparam("since"),
)
_THEMES = (
    sa.select(Theme.question_id, sa.func.count())
    .where(
        Theme.team_id == sa.bindparam("team"),
        col(Theme.question_id).in_(sa.bindparam("ids", expanding=True)),
    )
    .group_by(Theme.question_id)
)


def curve(question: Question) -> tuple[int, ...]:
    return _parsed(question.curve)


def _parsed(kept: str) -> tuple[int, ...]:
    return tuple(int(n) for n in kept.split(",")) if kept else ()


# Pure, and asked again with the same arguments by every list: not redone.
_progress = lru_cache(maxsize=1024)(weeks.progress)


@lru_cache(maxsize=1024)  # a curve of 1,000 interviews holds ~100 KB of runs
def _assessed(kept: str, rule: saturation.Rule) -> saturation.Saturation:
    return saturation.assess(_parsed(kept), rule)


def recount(s: Session, team_id: str, question_id: int) -> None:
    """Keep the question's curve and saturation state in step with its coding: called by
    every change to its interviews, insights or themes, in the same transaction. A question
    no longer saturated is noted, so that getting there again is news again."""
    question = get(s, team_id, question_id)
    if question is None:
        return
    coded: dict[int, set[int]] = {}
    for interview_id, theme_id in s.execute(
        sa.select(Insight.interview_id, Insight.theme_id)
        .join(Interview, col(Insight.interview_id) == Interview.id)
        .where(
            Interview.team_id == team_id,
            Interview.question_id == question_id,
            col(Interview.held_on).is_not(None),
        )
        .order_by(col(Interview.held_on), col(Interview.id))
    ):
        coded.setdefault(interview_id, set()).add(theme_id)
    question.curve = ",".join(map(str, saturation.curve_of(coded.values())))
    _restate(question)
    s.add(question)
    s.flush()


def _restate(question: Question) -> None:
    question.sat_state = _assessed(question.curve, rule_of(question)).state.value
    if question.sat_state != saturation.State.SATURATED.value:
        question.saturated = False
