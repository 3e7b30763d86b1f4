"""End to end: nothing lost, nothing duplicated, never a 500, whatever Slack or a forger sends."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.ids import Action, Input, Meta, View
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.requests import SlackSender, block_action, view_submission
from bot.server import readable
from tests.conftest import Server, running_server
from tests.flows import dm, ephemeral, open_question, opened, questions_of, reply_to, rows


@pytest.fixture
def owner(team: str) -> str:
    return "U" + team[1:]


def summary_view(sender: SlackSender, slack: FakeSlack, owner: str) -> dict:
    view = opened(slack, sender.command("log #1", user=owner))
    return {**view, "id": "VSUMMARY" + sender.team}


def test_a_slow_slack_neither_delays_the_answer_nor_duplicates_an_interview(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    open_question(sender, slack, "Why do trials stall?", user=owner)
    view = summary_view(sender, slack, owner)
    with server.engine.begin() as c:  # the cached zone is a day old: a lookup is due
        c.execute(
            sa.text("UPDATE member SET fetched_at=:old WHERE team_id=:t"),
            {"old": datetime(2026, 1, 1), "t": sender.team},
        )
    slack.delays["users.info"] = 4
    payload = view_submission(
        view, {Input.INSIGHTS: "Setup takes a week"}, user=owner, team=sender.team
    )
    started = time.monotonic()
    assert sender.interaction(payload).status == 200
    assert time.monotonic() - started < 3  # answered within Slack's window
    assert sender.interaction(payload).status == 200  # Save pressed again: stored once
    stored = rows(server, "SELECT id FROM interview WHERE team_id=:t", t=sender.team)
    assert len(stored) == 1


def test_twenty_new_questions_at_once_each_get_their_own_number(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    view = opened(slack, sender.command("new Why?", user=owner, channel="CPRODUCT"))
    payloads = [
        view_submission(
            {**view, "id": f"V{n}"},
            {Input.TEXT: f"Question {n}", Input.SEGMENT: "superstars"},
            user=owner,
            team=sender.team,
        )
        for n in range(20)
    ]
    with ThreadPoolExecutor(20) as pool:
        statuses = [r.status for r in pool.map(sender.interaction, payloads)]
    assert statuses == [200] * 20
    assert sorted(q["number"] for q in questions_of(server, sender.team)) == list(range(1, 21))


def test_a_failed_side_effect_does_not_skip_the_others(
    sender: SlackSender, slack: FakeSlack, owner: str
) -> None:
    # The "created" DM fails: the owner's Home is still published.
    slack.fail("chat.postMessage", status=500, retry_after=None)
    open_question(sender, slack, "Why do trials stall?", user=owner)
    slack.wait_where("views.publish", lambda a: a["user_id"] == owner)
    # The Home publish fails after an interview: the "Interview logged" DM still comes.
    slack.fail("views.publish", status=500, retry_after=None, when=lambda a: a["user_id"] == owner)
    view = summary_view(sender, slack, owner)
    sender.interaction(
        view_submission(view, {Input.INSIGHTS: "Setup"}, user=owner, team=sender.team)
    )
    slack.wait_where("views.publish:failed", lambda a: a["user_id"] == owner)
    dm(slack, owner, "Interview logged")


FORGED = [
    (Action.LOG, "²"),
    (Action.GUIDE, "9" * 30),
    (Action.EDIT, "-1"),
    (Action.DELETE, "1e9"),
    (Action.SKIP_WEEK, "²:2026-11-23"),
    (Action.PLAN, "x"),
    (Action.CLOSE_ANSWERED, "9" * 12),
]


@pytest.mark.parametrize(("action_id", "value"), FORGED)
def test_forged_button_values_get_an_answer_not_a_500(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str, action_id: str, value: str
) -> None:
    before = server.rows(sender.team)
    payload = block_action(
        action_id, value, user=owner, team=sender.team, response_url=slack.response_url()
    )
    assert sender.interaction(payload).status == 200
    written = server.rows(sender.team)
    written.pop("member"), before.pop("member")  # the time-zone cache of users.info may fill
    assert written == before


def test_forged_modal_submissions_get_an_answer_not_a_500(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    open_question(sender, slack, "Why do trials stall?", user=owner)
    view = summary_view(sender, slack, owner)
    sent = view_submission(view, {Input.INSIGHTS: "x"}, user=owner, team=sender.team)
    for shape in ({"values": []}, "nope"):  # not a view's shape: refused before any listener
        assert sender.interaction({**sent, "view": {**sent["view"], "state": shape}}).status == 400
    odd = [
        {**sent, "view": {**sent["view"], "private_metadata": "{not json"}},
        {
            **sent,
            "view": {**sent["view"], "private_metadata": json.dumps({Meta.INTERVIEW_ID: "²"})},
        },
        {**sent, "view": {**sent["view"], "callback_id": View.CLOSE_QUESTION}},
        {**sent, "view": {**sent["view"], "callback_id": View.CODING}},
    ]
    for payload in odd:
        assert sender.interaction(payload).status == 200, payload["view"]["callback_id"]
    far = int((datetime.now(UTC) + timedelta(days=400)).timestamp())  # fits the column
    plan = opened(slack, sender.command("plan #1", user=owner))
    assert plan["callback_id"] == View.PLAN
    reply = sender.interaction(
        view_submission(plan, {Input.WHEN: far}, user=owner, team=sender.team)
    )
    assert reply.json()["errors"] == {Input.WHEN: "Pick a time within the next year."}
    long = {part: "x" * 5000 for part in ("motivations", Input.QUOTE)}
    reply = sender.interaction(view_submission(view, long, user=owner, team=sender.team))
    assert reply.json()["errors"].keys() == {"motivations", Input.QUOTE}


def test_closing_a_question_that_is_gone_says_so(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    open_question(sender, slack, "Why do trials stall?", user=owner)
    view = opened(slack, sender.command("close #1", user=owner))
    with server.engine.begin() as c:
        c.execute(sa.text("DELETE FROM question WHERE team_id=:t"), {"t": sender.team})
    reply = sender.interaction(
        view_submission(view, {Input.OUTCOME: "answered"}, user=owner, team=sender.team)
    )
    assert reply.json()["errors"].keys() == {Input.OUTCOME}


def test_a_number_too_big_for_the_column_is_no_question(
    sender: SlackSender, slack: FakeSlack
) -> None:
    reply = sender.command("status #99999999999999999999")
    assert "No question matches" in ephemeral(slack, reply)


def test_ids_that_are_not_slack_ids_are_refused(sender: SlackSender, server: Server) -> None:
    before = server.rows(sender.team)
    assert sender.command("list", user="U" + "X" * 40).status == 400
    assert sender.command("list", user="u<script>").status == 400
    assert server.rows(sender.team) == before


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\xff\xfe not utf-8", "application/x-www-form-urlencoded"),
        (b"payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),  # a list
        (b"payload=%7Bnot", "application/x-www-form-urlencoded"),
        (b"[1, 2]", "application/json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (b"payload=" + b"%5B" * 100_000, "application/x-www-form-urlencoded"),
    ],
    ids=["utf8", "list-payload", "broken-payload", "json-list", "deep-json", "deep-payload"],
)
def test_bodies_slack_never_sends_get_a_400_and_no_traceback(
    server: Server, sender: SlackSender, body: bytes, content_type: str
) -> None:
    assert not readable(body, content_type)  # refused before Bolt parses it
    size = server.log.stat().st_size
    reply = sender.post(body, content_type)
    assert reply.status == 400
    assert "Traceback" not in server.log.read_text()[size:]


class Unreachable:
    """Where a server finds no Slack Web API: a port nothing listens on."""

    api_url = "http://127.0.0.1:9/api/"


def test_with_slack_unreachable_commands_still_answer_at_once(
    fake: FakeSlack, tmp_path: Path
) -> None:
    fake.reset()
    with running_server(Unreachable(), tmp_path, "--no-scheduler") as s:  # type: ignore[arg-type]
        sender = SlackSender(s.url, fake.response_url, team="TDOWN")
        started = time.monotonic()
        helped = sender.command("help")
        assert helped.status == 200
        assert time.monotonic() - started < 1.5
        assert "Discovery Cadence" in reply_to(fake, helped)["text"]


def test_the_coding_step_closed_with_someone_elses_interview_tells_nobody(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    open_question(sender, slack, "Why do trials stall?", user=owner)
    view = summary_view(sender, slack, owner)
    sender.interaction(
        view_submission(view, {Input.INSIGHTS: "Setup"}, user=owner, team=sender.team)
    )
    (interview,) = rows(server, "SELECT id FROM interview WHERE team_id=:t", t=sender.team)
    mark = len(slack.calls)
    closed = {
        "type": "view_closed",
        "team": {"id": sender.team},
        "user": {"id": "UINTRUDER", "team_id": sender.team},
        "api_app_id": "A1",
        "view": {
            "id": "VCLOSED" + sender.team,
            "type": "modal",
            "callback_id": View.CODING,
            "private_metadata": json.dumps({Meta.INTERVIEW_ID: interview["id"]}),
            "state": {"values": {}},
        },
    }
    assert sender.interaction(closed).status == 200
    # A later request, to know the first one was handled.
    reply_to(slack, sender.command("help", user=owner))
    assert slack.calls_where("chat.postMessage", user="UINTRUDER", after=mark) == []


def test_an_event_slack_retries_is_handled_once(
    sender: SlackSender, slack: FakeSlack, owner: str
) -> None:
    event = {"type": "app_home_opened", "user": owner, "channel": "D1", "tab": "home"}
    envelope_id = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    first = sender.event(event, event_id="EvSAME" + sender.team)
    again = sender.event(event, event_id="EvSAME" + sender.team, headers=envelope_id)
    assert first.status == again.status == 200
    slack.wait_where("views.publish", lambda a: a["user_id"] == owner)
    reply_to(slack, sender.command("help", user=owner))
    assert len(slack.calls_where("views.publish", user=owner)) == 1


def test_log_and_plan_with_no_open_question_offer_to_open_one(
    sender: SlackSender, slack: FakeSlack, owner: str
) -> None:
    for word in ("log", "plan"):
        view = opened(slack, sender.command(word, user=owner))
        assert view["callback_id"] == View.NO_QUESTION
        assert '"options": []' not in json.dumps(view)
        assert Action.NEW_QUESTION in json.dumps(view)


def test_an_overloaded_server_says_busy_at_once_instead_of_answering_late(
    fake: FakeSlack, tmp_path: Path
) -> None:
    # No room for work after the answer: every command is over the backlog.
    with running_server(fake, tmp_path, "--no-scheduler", settings={"MAX_BACKLOG": "0"}) as s:
        mine: list[str] = []

        def response_url() -> str:
            mine.append(fake.response_url())
            return mine[-1]

        sender = SlackSender(s.url, response_url, team="TBUSY")
        reply = sender.command("list", user="UBUSY")
        assert reply.status == 200
        assert reply.json()["response_type"] == "ephemeral"
        assert "Try again in a moment" in reply.json()["text"]
        sender.command("help", user="UBUSY")
        time.sleep(0.5)  # work that was not accepted must not happen later either
        answered = {fake.url + c.args["_url"] for c in fake.of("response_url")}
        assert answered.isdisjoint(mine)
