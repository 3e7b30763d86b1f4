"""A cadence that responds: what a question's week calls for (its situation) and what its
owner is offered in the Monday reminder, and the owner's answers (lower the target, pause,
keep going, lift a pause). Pure decisions from a question's overview; no clock."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from sqlmodel import Session

from cadence import questions, saturation, weeks
from cadence.models import EPOCH, Question
from cadence.questions import Overview

BEHIND_WEEKS = 2  # under target this many completed weeks in a row: the reminder says so
IDLE_WEEKS = 4  # nothing logged this many: it asks whether to close, pause or keep going
PAUSE_WEEKS = 2
LOWER_TO = 1


class Situation(StrEnum):
    """What a question's week calls for, most pressing first."""

    PAUSED = "paused"  # no reminder or nudge until the pause ends
    SATURATED = "saturated"  # saturated and still open: ready to close
    BACK = "back"  # the first week after a pause
    FIRST = "first"  # no whole week since it was opened
    IDLE = "idle"  # nothing logged IDLE_WEEKS in a row: close, pause or keep going?
    STALLED = "stalled"  # under target BEHIND_WEEKS in a row: lower it, pause
    STREAK = "streak"  # on target last week, and the weeks before
    BEHIND = "behind"  # under target last week
    STEADY = "steady"


def situation(o: Overview) -> Situation:
    p = o.progress
    if p.paused_until is not None:
        return Situation.PAUSED
    if o.saturation.state is saturation.State.SATURATED:
        return Situation.SATURATED
    if p.back:
        return Situation.BACK
    if p.first_week:
        return Situation.FIRST
    if p.idle_weeks >= IDLE_WEEKS:
        return Situation.IDLE
    if p.behind_weeks >= BEHIND_WEEKS:
        return Situation.STALLED
    if p.streak - p.on_target >= 1:
        return Situation.STREAK
    if p.behind_weeks:
        return Situation.BEHIND
    return Situation.STEADY


class Offer(StrEnum):
    """What the reminder offers to do about a question, each a button."""

    LOWER = "lower"  # the target to LOWER_TO a week
    PAUSE = "pause"  # PAUSE_WEEKS
    CLOSE = "close"
    KEEP = "keep"  # keep going: the weeks count again from this one
    CLOSE_ANSWERED = "close_answered"


def offers(o: Overview) -> tuple[Offer, ...]:
    """The reminder's offers for a question. People to talk to are not an offer: when the
    candidate pool has any, the reminder lists them under the question (cadence.pool)."""
    found = situation(o)
    if found is Situation.IDLE:
        return Offer.CLOSE, Offer.PAUSE, Offer.KEEP
    if found is Situation.STALLED:
        lower = (Offer.LOWER,) if o.question.weekly_target > LOWER_TO else ()
        return (*lower, Offer.PAUSE)
    if found is Situation.SATURATED:
        return (Offer.CLOSE_ANSWERED,)
    return ()


def stalled(o: Overview) -> bool:
    """Behind target BEHIND_WEEKS or more in a row (the team view's flag)."""
    return o.progress.paused_until is None and o.progress.behind_weeks >= BEHIND_WEEKS


def saturated_open(o: Overview) -> bool:
    return o.saturation.state is saturation.State.SATURATED


def pause(s: Session, team_id: str, question_id: int, user_id: str, today: date) -> Question:
    """The owner pauses a question for the rest of this week and PAUSE_WEEKS - 1 more: it
    resumes on a Monday, `today` being the owner's day."""
    question = questions.owned(s, team_id, question_id, user_id)
    question.paused_from = today
    question.paused_until = weeks.week_start(today) + timedelta(weeks=PAUSE_WEEKS)
    return _saved(s, question)


def resume(s: Session, team_id: str, question_id: int, user_id: str, today: date) -> Question:
    """Lift a pause: reminders and nudges come again from this week, which counts."""
    question = questions.owned(s, team_id, question_id, user_id)
    if question.paused_until is not None and question.paused_until > today:
        question.paused_until = weeks.week_start(today)
    return _saved(s, question)


def paused(question: Question, today: date) -> bool:
    """Paused on `today` (the owner's day)."""
    pause = questions.pause_of(question)
    return weeks.is_paused(weeks.week_start(today), pause)


def lower(s: Session, team_id: str, question_id: int, user_id: str, today: date) -> Question:
    """The target goes down to LOWER_TO a week; the weeks behind count again from this one."""
    question = questions.owned(s, team_id, question_id, user_id)
    question.weekly_target = LOWER_TO
    question.counted_from = weeks.week_start(today)
    return _saved(s, question)


def keep_going(s: Session, team_id: str, question_id: int, user_id: str, today: date) -> Question:
    """The owner keeps the question going as it is: the idle weeks count again from this one."""
    question = questions.owned(s, team_id, question_id, user_id)
    question.counted_from = weeks.week_start(today)
    return _saved(s, question)


# What each of the owner's answers does.
ANSWERS = {Offer.PAUSE: pause, Offer.LOWER: lower, Offer.KEEP: keep_going}


def _saved(s: Session, question: Question) -> Question:
    # Its sends' moments may have changed: the scheduler looks at it at the next tick.
    question.next_check = EPOCH
    s.add(question)
    s.flush()
    return question
