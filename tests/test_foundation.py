"""End to end: the real server process, signed requests, the fake Slack."""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlencode

import sqlalchemy as sa
from slack_bolt.async_app import AsyncBoltContext

from bot.ids import COMMAND
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.requests import SlackSender, get, sign
from tests.conftest import Server, running_server
from tests.flows import eventually, opened, reply_to


def test_the_server_starts_without_warnings(server: Server) -> None:
    # e.g. Bolt's "`token` will be unused": noise that would hide what matters.
    assert " WARNING " not in server.log.read_text().split("Application startup complete")[0]


def test_healthz_answers_when_the_database_does(server: Server) -> None:
    reply = get(server.url + "/healthz")
    assert reply.status == 200
    assert reply.json()["database"] == "up"


def test_healthz_is_503_when_the_database_does_not_answer(fake: FakeSlack, tmp_path) -> None:
    with running_server(fake, tmp_path, "--no-scheduler") as server:
        with server.engine.begin() as c:
            c.execute(sa.text("ALTER TABLE alembic_version RENAME TO moved_away"))
        assert get(server.url + "/healthz").status == 503
        with server.engine.begin() as c:
            c.execute(sa.text("ALTER TABLE moved_away RENAME TO alembic_version"))
        assert get(server.url + "/healthz").status == 200


def test_url_verification_echoes_the_challenge(sender: SlackSender) -> None:
    body = json.dumps({"type": "url_verification", "token": "t", "challenge": "abc123"})
    reply = sender.post(body, "application/json")
    assert reply.status == 200
    assert reply.json() == {"challenge": "abc123"}


def test_help_answers_ephemerally(sender: SlackSender, slack: FakeSlack) -> None:
    reply = sender.command("help")
    assert reply.status == 200
    answer = reply_to(slack, reply)
    assert answer["response_type"] == "ephemeral"
    assert "/discovery new" in answer["text"]
    assert not slack.of("chat.postMessage")


def test_unknown_subcommand_says_so_and_lists_help(sender: SlackSender, slack: FakeSlack) -> None:
    answer = reply_to(slack, sender.command("frobnicate <!channel>"))
    assert "`frobnicate`" in answer["text"]
    assert "/discovery list" in answer["text"]


def test_wrong_signature_is_refused_without_side_effects(
    sender: SlackSender, slack: FakeSlack, server: Server
) -> None:
    before = server.rows()
    form = urlencode({"command": COMMAND, "text": "help", "team_id": sender.team})
    reply = sender.post(form, "application/x-www-form-urlencoded", signature="v0=" + "0" * 64)
    assert reply.status == 401
    assert slack.calls == []
    assert server.rows() == before


def test_stale_timestamp_is_refused_without_side_effects(
    sender: SlackSender, slack: FakeSlack, server: Server
) -> None:
    before = server.rows()
    six_minutes_ago = int(time.time()) - 360
    form = urlencode({"command": COMMAND, "text": "help", "team_id": sender.team})
    signature = sign(form, six_minutes_ago)  # correctly signed, but too old
    reply = sender.post(
        form, "application/x-www-form-urlencoded", timestamp=six_minutes_ago, signature=signature
    )
    assert reply.status == 401
    assert slack.calls == []
    assert server.rows() == before


def test_each_request_logs_one_line_without_tokens_or_what_people_typed(
    sender: SlackSender, slack: FakeSlack, server: Server
) -> None:
    size = server.log.stat().st_size
    opened(slack, sender.command("new Why do our champions quit?", user="UWRITER"))
    eventually(lambda: "UWRITER" in server.log.read_text()[size:])  # once the answer went out
    logged = server.log.read_text()[size:]
    (line,) = [x for x in logged.splitlines() if "UWRITER" in x and " request " in x]
    assert f"team={sender.team} user=UWRITER kind=/discovery_new outcome=200 ms=" in line
    assert "champions" not in logged and "xoxb-" not in logged


def test_the_shared_http_session_keeps_the_clients_timeout() -> None:
    """slack_sdk applies its timeout only to sessions it makes; a slow Slack must not hold a
    reply (and a place in the backlog) for aiohttp's default 5 minutes."""
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.app import SharedHTTP

    async def first_request() -> float | None:
        shared = SharedHTTP(AsyncWebClient(timeout=7))
        context = AsyncBoltContext(client=None, response_url="https://hooks.slack.com/x")
        await shared.middleware(context, lambda: asyncio.sleep(0))
        assert context["respond"].session is shared.session
        total = shared.session.timeout.total
        await shared.close()
        return total

    assert asyncio.run(first_request()) == 7
