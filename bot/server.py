"""The HTTP surface: Slack's requests on POST /slack/events, a health check on GET /healthz,
and with OAuth installs Bolt's GET /slack/install and GET /slack/oauth_redirect."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
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


def readable(body: bytes, content_type: str) -> bool:
    """A body Slack could have sent: UTF-8, and JSON objects where JSON is expected. Bolt
    fails with a traceback on anything else; we answer 400 first."""
    try:
        text = body.decode("utf-8")
        if content_type.startswith("application/json"):
            return isinstance(json.loads(text), dict)
        form = parse_qs(text, keep_blank_values=True)
        payload = form.get("payload")
        return payload is None or isinstance(json.loads(payload[0]), dict)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False


def asgi_app(
    app: AsyncApp,
    engine: sa.Engine,
    lifespan: Callable[[], contextlib.AbstractAsyncContextManager[None]] | None = None,
) -> Starlette:
    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        if not readable(await request.body(), request.headers.get("content-type", "")):
            return Response(status_code=400)
        try:
            return await handler.handle(request)
        except Exception as e:  # a shape Bolt cannot route (a forged body): no 500, one line
            log.warning("request refused: %s: %s", type(e).__name__, e)
            return Response(status_code=400)

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
