"""Sends requests to the app exactly as Slack does: form-encoded slash commands,
`payload=<json>` interactions, JSON events, each signed with X-Slack-Signature."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from bot.ids import COMMAND

SIGNING_SECRET = "test-signing-secret"
_ids = itertools.count(1)


@dataclass
class Reply:
    status: int
    body: bytes
    # What the request gave Slack to answer it: the fake names the reply to this request by
    # its response_url (`slack.wait_one("response_url", response_url=...)`) and the modal
    # opened for it by its trigger_id.
    response_url: str | None = None
    trigger_id: str | None = None

    def json(self) -> Any:
        return json.loads(self.body)


def sign(body: str | bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    raw = body if isinstance(body, bytes) else body.encode()
    base = f"v0:{timestamp}:".encode() + raw
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class SlackSender:
    app_url: str
    response_url: Any  # a callable giving a fresh response_url on the fake
    team: str = "T1"
    secret: str = SIGNING_SECRET

    def post(
        self,
        body: str | bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        ts = int(time.time()) if timestamp is None else timestamp
        request = urllib.request.Request(
            f"{self.app_url}/slack/events",
            data=body if isinstance(body, bytes) else body.encode(),
            method="POST",
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": str(ts),
                "X-Slack-Signature": signature or sign(body, ts, self.secret),
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return Reply(r.status, r.read())
        except urllib.error.HTTPError as e:
            return Reply(e.code, e.read())

    def command(
        self,
        text: str,
        *,
        user: str = "U1",
        team: str | None = None,
        channel: str = "C1",
        command: str = COMMAND,
        trigger_id: str | None = None,
        **kw: Any,
    ) -> Reply:
        team = team or self.team
        form = {
            "token": "legacy-verification-token",
            "team_id": team,
            "team_domain": team.lower(),
            "channel_id": channel,
            "channel_name": "product",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A1",
            "is_enterprise_install": "false",
            "response_url": self.response_url(),
            "trigger_id": trigger_id or f"trigger.{next(_ids)}",
        }
        reply = self.post(urlencode(form), "application/x-www-form-urlencoded", **kw)
        return replace(reply, response_url=form["response_url"], trigger_id=form["trigger_id"])

    def interaction(self, payload: dict[str, Any], **kw: Any) -> Reply:
        body = urlencode({"payload": json.dumps(payload)})
        reply = self.post(body, "application/x-www-form-urlencoded", **kw)
        given = {k: payload.get(k) for k in ("response_url", "trigger_id")}
        return replace(reply, **{k: v for k, v in given.items() if isinstance(v, str)})

    def event(
        self,
        event: dict[str, Any],
        *,
        team: str | None = None,
        event_id: str | None = None,
        **kw: Any,
    ) -> Reply:
        team = team or self.team
        envelope = {
            "token": "legacy-verification-token",
            "team_id": team,
            "api_app_id": "A1",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_ids)}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
        }
        return self.post(json.dumps(envelope), "application/json", **kw)


def get(url: str) -> Reply:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return Reply(r.status, r.read())
    except urllib.error.HTTPError as e:
        return Reply(e.code, e.read())


def _initial(element: dict[str, Any]) -> dict[str, Any]:
    """What Slack reports for an input nobody touched."""
    kind = element["type"]
    if kind in ("plain_text_input", "number_input"):
        return {"type": kind, "value": element.get("initial_value")}
    if kind in ("static_select", "external_select", "radio_buttons"):
        return {"type": kind, "selected_option": element.get("initial_option")}
    if kind == "checkboxes":
        return {"type": kind, "selected_options": element.get("initial_options") or []}
    if kind == "users_select":
        return {"type": kind, "selected_user": element.get("initial_user")}
    if kind == "conversations_select":
        return {"type": kind, "selected_conversation": element.get("initial_conversation")}
    if kind == "datepicker":
        return {"type": kind, "selected_date": element.get("initial_date")}
    if kind == "timepicker":
        return {"type": kind, "selected_time": element.get("initial_time")}
    if kind == "datetimepicker":
        return {"type": kind, "selected_date_time": element.get("initial_date_time")}
    raise ValueError(f"no state for {kind}")


def _answer(element: dict[str, Any], value: str | None) -> dict[str, Any]:
    state = _initial(element)
    kind = element["type"]
    if kind in ("static_select", "radio_buttons"):
        groups = element.get("option_groups", [])
        offered = [o for g in groups for o in g["options"]] + element.get("options", [])
        options = [o for o in offered if o["value"] == value]
        assert options or value is None, f"{value!r} is not an option"
        state["selected_option"] = options[0] if options else None
    elif kind == "external_select":  # an option the app's block_suggestion answer gave
        chosen = {"text": {"type": "plain_text", "text": str(value)}, "value": value}
        state["selected_option"] = chosen if value is not None else None
    elif kind == "checkboxes":  # the one option whose value is given ticked; None: none
        state["selected_options"] = [o for o in element["options"] if o["value"] == value]
    else:
        key = next(k for k in state if k != "type")
        state[key] = value
    return state


def fill(view: dict[str, Any], answers: dict[str, str | None]) -> dict[str, Any]:
    """The view as Slack submits it: `answers` by block_id, initial values elsewhere."""
    values = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        bid = block["block_id"]
        state = _answer(element, answers[bid]) if bid in answers else _initial(element)
        values[bid] = {element["action_id"]: state}
    return {**view, "state": {"values": values}}


def view_submission(
    view: dict[str, Any], answers: dict[str, str | None], *, user: str, team: str
) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": team, "domain": team.lower()},
        "user": {"id": user, "team_id": team},
        "api_app_id": "A1",
        "token": "legacy-verification-token",
        "trigger_id": f"trigger.{next(_ids)}",
        # Slack names every view it opened; a view the app sent has no id of its own yet.
        "view": {"id": f"V{next(_ids)}", **fill(view, answers), "team_id": team, "app_id": "A1"},
    }


def block_suggestion(
    view: dict[str, Any], block_id: str, value: str, *, action_id: str, user: str, team: str
) -> dict[str, Any]:
    """Words typed into an external select of `view` (in block `block_id`): Slack asks the
    app for its options."""
    return {
        "type": "block_suggestion",
        "user": {"id": user, "team_id": team},
        "team": {"id": team, "domain": team.lower()},
        "api_app_id": "A1",
        "token": "legacy-verification-token",
        "container": {"type": "view", "view_id": view.get("id", "V1")},
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "view": {"id": "V1", **view, "team_id": team, "app_id": "A1"},
    }


def block_action(
    action_id: str,
    value: str = "",
    *,
    user: str,
    team: str,
    response_url: str | None = None,
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A button pressed; with `message` (a chat.postMessage's args), in that message; with
    `view` (as Slack showed it: its id and hash, its inputs' state), in that modal."""
    extra: dict[str, Any] = {"response_url": response_url} if response_url else {}
    if view is not None:
        extra["view"] = view
        extra["container"] = {"type": "view", "view_id": view["id"]}
    if message is not None:
        extra["channel"] = {"id": message["channel"]}
        extra["message"] = {
            "type": "message",
            "ts": message.get("ts", "1700000000.000100"),
            "text": message.get("text", ""),
            "blocks": message.get("blocks", []),
        }
    return {
        "type": "block_actions",
        "team": {"id": team, "domain": team.lower()},
        "user": {"id": user, "team_id": team},
        "api_app_id": "A1",
        "token": "legacy-verification-token",
        "trigger_id": f"trigger.{next(_ids)}",
        "container": {"type": "message"},
        **extra,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b",
                "value": value,
                "action_ts": str(time.time()),
            }
        ],
    }


def message_shortcut(callback_id: str, text: str, *, user: str, team: str, response_url: str):
    return {
        "type": "message_action",
        "callback_id": callback_id,
        "team": {"id": team, "domain": team.lower()},
        "user": {"id": user, "team_id": team},
        "channel": {"id": "C1", "name": "research"},
        "message": {"type": "message", "user": "UNOTES", "ts": "1700000000.000100", "text": text},
        "message_ts": "1700000000.000100",
        "response_url": response_url,
        "trigger_id": f"trigger.{next(_ids)}",
        "token": "legacy-verification-token",
        "action_ts": str(time.time()),
    }
