"""The HTTP surface: Slack's requests on POST /slack/events, a health check on GET /healthz,
each workspace's candidate webhook on POST /hooks/candidates/<secret>, and with OAuth
installs Bolt's GET /slack/install and GET /slack/oauth_redirect."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs

import sqlalchemy as sa
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import clock
from bot.store import Store
from cadence import pool
from cadence.db import ping

log = logging.getLogger("discovery.server")


def parsed(body: bytes, content_type: str) -> dict[str, Any] | None:
    """The body as Slack sends it (a JSON object, a form, or a form's JSON `payload`); None
    for anything else, which Bolt would fail on with a traceback: we answer 400 first."""
    try:
        text = body.decode("utf-8")
        if content_type.startswith("application/json"):
            found = json.loads(text)
            return found if isinstance(found, dict) else None
        form = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
        if "payload" not in form:
            return form
        found = json.loads(form["payload"])
        return found if isinstance(found, dict) else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def readable(body: bytes, content_type: str) -> bool:
    return parsed(body, content_type) is not None


SKEW = 300  # seconds a request's timestamp may be off, either way (Slack's five minutes)
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def refusal(secret: str, timestamp: str, signature: str, body: bytes, now: float) -> str | None:
    """Why a request is not Slack's, or None when it is: its timestamp must be whole seconds
    within SKEW of `now` and its signature the HMAC of "v0:{timestamp}:{body}" under the
    signing secret. Checked before anything reads the body."""
    if not _TIMESTAMP.fullmatch(timestamp):
        return "no timestamp" if not timestamp else "malformed timestamp"
    if abs(now - int(timestamp)) > SKEW:
        return "stale timestamp"
    mac = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    if not hmac.compare_digest("v0=" + mac.hexdigest(), signature):
        return "bad signature"
    return None


def _is(value: Any, kind: type) -> bool:
    return isinstance(value, kind) and bool(value)


def _user(body: dict[str, Any]) -> bool:
    return isinstance(body.get("user"), dict) and _is(body["user"].get("id"), str)


# Parts of an interaction payload the listeners read as objects when they are there.
_OBJECTS = ("team", "channel", "message", "container", "view", "state")


def malformed(body: dict[str, Any]) -> str | None:
    """Why a verified body is not of the shape its listener reads, or None: every listener
    may then take an event, an action or a view as Slack documents them."""
    kind = body.get("type")
    if "command" in body:  # a slash command's form: every value is a string already
        missing = [k for k in ("command", "team_id", "user_id") if not body.get(k)]
        return f"command without {', '.join(missing)}" if missing else None
    if kind == "event_callback":
        event = body.get("event")
        ok = isinstance(event, dict) and _is(event.get("type"), str)
        return None if ok else "an event that is not an object with a type"
    if kind == "url_verification":
        return None if isinstance(body.get("challenge"), str) else "no challenge"
    if kind == "app_rate_limited" or body.get("ssl_check"):
        return None  # Bolt answers these itself
    if kind not in (
        "block_actions",
        "view_submission",
        "view_closed",
        "message_action",
        "shortcut",
        "block_suggestion",
    ):
        return f"unknown type {str(kind)[:30]!r}"
    if not _user(body):
        return "no user"
    if any(k in body and not isinstance(body[k], dict) for k in _OBJECTS):
        return "a part that is not an object"
    if kind == "block_actions":
        actions = body.get("actions")
        ok = isinstance(actions, list) and all(
            isinstance(a, dict) and _is(a.get("action_id"), str) for a in actions
        )
        return None if ok and actions else "actions that are not a list of actions"
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        ok = isinstance(view, dict) and all(_is(view.get(k), str) for k in ("id", "callback_id"))
        state = view.get("state", {}) if isinstance(view, dict) else None
        ok = ok and isinstance(state, dict) and isinstance(state.get("values", {}), dict)
        return None if ok else "a view without id, callback_id and state"
    if kind == "block_suggestion":  # the select's action and block, the words typed
        ok = _is(body.get("action_id"), str) and _is(body.get("block_id"), str)
        ok = ok and isinstance(body.get("value", ""), str)
        return None if ok else "no action_id, block_id or value"
    return None if _is(body.get("callback_id"), str) else "no callback_id"


def _id(value: Any) -> str:
    return str(value.get("id") if isinstance(value, dict) else value or "-")[:40]


def summary(body: dict[str, Any]) -> str:
    """team, user and kind of a request, with no user content: "/discovery list", an action
    id, a view's callback id, an event type."""
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    team = body.get("team_id") or body.get("team") or event.get("team")
    user = body.get("user_id") or body.get("user") or event.get("user")
    if "command" in body:
        kind = f"{body['command']}_{str(body.get('text', '')).strip().partition(' ')[0]}"
    elif body.get("type") == "block_actions" and isinstance(body.get("actions"), list):
        kind = "action:" + ",".join(str(a.get("action_id")) for a in body["actions"] if a)
    elif isinstance(body.get("view"), dict):
        kind = f"{body.get('type')}:{body['view'].get('callback_id')}"
    elif event:
        kind = f"event:{event.get('type')}"
    else:
        kind = str(body.get("type") or "other")
    return f"team={_id(team)} user={_id(user)} kind={kind[:60].replace(' ', '_')}"


HOOK_BYTES = 2_000_000  # a webhook call's body, at most: 1,000 people with room to spare


def hook_items(raw: bytes) -> tuple[list[dict[str, Any]] | None, str]:
    """The people of a webhook call (a JSON object, or a list of them), or why there are
    none: the reason names no value of the body."""
    try:
        found = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, "the body is not JSON"
    items = [found] if isinstance(found, dict) else found
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return None, "send a JSON object, or a list of objects"
    if not items:
        return None, "the list is empty"
    return items, ""


def candidates_hook(store: Store) -> Callable[[Request], Any]:
    """POST /hooks/candidates/<secret>: people into the pool of the secret's workspace
    through the same import as a CSV. 404 for a secret no workspace has, 400 with a reason
    for a body that is not people, 413 past MAX_PER_CALL people, 202 when stored."""
    from bot.views.pool import problem_lines, segment_names

    async def hook(request: Request) -> Response:
        started = time.perf_counter()
        secret = request.path_params["secret"]
        team = await store.run(pool.team_of_secret, secret) if len(secret) >= 16 else None
        if team is None:
            log.warning("hook refused: unknown secret outcome=404")
            return JSONResponse({"error": "not found"}, 404)
        raw = await request.body()
        if len(raw) > HOOK_BYTES:
            return _hook_answer(team, started, 413, {"error": "the body is over 2 MB"})
        items, why = hook_items(raw)
        if items is None:
            return _hook_answer(team, started, 400, {"error": why})
        if len(items) > pool.MAX_PER_CALL:
            reason = f"{len(items)} people: at most {pool.MAX_PER_CALL} a call"
            return _hook_answer(team, started, 413, {"error": reason})
        done = await store.run(
            pool.import_rows, team, items, pool.Source.WEBHOOK, segment_names(), clock.now()
        )
        if done.problems:
            answer = {"error": "nothing was imported", "lines": problem_lines(done.problems)}
            return _hook_answer(team, started, 400, answer)
        counts = {"added": done.added, "updated": done.updated, "refused": done.refused}
        return _hook_answer(team, started, 202, counts)

    return hook


def _hook_answer(team: str, started: float, status: int, body: dict[str, Any]) -> Response:
    # One line a call, with counts and no person in it.
    counts = " ".join(f"{k}={body[k]}" for k in ("added", "updated", "refused") if k in body)
    ms = (time.perf_counter() - started) * 1000
    log.info("hook team=%s outcome=%s %s ms=%.0f", team, status, counts, ms)
    return JSONResponse(body, status)


async def _verified(request: Request, signing_secret: str) -> dict[str, Any] | Response:
    """The body of a request Slack signed, in a shape a listener reads; else the answer to
    give (401 unsigned, 400 malformed), logged in one line without the body."""
    raw, headers = await request.body(), request.headers
    why = refusal(
        signing_secret,
        headers.get("x-slack-request-timestamp", ""),
        headers.get("x-slack-signature", ""),
        raw,
        time.time(),
    )
    if why is not None:  # not Slack's: nothing in it is read, nothing answers it
        log.warning("request refused: %s outcome=401", why)
        return Response(status_code=401)
    body = parsed(raw, headers.get("content-type", ""))
    why = "unreadable body" if body is None else malformed(body)
    if why is not None or body is None:
        log.warning("request refused: %s outcome=400", why)
        return Response(status_code=400)
    return body


def asgi_app(
    app: AsyncApp,
    engine: sa.Engine,
    signing_secret: str,
    lifespan: Callable[[], contextlib.AbstractAsyncContextManager[None]] | None = None,
    store: Store | None = None,
) -> Starlette:
    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        started = time.perf_counter()
        body = await _verified(request, signing_secret)
        if isinstance(body, Response):
            return body
        try:
            response = await handler.handle(request)
        except Exception as e:  # a shape Bolt cannot route (a forged body): no 500, one line
            log.warning("request refused: %s: %s", type(e).__name__, e)
            response = Response(status_code=400)
        # One line a request: who, what, how it ended, how long the answer took.
        ms = (time.perf_counter() - started) * 1000
        log.info("request %s outcome=%s ms=%.0f", summary(body), response.status_code, ms)
        return response

    async def healthz(_request: Request) -> Response:
        ok = await asyncio.to_thread(ping, engine)
        return JSONResponse({"ok": ok, "database": "up" if ok else "down"}, 200 if ok else 503)

    async def oauth(request: Request) -> Response:  # the install page and Slack's redirect
        return await handler.handle(request)

    routes = [
        Route("/slack/events", events, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route(
            "/hooks/candidates/{secret}", candidates_hook(store or Store(engine)), methods=["POST"]
        ),
    ]
    flow = app.oauth_flow
    if flow is not None:
        routes += [
            Route(flow.install_path, oauth, methods=["GET"]),
            Route(flow.redirect_uri_path, oauth, methods=["GET"]),
        ]

    @contextlib.asynccontextmanager
    async def run_lifespan(_app: Starlette) -> AsyncIterator[None]:
        if lifespan is None:
            yield
            return
        async with lifespan():
            yield

    return Starlette(routes=routes, lifespan=run_lifespan)
