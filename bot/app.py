"""The Bolt app: one AsyncApp whose every Web API call goes to SLACK_API_URL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from cadence.db import session

T = TypeVar("T")


class Store:
    """Runs the synchronous domain and database code off the event loop, one transaction
    a call: the core flushes, the store commits once `fn` returns."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    async def run(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        def work() -> T:
            with session(self.engine) as s:
                result = fn(s, *args, **kwargs)
                s.commit()
                return result

        return await asyncio.to_thread(work)


def web_client(settings: Settings) -> AsyncWebClient:
    return AsyncWebClient(
        token=settings.bot_token,
        base_url=settings.api_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )


def build_app(settings: Settings, engine: sa.Engine) -> AsyncApp:
    from bot.listeners import register_all

    app = AsyncApp(
        client=web_client(settings),
        signing_secret=settings.signing_secret or None,
        logger=logging.getLogger("discovery"),
    )
    register_all(app, Store(engine))
    return app
