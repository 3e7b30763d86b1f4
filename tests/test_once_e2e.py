"""End to end: a modal submitted again (Save pressed twice, ten times at once, or a retry)
has one effect and one confirmation; the second submission gets the first one's answer."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from bot.ids import Input
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.requests import SlackSender, view_submission
from tests.conftest import Server
from tests.flows import dm, open_question, opened, rows


@pytest.fixture
def owner(team: str) -> str:
    return "U" + team[1:]


def posts_to(slack: FakeSlack, user: str, containing: str) -> int:
    """How many DMs to `user` say `containing`, once a stray second one had time to come."""
    time.sleep(1)  # nothing more is supposed to come: give a duplicate the time to arrive
    return len(
        slack.calls_where("chat.postMessage", user=user, where=lambda a: containing in a["text"])
    )


def submit_at_once(sender: SlackSender, payload: dict, times: int) -> list[dict]:
    with ThreadPoolExecutor(times) as pool:
        replies = list(pool.map(sender.interaction, [payload] * times))
    assert [r.status for r in replies] == [200] * times
    return [json.loads(r.body) if r.body else {} for r in replies]


def summary(sender: SlackSender, slack: FakeSlack, owner: str, answers: dict) -> dict:
    view = opened(slack, sender.command("log #1", user=owner))
    return view_submission(view, answers, user=owner, team=sender.team)


def test_a_summary_submitted_ten_times_at_once_is_logged_and_confirmed_once(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    open_question(sender, slack, "Why do trials stall?", user=owner)
    payload = summary(sender, slack, owner, {Input.INSIGHTS: "Setup takes a week"})
    answers = submit_at_once(sender, payload, 10)
    assert answers == [{}] * 10  # the first answer (the modal closes), ten times
    dm(slack, owner, "Interview logged")
    assert posts_to(slack, owner, "Interview logged") == 1
    assert len(rows(server, "SELECT id FROM interview WHERE team_id=:t", t=sender.team)) == 1


def test_a_summary_submitted_again_gets_the_same_coding_step_and_one_confirmation(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    open_question(sender, slack, "Why do trials stall?", user=owner)
    first = summary(sender, slack, owner, {Input.INSIGHTS: "Setup takes a week"})
    sender.interaction(first)
    dm(slack, owner, "Interview logged")
    payload = summary(
        sender, slack, owner, {Input.INSIGHTS: "Setup takes a week\nPricing is vague"}
    )
    answers = submit_at_once(sender, payload, 3)
    assert [a["response_action"] for a in answers] == ["update"] * 3
    assert answers[0]["view"] == answers[1]["view"] == answers[2]["view"]
    coding = {**answers[0]["view"], "id": "VCODING" + sender.team}
    confirm = view_submission(coding, {}, user=owner, team=sender.team)
    submit_at_once(sender, confirm, 3)
    slack.wait_where(
        "chat.postMessage", lambda a: a["channel"] == owner and "2 insights" in a["text"]
    )
    assert posts_to(slack, owner, "Interview logged") == 2  # one for each interview
    assert len(rows(server, "SELECT id FROM interview WHERE team_id=:t", t=sender.team)) == 2


def test_a_new_question_submitted_twice_is_announced_once(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    view = opened(slack, sender.command("new Why do trials stall?", user=owner, channel="CPRODUCT"))
    payload = view_submission(view, {Input.SEGMENT: "recent_signups"}, user=owner, team=sender.team)
    submit_at_once(sender, payload, 2)
    dm(slack, owner, "is open")
    assert posts_to(slack, owner, "is open") == 1
    assert len(slack.calls_where("views.publish", user=owner)) == 1
    assert len(rows(server, "SELECT id FROM question WHERE team_id=:t", t=sender.team)) == 1


def test_a_plan_submitted_twice_is_confirmed_once(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    open_question(sender, slack, "Why do trials stall?", user=owner)
    view = opened(slack, sender.command("plan #1", user=owner))
    when = int((datetime.now(UTC) + timedelta(hours=2)).timestamp())
    answers = {Input.WHEN: when, Input.INTERVIEWEE: "Ada"}
    payload = view_submission(view, answers, user=owner, team=sender.team)
    submit_at_once(sender, payload, 2)
    dm(slack, owner, "Planned: an interview with Ada")
    assert posts_to(slack, owner, "Planned: an interview with Ada") == 1


def test_a_close_submitted_twice_closes_once_without_an_error(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    open_question(sender, slack, "Why do trials stall?", user=owner)
    view = opened(slack, sender.command("close #1", user=owner))
    payload = view_submission(view, {Input.OUTCOME: "answered"}, user=owner, team=sender.team)
    assert submit_at_once(sender, payload, 2) == [{}, {}]  # no "not open" error the second time
    dm(slack, owner, "is answered")
    assert posts_to(slack, owner, "is answered") == 1
