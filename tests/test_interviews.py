"""Unit tests of interviews: summaries, coding, recoding, deleting, follow-ups, the ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from cadence import codebook, deliveries, interviews, questions, saturation, schedule
from cadence.interviews import Summary, check_summary, insight_lines
from cadence.matching import default_matcher
from cadence.models import Insight, Interview, Theme
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


def test_a_follow_up_sent_is_not_due_again(db) -> None:
    q = create(db, "T", Draft("Why?", "", "other", "U1", "C1", "3"), "U1", NOW)
    planned, _ = interviews.plan(db, "T", q.id, "Ada", NOW, "U1", NOW - timedelta(days=1))
    follow_ups = lambda at: schedule.due(db, at, {}).of(schedule.Kind.FOLLOW_UP)  # noqa: E731
    assert [f.interview.id for f in follow_ups(NOW + timedelta(hours=1))] == [planned.id]
    key = schedule.follow_up_key(planned)
    deliveries.take(db, key, NOW + timedelta(hours=1))
    assert follow_ups(NOW + timedelta(hours=1, minutes=1)) == []  # claimed by a live tick
    deliveries.sent(db, key, NOW + timedelta(hours=1))
    assert follow_ups(NOW + timedelta(days=2)) == []  # sent: no claim tried each minute


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


def from_scratch(db, q) -> tuple[int, ...]:
    """The learning curve recomputed from the whole history, as the kept one must be."""
    coded: dict[int, set[int]] = {}
    rows = db.exec(
        select(Insight.interview_id, Insight.theme_id)
        .join(Interview, Insight.interview_id == Interview.id)
        .where(Interview.question_id == q.id, Interview.held_on.is_not(None))
        .order_by(Interview.held_on, Interview.id)
    )
    for interview_id, theme_id in rows:
        coded.setdefault(interview_id, set()).add(theme_id)
    return saturation.curve_of(coded.values())


def test_the_kept_curve_follows_every_change_to_the_coding(db) -> None:
    q = create(db, "T", Draft("Why?", "", "other", "U1", "C1", "3"), "U1", NOW)
    other = create(db, "T", Draft("And?", "", "other", "U1", "C1", "3"), "U1", NOW)

    def kept(question=q) -> tuple[int, ...]:
        db.refresh(question)
        assert questions.curve(question) == from_scratch(db, question)
        state = saturation.assess(questions.curve(question), questions.rule_of(question)).state
        assert question.sat_state == state.value
        return questions.curve(question)

    first, _ = log(db, q.id, ["Setup is slow", "SSO is required"], held="2026-11-20")
    second, coding = log(db, q.id, ["Invoices, not cards"], held="2026-11-24")
    assert kept() == (2, 3)
    # Held earlier than the first: the order, and so the curve, changes.
    interviews.save(db, "T", Summary(str(q.id), "2026-11-19", insights="x"), "U1", NOW, second.id)
    assert kept() == (1, 3)
    (invoices,) = coding.insights
    sso = next(t for t in interviews.themes_of(db, "T", q.id) if t.name == "SSO is required")
    interviews.recode(db, "T", second.id, {invoices.id: str(sso.id)}, "U1", NOW)
    assert kept() == (1, 2)
    codebook.move(db, "T", invoices.id, None, "U1", NOW)
    assert kept() == (1, 3)
    setup = next(t for t in interviews.themes_of(db, "T", q.id) if t.name == "Setup is slow")
    codebook.merge(db, "T", setup.id, sso.id, "U1")
    assert kept() == (1, 2)
    # Moved to another question: both questions' curves follow.
    interviews.save(
        db, "T", Summary(str(other.id), "2026-11-19", insights="x"), "U1", NOW, second.id
    )
    assert kept() == (1,) and kept(other) == (1,)
    # The app codes the moved interview again: its insights found themes of `other`, and
    # `q` keeps only the themes its own insights use.
    interviews.code_insights(db, "T", second, ["Invoices, not cards"], default_matcher(), NOW)
    assert kept() == (1,) and kept(other) == (1,)
    used = {i.theme_id for i in interviews.insights_of(db, "T", first.id)}
    assert {t.id for t in interviews.themes_of(db, "T", q.id)} == used
    interviews.delete(db, "T", first.id, "U1")
    assert kept() == ()


def test_a_question_that_stops_being_saturated_is_noted_at_once(db) -> None:
    q = create(db, "T", Draft("Why?", "", "other", "U1", "C1", "3"), "U1", NOW)
    for day, line in enumerate(["A", "B", "C", "D", "A", "B", "C"], start=10):
        log(db, q.id, [f"Theme {line} is what they said"], held=f"2026-11-{day}")
    db.refresh(q)
    assert q.sat_state == "saturated"
    q.saturated = True  # the owner was told
    latest, _ = log(db, q.id, ["Something nobody said before, about the weather"])
    db.refresh(q)
    assert (q.sat_state, q.saturated) == ("learning", False)
    interviews.delete(db, "T", latest.id, "U1")
    db.refresh(q)
    assert (q.sat_state, q.saturated) == ("saturated", False)  # news again: the tick flags it


def test_a_theme_is_matched_by_its_name_and_latest_insights(db) -> None:
    q = create(db, "T", Draft("Why?", "", "other", "U1", "C1", "3"), "U1", NOW)
    log(db, q.id, ["Setup is slow"])
    (theme,) = interviews.themes_of(db, "T", q.id)
    for n in range(interviews.INSIGHTS_PER_THEME + 5):
        i, _ = log(db, q.id, ["x"])
        db.add(
            Insight(
                team_id="T", interview_id=i.id, theme_id=theme.id, text=f"slow {n}", created_at=NOW
            )
        )
    db.flush()
    texts = [text for _, _, text in interviews.latest_insights(db, "T", [theme.id])]
    assert len(texts) == interviews.INSIGHTS_PER_THEME
    assert texts[0] == f"slow {interviews.INSIGHTS_PER_THEME + 4}"
