"""Steps many end-to-end tests take, done the way a person in Slack does them."""

from __future__ import annotations

import json

import sqlalchemy as sa

from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.requests import SlackSender, view_submission
from tests.conftest import Server

OWNER = "UOWNER"


def last_view(slack: FakeSlack, method: str = "views.open") -> dict:
    return slack.of(method)[-1].args["view"]


def open_question(
    sender: SlackSender,
    slack: FakeSlack,
    text: str,
    *,
    user: str = OWNER,
    answers: dict | None = None,
) -> dict:
    """Run `/discovery new`, fill the modal and submit it; returns the app's HTTP answer."""
    opened = len(slack.of("views.open"))
    sender.command(f"new {text}", user=user, channel="CPRODUCT")
    slack.wait_for("views.open", opened + 1)
    view = last_view(slack)
    payload = view_submission(
        view, {"segment": "recent_signups", **(answers or {})}, user=user, team=sender.team
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


def ephemeral(slack: FakeSlack, count: int = 1) -> str:
    call = slack.wait_for("response_url", count)[count - 1]
    assert call.args["response_type"] == "ephemeral"
    return call.args["text"] + "\n" + json.dumps(call.args.get("blocks", []))


def rows(server: Server, sql: str, **params: object) -> list[dict]:
    with server.engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(sa.text(sql), params)]


def block(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def opened(slack: FakeSlack, before: int) -> dict:
    return slack.wait_for("views.open", before + 1)[before].args["view"]


def view_id(slack: FakeSlack, index: int) -> str:
    """The id Slack gave the `index`-th view opened."""
    return slack.wait_for("views.open", index + 1)[index].result["view"]["id"]


def log_interview(
    sender: SlackSender, slack: FakeSlack, answers: dict, *, ref: str = "#1", user: str = OWNER
) -> dict:
    """`/discovery log`, fill the summary, submit; returns the app's answer to the submission."""
    before = len(slack.of("views.open"))
    sender.command(f"log {ref}", user=user)
    view = opened(slack, before)
    reply = sender.interaction(view_submission(view, answers, user=user, team=sender.team))
    assert reply.status == 200
    return json.loads(reply.body) if reply.body else {}
