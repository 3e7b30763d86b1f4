"""The Bolt app: one AsyncApp whose every Web API call goes to SLACK_API_URL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from cadence.db import session

T = TypeVar("T")
log = logging.getLogger("discovery")


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


def web_client(settings: Settings, token: str | None = "") -> AsyncWebClient:
    """A client of SLACK_API_URL that retries 429s and connection errors; with the bot
    token unless told otherwise."""
    return AsyncWebClient(
        token=settings.bot_token if token == "" else token,
        base_url=settings.api_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )


class TokenIdentity:
    """Bolt's authorization for a single-workspace token, checked once (auth.test at start)
    instead of on each request, so a Slack that is down does not slow every answer."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.found: dict[str, object] = {}

    async def verify(self, client: AsyncWebClient) -> None:
        if not self.token:  # OAuth installs: each workspace's token is checked by Bolt
            return
        try:
            self.found = dict((await client.auth_test(token=self.token)).data)
        except Exception as e:  # Slack unreachable at start: answer anyway, unverified
            log.warning("auth.test failed (%s); the bot token is used unverified", e)

    def result(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token=self.token,
            bot_id=str(self.found.get("bot_id") or "") or None,
            bot_user_id=str(self.found.get("user_id") or "") or None,
            user_id=user_id,
        )


class _Without(logging.Filter):
    def __init__(self, words: str) -> None:
        super().__init__()
        self.words = words

    def filter(self, record: logging.LogRecord) -> bool:
        return self.words not in record.getMessage()


def build_app(settings: Settings, engine: sa.Engine) -> tuple[AsyncApp, TokenIdentity]:
    """The Bolt app and its token's identity (to verify once, at start). With OAuth settings,
    the app installs in any workspace and authorizes each request with its workspace's token
    from the installation store instead."""
    from bot.listeners import register_all

    identity = TokenIdentity(settings.bot_token)

    async def authorize(
        enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> AuthorizeResult:  # Bolt passes arguments by these names
        return identity.result(enterprise_id, team_id, user_id)

    # Each request's client gets the token; the OAuth flow's oauth.v2.access goes through
    # this client too, so to SLACK_API_URL.
    client = web_client(settings, token=None)
    if settings.oauth:
        from bot.oauth import oauth_mode

        mode = oauth_mode(settings, engine, client)
    else:
        mode = {"authorize": authorize}
    logger = logging.getLogger("discovery")
    # Bolt also finds SLACK_BOT_TOKEN in the environment and warns that `authorize` wins over
    # it; that is this design, not news for the log.
    quiet = _Without("will be unused")
    logger.addFilter(quiet)
    try:
        app = AsyncApp(
            client=client,
            signing_secret=settings.signing_secret or None,
            logger=logger,
            **mode,  # type: ignore[arg-type]
        )
    finally:
        logger.removeFilter(quiet)
    if settings.oauth:
        from bot.oauth import listen_for_uninstalls

        assert app.installation_store is not None
        listen_for_uninstalls(app, app.installation_store, engine)
    register_all(app, Store(engine))
    return app, identity
