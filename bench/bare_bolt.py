"""The comparison app of issue 11: a bare Bolt AsyncApp on the Starlette adapter and uvicorn
that only acks `/discovery` and answers through `response_url`. Same environment as
`discovery-bot serve` (SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, SLACK_API_URL, PORT), same
uvicorn settings, same single-token authorization (no auth.test per request).

    SLACK_SIGNING_SECRET=... SLACK_BOT_TOKEN=... SLACK_API_URL=... PORT=3001 \
        .venv/bin/python bench/bare_bolt.py
"""

from __future__ import annotations

import os

import uvicorn
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def build() -> Starlette:
    token = os.environ["SLACK_BOT_TOKEN"]

    async def authorize(enterprise_id, team_id, user_id) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, bot_token=token, user_id=user_id
        )

    app = AsyncApp(
        client=AsyncWebClient(token=None, base_url=os.environ.get("SLACK_API_URL") or None),
        authorize=authorize,
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    )

    @app.command("/discovery")
    async def discovery(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond(text="Nothing open yet.", response_type="ephemeral")

    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/slack/events", events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


if __name__ == "__main__":
    uvicorn.run(
        build(),
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "3001")),
        log_level="info",
        access_log=False,
        proxy_headers=True,
    )
