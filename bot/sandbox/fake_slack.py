"""A loopback fake of Slack's Web API: a real HTTP server on 127.0.0.1.

It records every call, refuses a wrong bot token, checks every `blocks` and `view` payload
with slack_sdk's Block Kit models and the limits in shared/REFERENCE.md, and can be told to
answer a method with 429 + Retry-After or a 5xx, or to do a call and lose its answer (a
reset connection, an answer slower than the client waits). It keeps the messages posted,
with their metadata, for conversations.history, and serves the files `add_file` shares
(files.info, and their url_private to a request with the bot token).
"""

from __future__ import annotations

import itertools
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from slack_sdk.models.blocks import Block, Option, OptionGroup
from slack_sdk.models.views import View

BOT_TOKEN = "xoxb-test-token"
BOT_USER = "UBOT"
JSON_FIELDS = ("blocks", "view", "attachments", "metadata", "file_uploads", "files")

VIEW_METHODS = ("views.open", "views.push", "views.update", "views.publish")
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
LIMITS = {"private_metadata": 3000, "block_id": 255, "action_id": 255}
SELECT_OPTIONS = 100  # a static select's options, counted across its option groups
VIEW_BYTES = 250_000
# Slack refuses a message whose blocks hold much more text than this (msg_blocks_too_long);
# the limit is not published, so the fake holds messages to a conservative figure.
MESSAGE_TEXT = 12_000


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None = None
    result: dict[str, Any] | None = None  # what the fake answered (views.* only)
    team: str | None = None  # the workspace of its OAuth token (the one bot token names none)

    def is_for(self, user: str) -> bool:
        """Whom the call is for: a DM's channel, an ephemeral's, a Home tab's or an open's user."""
        a = self.args
        return user in (a.get("channel"), a.get("user"), a.get("user_id"), a.get("users"))


@dataclass
class Failure:
    status: int
    retry_after: int | None
    times: int
    when: Callable[[dict[str, Any]], bool] | None = None  # only calls with these args fail


@dataclass
class Loss:
    """A call done, its answer lost: "reset" drops the connection, "slow" answers after
    `seconds`."""

    how: str
    times: int
    seconds: float = 0.0
    when: Callable[[dict[str, Any]], bool] | None = None


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    time_zones: dict[str, str] = field(default_factory=dict)
    failures: dict[str, Failure] = field(default_factory=dict)
    default_tz: str = "Europe/London"
    # Channels the bot is not a member of: "public" ones it may join, "private" ones not.
    outside: dict[str, str] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)  # seconds a method stalls
    # OAuth installs: a code oauth.v2.access exchanges for a workspace's token, and the bot
    # tokens it gave out (`xoxb-<team>`), by token: the fake accepts them for that team.
    oauth_codes: dict[str, str] = field(default_factory=dict)
    installed: dict[str, str] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)  # each view's latest hash, by view id
    losses: dict[str, Loss] = field(default_factory=dict)
    # The messages of each conversation (a DM by its D id), oldest first, and Slack's clock
    # for their ts: a test driving ticks with --at sets it to the tick's time.
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    clock: Callable[[], float] = time.time
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # by file id

    def __post_init__(self) -> None:
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self) -> str:
        return f"{self.url}/response/{next(self._ids)}"

    def reset(self) -> None:
        with self._cond:
            self.calls.clear()
            self.violations.clear()
            self.failures.clear()
            self.time_zones.clear()
            self.outside.clear()
            self.delays.clear()
            self.oauth_codes.clear()
            self.installed.clear()
            self.hashes.clear()
            self.losses.clear()
            self.messages.clear()
            self.files.clear()
            self.clock = time.time

    # -- test controls -------------------------------------------------------------
    def fail(
        self,
        method: str,
        status: int = 429,
        retry_after: int | None = 1,
        times: int = 1,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` (those `when` picks) with `status`."""
        retry_after = retry_after if status == 429 else None
        self.failures[method] = Failure(status, retry_after, times, when)

    def touch(self, view_id: str) -> None:
        """The view changed since the app last saw it: its hash moves on, as Slack's does."""
        with self._cond:
            self.hashes[view_id] = f"h{next(self._ids)}"

    def lose(
        self,
        method: str,
        how: str = "reset",
        seconds: float = 0.0,
        times: int = 1,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Do the next `times` calls of `method` (those `when` picks) and lose the answer:
        "reset" drops the connection, "slow" answers after `seconds`."""
        self.losses[method] = Loss(how, times, seconds, when)

    def add_message(self, channel: str, ts: float, **message: Any) -> None:
        """A message in `channel`'s history, posted at `ts` (Slack's clock)."""
        with self._cond:
            self.messages.setdefault(channel, []).append({"ts": f"{ts:.6f}", **message})
            self.messages[channel].sort(key=lambda m: float(m["ts"]))

    def add_file(self, file_id: str, name: str, data: bytes, filetype: str = "text") -> None:
        """A file shared with the app: files.info describes it, its url_private serves it."""
        with self._cond:
            self.files[file_id] = {"name": name, "filetype": filetype, "data": data}

    def _file_info(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = str(args.get("file", ""))
        found = self.files.get(file_id)
        if found is None:
            return {"ok": False, "error": "file_not_found"}
        url = f"{self.url}/files-pri/{file_id}/{found['name']}"
        described = {"id": file_id, "name": found["name"], "filetype": found["filetype"]}
        return {"ok": True, "file": {**described, "size": len(found["data"]), "url_private": url}}

    def download(self, path: str, token: str | None) -> tuple[int, bytes]:
        """A file's bytes at its url_private, for the bot token only (as Slack's file host)."""
        file_id = path.removeprefix("/files-pri/").split("/")[0]
        self._record(Call("file_download", {"path": path, "file": file_id}, token))
        if token != BOT_TOKEN and token not in self.installed:
            return 403, b"forbidden"
        found = self.files.get(file_id)
        return (200, found["data"]) if found else (404, b"not found")

    def of(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until `count` calls of `method` arrived (the app answers asynchronously)."""
        with self._cond:
            ok = self._cond.wait_for(
                lambda: len([c for c in self.calls if c.method == method]) >= count, timeout
            )
            found = [c for c in self.calls if c.method == method]
        assert ok, f"expected {count} {method} call(s), got {len(found)}: {self.methods()}"
        return found

    def wait_where(
        self,
        method: str,
        where: Callable[[dict[str, Any]], bool],
        timeout: float = 10.0,
        after: int = 0,
    ) -> Call:
        """Block until a call of `method` whose args `where` accepts arrived (the `after`-th
        call or later); the first one."""

        def found() -> list[Call]:
            return [c for c in self.calls[after:] if c.method == method and where(c.args)]

        with self._cond:
            ok = self._cond.wait_for(lambda: bool(found()), timeout)
            calls = found()
        assert ok, f"no {method} call as expected: {self.methods()}"
        return calls[0]

    def calls_where(
        self,
        method: str,
        *,
        user: str | None = None,
        channel: str | None = None,
        response_url: str | None = None,
        trigger_id: str | None = None,
        view_id: str | None = None,
        team: str | None = None,
        where: Callable[[dict[str, Any]], bool] | None = None,
        after: int = 0,
    ) -> list[Call]:
        """The calls of `method` that match every filter given, oldest first: `user` whom the
        call is for, `response_url` the request a reply answers, `trigger_id` the request a
        modal opens for, `team` the workspace whose OAuth token made the call, `after` a mark
        (`len(slack.calls)`) taken before the request."""
        path = urlsplit(response_url).path if response_url else None
        wanted = {"channel": channel, "_url": path, "trigger_id": trigger_id, "view_id": view_id}
        with self._cond:
            return [
                c
                for c in self.calls[after:]
                if c.method == method
                and all(v is None or c.args.get(k) == v for k, v in wanted.items())
                and (user is None or c.is_for(user))
                and (team is None or c.team == team)
                and (where is None or where(c.args))
            ]

    def wait_one(self, method: str, timeout: float = 10.0, **filters: Any) -> Call:
        """Block until the call of `method` that the filters (those of `calls_where`) name
        arrived, and return it: it must be the only one, or the filters don't say which."""
        with self._cond:
            ok = self._cond.wait_for(lambda: self.calls_where(method, **filters), timeout)
            found = self.calls_where(method, **filters)
        assert ok, f"no {method} call with {filters}: {self.methods()}"
        assert len(found) == 1, f"{len(found)} {method} calls with {filters}: {found}"
        return found[0]

    def methods(self) -> list[str]:
        with self._cond:
            return [c.method for c in self.calls]

    # -- answers -------------------------------------------------------------------
    def _record(self, call: Call) -> None:
        with self._cond:
            call.team = self.installed.get(call.token or "")
            self.calls.append(call)
            self._cond.notify_all()

    def _violation(self, text: str) -> None:
        with self._cond:
            self.violations.append(text)

    def answer(self, method: str, args: dict[str, Any], token: str | None) -> tuple[int, dict]:
        if self.delays.get(method):
            time.sleep(self.delays[method])  # a slow Slack, on this request's own thread
        failure = self.failures.get(method)
        if failure and failure.times > 0 and (failure.when is None or failure.when(args)):
            failure.times -= 1
            self._record(Call(method + ":failed", args, token))
            error = "ratelimited" if failure.status == 429 else "internal_error"
            return failure.status, {"ok": False, "error": error, "_retry": failure}
        if method == "oauth.v2.access":
            return self._oauth_access(args, token)
        if method != "response_url" and token != BOT_TOKEN and token not in self.installed:
            self._record(Call(method + ":refused", args, token))
            return 200, {"ok": False, "error": "invalid_auth"}
        refused = self._membership(method, args)
        if refused:
            self._record(Call(method + ":refused", args, token))
            return 200, {"ok": False, "error": refused}
        problems = check_payload(method, args)
        if problems:
            for p in problems:
                self._violation(f"{method}: {p}")
            self._record(Call(method + ":invalid", args, token))
            return 200, {"ok": False, "error": "invalid_blocks", "errors": problems}
        if method in VIEW_METHODS:
            return self._view(method, args, token)
        self._record(Call(method, args, token))
        result = self._result(method, args, token)
        loss = self.losses.get(method)
        if loss and loss.times > 0 and (loss.when is None or loss.when(args)):
            loss.times -= 1
            result["_lose"] = loss
        return 200, result

    def _view(self, method: str, args: dict[str, Any], token: str | None) -> tuple[int, dict]:
        """Each view answered with its id and a new hash; views.update with a `hash` that is
        not the view's latest is refused (hash_conflict), as Slack refuses it."""
        with self._cond:
            view_id = str(args.get("view_id") or "") or f"V{next(self._ids)}"
            given = args.get("hash")
            if method == "views.update" and given and given != self.hashes.get(view_id):
                conflict = {"ok": False, "error": "hash_conflict"}
                self._record(Call(method + ":refused", args, token, conflict))
                return 200, conflict
            self.hashes[view_id] = f"h{next(self._ids)}"
            view = {**(args.get("view") or {}), "id": view_id, "hash": self.hashes[view_id]}
            result = {"ok": True, "view": view}
            self._record(Call(method, args, token, result))  # the condition's lock is an RLock
        return 200, result

    def grant(self, code: str, team: str) -> None:
        """Let oauth.v2.access exchange `code` for a bot token of `team`, once."""
        with self._cond:
            self.oauth_codes[code] = team

    def _oauth_access(self, args: dict[str, Any], auth: str | None) -> tuple[int, dict]:
        """Slack's oauth.v2.access: a granted code, with the app's client id and secret (in
        the form or as HTTP Basic credentials), gives the workspace's bot token."""
        credentials = args.get("client_id") and args.get("client_secret")
        if not credentials and not (auth or "").startswith("Basic "):
            self._record(Call("oauth.v2.access:refused", args, auth))
            return 200, {"ok": False, "error": "invalid_client_id"}
        with self._cond:
            team = self.oauth_codes.pop(str(args.get("code")), None)
        if team is None:
            self._record(Call("oauth.v2.access:refused", args, auth))
            return 200, {"ok": False, "error": "invalid_code"}
        token = f"xoxb-{team}"
        with self._cond:
            self.installed[token] = team
        self._record(Call("oauth.v2.access", args, auth))
        return 200, {
            "ok": True,
            "app_id": "A1",
            "authed_user": {"id": "U1"},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": BOT_USER,
            "team": {"id": team, "name": f"Team {team}"},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def revoke(self, team: str) -> None:
        """The workspace uninstalled the app: its tokens stop working."""
        with self._cond:
            for token in [t for t, owner in self.installed.items() if owner == team]:
                del self.installed[token]

    def _membership(self, method: str, args: dict[str, Any]) -> str | None:
        """Slack's answer when the bot posts in, or joins, a channel it is not in."""
        kind = self.outside.get(str(args.get("channel")))
        if kind is None:
            return None
        if method == "chat.postMessage":
            return "not_in_channel" if kind == "public" else "channel_not_found"
        if method == "conversations.join":
            if kind == "private":
                return "method_not_supported_for_channel_type"
            with self._cond:
                del self.outside[str(args.get("channel"))]
        return None

    def _ts(self) -> str:
        return f"{int(self.clock())}.{next(self._ids) % 1_000_000:06d}"

    def _post(self, args: dict[str, Any]) -> dict[str, Any]:
        """chat.postMessage: kept in its conversation's history, a DM under its D id."""
        channel = str(args.get("channel"))
        channel = "D" + channel if channel[:1] in "UW" else channel
        message = {"type": "message", "user": BOT_USER, "bot_id": "B1", "text": args.get("text")}
        if args.get("metadata"):
            message["metadata"] = args["metadata"]
        with self._cond:
            ts = self._ts()
            self.messages.setdefault(channel, []).append({**message, "ts": ts})
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _history(self, args: dict[str, Any]) -> dict[str, Any]:
        """conversations.history: newest first, after `oldest`, metadata when asked for,
        `limit` a page with a cursor to the next."""
        channel = str(args.get("channel"))
        if channel[:1] in "UW":  # a user id is not a conversation
            return {"ok": False, "error": "channel_not_found"}
        oldest = float(args.get("oldest") or 0)
        metadata = str(args.get("include_all_metadata")).lower() in ("1", "true")
        with self._cond:
            found = [dict(m) for m in self.messages.get(channel, []) if float(m["ts"]) > oldest]
        found.reverse()
        for m in found if not metadata else ():
            m.pop("metadata", None)
        start, limit = int(args.get("cursor") or 0), int(args.get("limit") or 100)
        page, more = found[start : start + limit], start + limit < len(found)
        cursor = str(start + limit) if more else ""
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": cursor},
        }

    def _result(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        ts = self._ts()
        if method == "auth.test":
            team = self.installed.get(token or "", "T1")
            return {
                "ok": True,
                "team_id": team,
                "user_id": BOT_USER,
                "bot_id": "B1",
                "team": "Test",
            }
        if method == "apps.uninstall":
            self.revoke(self.installed.get(token or "", ""))
        if method == "chat.postMessage":
            return self._post(args)
        if method == "conversations.history":
            return self._history(args)
        if method == "chat.update":
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts", ts)}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args.get("users", "")).split(",")[0]}}
        if method == "users.info":
            user = str(args.get("user"))
            tz = self.time_zones.get(user, self.default_tz)
            name = f"Person {user}"  # Slack: display_name may be empty, real_name is set
            profile = {"display_name": "", "real_name": name}
            return {"ok": True, "user": {"id": user, "name": user.lower(), "real_name": name,
                                         "profile": profile, "tz": tz}}  # fmt: skip
        if method == "conversations.info":
            channel = str(args.get("channel"))
            return {"ok": True, "channel": {"id": channel, "name": channel.lower()}}
        if method == "files.info":
            return self._file_info(args)
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ids)}"
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = args.get("files") or []
            files = json.loads(files) if isinstance(files, str) else files
            return {"ok": True, "files": [{"id": f["id"]} for f in files]}
        return {"ok": True}


def check_payload(method: str, args: dict[str, Any]) -> list[str]:
    """Block Kit checks: slack_sdk's models plus the limits in shared/REFERENCE.md."""
    problems: list[str] = []
    blocks = args.get("blocks")
    view = args.get("view")
    if blocks is not None:
        if len(blocks) > MESSAGE_BLOCKS:
            problems.append(f"{len(blocks)} blocks in a message (at most {MESSAGE_BLOCKS})")
        if view is None and _text_length(blocks) > MESSAGE_TEXT:
            problems.append(f"{_text_length(blocks)} characters of text in a message's blocks")
        problems += _check_blocks(blocks)
    if view is not None:
        try:
            View(**view).validate_json()
        except Exception as e:
            problems.append(f"view: {e}")
        if len(view.get("blocks", [])) > VIEW_BLOCKS:
            problems.append(f"{len(view['blocks'])} blocks in a view (at most {VIEW_BLOCKS})")
        if len(view.get("private_metadata", "")) > LIMITS["private_metadata"]:
            problems.append("private_metadata longer than 3000")
        if len(json.dumps(view).encode()) > VIEW_BYTES:
            problems.append("view larger than 250 kB")
        problems += _check_blocks(view.get("blocks", []))
    return problems


def _check_blocks(blocks: list[dict[str, Any]]) -> list[str]:
    problems = []
    for raw in blocks:
        block = Block.parse(raw)
        if block is None:
            problems.append(f"unknown block {raw!r:.200}")
            continue
        try:
            block.validate_json()
        except Exception as e:
            problems.append(f"{raw.get('type')} block: {e}")
        problems += _check_ids(raw)
        problems += _check_selects(raw)
    return problems


def _options(select: dict[str, Any]) -> list[dict[str, Any]]:
    """A select's options, across its groups."""
    groups = select.get("option_groups") or []
    return [o for g in groups for o in g.get("options", [])] + (select.get("options") or [])


def _check_option_models(options: list[dict[str, Any]], groups: list[dict[str, Any]]) -> list[str]:
    """slack_sdk's checks of options and groups (text at most 75 characters, a group's label
    too), which it leaves out when they sit in a block."""
    problems = []
    for raw, model in [*((o, Option) for o in options), *((g, OptionGroup) for g in groups)]:
        try:
            model(**raw).validate_json()
        except Exception as e:
            problems.append(f"{model.__name__}: {e}")
    return problems


def _check_selects(node: Any) -> list[str]:
    """Every select in a block: at most 100 options across its groups, each within Slack's
    limits, and an initial option that is one of them (Slack refuses the view otherwise)."""
    if isinstance(node, list):
        return [p for value in node for p in _check_selects(value)]
    if not isinstance(node, dict):
        return []
    problems = [p for value in node.values() for p in _check_selects(value)]
    if node.get("type") not in ("static_select", "external_select"):
        return problems
    options = _options(node)
    problems += _check_option_models(
        options + ([node["initial_option"]] if node.get("initial_option") else []),
        [{**g, "options": []} for g in node.get("option_groups") or []],
    )
    problems += _check_groups(node.get("option_groups") or [])
    if len(options) > SELECT_OPTIONS:
        problems.append(f"{len(options)} options in a select (at most {SELECT_OPTIONS})")
    initial = node.get("initial_option")
    if node["type"] == "static_select" and initial and initial not in options:
        problems.append(f"initial_option {initial.get('value')!r} is not one of the options")
    return problems


def check_options(answer: dict[str, Any]) -> list[str]:
    """An app's answer to a block_suggestion: `options` or `option_groups`, at most 100
    options in all, each within Slack's limits."""
    groups = answer.get("option_groups")
    if (groups is None) == (answer.get("options") is None):
        return ["an answer needs options or option_groups, not both"]
    options = _options(answer)
    problems = _check_option_models(options, [{**g, "options": []} for g in groups or []])
    if len(options) > SELECT_OPTIONS:
        problems.append(f"{len(options)} options in an answer (at most {SELECT_OPTIONS})")
    return problems + _check_groups(groups or [])


def _check_groups(groups: list[dict[str, Any]]) -> list[str]:
    if len(groups) > SELECT_OPTIONS or not all(g.get("options") for g in groups):
        return ["option groups: at most 100, none empty"]
    return []


def _text_length(node: Any) -> int:
    if isinstance(node, dict):
        own = len(node["text"]) if isinstance(node.get("text"), str) else 0
        return own + sum(_text_length(v) for v in node.values())
    if isinstance(node, list):
        return sum(_text_length(v) for v in node)
    return 0


def _check_ids(node: Any) -> list[str]:
    problems = []
    if isinstance(node, dict):
        for key, limit in LIMITS.items():
            if isinstance(node.get(key), str) and len(node[key]) > limit:
                problems.append(f"{key} longer than {limit}")
        if node.get("type") == "plain_text_input" and node.get("max_length", 0) > 3000:
            problems.append("plain_text_input max_length over 3000")
        for value in node.values():
            problems += _check_ids(value)
    elif isinstance(node, list):
        for value in node:
            problems += _check_ids(value)
    return problems


def _decode(content_type: str, body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    if content_type.startswith("application/json"):
        return json.loads(body)
    args: dict[str, Any] = dict(parse_qsl(body.decode(), keep_blank_values=True))
    for key in JSON_FIELDS:
        if isinstance(args.get(key), str) and args[key][:1] in "[{":
            args[key] = json.loads(args[key])
    return args


class _Handler(BaseHTTPRequestHandler):
    """The fake's HTTP side: Web API methods, response_urls, uploads and file downloads."""

    fake: FakeSlack  # set by _handler
    protocol_version = "HTTP/1.1"
    # Keep-alive clients (one shared session): without this, headers and body leave as
    # two small writes and Nagle holds the second for the client's delayed ACK (40 ms).
    disable_nagle_algorithm = True

    def log_message(self, *_args: object) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path.startswith("/upload/"):
            self.fake._record(Call("upload", {"path": self.path, "bytes": len(body), "data": body}))
            return self._send(200, {"ok": True})
        path, _, query = self.path.partition("?")
        auth = self.headers.get("Authorization", "")
        if path.startswith("/files-pri/"):
            status, data = self.fake.download(path, auth.removeprefix("Bearer ") or None)
            return self._send_bytes(status, data)
        self._api(
            path,
            {**dict(parse_qsl(query)), **_decode(self.headers.get("Content-Type", ""), body)},
            auth,
        )

    do_GET = do_POST

    def _api(self, path: str, args: dict, auth: str) -> None:
        """A Web API method or a response_url, answered as the fake decides (a failure
        or a lost answer included)."""
        token = auth.removeprefix("Bearer ") if auth else args.get("token")
        if path.startswith("/response/"):
            method = "response_url"
            args["_url"] = path
        else:
            method = path.removeprefix("/api/")
        status, payload = self.fake.answer(method, args, token)
        failure, loss = payload.pop("_retry", None), payload.pop("_lose", None)
        if loss is not None and loss.how == "reset":
            return self._reset()
        if loss is not None:
            time.sleep(loss.seconds)  # on this request's own thread
        headers = {}
        if failure and failure.retry_after is not None:
            headers["Retry-After"] = str(failure.retry_after)
        self._send(status, payload, headers)

    def _reset(self) -> None:
        """Close the connection with a TCP reset, no answer written."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def _send_bytes(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client stopped waiting
            self.close_connection = True


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    return type("Handler", (_Handler,), {"fake": fake})
