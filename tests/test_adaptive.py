"""Unit tests of the adaptive cadence: what a question's week calls for, pauses, the team's
roll-up and the Monday team overview."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session

from cadence import adaptive, deliveries, members, questions, saturation, schedule, team, weeks
from cadence.adaptive import Offer, Situation
from cadence.members import PrefsDraft
from cadence.models import Question, Status
from cadence.questions import Overview
from tests.test_schedule import LONG_AGO, MON, ZONES, at, interview, question

OPENED = date(2026, 9, 1)


def week(n: int) -> date:
    """The Monday n weeks before MON."""
    return MON - timedelta(weeks=n)


def held(*per_week: int) -> list[date]:
    """Interviews held in the completed weeks before MON, the latest week last."""
    days = []
    for n, count in enumerate(reversed(per_week), 1):
        days += [week(n) + timedelta(days=1)] * count
    return days


def overview(
    progress: weeks.Progress, target: int = 3, state=saturation.State.LEARNING
) -> Overview:
    q = Question(
        team_id="T", number=1, text="Q", owner_id="U", created_by="U", weekly_target=target
    )
    return Overview(q, progress, 0, saturation.Saturation(state, 0))


def test_weeks_under_target_in_a_row_count_from_the_latest_completed_week() -> None:
    p = weeks.progress(held(3, 3, 2, 1), 3, MON, OPENED)
    assert (p.behind_weeks, p.idle_weeks, p.streak) == (2, 0, 0)
    assert adaptive.situation(overview(p)) is Situation.STALLED
    assert adaptive.offers(overview(p)) == (Offer.LOWER, Offer.PAUSE)
    # One week behind is only behind; a target of one cannot be lowered.
    one = weeks.progress(held(3, 3, 3, 1), 3, MON, OPENED)
    assert adaptive.situation(overview(one)) is Situation.BEHIND
    assert adaptive.offers(overview(p, target=1)) == (Offer.PAUSE,)


def test_four_weeks_with_nothing_logged_asks_close_pause_or_keep_going() -> None:
    p = weeks.progress(held(2, 0, 0, 0, 0), 3, MON, week(5))
    assert (p.idle_weeks, p.behind_weeks) == (4, 4)
    assert adaptive.situation(overview(p)) is Situation.IDLE
    assert adaptive.offers(overview(p)) == (Offer.CLOSE, Offer.PAUSE, Offer.KEEP)
    three = weeks.progress(held(2, 0, 0, 0), 3, MON, OPENED)
    assert adaptive.situation(overview(three)) is Situation.STALLED
    # Keep going: the weeks count again from this one.
    kept = weeks.progress(held(2, 0, 0, 0, 0), 3, MON, OPENED, counted_from=MON)
    assert (kept.idle_weeks, kept.behind_weeks) == (0, 0)
    assert adaptive.situation(overview(kept)) is Situation.STEADY


def test_a_first_week_is_neither_behind_nor_idle() -> None:
    opened = MON - timedelta(days=3)  # last Friday: no whole week yet
    p = weeks.progress([], 3, MON, opened)
    assert p.first_week and (p.behind_weeks, p.idle_weeks) == (0, 0)
    assert adaptive.situation(overview(p)) is Situation.FIRST
    later = weeks.progress([], 3, MON + timedelta(weeks=1), opened)
    assert not later.first_week and later.behind_weeks == 1


def test_paused_weeks_count_neither_for_nor_against_the_streak() -> None:
    pause = (week(2) + timedelta(days=2), MON)  # from a Wednesday, resumed this Monday
    p = weeks.progress(held(3, 3, 0, 0), 3, MON, OPENED, pause)
    assert p.streak == 2 and p.behind_weeks == 0 and p.back
    assert adaptive.situation(overview(p)) is Situation.BACK
    without = weeks.progress(held(3, 3, 0, 0), 3, MON, OPENED)
    assert without.streak == 0 and without.behind_weeks == 2 and not without.back
    # This week paused: no credit for it, shown as paused until the Monday it resumes.
    now_paused = weeks.progress(held(3, 3) + [MON] * 3, 3, MON, OPENED, (MON, MON + timedelta(14)))
    assert now_paused.streak == 2 and now_paused.paused_until == MON + timedelta(weeks=2)
    assert adaptive.situation(overview(now_paused)) is Situation.PAUSED
    assert adaptive.offers(overview(now_paused)) == ()


def test_a_saturated_open_question_is_offered_close_as_answered() -> None:
    p = weeks.progress(held(0, 0, 0, 0, 0), 3, MON, OPENED)
    o = overview(p, state=saturation.State.SATURATED)
    assert adaptive.situation(o) is Situation.SATURATED
    assert adaptive.offers(o) == (Offer.CLOSE_ANSWERED,)


def test_on_a_streak() -> None:
    p = weeks.progress(held(3, 3), 3, MON, OPENED)
    assert adaptive.situation(overview(p)) is Situation.STREAK


def test_pause_mutes_reminder_and_nudge_until_it_ends_and_resume_lifts_it(db: Session) -> None:
    q = question(db, 1, "UNY")
    tuesday = MON + timedelta(days=1)
    with pytest.raises(questions.NotOwner):
        adaptive.pause(db, "T", q.id, "UTOKYO", tuesday)
    adaptive.pause(db, "T", q.id, "UNY", tuesday)
    assert q.paused_until == MON + timedelta(weeks=2)
    assert adaptive.paused(q, tuesday) and not adaptive.paused(q, MON + timedelta(weeks=2))
    assert schedule.due(db, at(MON + timedelta(days=3), 14), ZONES).nudges == []
    assert schedule.due(db, at(MON + timedelta(days=7), 14), ZONES).reminders == []
    (back,) = schedule.due(db, at(MON + timedelta(days=14), 14), ZONES).reminders
    assert back.overviews[0].progress.back
    # Resumed early: this week's reminder comes, and the week counts.
    adaptive.pause(db, "T", q.id, "UNY", MON + timedelta(days=15))
    adaptive.resume(db, "T", q.id, "UNY", MON + timedelta(days=22))
    assert not adaptive.paused(q, MON + timedelta(days=22))
    assert len(schedule.due(db, at(MON + timedelta(days=23), 14), ZONES).reminders) == 1


def test_lower_sets_one_a_week_and_counts_again(db: Session) -> None:
    q = question(db, 1, "UNY")
    adaptive.lower(db, "T", q.id, "UNY", MON)
    assert (q.weekly_target, q.counted_from) == (1, MON)
    adaptive.keep_going(db, "T", q.id, "UNY", MON + timedelta(days=8))
    assert q.counted_from == MON + timedelta(weeks=1)


def test_the_skip_explanation_is_for_the_first_reminder_only(db: Session) -> None:
    question(db, 1, "UNY")
    (first,) = schedule.due(db, at(MON, 14), ZONES).reminders
    assert first.first
    deliveries.claim(db, first.key, at(MON, 14))
    deliveries.sent(db, first.key, at(MON, 14))
    (second,) = schedule.due(db, at(MON + timedelta(days=7), 14), ZONES).reminders
    assert not second.first


def test_the_team_rollup_puts_owners_most_in_need_first(db: Session) -> None:
    fine = question(db, 1, "UFINE", weekly_target=1)
    stalled = question(db, 2, "USTALLED", weekly_target=3)
    question(db, 3, "UPAUSED", paused_from=MON, paused_until=MON + timedelta(weeks=2))
    steady = question(db, 4, "USTALLED", weekly_target=1)
    for n in range(1, 3):
        for q in (fine, stalled, steady):
            interview(db, q, week(n) + timedelta(days=1))
    rolled = team.rollup(db, "T", at(MON, 12))
    assert [o.owner_id for o in rolled.owners] == ["USTALLED", "UFINE", "UPAUSED"]
    assert [o.question.number for o in rolled.owners[0].overviews] == [2, 4]
    assert rolled.owners[0].stalled == 1 and rolled.owners[2].paused == 1
    assert rolled.questions == 4
    mine = team.rollup(db, "T", at(MON, 12), owner="UFINE")
    assert [o.owner_id for o in mine.owners] == ["UFINE"]


def test_the_monday_team_overview_goes_once_at_the_members_reminder_time(db: Session) -> None:
    q = question(db, 1, "UNY")
    interview(db, q, week(1) + timedelta(days=2), [("Pricing", "Too dear")])
    closed = question(db, 2, "UNY", status=Status.ANSWERED.value, closed_at=at(week(1), 12))
    assert closed.status == Status.ANSWERED.value
    members.remember(db, "T", {"ULEAD": "Europe/Berlin"}, LONG_AGO)
    draft = PrefsDraft("on", "2", "07:30", "on", overview="on")
    assert members.check_prefs(draft) == {}
    members.save_prefs(db, "T", "ULEAD", draft)
    assert schedule.due(db, at(MON, 6, 29), ZONES).of(schedule.Kind.OVERVIEW) == []
    due = schedule.due(db, at(MON, 6, 30), ZONES)  # 07:30 in Berlin, on Monday
    (sent,) = [s for s in due.sends if s.key.kind == schedule.Kind.OVERVIEW]
    assert sent.dm == "ULEAD" and sent.key.period == MON.isoformat()
    assert sent.what.team.questions == 1
    assert sent.what.team.totals == team.Totals(interviews=1, themes=0, closed=1)
    deliveries.claim(db, sent.key, at(MON, 6, 30))
    deliveries.sent(db, sent.key, at(MON, 6, 30))
    assert schedule.due(db, at(MON, 7), ZONES).of(schedule.Kind.OVERVIEW) == []
    # Not caught up on Tuesday: one who asks mid-week gets next Monday's.
    other = PrefsDraft("on", "0", "09:00", "on", overview="on")
    members.save_prefs(db, "T", "UOTHER", other)
    assert schedule.due(db, at(MON + timedelta(days=1), 12), ZONES).of(schedule.Kind.OVERVIEW) == []
    assert (
        len(schedule.due(db, at(MON + timedelta(days=7), 9), ZONES).of(schedule.Kind.OVERVIEW)) == 2
    )


def test_an_overview_is_off_by_default() -> None:
    assert not members.Prefs().overview
    assert members.check_prefs(PrefsDraft("on", "0", "09:00", "on", overview="maybe")) == {
        "overview": "required"
    }
