"""End to end: a scheduled DM Slack accepted goes out once, whatever became of its answer.

Slack has no idempotency key. A post whose connection was reset after Slack took it, whose
answer came after the client stopped waiting, or whose process died before marking it sent
must not be posted again: the next tick finds it in the DM by its message metadata.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta

import aiohttp
import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from bot import config
from bot.http import web_client
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.requests import SlackSender
from cadence.models import Delivery
from tests.conftest import Server, app_env, run_cli
from tests.test_cadence_e2e import BERLIN, REMINDER, dms, start_question

MONDAY = datetime.fromisoformat("2026-11-02T08:00:00+00:00")  # 09:00 in Berlin
WEEK = "2026-11-02"


@pytest.fixture
def owner(team: str) -> str:
    return "U" + team[1:]


@pytest.fixture(autouse=True)
def close_questions_after(server: Server, team: str) -> Iterator[None]:
    yield
    with server.engine.begin() as c:
        c.execute(sa.text("UPDATE question SET status='dropped' WHERE team_id=:t"), {"t": team})


def tick(server: Server, slack: FakeSlack, at: datetime, **settings: str) -> None:
    """`discovery-bot tick --at`, with Slack's clock at the same moment."""
    slack.clock = at.timestamp
    result = run_cli("tick", "--at", at.isoformat(), env={**server.env, **settings})
    assert result.returncode == 0, result.stderr


def reminder_row(server: Server, team: str, owner: str) -> Delivery:
    mine = (Delivery.team_id == team, Delivery.kind == "weekly_reminder", Delivery.target == owner)
    with Session(server.engine) as s:
        return s.exec(select(Delivery).where(*mine)).one()


def metadata(team: str, owner: str) -> dict:
    """What the reminder carries: its ledger key."""
    payload = {"team": team, "kind": "weekly_reminder", "target": owner, "period": WEEK}
    return {"event_type": "discovery_send", "event_payload": payload}


def looked_in_the_dm(slack: FakeSlack, owner: str) -> bool:
    return any(
        c.args["channel"] == "D" + owner and c.args.get("include_all_metadata") in ("1", "true")
        for c in slack.of("conversations.history")
    )


def test_a_post_slack_took_before_the_connection_reset_goes_out_once(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    start_question(sender, slack, server, owner, BERLIN)
    slack.lose("chat.postMessage", "reset", when=lambda a: a["channel"] == owner)
    tick(server, slack, MONDAY)
    (reminder,) = dms(slack, owner, REMINDER)  # not posted again on the reset
    assert reminder.args["metadata"] == metadata(sender.team, owner)
    assert reminder_row(server, sender.team, owner).sent_at is None  # its answer was lost

    tick(server, slack, MONDAY + timedelta(minutes=1))
    assert len(dms(slack, owner, REMINDER)) == 1
    assert looked_in_the_dm(slack, owner)
    assert reminder_row(server, sender.team, owner).sent_at is not None


def test_an_answer_slower_than_the_client_waits_is_not_sent_again(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    start_question(sender, slack, server, owner, BERLIN)
    slack.lose("chat.postMessage", "slow", seconds=3, when=lambda a: a["channel"] == owner)
    tick(server, slack, MONDAY, SLACK_API_TIMEOUT="1")
    assert len(dms(slack, owner, REMINDER)) == 1

    tick(server, slack, MONDAY + timedelta(minutes=1))
    tick(server, slack, MONDAY + timedelta(minutes=2))
    assert len(dms(slack, owner, REMINDER)) == 1
    assert reminder_row(server, sender.team, owner).sent_at is not None


@pytest.mark.parametrize("in_history", [True, False], ids=["had-posted", "had-not-posted"])
def test_a_send_a_killed_process_left_is_looked_for_before_it_goes_again(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str, in_history: bool
) -> None:
    start_question(sender, slack, server, owner, BERLIN)
    with Session(server.engine) as s:  # claimed at 09:00, then the process was killed
        key = {"team_id": sender.team, "kind": "weekly_reminder", "target": owner}
        s.add(Delivery(**key, period=WEEK, claimed_at=MONDAY))
        s.commit()
    if in_history:  # ... after Slack took the post
        posted = MONDAY + timedelta(seconds=2)
        slack.add_message("D" + owner, posted.timestamp(), metadata=metadata(sender.team, owner))

    tick(server, slack, MONDAY + timedelta(minutes=5))  # its lease is still live
    assert dms(slack, owner, REMINDER) == []
    tick(server, slack, MONDAY + timedelta(minutes=15))
    assert len(dms(slack, owner, REMINDER)) == (0 if in_history else 1)
    assert looked_in_the_dm(slack, owner)
    assert reminder_row(server, sender.team, owner).sent_at is not None
    tick(server, slack, MONDAY + timedelta(minutes=16))
    assert len(dms(slack, owner, REMINDER)) == (0 if in_history else 1)


def test_a_read_is_retried_on_a_reset_connection_and_a_post_is_not(
    slack: FakeSlack, owner: str
) -> None:
    client = web_client(config.load(app_env(slack, "sqlite:///unused.db"), requests=False))
    slack.lose("users.info", "reset", when=lambda a: a["user"] == owner)
    found = asyncio.run(client.users_info(user=owner))
    assert found["user"]["id"] == owner and len(slack.of("users.info")) == 2

    slack.lose("chat.postMessage", "reset", when=lambda a: a["channel"] == owner)
    with pytest.raises(aiohttp.ClientError):
        asyncio.run(client.chat_postMessage(channel=owner, text="Once"))
    assert len(slack.of("chat.postMessage")) == 1
