"""Property-based fuzzing of POST /slack/events: correctly signed bodies that are malformed in
every way a forger or a confused client could make them. No 5xx, no traceback, nothing written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.ids import Action, Input, Shortcut, View
from bot.listeners.commands import SUBCOMMANDS as ROUTES
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.requests import SlackSender
from tests.conftest import Server

# Every id the app listens for (bot/ids.py) and every subcommand (the routing table): a new
# one is fuzzed without anyone adding it here.
ACTIONS = [a.value for a in Action]
CALLBACKS = [v.value for v in View]
BLOCKS = [b.value for b in Input]
SUBCOMMANDS = ["", *ROUTES]
CONTENT = ("question", "interview", "theme", "insight")

junk = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
    st.sampled_from(["²", "9" * 30, "-1", "1e9", "#1", "٣", "\u202e", "<!channel>", "1:x"]),
)
state = st.dictionaries(
    st.sampled_from(BLOCKS) | st.text(max_size=12),
    st.one_of(
        junk,
        st.dictionaries(
            st.just("value") | st.text(max_size=6),
            st.one_of(junk, st.dictionaries(st.sampled_from(["value", "type"]), junk)),
            max_size=2,
        ),
    ),
    max_size=4,
)


def view_payload(draw_kind: str, callback: str, values: Any, metadata: Any) -> dict[str, Any]:
    return {
        "type": draw_kind,
        "user": {"id": "UFUZZ"},
        "view": {
            "type": "modal",
            "id": "VFUZZ",
            "callback_id": callback,
            "private_metadata": metadata,
            "state": {"values": values},
        },
    }


payloads = st.one_of(
    st.builds(
        lambda action, value, extra: {
            "type": "block_actions",
            "user": {"id": "UFUZZ"},
            "trigger_id": "t.1",
            "actions": [{"action_id": action, "value": value, "block_id": "b"}],
            **extra,
        },
        st.sampled_from(ACTIONS),
        junk,
        st.dictionaries(st.sampled_from(["message", "channel", "container"]), junk, max_size=2),
    ),
    st.builds(
        view_payload,
        st.sampled_from(["view_submission", "view_closed"]),
        st.sampled_from(CALLBACKS),
        st.one_of(state, junk),
        st.one_of(junk, st.builds(json.dumps, st.dictionaries(st.text(max_size=12), junk))),
    ),
    st.builds(
        lambda text: {
            "type": "message_action",
            "callback_id": Shortcut.LOG_FROM_MESSAGE,
            "user": {"id": "UFUZZ"},
            "trigger_id": "t.1",
            "message": {"text": text},
        },
        junk,
    ),
)


@pytest.fixture
def log(server: Server) -> Path:
    return server.log


def _written(server: Server, team: str) -> dict[str, int]:
    rows = server.rows(team)
    return {t: rows.get(t, 0) for t in CONTENT}


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(["interaction", "command", "event"]),
    payload=payloads,
    word=st.sampled_from(SUBCOMMANDS),
    rest=st.text(max_size=30),
    event=st.dictionaries(st.sampled_from(["type", "user", "tab", "channel"]), junk, max_size=4),
)
def test_signed_junk_never_gets_a_5xx_a_traceback_or_a_write(
    server: Server,
    sender: SlackSender,
    slack: FakeSlack,
    log: Path,
    kind: str,
    payload: dict,
    word: str,
    rest: str,
    event: dict,
) -> None:
    size = log.stat().st_size
    team = sender.team
    if kind == "interaction":
        payload = {**payload, "team": {"id": team}, "api_app_id": "A1"}
        body = urlencode({"payload": json.dumps(payload)})
        reply = sender.post(body, "application/x-www-form-urlencoded")
    elif kind == "command":
        reply = sender.command(f"{word} {rest}", user="UFUZZ")
    else:
        reply = sender.event({"type": "app_home_opened", **event})
    assert reply.status < 500, (kind, payload, word, rest, event)
    assert "Traceback" not in log.read_text()[size:]
    assert _written(server, team) == dict.fromkeys(CONTENT, 0)


# Any JSON at all, where the listeners expect an object, a list or a string.
any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)


def skeletons(team: str) -> list[dict[str, Any]]:
    """Well-formed bodies of each kind the app listens to, to be deformed one part at a time."""
    user = {"id": "UFUZZ", "team_id": team}
    message = {"ts": "1.2", "text": "t", "blocks": []}
    action = {"action_id": Action.SKIP_WEEK, "block_id": "b", "value": "1:2026-11-23"}
    unchosen = {"type": "static_select", "selected_option": None}
    state = {"values": {Input.QUESTION: {"value": unchosen}}}
    view = {"id": "VFUZZ", "callback_id": View.SUMMARY, "private_metadata": "{}"}
    return [
        {
            "type": "block_actions",
            "user": user,
            "trigger_id": "t.1",
            "channel": {"id": "D1"},
            "message": message,
            "container": {"type": "message"},
            "actions": [action],
        },
        {"type": "view_submission", "user": user, "view": {**view, "state": state}},
        {"type": "view_closed", "user": user, "view": {**view, "callback_id": View.CODING}},
        {
            "type": "message_action",
            "callback_id": Shortcut.LOG_FROM_MESSAGE,
            "user": user,
            "trigger_id": "t.1",
            "message": message,
        },
        {
            "type": "block_suggestion",
            "user": user,
            "action_id": Action.THEME_SEARCH,
            "block_id": "insight_1",
            "value": "pri",
            "view": {**view, "callback_id": View.CODING},
        },
        {"type": "event_callback", "event": {"type": "app_home_opened", "user": "UFUZZ"}},
    ]


def paths(value: Any, at: tuple = ()) -> list[tuple]:
    """Every place in a body: the keys and indexes leading to it."""
    found = [at] if at else []
    if isinstance(value, dict):
        for k, v in value.items():
            found += paths(v, (*at, k))
    elif isinstance(value, list):
        for n, v in enumerate(value):
            found += paths(v, (*at, n))
    return found


def replaced(body: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy = dict(body) if isinstance(body, dict) else list(body)
    copy[head] = replaced(body[head], rest, new)
    return copy


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(which=st.integers(0, 5), place=st.integers(0, 10**6), new=any_json)
def test_signed_bodies_of_any_shape_never_get_a_5xx_a_traceback_or_a_write(
    server: Server, sender: SlackSender, slack: FakeSlack, log: Path, which: int, place: int, new
) -> None:
    size = log.stat().st_size
    team = sender.team
    body = skeletons(team)[which]
    places = paths(body)
    body = replaced(body, places[place % len(places)], new)
    if body.get("type") == "event_callback" or which == 5:
        reply = sender.post(json.dumps({**body, "team_id": team}), "application/json")
    else:
        reply = sender.interaction({**body, "team": {"id": team}, "api_app_id": "A1"})
    assert reply.status < 500, body
    assert "Traceback" not in log.read_text()[size:]
    assert _written(server, team) == dict.fromkeys(CONTENT, 0)
