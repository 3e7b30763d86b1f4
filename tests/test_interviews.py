"""Unit tests of interviews: summaries, coding, recoding, deleting, follow-ups, the ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from cadence import interviews
from cadence.interviews import Summary, check_summary, insight_lines
from cadence.matching import default_matcher
from cadence.models import Interview, Theme
from cadence.questions import Draft, create

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
TODAY = date(2026, 11, 25)


def test_insight_lines_drop_bullets_and_blanks() -> None:
    text = "- one\n\n• two\n3. three\n  * four  \n1) five\nplain"
    assert insight_lines(text) == ["one", "two", "three", "four", "five", "plain"]


@pytest.mark.parametrize(
    ("summary", "errors"),
    [
        (Summary("1", "2026-11-25", insights="x"), {}),
        (Summary("1", "2026-11-25", parts={"motivations": "m"}), {}),
        (Summary("", "2026-11-25", insights="x"), {"question": "required"}),
        (Summary("1", "2026-11-26", insights="x"), {"held_on": "future_date"}),
        (Summary("1", "", insights="x"), {"held_on": "required"}),
        (Summary("1", "2026-11-25"), {"insights": "need_content"}),
        (
            Summary("1", "2026-11-25", insights="\n".join("x" * 21)),
            {"insights": "too_many_insights"},
        ),
        (Summary("1", "2026-11-25", segment="aliens", insights="x"), {"segment": "required"}),
    ],
)
def test_check_summary(summary: Summary, errors: dict) -> None:
    assert check_summary(summary, TODAY) == errors


def log(db, question_id: int, lines: list[str], held: str = "2026-11-25", user: str = "U1"):
    interview = interviews.save(db, "T", Summary(str(question_id), held, insights="x"), user, NOW)
    return interview, interviews.code_insights(db, "T", interview, lines, default_matcher(), NOW)


def test_coding_reuses_themes_and_recoding_drops_orphans(db) -> None:
    q = create(db, "T", Draft("Why?", "", "other", "U1", "C1", "3"), "U1", NOW)
    _, coding = log(db, q.id, ["Setup is slow", "SSO is required"])
    assert coding.themes == []  # nothing to choose from: no second step
    second, coding = log(db, q.id, ["setup is slow!", "Invoices, not cards"])
    assert [t.name for t in coding.themes] == ["Setup is slow", "SSO is required"]
    near, new = coding.insights
    assert near.theme_id == coding.themes[0].id
    assert interviews.new_themes(db, "T", second) == 1
    # Move the invoice insight to SSO: its own provisional theme is no longer used.
    interviews.recode(db, "T", second.id, {new.id: str(coding.themes[1].id)}, "U1", NOW)
    assert interviews.new_themes(db, "T", second) == 0
    assert [t.name for t in db.exec(select(Theme))] == ["Setup is slow", "SSO is required"]
    # And back to a new theme of its own.
    interviews.recode(db, "T", second.id, {new.id: "new"}, "U1", NOW)
    assert interviews.new_themes(db, "T", second) == 1


def test_only_interviewer_or_owner_change_and_delete_follows_through(db) -> None:
    q = create(db, "T", Draft("Why?", "", "other", "UOWNER", "C1", "3"), "UOWNER", NOW)
    interview, _ = log(db, q.id, ["Setup is slow"], user="UINT")
    with pytest.raises(interviews.NotAllowed):
        interviews.delete(db, "T", interview.id, "USTRANGER")
    with pytest.raises(LookupError):
        interviews.delete(db, "OTHER", interview.id, "UOWNER")  # another workspace's id
    interviews.delete(db, "T", interview.id, "UOWNER")
    assert db.exec(select(Interview)).all() == [] and db.exec(select(Theme)).all() == []


def test_follow_up_window(db) -> None:
    q = create(db, "T", Draft("Why?", "", "other", "U1", "C1", "3"), "U1", NOW)
    planned, _ = interviews.plan(db, "T", q.id, "Ada", NOW, "U1", NOW - timedelta(days=1))
    due = lambda at: [i.id for i, _ in interviews.awaiting_follow_up(db, at)]  # noqa: E731
    assert due(NOW + timedelta(minutes=59)) == []
    assert due(NOW + timedelta(hours=1)) == [planned.id]
    assert due(NOW + timedelta(days=7, minutes=59)) == [planned.id]
    assert due(NOW + timedelta(days=8)) == []  # too stale to ask
    interviews.save(db, "T", Summary(str(q.id), "2026-11-25", insights="x"), "U1", NOW, planned.id)
    assert due(NOW + timedelta(hours=2)) == []  # logged: nothing to ask


def test_default_held_on_is_in_the_interviewers_zone() -> None:
    late = datetime(2026, 11, 25, 23, tzinfo=UTC)
    assert interviews.default_held_on(None, late, "Asia/Tokyo") == date(2026, 11, 26)
    planned = Interview(team_id="T", question_id=1, interviewer_id="U", planned_at=late)
    assert interviews.default_held_on(planned, late + timedelta(days=2), "Asia/Tokyo") == date(
        2026, 11, 26
    )


def test_check_plan_wants_a_question_and_a_time_to_come() -> None:
    later, earlier = str(int(NOW.timestamp()) + 60), str(int(NOW.timestamp()) - 60)
    assert interviews.check_plan("3", later, NOW) == {}
    assert interviews.check_plan("", later, NOW) == {"question": "required"}
    assert interviews.check_plan("3", earlier, NOW) == {"when": "past_time"}
    assert interviews.check_plan("3", "", NOW) == {"when": "required"}
