"""End to end: themes people can trust: no silent merges, one theme for the same insight
logged twice at once, and a codebook the owner curates."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.ids import Action, Input, ThemeChange, View
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.requests import SlackSender, view_submission
from tests.conftest import Server
from tests.flows import block, log_interview, open_question, opened, reply_to, rows


@pytest.fixture
def owner(team: str) -> str:
    return "U" + team[1:]


def themes(server: Server, team: str) -> list[str]:
    found = rows(server, "SELECT name FROM theme WHERE team_id=:t ORDER BY id", t=team)
    return [r["name"] for r in found]


DISTINCT = [
    "Setup takes more than a week before the team sees value",
    "Per-seat pricing stops them from inviting colleagues",
    "Security will not approve it without single sign-on",
    "Importing old spreadsheets was the hardest part",
    "The mobile app crashes when uploading receipts",
    "Finance wants invoices in their own currency",
    "Nobody reads the weekly summary email",
    "Support answers arrive after the trial ended",
    "Dark mode colours hurt accessibility",
    "Exports to Excel lose the date formatting",
    "Sales promised an API that does not exist",
    "The onboarding checklist is hidden in settings",
    "Admins cannot see who logged in last",
    "The Android widget drains the battery",
    "Translations into German are incomplete",
]


def test_a_first_interview_keeps_one_theme_per_insight(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    open_question(sender, slack, "Why do trials stall?", user=owner)
    answer = log_interview(sender, slack, {Input.INSIGHTS: "\n".join(DISTINCT)}, user=owner)
    assert themes(server, sender.team) == DISTINCT  # stored apart, whatever looked alike
    for b in answer.get("view", {}).get("blocks", []):  # look-alikes only proposed
        if b["type"] == "input":
            assert b["element"]["initial_option"]["value"] == "new"


def test_look_alikes_of_one_interview_are_proposed_not_merged(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    open_question(sender, slack, "Why do trials stall?", user=owner)
    lines = [
        "Setup takes more than a week before the team sees value",
        "Setup takes over a week before the team sees any value",
        "Per-seat pricing stops them from inviting colleagues",
    ]
    answer = log_interview(sender, slack, {Input.INSIGHTS: "\n".join(lines)}, user=owner)
    assert answer["response_action"] == "update"  # the coding step, to confirm
    assert themes(server, sender.team) == lines  # stored apart until someone merges them
    step = answer["view"]
    second = next(b for b in step["blocks"] if b.get("label", {}).get("text") == lines[1])
    assert second["element"]["initial_option"]["value"] == "new"
    assert "Looks like the same theme" in second["hint"]["text"]
    same = next(o for o in second["element"]["options"] if o["text"]["text"].startswith("Same"))
    submitted = view_submission(
        step, {second["block_id"]: same["value"]}, user=owner, team=sender.team
    )
    assert sender.interaction(submitted).status == 200
    assert themes(server, sender.team) == [lines[0], lines[2]]


def test_the_same_new_insight_logged_twenty_times_at_once_is_one_theme(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    open_question(sender, slack, "Why do trials stall?", user=owner)
    log_interview(sender, slack, {Input.INSIGHTS: DISTINCT[0]}, user=owner)
    view = opened(slack, sender.command("log #1", user=owner))
    payloads = [
        view_submission(
            {**view, "id": f"V{n}"},
            {
                Input.INSIGHTS: "Exports to Excel lose the date formatting",
                Input.INTERVIEWEE: f"C{n}",
            },
            user=owner,
            team=sender.team,
        )
        for n in range(20)
    ]
    with ThreadPoolExecutor(20) as pool:
        statuses = [r.status for r in pool.map(sender.interaction, payloads)]
    assert statuses == [200] * 20
    assert len(rows(server, "SELECT id FROM interview WHERE team_id=:t", t=sender.team)) == 21
    assert themes(server, sender.team) == [DISTINCT[0], "Exports to Excel lose the date formatting"]


def test_the_coding_step_shows_the_themes_by_their_labels(
    sender: SlackSender, slack: FakeSlack, owner: str
) -> None:
    open_question(sender, slack, "Why do trials stall?", user=owner)
    log_interview(sender, slack, {Input.INSIGHTS: DISTINCT[0]}, user=owner)
    answer = log_interview(sender, slack, {Input.INSIGHTS: DISTINCT[1]}, user=owner)
    labels = json.dumps(answer["view"]["blocks"])
    assert DISTINCT[0] in labels
    assert (
        block(
            answer["view"],
            next(b["block_id"] for b in answer["view"]["blocks"] if b["type"] == "input"),
        )["element"]["initial_option"]["value"]
        == "new"
    )


def menu(sender: SlackSender, owner: str, value: str) -> dict:
    """A choice in a theme's overflow menu of the codebook modal, as Slack sends it."""
    return {
        "type": "block_actions",
        "team": {"id": sender.team},
        "user": {"id": owner, "team_id": sender.team},
        "api_app_id": "A1",
        "trigger_id": f"trigger.{uuid.uuid4().hex}",  # each choice opens its own view
        "container": {"type": "view", "view_id": "VROOT"},
        "view": {"id": "VROOT", "root_view_id": "VROOT", "type": "modal"},
        "actions": [
            {
                "type": "overflow",
                "action_id": Action.THEME_MENU,
                "block_id": "b",
                "selected_option": {"value": value},
            }
        ],
    }


def test_the_owner_renames_merges_and_moves_and_counts_follow(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    open_question(sender, slack, "Why do trials stall?", user=owner)
    log_interview(sender, slack, {Input.INSIGHTS: "\n".join(DISTINCT[:3])}, user=owner)
    ids = {
        r["name"]: r["id"]
        for r in rows(server, "SELECT id, name FROM theme WHERE team_id=:t", t=sender.team)
    }

    book = opened(slack, sender.command("themes #1", user=owner))
    assert book["callback_id"] == View.CODEBOOK
    assert sum(1 for b in book["blocks"] if b.get("accessory", {}).get("type") == "overflow") == 3

    def change(value: str, answers: dict, user: str = owner) -> dict:
        chosen = sender.interaction(menu(sender, user, value))
        assert chosen.status == 200
        child = opened(slack, chosen, "views.push")
        payload = view_submission(
            {**child, "root_view_id": "VROOT"}, answers, user=user, team=sender.team
        )
        reply = sender.interaction(payload)
        return json.loads(reply.body) if reply.body else {}

    rename, merge, move = ThemeChange.RENAME, ThemeChange.MERGE, ThemeChange.MOVE
    assert change(rename.value_for(ids[DISTINCT[0]]), {Input.LABEL: "Slow setup"}) == {}
    fresh = slack.wait_one("views.update", view_id="VROOT").args  # the codebook, refreshed
    assert "Slow setup" in json.dumps(fresh["view"])
    refused = change(rename.value_for(ids[DISTINCT[1]]), {Input.LABEL: "x" * 81})
    assert refused["errors"].keys() == {Input.LABEL}
    stranger = change(rename.value_for(ids[DISTINCT[1]]), {Input.LABEL: "Hijack"}, user="USTRANGER")
    assert "Only the question's owner" in stranger["errors"][Input.LABEL]

    assert change(merge.value_for(ids[DISTINCT[1]]), {Input.INTO: str(ids[DISTINCT[0]])}) == {}
    assert themes(server, sender.team) == ["Slow setup", DISTINCT[2]]
    (moved,) = rows(
        server, "SELECT id FROM insight WHERE team_id=:t AND text=:x", t=sender.team, x=DISTINCT[1]
    )
    moving = {Input.INSIGHT: str(moved["id"]), Input.TO: "new"}
    assert change(move.value_for(ids[DISTINCT[0]]), moving) == {}
    assert sorted(themes(server, sender.team)) == sorted(["Slow setup", DISTINCT[2], DISTINCT[1]])

    reply = reply_to(slack, sender.command("status #1", user=owner))
    assert "*Themes:* 3" in json.dumps(reply["blocks"])
