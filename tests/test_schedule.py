"""Unit tests of the cadence engine: what is due when, in each owner's week, once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from cadence import channels, deliveries, interviews, members, schedule
from cadence.db import session
from cadence.members import PrefsDraft, check_prefs
from cadence.models import Insight, Interview, Question, Theme

MON = date(2026, 11, 23)  # a Monday
LONG_AGO = datetime(2026, 9, 1, tzinfo=UTC)


def at(day: date, hour: int, minute: int = 0, tz: str = "UTC") -> datetime:
    return schedule.moment(schedule.weeks.week_start(day), day.weekday(), hour * 60 + minute, tz)


def test_moment_follows_the_owners_clock_across_the_fall_back() -> None:
    # New York leaves daylight time on Sunday 2026-11-01: 09:00 is 13:00 UTC before, 14:00 after.
    assert schedule.moment(date(2026, 10, 26), 0, 540, "America/New_York").hour == 13
    assert schedule.moment(date(2026, 11, 2), 0, 540, "America/New_York").hour == 14
    # Kolkata is UTC+05:30; Tokyo's Monday 09:00 is still Monday 00:00 UTC.
    assert schedule.moment(MON, 0, 540, "Asia/Kolkata") == datetime(2026, 11, 23, 3, 30, tzinfo=UTC)
    assert schedule.moment(MON, 0, 540, "Asia/Tokyo") == datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


def test_a_send_is_due_from_its_moment_to_the_end_of_the_local_week() -> None:
    nine = datetime(2026, 11, 23, 14, tzinfo=UTC)  # Monday 09:00 in New York
    tz = "America/New_York"
    assert schedule.due_week(nine - timedelta(seconds=1), tz, 0, 540) is None
    assert schedule.due_week(nine, tz, 0, 540) == MON
    sunday_night = datetime(2026, 11, 30, 4, 59, tzinfo=UTC)  # Sunday 23:59 there
    assert schedule.due_week(sunday_night, tz, 0, 540) == MON
    monday_early = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)  # next Monday 00:00: not yet
    assert schedule.due_week(monday_early, tz, 0, 540) is None


def test_every_kind_of_send_has_a_view_and_an_unknown_kind_is_an_error() -> None:
    from bot import scheduler
    from bot.views.cadence import VIEWS

    assert set(VIEWS) == set(schedule.Kind)
    unknown = schedule.Send(deliveries.Key("T", "mystery", "U1", "2026-11-23"), None, "U1")
    with pytest.raises(KeyError):
        scheduler._job(unknown, store=None, clock=None)


def test_a_delivery_is_claimed_once_released_and_taken_over_after_its_lease(
    db: Session,
) -> None:
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    key = ("T", "interview_follow_up", "7", "2026-11-25T12:00:00+00:00")
    assert deliveries.claim(db, key, now)
    assert not deliveries.claim(db, key, now)
    deliveries.release(db, key, now)
    assert deliveries.claim(db, key, now)
    # A process that died between claim and send: a later tick takes over after the lease.
    assert not deliveries.claim(db, key, now + deliveries.LEASE - timedelta(seconds=1))
    assert deliveries.claim(db, key, now + deliveries.LEASE + timedelta(seconds=1))
    deliveries.sent(db, key, now)
    assert not deliveries.claim(db, key, now + timedelta(days=30))


def test_an_event_or_a_submission_is_handled_once_and_forgotten_a_day_later(
    db: Session,
) -> None:
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    event, view = ("T", deliveries.EVENT, "Ev1", ""), ("T", deliveries.VIEW, "abc", "")
    weekly = ("T", "weekly_reminder", "U1", "2026-11-23")
    assert deliveries.first(db, event, now) and deliveries.first(db, view, now)
    deliveries.claim(db, weekly, now)
    deliveries.sent(db, weekly, now)
    # Settled at once: no lease runs out on it.
    assert not deliveries.first(db, event, now + deliveries.LEASE * 2)
    assert not deliveries.first(db, view, now + deliveries.LEASE * 2)
    deliveries.prune(db, now + deliveries.ONCE_KEPT)
    assert not deliveries.first(db, view, now + deliveries.ONCE_KEPT)  # kept a whole day
    deliveries.prune(db, now + deliveries.ONCE_KEPT + timedelta(seconds=1))
    assert deliveries.first(db, event, now + deliveries.ONCE_KEPT * 2)  # forgotten
    # A scheduled send's row stays: it is what makes the send once.
    assert not deliveries.claim(db, weekly, now + deliveries.ONCE_KEPT * 30)


def question(db: Session, number: int, owner: str, channel: str = "CDIGEST", **kw) -> Question:
    q = Question(
        team_id="T",
        number=number,
        text=f"Question {number}",
        owner_id=owner,
        channel_id=channel,
        created_by=owner,
        created_at=kw.pop("created_at", LONG_AGO),
        updated_at=LONG_AGO,
        **kw,
    )
    db.add(q)
    db.flush()
    return q


def interview(db: Session, q: Question, held: date, insights=(), quote: str = "") -> Interview:
    i = Interview(
        team_id="T",
        question_id=q.id,
        interviewer_id=q.owner_id,
        interviewee="Ada",
        held_on=held,
        quote=quote,
        created_at=LONG_AGO,
        updated_at=LONG_AGO,
    )
    db.add(i)
    db.flush()
    for theme_name, text in insights:
        theme = db.exec(
            select(Theme).where(Theme.question_id == q.id, Theme.name == theme_name)
        ).first() or Theme(team_id="T", question_id=q.id, name=theme_name, created_at=LONG_AGO)
        db.add(theme)
        db.flush()
        db.add(
            Insight(
                team_id="T", interview_id=i.id, theme_id=theme.id, text=text, created_at=LONG_AGO
            )
        )
    db.flush()
    return i


ZONES = {("T", "UNY"): "America/New_York", ("T", "UTOKYO"): "Asia/Tokyo"}


def test_the_monday_reminder_lists_each_owners_questions_in_their_own_morning(
    db: Session,
) -> None:
    sunday = at(MON - timedelta(days=1), 12)  # opened after last week's reminders
    question(db, 1, "UNY", created_at=sunday)
    question(db, 2, "UNY", created_at=sunday)
    question(db, 3, "UTOKYO", created_at=sunday)
    tokyo_nine = at(MON, 0)  # Monday 00:00 UTC = 09:00 in Tokyo, Sunday night in New York
    due = schedule.due(db, tokyo_nine, ZONES)
    assert [(m.owner_id, m.week) for m in due.reminders] == [("UTOKYO", MON)]
    due = schedule.due(db, at(MON, 14), ZONES)  # 09:00 in New York
    by_owner = {m.owner_id: [o.question.number for o in m.overviews] for m in due.reminders}
    assert by_owner == {"UNY": [1, 2], "UTOKYO": [3]}
    reminder = next(m for m in due.reminders if m.owner_id == "UNY")
    assert reminder.overviews[0].progress.this_week == 0
    assert reminder.overviews[0].progress.target == 3


def test_a_sent_reminder_is_not_due_again_and_a_new_question_waits_for_next_week(
    db: Session,
) -> None:
    question(db, 1, "UNY")
    monday = at(MON, 14)
    (reminder,) = schedule.due(db, monday, ZONES).reminders
    assert deliveries.claim(db, reminder.key, monday)
    deliveries.sent(db, reminder.key, monday)
    assert schedule.due(db, monday + timedelta(days=1), ZONES).reminders == []
    # Opened on Tuesday: no catch-up reminder for it; next Monday it is in.
    question(db, 2, "UTOKYO", created_at=at(MON + timedelta(days=1), 12))
    assert schedule.due(db, at(MON + timedelta(days=1), 13), ZONES).reminders == []
    next_monday = at(MON + timedelta(days=7), 14)
    assert {m.owner_id for m in schedule.due(db, next_monday, ZONES).reminders} == {
        "UNY",
        "UTOKYO",
    }


def test_reminder_settings_move_or_silence_the_reminder(db: Session) -> None:
    question(db, 1, "UNY")
    draft = PrefsDraft(reminders="on", day="2", time="07:30", nudge="off")
    assert check_prefs(draft) == {}
    members.save_prefs(db, "T", "UNY", draft)
    assert schedule.due(db, at(MON, 14), ZONES).reminders == []
    wednesday = MON + timedelta(days=2)
    assert schedule.due(db, at(wednesday, 12, 29), ZONES).reminders == []  # 07:29 in New York
    assert len(schedule.due(db, at(wednesday, 12, 30), ZONES).reminders) == 1
    assert schedule.due(db, at(MON + timedelta(days=3), 15), ZONES).nudges == []  # nudge off
    members.save_prefs(db, "T", "UNY", PrefsDraft("off", "2", "07:30", "on"))
    assert schedule.due(db, at(wednesday, 13), ZONES).reminders == []


@pytest.mark.parametrize(
    ("draft", "errors"),
    [
        (PrefsDraft("on", "7", "09:00", "on"), {"day": "required"}),
        (PrefsDraft("on", "0", "24:00", "on"), {"time": "required"}),
        (PrefsDraft("on", "0", "²:00", "on"), {"time": "required"}),
        (PrefsDraft("maybe", "0", "09:00", ""), {"reminders": "required", "nudge": "required"}),
    ],
)
def test_settings_are_checked(draft: PrefsDraft, errors: dict) -> None:
    assert check_prefs(draft) == errors


def test_the_thursday_nudge_names_only_questions_behind_and_not_skipped(db: Session) -> None:
    on_target, behind, skipped = (
        question(db, 1, "UNY"),
        question(db, 2, "UNY"),
        question(db, 3, "UNY"),
    )
    for day in range(3):
        interview(db, on_target, MON + timedelta(days=day))
    interview(db, behind, MON)
    thursday = MON + timedelta(days=3)
    today = thursday
    schedule.skip(db, "T", skipped.id, "UNY", MON, today)
    assert schedule.due(db, at(thursday, 13, 59), ZONES).nudges == []  # 08:59 in New York
    (nudge,) = schedule.due(db, at(thursday, 14), ZONES).nudges
    assert [o.question.number for o in nudge.overviews] == [2]
    assert nudge.overviews[0].progress.behind_by == 2
    interview(db, behind, thursday)
    interview(db, behind, thursday)
    assert schedule.due(db, at(thursday, 15), ZONES).nudges == []  # all on target: no DM


def test_skip_is_for_the_owner_and_this_week_only(db: Session) -> None:
    q = question(db, 1, "UNY")
    with pytest.raises(schedule.questions.NotOwner):
        schedule.skip(db, "T", q.id, "USOMEONE", MON, MON)
    with pytest.raises(schedule.WeekOver):
        schedule.skip(db, "T", q.id, "UNY", MON, MON + timedelta(days=7))
    with pytest.raises(LookupError):
        schedule.skip(db, "OTHER", q.id, "UNY", MON, MON)
    schedule.skip(db, "T", q.id, "UNY", MON, MON + timedelta(days=2))
    assert schedule.due(db, at(MON + timedelta(days=3), 14), ZONES).nudges == []
    assert len(schedule.due(db, at(MON + timedelta(days=7), 14), ZONES).reminders) == 1


def test_a_shared_channel_gets_one_digest_when_its_last_owner_reaches_friday_4pm(
    db: Session,
) -> None:
    question(db, 1, "UNY")
    question(db, 2, "UTOKYO")
    question(db, 3, "UTOKYO", channel="COTHER")
    friday = MON + timedelta(days=4)
    # 16:00 in Tokyo: only COTHER, Tokyo's alone; New York's week is not over in CDIGEST.
    (alone,) = schedule.due(db, at(friday, 7), ZONES).digests
    assert alone.channel_id == "COTHER"
    assert [d.channel_id for d in schedule.due(db, at(friday, 20, 59), ZONES).digests] == [
        "COTHER"  # not marked sent here: due until its week ends
    ]
    found = {d.channel_id: d for d in schedule.due(db, at(friday, 21), ZONES).digests}
    digest = found["CDIGEST"]  # 16:00 in New York
    assert digest.week == MON
    assert [e.overview.question.number for e in digest.entries] == [1, 2]
    sunday_late = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # Sunday 23:00 in New York
    # Still due in New York's week; Tokyo's is over, so COTHER's is not caught up.
    assert [d.channel_id for d in schedule.due(db, sunday_late, ZONES).digests] == ["CDIGEST"]
    assert schedule.due(db, at(MON + timedelta(days=7), 6), ZONES).digests == []


@pytest.mark.parametrize(
    ("zones", "last"),
    [
        # Kolkata (UTC+05:30) and Los Angeles (UTC-8): Friday 16:00 in LA is Saturday 00:00 UTC.
        ({"UA": "Asia/Kolkata", "UB": "America/Los_Angeles"}, datetime(2026, 11, 28, 0, 0)),
        # Auckland (UTC+13) and Honolulu (UTC-10): a day and 23 hours apart, the same week.
        ({"UA": "Pacific/Auckland", "UB": "Pacific/Honolulu"}, datetime(2026, 11, 28, 2, 0)),
        # Both in one zone: that zone's Friday 16:00.
        ({"UA": "Europe/Berlin", "UB": "Europe/Berlin"}, datetime(2026, 11, 27, 15, 0)),
    ],
)
def test_a_shared_digest_goes_at_the_last_owners_friday_4pm_across_zones(
    db: Session, zones: dict[str, str], last: datetime
) -> None:
    for n, user in enumerate(zones, 1):
        question(db, n, user)
    tick_zones = {("T", u): tz for u, tz in zones.items()}
    last = last.replace(tzinfo=UTC)
    earlier = schedule.due(db, last - timedelta(minutes=1), tick_zones)
    assert earlier.digests == []
    (digest,) = schedule.due(db, last, tick_zones).digests
    assert digest.week == MON and len(digest.entries) == 2


def test_a_channel_with_its_own_moment_gets_its_digest_then(db: Session) -> None:
    question(db, 1, "UNY")
    question(db, 2, "UTOKYO")
    draft = channels.DigestDraft("CDIGEST", channels.FIXED, "5", "10:30", "Europe/Berlin")
    assert channels.check(draft) == {}
    channels.save(db, "T", "UNY", draft, LONG_AGO)
    friday, saturday = MON + timedelta(days=4), MON + timedelta(days=5)
    assert schedule.due(db, at(friday, 21), ZONES).digests == []  # not Friday any more
    assert schedule.due(db, at(saturday, 9, 29), ZONES).digests == []
    (digest,) = schedule.due(db, at(saturday, 9, 30), ZONES).digests  # 10:30 in Berlin
    assert digest.week == MON and len(digest.entries) == 2
    back = channels.DigestDraft("CDIGEST", channels.LAST_OWNER, "", "", "")
    assert channels.save(db, "T", "UNY", back, LONG_AGO) is None
    assert channels.setting(db, "T", "CDIGEST") is None


@pytest.mark.parametrize(
    ("draft", "errors"),
    [
        (channels.DigestDraft("CDIGEST", channels.FIXED, "7", "8:30", "Mars/Base"), {"day", "tz"}),
        (channels.DigestDraft("CDIGEST", channels.FIXED, "4", "25:00", "UTC"), {"time"}),
        (channels.DigestDraft("CDIGEST", "sometimes", "", "", ""), {"when"}),
        (channels.DigestDraft("CDIGEST", channels.LAST_OWNER, "", "", ""), set()),
    ],
)
def test_a_channels_digest_setting_is_checked(draft: channels.DigestDraft, errors: set) -> None:
    assert set(channels.check(draft)) == errors


def test_the_digest_groups_the_weeks_insights_by_theme_and_marks_new_ones(db: Session) -> None:
    q = question(db, 1, "UNY")
    interview(db, q, MON - timedelta(days=3), [("Pricing", "Too expensive for small teams")])
    interview(
        db,
        q,
        MON + timedelta(days=1),
        [("Pricing", "Seat price hurts"), ("Onboarding", "Setup took a week")],
        quote="I gave up <!channel>",
    )
    interview(db, q, MON + timedelta(days=2), [("Onboarding", "No templates")])
    interview(db, q, MON + timedelta(days=7), [("Later", "Next week's insight")])
    (entry,) = schedule.due(db, at(MON + timedelta(days=4), 21), ZONES).digests[0].entries
    assert entry.interviews == 2 and entry.insights == 3
    assert [(t.name, t.new, t.insights) for t in entry.themes] == [
        ("Onboarding", True, ("Setup took a week", "No templates")),
        ("Pricing", False, ("Seat price hurts",)),
    ]
    assert [snap.interview.quote for snap in entry.snapshots] == ["I gave up <!channel>", ""]
    assert [snap.first_insight for snap in entry.snapshots] == ["Seat price hurts", "No templates"]


def test_a_digests_thread_replies_are_queued_once_and_due_until_sent(db: Session) -> None:
    q = question(db, 1, "UNY")
    kept = interview(db, q, MON + timedelta(days=1), [("Pricing", "Seat price hurts")])
    gone = interview(db, q, MON + timedelta(days=2), [("Onboarding", "No templates")])
    now = at(MON + timedelta(days=4), 21)
    (digest,) = schedule.due(db, now, ZONES).digests
    replies = digest.thread("1790000000.000100")
    assert [r.what.snapshot.interview.id for r in replies] == [kept.id, gone.id]
    keys = [r.key for r in replies]
    assert keys[0] == ("T", "digest_snapshot", "CDIGEST:1790000000.000100", str(kept.id))
    deliveries.queue(db, keys, now)
    deliveries.queue(db, keys, now)  # once: a second queue adds nothing
    assert deliveries.queued(db, "digest_snapshot", now) == keys
    assert deliveries.claim(db, keys[0], now)  # the first take has it at once
    deliveries.sent(db, keys[0], now)
    interviews.delete(db, "T", gone.id, gone.interviewer_id)
    later = now + timedelta(minutes=1)
    assert schedule.due(db, later, ZONES).of(schedule.Kind.SNAPSHOT) == []  # gone: given up
    assert deliveries.queued(db, "digest_snapshot", later) == []


def test_concurrent_claims_let_exactly_one_through(db: Session) -> None:
    engine = db.get_bind()
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    key = ("T", "weekly_reminder", "UOWNER", "2026-11-23")
    barrier = threading.Barrier(8)

    def claim() -> bool:
        with session(engine) as s:
            barrier.wait()
            won = deliveries.claim(s, key, now)
            s.commit()
            return won

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: claim(), range(8)))
    assert results.count(True) == 1


def test_the_tick_looks_at_a_question_again_only_when_something_can_fall_due(db: Session) -> None:
    q = question(db, 1, "UNY")
    db.add(members.Member(team_id="T", user_id="UNY", tz="America/New_York", fetched_at=LONG_AGO))
    members.remember(db, "T", {"UNY": "America/New_York"}, at(MON, 13))  # fresh for a day
    monday_nine = at(MON, 14)  # 09:00 in New York
    (reminder,) = schedule.due(db, monday_nine, ZONES).reminders
    assert q.next_check == monday_nine  # a send to make: looked at again next tick
    assert deliveries.claim(db, reminder.key, monday_nine)
    deliveries.sent(db, reminder.key, monday_nine)
    later = monday_nine + timedelta(minutes=1)
    assert schedule.due(db, later, ZONES).reminders == []
    # Nothing more until the zone goes stale (Tuesday 13:00 UTC), before Thursday's nudge.
    assert q.next_check == at(MON + timedelta(days=1), 13)
    assert schedule.owners(db, later + timedelta(hours=1)) == {}
    # New settings, or a new zone, and the next tick looks again.
    members.save_prefs(db, "T", "UNY", PrefsDraft("on", "1", "08:00", "on"))
    assert schedule.owners(db, later + timedelta(hours=1)) == {"T": {"UNY"}}
    schedule.due(db, later + timedelta(hours=1), ZONES)
    assert schedule.owners(db, later + timedelta(hours=2)) == {}
    members.remember(db, "T", {"UNY": "Europe/Berlin"}, later + timedelta(hours=2))
    assert schedule.owners(db, later + timedelta(hours=2)) == {"T": {"UNY"}}
    # A workspace the tick cannot send to: its questions wait an hour.
    schedule.due(db, later + timedelta(hours=2), {}, unreachable={"T"})
    assert q.next_check == later + timedelta(hours=3)


def test_a_send_claimed_and_never_sent_is_looked_at_until_it_goes(db: Session) -> None:
    q = question(db, 1, "UNY")
    members.remember(db, "T", {"UNY": "America/New_York"}, at(MON, 13))
    monday_nine = at(MON, 14)
    (reminder,) = schedule.due(db, monday_nine, ZONES).reminders
    assert deliveries.claim(db, reminder.key, monday_nine)  # and the process dies
    later = monday_nine + timedelta(minutes=1)
    assert schedule.due(db, later, ZONES).reminders == []  # its lease is still live
    assert q.next_check == later
    after_lease = monday_nine + deliveries.LEASE + timedelta(minutes=1)
    assert len(schedule.due(db, after_lease, ZONES).reminders) == 1


def test_a_question_due_after_the_tick_asked_for_zones_waits_for_the_next_tick(
    db: Session,
) -> None:
    sunday_night = at(MON - timedelta(days=1), 23)  # Monday 08:00 in Tokyo
    q = question(db, 1, "UTOKYO", created_at=at(MON - timedelta(days=2), 12))
    members.remember(db, "T", {"UTOKYO": "Asia/Tokyo"}, sunday_night)
    # The tick asked `owners` before this question was due, so it has no zone for UTOKYO:
    # worked out in UTC, its next look would be Monday 09:00 UTC, 9 hours late.
    schedule.due(db, sunday_night, {("T", "UOTHER"): "UTC"})
    assert q.next_check <= sunday_night
    assert len(schedule.due(db, at(MON, 0), ZONES).reminders) == 1  # Monday 09:00 in Tokyo


def test_a_shared_digest_takes_every_owners_cached_zone(db: Session) -> None:
    members.remember(db, "T", {"UTOKYO": "Asia/Tokyo"}, at(MON + timedelta(days=4), 0))
    members.remember(db, "T", {"UNY": "America/New_York"}, at(MON + timedelta(days=4), 0))
    friday = MON + timedelta(days=4)
    question(db, 1, "UTOKYO", next_check=at(friday, 23))  # not looked at in this tick
    question(db, 2, "UNY")
    # Opened after Tokyo's Friday 16:00 (07:00 UTC), before the digest's moment: in it.
    question(db, 3, "UNY", created_at=at(friday, 12))
    question(db, 4, "UNY", created_at=at(friday, 21))  # after it: next week's
    (digest,) = schedule.due(db, at(friday, 21), {("T", "UNY"): "America/New_York"}).digests
    assert [e.overview.question.number for e in digest.entries] == [1, 2, 3]


def test_a_flag_told_after_a_recount_unsaturated_the_question_is_news_again(
    db: Session,
) -> None:
    q = question(db, 1, "UNY", sat_state="learning")
    schedule.flagged(db, "T", q.id, 1)
    assert (q.saturated, q.flags) == (False, 1)
    q.sat_state = "saturated"
    schedule.flagged(db, "T", q.id, 2)
    assert (q.saturated, q.flags) == (True, 2)


def test_a_nudge_with_nobody_behind_is_not_worked_out_again_that_week(db: Session) -> None:
    q = question(db, 1, "UNY", weekly_target=1)
    members.save_prefs(db, "T", "UNY", PrefsDraft("off", "0", "09:00", "on"))  # no reminder
    members.remember(db, "T", {"UNY": "America/New_York"}, at(MON + timedelta(days=3), 12))
    interview(db, q, MON + timedelta(days=1))
    thursday_nine = at(MON + timedelta(days=3), 14)
    assert schedule.due(db, thursday_nine, ZONES).nudges == []
    # Not the next tick: Friday 12:00 UTC, when the zone looked up on Thursday goes stale.
    assert q.next_check == at(MON + timedelta(days=4), 12)


def test_a_tick_ahead_of_the_clock_does_not_hide_what_is_due_now(db: Session) -> None:
    q = question(db, 1, "UNY")
    members.remember(db, "T", {"UNY": "America/New_York"}, at(MON, 13))
    ahead = at(MON + timedelta(days=9), 12)  # `tick --at` next week's Wednesday
    schedule.due(db, ahead, ZONES)
    assert q.next_check > at(MON, 14)
    # Back to the clock: Monday 09:00 in New York, this week's reminder is due.
    assert schedule.owners(db, at(MON, 14)) == {"T": {"UNY"}}
    assert len(schedule.due(db, at(MON, 14), ZONES).reminders) == 1
    assert q.checked_at == at(MON, 14)
