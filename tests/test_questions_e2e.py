"""End to end: /discovery subcommands, the new-question and close modals, the Home tab."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.requests import SlackSender, block_action, view_submission
from tests.conftest import Server
from tests.flows import OWNER, dm, ephemeral, open_question, questions_of


def test_new_opens_a_prefilled_modal_with_defaults(sender: SlackSender, slack: FakeSlack) -> None:
    sender.command("new Why do trials stall?", user=OWNER, channel="CPRODUCT")
    view = slack.wait_for("views.open")[0].args["view"]
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["text"]["element"]["initial_value"] == "Why do trials stall?"
    assert blocks["owner"]["element"]["initial_user"] == OWNER
    assert blocks["channel"]["element"]["initial_conversation"] == "CPRODUCT"
    assert blocks["target"]["element"]["initial_value"] == "3"
    options = blocks["segment"]["element"]["options"]
    assert [o["value"] for o in options] == [
        "recent_signups",
        "recent_cancellations",
        "superstars",
        "competitor_advocates",
        "solution_advocates",
        "other",
    ]
    assert all(o["description"]["text"] for o in options)


def test_new_question_is_stored_and_confirmed_to_the_owner(
    sender: SlackSender, slack: FakeSlack, server: Server
) -> None:
    answer = open_question(sender, slack, "Why do trials stall?")
    assert answer == {}  # the modal closes
    (q,) = questions_of(server, sender.team)
    assert (q["number"], q["text"], q["owner_id"], q["channel_id"]) == (
        1,
        "Why do trials stall?",
        OWNER,
        "CPRODUCT",
    )
    assert (q["segment"], q["weekly_target"], q["status"]) == ("recent_signups", 3, "open")
    created = dm(slack, OWNER, "Question *#1* is open")
    buttons = [e for b in created["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons[0]["action_id"] == "show_guide"
    assert buttons[0]["value"] == str(q["id"])
    slack.wait_for("views.publish")  # the owner's Home tab follows


@pytest.mark.parametrize(
    ("answers", "block"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 301}, "text"),
        ({"segment": None}, "segment"),
        ({"target": "0"}, "target"),
        ({"target": "11"}, "target"),
        ({"target": "2.5"}, "target"),
        ({"channel": None}, "channel"),
    ],
    ids=["empty", "too-long", "no-segment", "target-0", "target-11", "target-decimal", "no-chan"],
)
def test_invalid_new_question_comes_back_with_errors_and_stores_nothing(
    sender: SlackSender, slack: FakeSlack, server: Server, answers: dict, block: str
) -> None:
    answer = open_question(sender, slack, "Why do trials stall?", answers=answers)
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [block]
    assert questions_of(server, sender.team) == []
    assert not slack.of("chat.postMessage")


def test_someone_else_can_be_made_owner(
    sender: SlackSender, slack: FakeSlack, server: Server
) -> None:
    open_question(sender, slack, "Who churns in month two?", user="UPM", answers={"owner": "UDEV"})
    (q,) = questions_of(server, sender.team)
    assert (q["owner_id"], q["created_by"]) == ("UDEV", "UPM")
    for user in ("UDEV", "UPM"):
        dm(slack, user, "Question *#1* is open")


def test_list_shows_every_open_question_with_progress(
    sender: SlackSender, slack: FakeSlack
) -> None:
    open_question(sender, slack, "Why do trials stall?")
    open_question(sender, slack, "What do superstars do first?", user="UOTHER")
    sender.command("list", user="USOMEONE")
    text = ephemeral(slack)
    assert "*#1* Why do trials stall?" in text
    assert "*#2* What do superstars do first?" in text
    assert "0/3 this week" in text
    assert "building the base (0 of 4 interviews)" in text
    assert "<@UOTHER>" in text


def test_list_with_no_questions_says_how_to_start(sender: SlackSender, slack: FakeSlack) -> None:
    sender.command("list")
    assert "No open questions yet" in ephemeral(slack)


def test_user_text_is_escaped_once_so_it_cannot_ping(sender: SlackSender, slack: FakeSlack) -> None:
    open_question(sender, slack, "Do <!channel> & <@U999> pings work?")
    sender.command("list")
    text = ephemeral(slack)
    assert "&lt;!channel&gt; &amp; &lt;@U999&gt;" in text
    assert "<!channel>" not in text and "&amp;lt;" not in text


def test_status_without_argument_shows_the_callers_questions(
    sender: SlackSender, slack: FakeSlack
) -> None:
    open_question(sender, slack, "Why do trials stall?")
    open_question(sender, slack, "Not mine", user="UOTHER")
    sender.command("status", user=OWNER)
    text = ephemeral(slack)
    assert "Why do trials stall?" in text and "Not mine" not in text
    for part in ("*This week:* 0/3", "*Last weeks:*", "*Streak:* 0 weeks", "*Themes:* 0"):
        assert part in text
    assert "building the base (0 of 4 interviews)" in text


def test_status_names_a_question_by_number_or_fragment(
    sender: SlackSender, slack: FakeSlack
) -> None:
    open_question(sender, slack, "Why do trials stall?")
    open_question(sender, slack, "Why do admins invite nobody?")
    sender.command("status #2")
    assert "Why do admins invite nobody?" in ephemeral(slack, 1)
    sender.command("status 1")
    assert "Why do trials stall?" in ephemeral(slack, 2)
    sender.command("status TRIALS")
    assert "Why do trials stall?" in ephemeral(slack, 3)


def test_ambiguous_and_unknown_references(sender: SlackSender, slack: FakeSlack) -> None:
    open_question(sender, slack, "Why do trials stall?")
    open_question(sender, slack, "Why do admins invite nobody?")
    sender.command("status why do")
    text = ephemeral(slack, 1)
    assert "matches 2 questions" in text and "*#1*" in text and "*#2*" in text
    sender.command("status pricing")
    assert "No question matches “pricing”" in ephemeral(slack, 2)
    sender.command("status #9")
    assert "No question matches “#9”" in ephemeral(slack, 3)


def test_another_workspace_cannot_see_or_name_the_questions(
    sender: SlackSender, slack: FakeSlack
) -> None:
    open_question(sender, slack, "Why do trials stall?")
    sender.command("list", team="TOTHER")
    assert "No open questions yet" in ephemeral(slack, 1)
    sender.command("status #1", team="TOTHER")
    assert "No question matches" in ephemeral(slack, 2)
    sender.command("close trials", user=OWNER, team="TOTHER")
    assert "No question matches" in ephemeral(slack, 3)


def test_only_the_owner_closes(sender: SlackSender, slack: FakeSlack, server: Server) -> None:
    open_question(sender, slack, "Why do trials stall?")
    opened = len(slack.of("views.open"))
    sender.command("close #1 we know", user="UINTRUDER")
    assert "Only the owner, <@UOWNER>, can close *#1*" in ephemeral(slack)
    assert len(slack.of("views.open")) == opened
    assert questions_of(server, sender.team)[0]["status"] == "open"


def test_owner_closes_through_the_modal(
    sender: SlackSender, slack: FakeSlack, server: Server
) -> None:
    open_question(sender, slack, "Why do trials stall?")
    sender.command("close #1 Setup takes a week", user=OWNER)
    view = slack.wait_for("views.open", 2)[-1].args["view"]
    conclusion = next(b for b in view["blocks"] if b.get("block_id") == "conclusion")
    assert conclusion["element"]["initial_value"] == "Setup takes a week"

    missing = sender.interaction(view_submission(view, {}, user=OWNER, team=sender.team)).json()
    assert missing["response_action"] == "errors" and "outcome" in missing["errors"]

    payload = view_submission(view, {"outcome": "answered"}, user=OWNER, team=sender.team)
    assert sender.interaction(payload).status == 200
    (q,) = questions_of(server, sender.team)
    assert (q["status"], q["conclusion"]) == ("answered", "Setup takes a week")
    assert q["closed_at"] is not None
    sender.command("list")
    assert "No open questions yet" in ephemeral(slack)


def test_close_without_argument_picks_the_callers_only_question(
    sender: SlackSender, slack: FakeSlack
) -> None:
    sender.command("close", user=OWNER)
    assert "You own no open questions" in ephemeral(slack, 1)
    open_question(sender, slack, "Why do trials stall?")
    sender.command("close", user=OWNER)
    assert slack.wait_for("views.open", 2)[-1].args["view"]["callback_id"] == "close_question"
    open_question(sender, slack, "Why do admins invite nobody?")
    sender.command("close", user=OWNER)
    assert "Which question do you want to close?" in ephemeral(slack, 2)


def test_guide_follows_the_questions_segment(sender: SlackSender, slack: FakeSlack) -> None:
    open_question(
        sender, slack, "Why do people cancel?", answers={"segment": "recent_cancellations"}
    )
    sender.command("guide #1")
    text = ephemeral(slack)
    assert "Why did you quit?" in text
    assert "it's about them and their context, not you and your product" in text
    for part in (
        "Struggling moments",
        "Driving forces",
        "Existing solutions",
        "Alternative solutions",
        "Motivations",
        "Desired outcomes",
    ):
        assert part in text


def test_guide_button_opens_the_guide(
    sender: SlackSender, slack: FakeSlack, server: Server
) -> None:
    open_question(sender, slack, "Why do trials stall?")
    qid = questions_of(server, sender.team)[0]["id"]
    sender.interaction(block_action("show_guide", str(qid), user=OWNER, team=sender.team))
    view = slack.wait_for("views.open", 2)[-1].args["view"]
    assert "Why did you sign up?" in json.dumps(view)


def test_home_tab_lists_the_users_questions_with_buttons(
    sender: SlackSender, slack: FakeSlack
) -> None:
    open_question(sender, slack, "Why do trials stall?")
    published = len(slack.wait_for("views.publish"))
    sender.event({"type": "app_home_opened", "user": OWNER, "channel": "D1", "tab": "home"})
    call = slack.wait_for("views.publish", published + 1)[-1]
    assert call.args["user_id"] == OWNER
    home = json.dumps(call.args["view"])
    assert "Why do trials stall?" in home and "0/3" in home
    assert "new_question_button" in home and "log_interview" in home


def test_home_tab_stays_within_100_blocks(
    sender: SlackSender, slack: FakeSlack, server: Server
) -> None:
    owner = "U" + sender.team[1:]
    with server.engine.begin() as c:
        for n in range(1, 131):
            c.execute(
                sa.text(
                    "INSERT INTO question (team_id, number, text, hypothesis, segment, owner_id,"
                    " channel_id, weekly_target, status, conclusion, created_by, created_at,"
                    " updated_at) VALUES (:t, :n, :x, '', 'other', :o, 'C1', 3, 'open', '', :o,"
                    " '2026-11-01 00:00:00', '2026-11-01 00:00:00')"
                ),
                {"t": sender.team, "n": n, "x": f"Question {n}", "o": owner},
            )
    sender.event({"type": "app_home_opened", "user": owner, "channel": "D1", "tab": "home"})
    # The publish for this workspace's owner: work of earlier tests may still be arriving.
    view = slack.wait_where("views.publish", lambda a: a["user_id"] == owner).args["view"]
    assert len(view["blocks"]) == 100
    assert "more" in json.dumps(view["blocks"][-1])
    sender.command("list")
    assert len(slack.wait_for("response_url")[0].args["blocks"]) == 50


def test_new_question_button_on_home_opens_the_modal(sender: SlackSender, slack: FakeSlack) -> None:
    sender.interaction(block_action("new_question_button", user=OWNER, team=sender.team))
    view = slack.wait_for("views.open")[0].args["view"]
    assert view["callback_id"] == "new_question"


def test_a_slack_failure_is_explained_to_the_user(sender: SlackSender, slack: FakeSlack) -> None:
    slack.fail("views.open", status=500)
    sender.command("new Why do trials stall?")
    assert "Something went wrong" in ephemeral(slack)


def test_a_rate_limited_send_is_retried_after_retry_after(
    sender: SlackSender, slack: FakeSlack
) -> None:
    slack.fail("chat.postMessage", status=429, retry_after=1)
    open_question(sender, slack, "Why do trials stall?")
    dm(slack, OWNER, "Question *#1* is open")
    assert "chat.postMessage:failed" in slack.methods()


def test_long_user_text_stays_within_block_kit_limits(
    sender: SlackSender, slack: FakeSlack
) -> None:
    # Escaping makes "&" five characters long: 3,000 typed become 15,000 shown.
    open_question(sender, slack, "Why?" + "&" * 290, answers={"hypothesis": "& " * 1500})
    sender.command("status #1")
    blocks = slack.wait_for("response_url")[0].args["blocks"]
    texts = [b["text"]["text"] for b in blocks]
    assert "*Streak:*" in texts[0] and "*Saturation:*" in texts[0]  # the status, whole
    assert all(len(t) <= 3000 for t in texts) and len(texts) >= 4
    assert "".join(texts[1:]).count("&amp;") == 1500  # the hypothesis, whole, none cut
