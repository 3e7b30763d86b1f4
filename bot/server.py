"""The HTTP surface: Slack's requests on POST /slack/events, a health check on GET /healthz,
and with OAuth installs Bolt's GET /slack/install and GET /slack/oauth_redirect."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
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


def asgi_app(
    app: AsyncApp,
    engine: sa.Engine,
    lifespan: Callable[[], contextlib.AbstractAsyncContextManager[None]] | None = None,
) -> Starlette:
    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        started = time.perf_counter()
        body = parsed(await request.body(), request.headers.get("content-type", ""))
        if body is None:
            return Response(status_code=400)
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
