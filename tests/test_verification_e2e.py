"""End to end: a request Slack did not sign is answered 401 and has no other effect, in
token and in OAuth mode; a signed one of a shape no listener reads is answered 400; no reply
goes anywhere but to Slack's own hosts."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest

from bot.ids import COMMAND, Action, Shortcut, View
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.requests import SlackSender, block_action, message_shortcut, sign
from tests.conftest import Server, fresh_database
from tests.test_oauth_e2e import oauth_server


class Trap:
    """A second listener, on a loopback address other than the fake Slack's: any request it
    receives is a reply sent where only the sender of a forged body wanted it."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        trap = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                trap.paths.append(self.path)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.2:{self.server.server_address[1]}/x"


@pytest.fixture
def trap() -> Iterator[Trap]:
    t = Trap()
    yield t
    t.server.shutdown()
    t.server.server_close()


@pytest.fixture(scope="module")
def oauth(fake: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("oauth-verification")
    with fresh_database(workdir) as url, oauth_server(fake, workdir, url) as server:
        yield server


def bodies(team: str, reply_to: str) -> dict[str, tuple[str, str]]:
    """A command, a button and a message shortcut of the workspace's user "U<team>", each
    naming `reply_to` as its response_url; and an event."""
    user = "U" + team[1:]
    command = {
        "command": COMMAND,
        "text": "list",
        "team_id": team,
        "user_id": user,
        "trigger_id": "t.1",
        "response_url": reply_to,
    }
    button = block_action(Action.LOG, "1", user=user, team=team, response_url=reply_to)
    shortcut = message_shortcut(
        Shortcut.LOG_FROM_MESSAGE, "notes", user=user, team=team, response_url=reply_to
    )
    home = {"type": "app_home_opened", "user": user, "tab": "home"}
    event = {"type": "event_callback", "team_id": team, "event": home}
    form = "application/x-www-form-urlencoded"
    return {
        "command": (urlencode(command), form),
        "button": (urlencode({"payload": json.dumps(button)}), form),
        "shortcut": (urlencode({"payload": json.dumps(shortcut)}), form),
        "event": (json.dumps({**event, "event_id": "Ev1"}), "application/json"),
    }


def forgeries(body: str) -> dict[str, dict[str, str]]:
    """Headers of requests that Slack did not sign, or signed too long ago or ahead."""
    now = int(time.time())
    signed = sign(body, now)
    return {
        "non-numeric timestamp": {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"},
        "fractional timestamp": {"X-Slack-Request-Timestamp": "1.5", "X-Slack-Signature": signed},
        "empty timestamp": {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": signed},
        "out of range": {"X-Slack-Request-Timestamp": "9" * 30, "X-Slack-Signature": signed},
        "stale": {"X-Slack-Request-Timestamp": str(now - 301), "X-Slack-Signature": signed},
        "future": {"X-Slack-Request-Timestamp": str(now + 301), "X-Slack-Signature": signed},
        "bad signature": {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": "v0=00"},
        "no signature": {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": ""},
        "other secret": {
            "X-Slack-Request-Timestamp": str(now),
            "X-Slack-Signature": sign(body, now, "not-the-secret"),
        },
    }


def refused_without_effect(server: Server, slack: FakeSlack, trap: Trap, team: str) -> None:
    size = server.log.stat().st_size
    before = server.rows(team)
    for kind, (body, content_type) in bodies(team, trap.url).items():
        for name, headers in forgeries(body).items():
            sender = SlackSender(server.url, slack.response_url, team=team)
            reply = sender.post(body, content_type, headers=headers)
            assert reply.status == 401, (kind, name)
    time.sleep(0.5)  # nothing is supposed to happen: give a stray reply time to arrive
    assert trap.paths == []
    user = "U" + team[1:]
    assert [c for c in slack.calls if user in str(c.args)] == []
    assert server.rows(team) == before
    logged = server.log.read_bytes()[size:].decode().splitlines()
    refused = [line for line in logged if "request refused" in line]
    assert len(refused) == 4 * 9
    assert not [line for line in logged if "ERROR" in line or "Traceback" in line]


def test_unsigned_requests_get_401_and_no_reply_anywhere(
    server: Server, slack: FakeSlack, trap: Trap, team: str
) -> None:
    refused_without_effect(server, slack, trap, team)


def test_unsigned_requests_get_401_in_oauth_mode_too(
    oauth: Server, slack: FakeSlack, trap: Trap, team: str
) -> None:
    refused_without_effect(oauth, slack, trap, team)


def test_a_signed_request_replies_only_to_slack(
    server: Server, slack: FakeSlack, trap: Trap, team: str
) -> None:
    """Signed, but naming a response_url off Slack's hosts: refused, and nothing goes there."""
    sender = SlackSender(server.url, lambda: trap.url, team=team)
    for kind, (body, content_type) in bodies(team, trap.url).items():
        if kind != "event":
            assert sender.post(body, content_type).status == 400, kind
    time.sleep(0.5)  # nothing is supposed to happen: give a stray reply time to arrive
    assert trap.paths == []


MALFORMED = {
    "event not an object": {"type": "event_callback", "event": "nope"},
    "event without type": {"type": "event_callback", "event": {"user": "U1"}},
    "actions not a list": {"type": "block_actions", "user": {"id": "U1"}, "actions": "x"},
    "action without id": {"type": "block_actions", "user": {"id": "U1"}, "actions": [{}]},
    "actions of strings": {"type": "block_actions", "user": {"id": "U1"}, "actions": ["a"]},
    "view not an object": {"type": "view_submission", "user": {"id": "U1"}, "view": "x"},
    "view without callback": {
        "type": "view_submission",
        "user": {"id": "U1"},
        "view": {"id": "V1", "state": {"values": {}}},
    },
    "state not an object": {
        "type": "view_submission",
        "user": {"id": "U1"},
        "view": {"id": "V1", "callback_id": View.NEW_QUESTION, "state": "nope"},
    },
    "user not an object": {"type": "block_actions", "user": "U1", "actions": []},
    "message not an object": {
        "type": "block_actions",
        "user": {"id": "U1"},
        "message": "m",
        "actions": [{"action_id": Action.SKIP_WEEK}],
    },
}


@pytest.mark.parametrize("name", MALFORMED)
def test_signed_but_malformed_bodies_get_400_and_one_line(
    server: Server, sender: SlackSender, slack: FakeSlack, name: str
) -> None:
    size = server.log.stat().st_size
    payload = {**MALFORMED[name], "team": {"id": sender.team}, "team_id": sender.team}
    if payload["type"] == "event_callback":
        reply = sender.post(json.dumps(payload), "application/json")
    else:
        reply = sender.interaction(payload)
    assert reply.status == 400
    logged = server.log.read_bytes()[size:].decode()
    assert logged.count("request refused") == 1
    assert "Traceback" not in logged and "ERROR" not in logged


def test_a_refused_request_is_logged_without_its_content(
    server: Server, slack: FakeSlack, team: str
) -> None:
    size = server.log.stat().st_size
    body = urlencode({"command": COMMAND, "text": "secret words", "team_id": team})
    sender = SlackSender(server.url, slack.response_url, team=team)
    sender.post(body, "application/x-www-form-urlencoded", signature="v0=00")
    logged = server.log.read_bytes()[size:].decode()
    assert "request refused: bad signature" in logged
    assert "secret" not in logged and team not in logged
