"""End to end: a question whose interviews stop producing new themes is flagged once, with a
chart of its learning curve and buttons that act on it."""

from __future__ import annotations

import json

import pytest

from bot.ids import QUESTION_BUTTONS, Action, Input, View
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.requests import Reply, SlackSender, block_action, view_submission
from tests.conftest import Server
from tests.flows import block, ephemeral, log_interview, open_question, opened

# Four interviews with distinct themes, then bursts that only repeat them.
BASE = [
    "Setup takes more than a week before the team sees value",
    "Per-seat pricing stops them from inviting colleagues",
    "Security will not approve it without single sign-on",
    "Importing old spreadsheets was the hardest part",
]
NEW = [
    "The mobile app crashes when uploading receipts",
    "Finance wants invoices in their own currency",
    "Nobody reads the weekly summary email",
    "Support answers arrive after the trial ended",
    "The dark mode colours hurt accessibility",
    "Exports to Excel lose the date formatting",
    "Sales promised an API that does not exist",
]


@pytest.fixture
def owner(team: str) -> str:
    return "U" + team[1:]


def log(sender: SlackSender, slack: FakeSlack, owner: str, ref: str, day: int, insight: str):
    held = f"2026-11-{day:02d}"
    log_interview(
        sender, slack, {Input.HELD_ON: held, Input.INSIGHTS: insight}, ref=ref, user=owner
    )


def flags(slack: FakeSlack, owner: str) -> list:
    return [
        c
        for c in slack.of("chat.postMessage")
        if c.args["channel"] == owner and "is *saturated at" in c.args["text"]
    ]


def test_only_the_question_that_stopped_learning_is_flagged_once_with_a_chart(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    open_question(sender, slack, "Why do trials stall?", user=owner)
    open_question(sender, slack, "What do finance teams need?", user=owner)
    for n, insight in enumerate(BASE + BASE[:3]):
        log(sender, slack, owner, "#1", n + 2, insight)
    for n, insight in enumerate(NEW):
        log(sender, slack, owner, "#2", n + 2, insight)

    server.tick("2026-11-20T12:00:00Z")
    server.tick("2026-11-20T12:01:00Z")
    (flag,) = flags(slack, owner)
    text = flag.args["text"]
    assert "*#1*" in text and "*saturated at 4+3*" in text
    assert "the last 3 interviews added no theme to the 4 found in the first 4" in text
    assert "below the 5% that signals you have stopped learning" in text
    # The run's insights were typed as before: each filed under its theme as the app preselected.
    account = "*3 of 3 insights* of the last run were filed under earlier themes as the app"
    assert account in json.dumps(flag.args["blocks"], ensure_ascii=False)

    assert "saturated at 4+3" in ephemeral(slack, sender.command("status #1", user=owner))
    # Uploads of earlier tests may still arrive: wait for this owner's.
    complete = slack.wait_where(
        "files.completeUploadExternal", lambda a: a.get("channel_id") == "D" + owner
    )
    (asked,) = [
        c
        for c in slack.of("files.getUploadURLExternal")
        if c.args["filename"] == "learning-curve-1.png" and "4 unique themes" in c.args["alt_txt"]
    ]
    assert int(asked.args["length"]) in [c.args["bytes"] for c in slack.of("upload")]
    assert "learning curve" in complete.args["initial_comment"]
    second = ephemeral(slack, sender.command("status #2", user=owner))
    assert "learning: the last run added 75% new themes" in second

    # Each button of the DM.
    message = {**flag.args, "ts": "1700000456.000100"}
    buttons = block(flag.args, f"{QUESTION_BUTTONS}{_qid(flag)}")["elements"]
    pressed = {e["action_id"]: e for e in buttons}

    def press(action_id: str) -> Reply:
        payload = block_action(
            action_id,
            pressed[action_id]["value"],
            user=owner,
            team=sender.team,
            message=message,
            response_url=slack.response_url(),
        )
        reply = sender.interaction(payload)
        assert reply.status == 200
        return reply

    close = opened(slack, press(Action.CLOSE_ANSWERED))
    assert block(close, Input.OUTCOME)["element"]["initial_option"]["value"] == "answered"
    assert "Saturated at 4+3" in block(close, Input.CONCLUSION)["element"]["initial_value"]
    new = opened(slack, press(Action.FOLLOW_UP_QUESTION))
    assert block(new, Input.TEXT)["element"]["initial_value"].startswith("Follow-up to #1:")
    assert block(new, Input.SEGMENT)["element"]["initial_option"]["value"] != "recent_signups"
    press(Action.KEEP_INTERVIEWING)
    update = slack.wait_one("chat.update", user=owner)
    assert "keep interviewing" in update.args["text"]
    assert Action.CLOSE_ANSWERED not in json.dumps(update.args["blocks"])

    server.tick("2026-11-20T12:05:00Z")  # acknowledged or not, no second flag
    assert len(flags(slack, owner)) == 1


def _qid(flag) -> str:
    actions = next(b for b in flag.args["blocks"] if b["type"] == "actions")
    return actions["elements"][0]["value"]


def test_changing_the_rule_recomputes_and_flags_only_a_new_saturation(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    open_question(sender, slack, "Why do trials stall?", user=owner)
    for n, insight in enumerate([*BASE, BASE[0], NEW[0], BASE[1]]):
        log(sender, slack, owner, "#1", n + 2, insight)
    server.tick("2026-11-20T12:00:00Z")
    assert flags(slack, owner) == []  # one new theme in the burst of 3: 25% of 4

    view = opened(slack, sender.command("settings #1", user=owner))
    assert view["callback_id"] == View.SATURATION_RULE
    refused = view_submission(view, {Input.THRESHOLD: "80"}, user=owner, team=sender.team)
    assert sender.interaction(refused).json()["errors"].keys() == {Input.THRESHOLD}
    answers = {Input.PRESET: "burst", Input.THRESHOLD: "30"}
    reply = sender.interaction(view_submission(view, answers, user=owner, team=sender.team))
    assert reply.status == 200 and not reply.body
    saved = slack.wait_where(
        "chat.postMessage", lambda a: a["channel"] == owner and "Saturation rule" in a["text"]
    )
    assert "saturated at 4+3" in saved.args["text"]

    server.tick("2026-11-20T12:01:00Z")
    server.tick("2026-11-20T12:02:00Z")
    assert len(flags(slack, owner)) == 1
