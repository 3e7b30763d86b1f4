"""The coding step's selects and the account of a saturation run, as Block Kit data: ranked
groups, the preselection only where the core made one, Slack's 100 options and 75
characters, and what the flag says its count rests on."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.ids import Action
from bot.sandbox.fake_slack import check_options, check_payload
from bot.views import cadence as cadence_views
from bot.views import interviews as views
from cadence.interviews import Coding
from cadence.matching import Ranked, Ranking
from cadence.models import Insight, Theme
from cadence.preselection import Account
from cadence.schedule import Flag
from tests.test_cadence_views import overview

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
LONG = "Importing old spreadsheets was the hardest part of moving " + "x" * 80


def theme(n: int, name: str = "") -> Theme:
    return Theme(id=n, team_id="T", question_id=1, name=name or f"Theme {n}", created_at=NOW)


def insight(n: int, theme_id: int, text: str = "") -> Insight:
    return Insight(
        id=n, team_id="T", interview_id=1, theme_id=theme_id, text=text or f"Insight {n}"
    )


def ranking(order: list[int], preselect: int | None = None) -> Ranking:
    scores = ([0.3, 0.28, 0.2, 0.1, 0.05] + [0.0] * len(order))[: len(order)]
    return Ranking(
        tuple(Ranked(t, s, 0.0, 0) for t, s in zip(order, scores, strict=True)), preselect
    )


def texts(options: list[dict]) -> list[str]:
    return [o["text"]["text"] for o in options]


def test_best_matches_new_theme_and_every_other_theme_in_that_order() -> None:
    themes = [theme(1), theme(2), theme(3, LONG), theme(4), theme(5)]
    mine, other = insight(10, 100), insight(11, 101, "Finance wants invoices")
    coding = Coding([mine, other], themes, rankings={10: ranking([3, 1, 4, 5, 2])})
    choices = views.coding_choices(coding, mine)
    (best_label, best), (new_label, new), (rest_label, rest) = choices.groups
    assert (best_label, new_label, rest_label) == (
        "Best matches",
        "Or a new theme",
        "Every other theme",
    )
    assert [o["value"] for o in best] == ["3", "1", "4"]
    assert texts(best)[1:] == ["Theme 1 · very close", "Theme 4 · close"]
    long = texts(best)[0]  # cut to Slack's 75 characters, its score in words kept
    assert len(long) == 75 and long.endswith("… · very close")
    assert texts(new) == ["New theme", "Same as: Finance wants invoices"]
    assert [o["value"] for o in rest] == ["5", "2"] and texts(rest) == ["Theme 5", "Theme 2"]
    assert choices.initial["value"] == "new"  # the core preselected nothing
    element = choices.element()
    assert element["type"] == "static_select" and element["initial_option"] is choices.initial
    assert [len(g["options"]) for g in element["option_groups"]] == [3, 2, 2]


def test_only_the_core_s_preselection_is_chosen_and_a_theme_gone_since_is_not_offered() -> None:
    themes = [theme(1), theme(2)]
    mine = insight(10, 2)
    coding = Coding([mine], themes, rankings={10: ranking([2, 9, 1], preselect=2)})
    choices = views.coding_choices(coding, mine)
    assert choices.initial == {"text": choices.initial["text"], "value": "2"}
    assert [o["value"] for _, options in choices.groups for o in options] == ["2", "1", "new"]


def test_without_earlier_themes_the_select_is_plain() -> None:
    one, two = insight(10, 100), insight(11, 101)
    coding = Coding([one, two], [], proposals={11: 100})
    element = views.coding_choices(coding, two).element()
    assert "option_groups" not in element
    assert [o["value"] for o in element["options"]] == ["new", "100"]
    assert element["initial_option"]["value"] == "new"


def test_past_100_options_across_the_groups_the_select_types_ahead() -> None:
    themes = [theme(n) for n in range(1, 100)]  # 99 themes, "New theme" and one "Same as"
    mine, other = insight(1000, 500), insight(1001, 501)
    coding = Coding([mine, other], themes, rankings={1000: ranking([t.id for t in themes], 7)})
    choices = views.coding_choices(coding, mine)
    assert choices.count == 101
    element = choices.element()
    assert element["type"] == "external_select"
    assert element["action_id"] == Action.THEME_SEARCH and element["min_query_length"] == 0
    assert element["initial_option"]["value"] == "7"
    view = views.coding_modal(coding, 1)
    assert check_payload("views.update", {"view": view}) == []
    fewer = Coding([mine], themes, rankings=coding.rankings)  # 100 options: still static
    assert views.coding_choices(fewer, mine).element()["type"] == "static_select"
    assert check_payload("views.update", {"view": views.coding_modal(fewer, 1)}) == []


def test_the_type_ahead_answers_at_most_100_options_in_groups() -> None:
    found = [(theme(n, LONG), Ranked(n, 0.3 - n / 1000, 0.0, 0)) for n in range(150)]
    groups = views.theme_search_groups(found)
    assert check_options({"option_groups": groups}) == []
    assert [g["label"]["text"] for g in groups] == [
        "Best matches",
        "Or a new theme",
        "Every other theme",
    ]
    assert sum(len(g["options"]) for g in groups) == 100
    assert groups[0]["options"][0]["value"] == "0" and groups[1]["options"][0]["value"] == "new"
    assert check_options({"option_groups": views.theme_search_groups([])}) == []


def test_the_flag_says_what_its_count_rests_on_with_a_button_to_review_it() -> None:
    o = overview(3)
    text, blocks = cadence_views.flag_blocks(Flag(o, Account(9, 2, (1, 2, 3))))
    assert check_payload("chat.postMessage", {"text": text, "blocks": blocks}) == []
    shown = json.dumps(blocks, ensure_ascii=False)
    assert (
        "*2 of 9 insights* of the last run were filed under earlier themes as the app suggested"
        in shown
    )
    (review,) = [b["accessory"] for b in blocks if "accessory" in b]
    assert (review["action_id"], review["value"]) == (Action.THEMES, "3")
    assert review["text"]["text"] == "Review the coding"
    _, none = cadence_views.flag_blocks(Flag(o, Account(5, 0, (1, 2, 3))))
    assert "None of the 5 insights of the last run were filed" in json.dumps(none)
    for nothing in (None, Account(0, 0, (1, 2, 3))):  # no run yet, or a run of no insights
        _, blocks = cadence_views.flag_blocks(Flag(o, nothing))
        assert not [b for b in blocks if "accessory" in b]


def test_a_step_of_many_insights_and_themes_stays_within_slack_s_250_kb() -> None:
    themes = [theme(n, LONG) for n in range(1, 81)]
    many = [insight(1000 + n, 500 + n, LONG * 8) for n in range(20)]
    order = [t.id for t in themes]
    coding = Coding(many, themes, rankings={i.id: ranking(order) for i in many})
    view = views.coding_modal(coding, 1)
    assert check_payload("views.update", {"view": view}) == []
    kinds = [b["element"]["type"] for b in view["blocks"] if b["type"] == "input"]
    assert kinds[0] == "static_select" and kinds[-1] == "external_select"
