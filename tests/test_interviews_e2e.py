"""End to end: logging interviews, coding insights into themes, planning, editing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.ids import Action, Input, Shortcut, View
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.requests import (
    SlackSender,
    block_action,
    message_shortcut,
    view_submission,
)
from tests.conftest import Server
from tests.flows import (
    OWNER,
    block,
    dm,
    ephemeral,
    eventually,
    log_interview,
    open_question,
    opened,
    options,
    reply_to,
    rows,
)

TZ = "Pacific/Kiritimati"  # UTC+14: "today" there is often not today in UTC


def themes_of(server: Server, team: str) -> list[str]:
    return [
        r["name"]
        for r in rows(server, "SELECT name FROM theme WHERE team_id=:t ORDER BY id", t=team)
    ]


def test_log_opens_the_summary_modal_with_defaults(sender: SlackSender, slack: FakeSlack) -> None:
    slack.time_zones[OWNER] = TZ
    open_question(sender, slack, "Why do trials stall?", answers={Input.SEGMENT: "superstars"})
    view = opened(slack, sender.command("log", user=OWNER))
    assert "initial_option" not in block(view, Input.QUESTION)["element"]  # the select first
    inputs = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    assert inputs[0] == Input.QUESTION  # under the Paste notes button
    today = datetime.now(ZoneInfo(TZ)).date().isoformat()
    assert block(view, Input.HELD_ON)["element"]["initial_date"] == today
    for part in (
        "struggling_moments",
        "driving_forces",
        "existing_solutions",
        "alternative_solutions",
        "motivations",
        "desired_outcomes",
        Input.QUOTE,
        Input.INSIGHTS,
    ):
        assert block(view, part)["element"]["multiline"] is True
        assert block(view, part).get("optional") is True
    view = opened(slack, sender.command("log trials", user=OWNER))
    assert block(view, Input.QUESTION)["element"]["initial_option"]["text"]["text"].startswith("#1")


def test_first_interview_makes_each_insight_a_theme_without_a_second_step(
    sender: SlackSender, slack: FakeSlack, server: Server
) -> None:
    open_question(sender, slack, "Why do trials stall?")
    answer = log_interview(
        sender,
        slack,
        {
            Input.INTERVIEWEE: "Acme Corp",
            "struggling_moments": "New office opened; 20 people must meet weekly",
            Input.QUOTE: "It feels like I wasted an hour",
            Input.INSIGHTS: "- Setup takes more than a week before the team sees value\n"
            "- Admins don't know which integrations to connect first\n\n",
        },
    )
    assert answer == {}
    assert themes_of(server, sender.team) == [
        "Setup takes more than a week before the team sees value",
        "Admins don't know which integrations to connect first",
    ]
    (interview,) = rows(server, "SELECT * FROM interview WHERE team_id=:t", t=sender.team)
    assert interview["interviewee"] == "Acme Corp"
    assert interview["segment"] == "recent_signups"  # the question's
    assert interview["quote"] == "It feels like I wasted an hour"
    dm(slack, OWNER, "*1/3* this week · 2 insights · 2 new themes")
    # The owner's Home tab follows (after the one published when the question opened, which
    # may arrive last: both are sent after their modal closed).
    eventually(
        lambda: any(
            "*1/3* this week" in json.dumps(c.args["view"])
            for c in slack.calls_where("views.publish", user=OWNER)
        ),
        what="no Home tab with *1/3* this week",
    )


def test_second_interview_asks_to_code_with_the_near_duplicate_preselected(
    sender: SlackSender, slack: FakeSlack, server: Server
) -> None:
    open_question(sender, slack, "Why do trials stall?")
    log_interview(
        sender,
        slack,
        {
            Input.INSIGHTS: "Setup takes more than a week before the team sees value\n"
            "Per-seat pricing stops them from inviting colleagues"
        },
    )
    answer = log_interview(
        sender,
        slack,
        {
            Input.INSIGHTS: "setup takes more than a week before the team sees any value!\n"
            "Finance needs an invoice, not a credit card"
        },
    )
    assert answer["response_action"] == "update"
    coding = answer["view"]
    assert coding["callback_id"] == View.CODING
    selects = [b for b in coding["blocks"] if b["type"] == "input"]
    assert [s["label"]["text"] for s in selects] == [
        "setup takes more than a week before the team sees any value!",
        "Finance needs an invoice, not a credit card",
    ]
    first, second = (s["element"]["initial_option"]["text"]["text"] for s in selects)
    assert first == "Setup takes more than a week before the team sees value · very close"
    assert second == "New theme"

    # The interviewer moves the invoice insight into the pricing theme instead.
    pricing = next(
        o["value"]
        for o in options(selects[1]["element"])
        if o["text"]["text"].startswith("Per-seat")
    )
    payload = view_submission(
        coding, {selects[1]["block_id"]: pricing}, user=OWNER, team=sender.team
    )
    assert sender.interaction(payload).status == 200
    assert len(themes_of(server, sender.team)) == 2
    coded = rows(
        server,
        "SELECT i.text, t.name FROM insight i JOIN theme t ON t.id = i.theme_id"
        " WHERE i.team_id=:t ORDER BY i.id",
        t=sender.team,
    )
    assert coded[-1] == {
        "text": "Finance needs an invoice, not a credit card",
        "name": "Per-seat pricing stops them from inviting colleagues",
    }
    dm(slack, OWNER, "*2/3* this week · 2 insights · 0 new themes")


def test_closing_the_coding_step_keeps_the_suggestions(
    sender: SlackSender, slack: FakeSlack, server: Server
) -> None:
    open_question(sender, slack, "Why do trials stall?")
    log_interview(sender, slack, {Input.INSIGHTS: "Setup is slow"})
    answer = log_interview(sender, slack, {Input.INSIGHTS: "Setup is slow\nSSO is required"})
    closed = {
        "type": "view_closed",
        "team": {"id": sender.team},
        "user": {"id": OWNER, "team_id": sender.team},
        "api_app_id": "A1",
        "view": {"id": "VCODING" + sender.team, **answer["view"]},
        "is_cleared": False,
    }
    assert sender.interaction(closed).status == 200
    assert themes_of(server, sender.team) == ["Setup is slow", "SSO is required"]
    dm(slack, OWNER, "insights · 1 new theme")


def test_summary_validation_names_the_block_to_fix(
    sender: SlackSender, slack: FakeSlack, server: Server
) -> None:
    open_question(sender, slack, "Why do trials stall?")
    empty = log_interview(sender, slack, {Input.INTERVIEWEE: "Acme"})
    assert empty["errors"].keys() == {Input.INSIGHTS}
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    future = log_interview(sender, slack, {Input.INSIGHTS: "x", Input.HELD_ON: tomorrow})
    assert future["errors"].keys() == {Input.HELD_ON}
    many = log_interview(sender, slack, {Input.INSIGHTS: "\n".join(f"i{n}" for n in range(21))})
    assert many["errors"].keys() == {Input.INSIGHTS}
    nothing = log_interview(sender, slack, {Input.QUESTION: None, Input.INSIGHTS: "x"}, ref="")
    assert nothing["errors"].keys() == {Input.QUESTION}
    assert rows(server, "SELECT * FROM interview WHERE team_id=:t", t=sender.team) == []


def test_a_backfilled_interview_counts_in_its_own_week(
    sender: SlackSender, slack: FakeSlack, server: Server
) -> None:
    open_question(sender, slack, "Why do trials stall?")
    three_weeks_ago = date.today() - timedelta(weeks=3)
    assert (
        log_interview(
            sender, slack, {Input.INSIGHTS: "x", Input.HELD_ON: three_weeks_ago.isoformat()}
        )
        == {}
    )
    (interview,) = rows(server, "SELECT held_on FROM interview WHERE team_id=:t", t=sender.team)
    assert str(interview["held_on"]) == three_weeks_ago.isoformat()
    text = ephemeral(slack, sender.command("status #1"))
    assert "*This week:* 0/3" in text
    assert ": 1" in text.split("*Last weeks:*")[1].split("\n")[0]


def test_home_button_and_message_shortcut_open_the_same_modal(
    sender: SlackSender, slack: FakeSlack
) -> None:
    open_question(sender, slack, "Why do trials stall?")
    pressed = sender.interaction(block_action(Action.LOG, user=OWNER, team=sender.team))
    assert opened(slack, pressed)["callback_id"] == View.SUMMARY
    notes = "Call with Acme:\n• Setup takes a week\n• SSO is a must <!channel>"
    shortcut = sender.interaction(
        message_shortcut(
            Shortcut.LOG_FROM_MESSAGE,
            notes,
            user=OWNER,
            team=sender.team,
            response_url=slack.response_url(),
        )
    )
    view = opened(slack, shortcut)
    assert view["callback_id"] == View.SUMMARY
    # Opened at once, then drafted from the message (tests/test_drafting_e2e.py has more).
    shown = slack.wait_one("views.open", trigger_id=shortcut.trigger_id).result["view"]
    filled = slack.wait_one("views.update", view_id=shown["id"]).args["view"]
    assert block(filled, "struggling_moments")["element"]["initial_value"] == "Setup takes a week"


def test_planned_interview_gets_one_follow_up_through_tick(
    sender: SlackSender, slack: FakeSlack, server: Server
) -> None:
    open_question(sender, slack, "Why do trials stall?")
    view = opened(slack, sender.command("plan #1", user=OWNER))
    past = int((datetime.now(UTC) - timedelta(hours=1)).timestamp())
    answers = {Input.WHEN: past, Input.INTERVIEWEE: "Ada"}
    refused = sender.interaction(view_submission(view, answers, user=OWNER, team=sender.team))
    assert refused.json()["errors"].keys() == {Input.WHEN}
    planned = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    answers = {Input.WHEN: int(planned.timestamp()), Input.INTERVIEWEE: "Ada"}
    payload = view_submission(view, answers, user=OWNER, team=sender.team)
    assert sender.interaction(payload).status == 200
    dm(slack, OWNER, "Planned: an interview with Ada")

    def follow_ups() -> list:
        return [c for c in slack.of("chat.postMessage") if "How did it go?" in c.args["text"]]

    server.tick((planned + timedelta(minutes=59)).isoformat())
    assert follow_ups() == []
    # Slack down for the follow-up (other workspaces' reminders may share the tick): the
    # send is retried next tick.
    slack.fail("chat.postMessage", status=500, when=lambda args: "How did it go?" in args["text"])
    server.tick((planned + timedelta(minutes=61)).isoformat())
    assert follow_ups() == []
    server.tick((planned + timedelta(minutes=62)).isoformat())
    server.tick((planned + timedelta(minutes=63)).isoformat())
    (follow_up,) = follow_ups()
    assert follow_up.args["channel"] == OWNER and "*Ada*" in follow_up.args["text"]
    button = follow_up.args["blocks"][1]["elements"][0]

    pressed = sender.interaction(
        block_action(button["action_id"], button["value"], user=OWNER, team=sender.team)
    )
    view = opened(slack, pressed)
    assert block(view, Input.INTERVIEWEE)["element"]["initial_value"] == "Ada"
    assert block(view, Input.QUESTION)["element"]["initial_option"]["text"]["text"].startswith("#1")
    payload = view_submission(
        view,
        {Input.INSIGHTS: "Setup is slow", Input.HELD_ON: date.today().isoformat()},
        user=OWNER,
        team=sender.team,
    )
    assert sender.interaction(payload).status == 200
    (interview,) = rows(server, "SELECT * FROM interview WHERE team_id=:t", t=sender.team)
    assert str(interview["held_on"]) == date.today().isoformat()
    assert interview["id"] == int(button["value"])


def test_edit_and_delete_from_the_status_view(
    sender: SlackSender, slack: FakeSlack, server: Server
) -> None:
    open_question(sender, slack, "Why do trials stall?")
    log_interview(sender, slack, {Input.INSIGHTS: "Setup is slow\nSSO is required"})
    status = reply_to(slack, sender.command("status #1", user=OWNER))["blocks"]
    buttons = {e["action_id"]: e for b in status if b["type"] == "actions" for e in b["elements"]}
    edit, delete = buttons[Action.EDIT], buttons[Action.DELETE]
    assert delete["confirm"]

    # Someone else may not change it.
    refused = sender.interaction(
        block_action(
            Action.EDIT,
            edit["value"],
            user="UNOSY",
            team=sender.team,
            response_url=slack.response_url(),
        )
    )
    assert "Only the interviewer or the question's owner" in ephemeral(slack, refused)

    pressed = block_action(Action.EDIT, edit["value"], user=OWNER, team=sender.team)
    view = opened(slack, sender.interaction(pressed))
    assert (
        block(view, Input.INSIGHTS)["element"]["initial_value"] == "Setup is slow\nSSO is required"
    )
    payload = view_submission(view, {Input.INSIGHTS: "Setup is slow"}, user=OWNER, team=sender.team)
    coding = sender.interaction(payload).json()["view"]  # the question has themes: confirm them
    sender.interaction(view_submission(coding, {}, user=OWNER, team=sender.team))
    assert themes_of(server, sender.team) == ["Setup is slow"]  # the orphan theme went

    refused = sender.interaction(
        block_action(
            Action.DELETE,
            delete["value"],
            user="UNOSY",
            team=sender.team,
            response_url=slack.response_url(),
        )
    )
    assert "Only the interviewer" in ephemeral(slack, refused)
    deleted = sender.interaction(
        block_action(
            Action.DELETE,
            delete["value"],
            user=OWNER,
            team=sender.team,
            response_url=slack.response_url(),
        )
    )
    assert "Deleted the interview" in ephemeral(slack, deleted)
    assert rows(server, "SELECT * FROM interview WHERE team_id=:t", t=sender.team) == []
    assert themes_of(server, sender.team) == []
    assert "*Themes:* 0" in ephemeral(slack, sender.command("status #1", user=OWNER))


def test_jtbd_lines_without_key_insights_are_offered_ticked_and_one_can_be_left_out(
    sender: SlackSender, slack: FakeSlack, server: Server, team: str
) -> None:
    owner = "U" + team[1:]
    open_question(sender, slack, "Why is month end slow?", user=owner)
    answer = log_interview(
        sender,
        slack,
        {
            "struggling_moments": "Month end close takes three days",
            "motivations": "- Wants to leave on time\n- Likes the new office plants",
        },
        user=owner,
    )
    assert answer["response_action"] == "update"
    coding = answer["view"]
    assert "each line of the JTBD parts is offered" in json.dumps(coding)
    inputs = [b for b in coding["blocks"] if b["type"] == "input"]
    labels = [b["label"]["text"] for b in inputs if b["element"]["type"] == "static_select"]
    assert labels == [
        "Month end close takes three days",
        "Wants to leave on time",
        "Likes the new office plants",
    ]
    boxes = [b for b in inputs if b["element"]["type"] == "checkboxes"]
    assert len(boxes) == 3 and all(b["element"]["initial_options"] for b in boxes)

    unticked = {boxes[2]["block_id"]: None}
    payload = view_submission(coding, unticked, user=owner, team=sender.team)
    assert sender.interaction(payload).status == 200
    dm(slack, owner, "*1/3* this week · 2 insights · 2 new themes")
    assert themes_of(server, sender.team) == [
        "Month end close takes three days",
        "Wants to leave on time",
    ]
