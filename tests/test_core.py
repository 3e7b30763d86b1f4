"""Unit tests of the domain: weeks, progress, streaks, saturation, question lookup."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from cadence import saturation, weeks
from cadence.questions import Draft, check_draft, create, find, open_questions, split_ref
from cadence.saturation import State

WED = date(2026, 11, 25)  # a Wednesday


def test_week_is_monday_to_sunday() -> None:
    assert weeks.week_start(WED) == date(2026, 11, 23)
    assert weeks.week_start(date(2026, 11, 23)) == date(2026, 11, 23)
    assert weeks.week_start(date(2026, 11, 29)) == date(2026, 11, 23)  # Sunday


def test_today_is_the_owners_day() -> None:
    # Monday 02:00 UTC is still Sunday evening in New York: last week there.
    now = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    assert weeks.local_today(now, "America/New_York") == date(2026, 11, 29)
    assert weeks.local_today(now, "Asia/Tokyo") == date(2026, 11, 30)
    assert weeks.local_today(now, "Not/AZone") == date(2026, 11, 30)


def test_progress_counts_this_week_and_history() -> None:
    held = [WED, WED - timedelta(days=1), date(2026, 11, 16), date(2026, 11, 2)]
    p = weeks.progress(held, 3, WED)
    assert p.this_week == 2 and p.behind_by == 1 and not p.on_target
    assert p.history == (
        (date(2026, 10, 26), 0),
        (date(2026, 11, 2), 1),
        (date(2026, 11, 9), 0),
        (date(2026, 11, 16), 1),
    )


def test_history_starts_in_the_week_the_question_was_opened() -> None:
    opened = date(2026, 11, 11)  # a Wednesday: its week (Nov 9) is listed, not the two before
    held = [WED, date(2026, 11, 16)]
    p = weeks.progress(held, 3, WED, opened)
    assert p.history == ((date(2026, 11, 9), 0), (date(2026, 11, 16), 1))
    assert weeks.progress([], 3, WED, WED).history == ()  # opened this week: no last weeks
    # An interview held before the question was opened, logged since: listed from its week.
    early = weeks.progress([date(2026, 11, 3)], 3, WED, opened).history
    assert early[0] == (date(2026, 11, 2), 1) and len(early) == 3


def test_streak_counts_consecutive_weeks_on_target() -> None:
    mondays = [date(2026, 11, 23) - timedelta(weeks=k) for k in range(1, 5)]
    held = [m for m in mondays[:3] for _ in range(3)] + [mondays[3]]  # 3 full weeks, then 1
    assert weeks.progress(held, 3, WED).streak == 3
    assert weeks.progress([*held, WED, WED, WED], 3, WED).streak == 4  # this week counts once met
    assert weeks.progress(held[3:], 3, WED).streak == 0  # a gap breaks it


def themes(*counts: tuple[int, int]) -> list[set[int]]:
    """Interviews from (first new theme id, how many new) pairs plus a shared old theme."""
    return [set(range(start, start + n)) | {0} for start, n in counts]


PAPER = [set(range(0, 10)), set(range(10, 20)), set(range(20, 30)), set(range(30, 37))]
PAPER += [set(range(37, 40)), set(range(40, 44)), {1, 2}, {44}]
GUEST = saturation.PRESETS["guest2020"]


def assess(interviews: list[set[int]], rule: saturation.Rule = saturation.DEFAULT):
    return saturation.assess(saturation.curve_of(interviews), rule)


def test_saturation_reproduces_the_papers_worked_example() -> None:
    # Base of 4 holds 37 themes; runs of 2 add 7 (19%), then 4 (11%), then 1 (2.7%): "6+2".
    result = assess(PAPER, GUEST)
    assert result.state is State.SATURATED
    assert result.label == "6+2"
    assert result.base_themes == 37 and result.last_new == 1
    assert [(r.new, round(r.share * 100, 1)) for r in result.runs] == [
        (7, 18.9),
        (4, 10.8),
        (1, 2.7),
    ]
    assert result.curve == (10, 20, 30, 37, 40, 44, 44, 45)


def test_the_papers_data_under_the_default_rule_is_still_learning() -> None:
    # Runs of 3 (one burst): 7 new (19%), then 5 (14%): no run is at or below 5% yet.
    result = assess(PAPER)
    assert saturation.Rule(4, 3, 0.05) == saturation.DEFAULT
    assert result.state is State.LEARNING
    assert [r.new for r in result.runs] == [7, 5]
    assert (result.last_new, round(result.last_share * 100, 1)) == (5, 13.5)
    assert assess([*PAPER, {3}]).label == "6+3"  # a burst with one new theme


def test_saturation_needs_base_plus_run_interviews_with_themes() -> None:
    assert assess([{1}] * 6).state is State.NOT_ENOUGH
    assert assess([set()] * 8).state is State.NOT_ENOUGH  # nothing coded yet
    assert assess([set()] * 4 + [{1}] * 4).state is State.NOT_ENOUGH  # empty base
    result = assess([{1}, {2}, {3}, {4}, {5}, {6}, {7}])
    assert result.state is State.LEARNING
    assert (result.last_new, result.last_share) == (3, 0.75)


def test_saturation_zero_threshold_and_the_francis_preset() -> None:
    interviews = [{1, 2}, {3}, {4}, {5}, {1}, {2}, {3}]
    assert assess(interviews, saturation.Rule(4, 3, 0.0)).label == "4+3"
    francis = saturation.PRESETS["francis2010"]
    ten = [{n} for n in range(10)]
    assert assess([*ten, {1}, {2}, {11}], francis).state is State.LEARNING
    assert assess([*ten, {1}, {2}, {11}, {3}, {4}, {5}], francis).label == "13+3"


def test_equal_dates_keep_the_order_they_were_logged_in() -> None:
    # The core orders by date held, then by id (the order of logging); the method itself
    # only sees that order.
    a = assess([{1}, {2}, {3}, {4}, {5}, {1}, {2}, {3}], GUEST)
    b = assess([{1}, {2}, {3}, {4}, {1}, {5}, {2}, {3}], GUEST)
    assert a.label == "5+2" and b.label == "6+2"


def test_new_themes_after_saturation_make_the_question_learning_again() -> None:
    saturated = [{1, 2}, {3}, {4}, {5}, {1}, {2}, {3}]
    assert assess(saturated).label == "4+3"
    assert assess([*saturated, {6}, {7}, {8}]).state is State.LEARNING
    # ...and saturated again from the first run of the new quiet stretch.
    assert assess([*saturated, {6}, {7}, {8}, {1}, {2}, {3}]).label == "10+3"


def test_an_edit_that_adds_a_theme_back_into_a_run_undoes_saturation() -> None:
    saturated = [{1, 2}, {3}, {4}, {5}, {1}, {2}, {3}]
    assert assess(saturated).state is State.SATURATED
    edited = [{1, 2}, {3}, {4}, {5}, {1}, {2, 9}, {3, 8}]
    assert assess(edited).state is State.LEARNING


@pytest.mark.parametrize(
    ("preset", "typed", "rule", "errors"),
    [
        ("", ("", "", ""), saturation.DEFAULT, {}),
        ("guest2020", ("", "", ""), GUEST, {}),
        ("francis2010", ("", "", ""), saturation.Rule(10, 3, 0.0), {}),
        ("burst", ("6", "", "2.5"), saturation.Rule(6, 3, 0.025), {}),
        (
            "burst",
            ("0", "x", "60"),
            None,
            {"base": "base_range", "run": "run_range", "threshold": "threshold_range"},
        ),
        ("burst", ("²", "", ""), None, {"base": "base_range"}),
        ("nonsense", ("", "", ""), None, {"preset": "required"}),
    ],
)
def test_a_rule_from_the_modal_is_checked(preset, typed, rule, errors) -> None:
    assert saturation.check_rule(preset, *typed) == (rule, errors)


def test_the_sparkline_shows_the_curve_flattening() -> None:
    assert saturation.sparkline([]) == ""
    assert saturation.sparkline([1, 2, 4, 8, 8, 8]) == "▂▃▅███"
    assert saturation.sparkline([3, 3, 3]) == "███"
    assert len(saturation.sparkline(list(range(1000)))) == 16


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#12", (12, "")),
        ("12 we learned a lot", (12, "we learned a lot")),
        ("#3 Setup takes a week", (3, "Setup takes a week")),
        ("trials", (None, "trials")),
        ("2026 plans", (2026, "plans")),
    ],
)
def test_split_ref(text: str, expected: tuple) -> None:
    assert split_ref(text) == expected


def test_check_draft_names_each_bad_field() -> None:
    good = Draft("Why?", "", "superstars", "U1", "C1", "3")
    assert check_draft(good) == {}
    bad = Draft(" ", "x" * 3001, "nobody", "", "", "11")
    assert check_draft(bad) == {
        "text": "required",
        "hypothesis": "too_long",
        "segment": "required",
        "owner": "required",
        "channel": "required",
        "target": "target_range",
    }


NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def draft(text: str, owner: str = "U1") -> Draft:
    return Draft(text, "", "other", owner, "C1", "3")


def test_numbers_count_per_workspace(db) -> None:
    assert create(db, "TA", draft("a"), "U1", NOW).number == 1
    assert create(db, "TA", draft("b"), "U1", NOW).number == 2
    assert create(db, "TB", draft("c"), "U1", NOW).number == 1
    assert [q.text for q in open_questions(db, "TB")] == ["c"]


def test_find_by_number_fragment_and_never_across_workspaces(db) -> None:
    create(db, "TA", draft("Why do trials stall?"), "U1", NOW)
    create(db, "TA", draft("Why do trials convert?"), "U1", NOW)
    create(db, "TB", draft("Why do trials stall?"), "U1", NOW)
    assert find(db, "TA", "#2").question.text == "Why do trials convert?"
    assert find(db, "TA", "STALL").question.team_id == "TA"
    assert len(find(db, "TA", "trials").candidates) == 2
    assert find(db, "TA", "why do trials stall?").question.number == 1  # exact text wins
    assert find(db, "TB", "convert").question is None
    assert find(db, "TB", "#2").question is None
