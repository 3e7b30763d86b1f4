"""Steps many end-to-end tests take, done the way a person in Slack does them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa

from bot.ids import Input
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.requests import Reply, SlackSender, view_submission
from tests.conftest import Server

OWNER = "UOWNER"
T = TypeVar("T")


def eventually(check: Callable[[], T], timeout: float = 5.0, what: str = "") -> T:
    """What `check` gives once it is truthy, polled: the app does its work after its 200, so
    what it wrote or said lands a little later. Fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, what or "the check never held"
        time.sleep(0.05)
    return found


def open_question(
    sender: SlackSender,
    slack: FakeSlack,
    text: str,
    *,
    user: str = OWNER,
    answers: dict | None = None,
) -> dict:
    """Run `/discovery new`, fill the modal and submit it; returns the app's HTTP answer."""
    view = opened(slack, sender.command(f"new {text}", user=user, channel="CPRODUCT"))
    payload = view_submission(
        view, {Input.SEGMENT: "recent_signups", **(answers or {})}, user=user, team=sender.team
    )
    reply = sender.interaction(payload)
    assert reply.status == 200
    return json.loads(reply.body) if reply.body else {}


def questions_of(server: Server, team: str) -> list[dict]:
    with server.engine.connect() as c:
        rows = c.execute(
            sa.text("SELECT * FROM question WHERE team_id = :t ORDER BY number"), {"t": team}
        )
        return [dict(r._mapping) for r in rows]


def dm(slack: FakeSlack, user: str, containing: str) -> dict:
    """The DM to `user` with `containing` in its text, waited for: work of earlier tests may
    still be arriving, so an assertion names the message it means, never "the last one"."""
    return slack.wait_where(
        "chat.postMessage", lambda a: a["channel"] == user and containing in a["text"]
    ).args


def reply_to(slack: FakeSlack, request: Reply, timeout: float = 10.0) -> dict:
    """The reply to `request` on its own response_url, waited for."""
    return slack.wait_one("response_url", timeout, response_url=request.response_url).args


def ephemeral(slack: FakeSlack, request: Reply) -> str:
    """The ephemeral reply to `request`: its text and its blocks."""
    args = reply_to(slack, request)
    assert args["response_type"] == "ephemeral"
    return args["text"] + "\n" + json.dumps(args.get("blocks", []))


def rows(server: Server, sql: str, **params: object) -> list[dict]:
    with server.engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(sa.text(sql), params)]


def block(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def options(element: dict) -> list[dict]:
    """A select's options, across its option groups."""
    groups = element.get("option_groups", [])
    return [o for g in groups for o in g["options"]] + element.get("options", [])


def opened(slack: FakeSlack, request: Reply, method: str = "views.open") -> dict:
    """The modal `request` opened (or pushed, with `method`), by the request's trigger_id."""
    return slack.wait_one(method, trigger_id=request.trigger_id).args["view"]


def log_interview(
    sender: SlackSender, slack: FakeSlack, answers: dict, *, ref: str = "#1", user: str = OWNER
) -> dict:
    """`/discovery log`, fill the summary, submit; returns the app's answer to the submission."""
    view = opened(slack, sender.command(f"log {ref}", user=user))
    reply = sender.interaction(view_submission(view, answers, user=user, team=sender.team))
    assert reply.status == 200
    return json.loads(reply.body) if reply.body else {}
