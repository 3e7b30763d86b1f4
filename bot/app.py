"""The Bolt app: one AsyncApp whose every Web API call goes to SLACK_API_URL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import sqlalchemy as sa
from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncRespond
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.respond.internals import _build_message
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient, WebhookResponse

from bot.config import Settings
from bot.http import session_for, web_client
from bot.store import Store

log = logging.getLogger("discovery")


class TokenIdentity:
    """Bolt's authorization for a single-workspace token, checked once (auth.test at start)
    instead of on each request, so a Slack that is down does not slow every answer."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.found: dict[str, object] = {}
        self.http: SharedHTTP | None = None  # the app's, closed with `close`

    async def close(self) -> None:
        if self.http is not None:
            await self.http.close()

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


class SessionRespond(AsyncRespond):
    """Bolt's `respond`, through a shared HTTP session."""

    def __init__(self, response_url: str, session: aiohttp.ClientSession) -> None:
        super().__init__(response_url=response_url)
        self.session = session

    async def __call__(self, text: str | dict = "", **fields: Any) -> WebhookResponse:  # type: ignore[override]
        message = (
            _build_message(**text) if isinstance(text, dict) else _build_message(text, **fields)
        )
        webhook = AsyncWebhookClient(url=str(self.response_url), session=self.session)
        return await webhook.send_dict(message)


REPLY_HOST = "hooks.slack.com"  # where Slack's response_urls point
FILES_HOST = "files.slack.com"  # where a file's url_private points
REPLIES = "replies"  # context key: the request may be answered through its response_url


def slack_reply_url(url: str, api_url: str) -> bool:
    """Whether a response_url is Slack's: https on hooks.slack.com, or on SLACK_API_URL's
    own host (Slack itself, or the fake Slack of tests and the demo)."""
    return _slack_url(url, api_url, REPLY_HOST)


def slack_file_url(url: str, api_url: str) -> bool:
    """Whether a file's url_private is Slack's (files.slack.com, or SLACK_API_URL's host):
    the only place the bot token goes to download a file."""
    return _slack_url(url, api_url, FILES_HOST)


def _slack_url(url: str, api_url: str, host: str) -> bool:
    parts = urlsplit(url)
    if parts.username or parts.password or parts.scheme not in ("http", "https"):
        return False
    if parts.scheme == "https" and parts.hostname == host:
        return True
    return parts.hostname is not None and parts.hostname == urlsplit(api_url).hostname


class SharedHTTP:
    """One HTTP session for the server's Web API calls and response_url replies, instead of
    a new session and connection for each (Bolt's and slack_sdk's default): made with the
    first request, on the server's event loop; `close` at shutdown."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self.session: aiohttp.ClientSession | None = None
        self.loop: asyncio.AbstractEventLoop | None = None  # a session serves one loop only

    async def middleware(
        self, context: AsyncBoltContext, next: Callable[[], Awaitable[Any]]
    ) -> Any:
        loop = asyncio.get_running_loop()
        if self.session is None or self.session.closed or self.loop is not loop:
            self.session, self.loop = session_for(self.client), loop
            self.client.session = self.session  # each request's client is made with it
        if context.client is not None:
            context.client.session = self.session
        if context.response_url:
            if not slack_reply_url(context.response_url, self.client.base_url):
                log.warning("request refused: a response_url off Slack's hosts")
                return BoltResponse(status=400, body="")
            context["respond"] = SessionRespond(context.response_url, self.session)
        # Past Bolt's verification, with Slack's response_url: answers may go to it.
        context[REPLIES] = True
        return await next()

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


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
    from bot.drafting import drafter_for, with_drafter
    from bot.listeners import register_all

    identity = TokenIdentity(settings.bot_token)
    store = Store(engine, settings.backlog)

    async def authorize(
        enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> AuthorizeResult:  # Bolt passes arguments by these names
        return identity.result(enterprise_id, team_id, user_id)

    # Each request's client gets the token; the OAuth flow's oauth.v2.access goes through
    # this client too, so to SLACK_API_URL.
    client = web_client(settings, token=None)
    if settings.oauth:
        from bot.oauth import oauth_mode

        mode = oauth_mode(settings, store, client)
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
        listen_for_uninstalls(app, app.installation_store, store)
    identity.http = SharedHTTP(client)
    app.use(identity.http.middleware)
    app.use(with_drafter(drafter_for(settings)))
    register_all(app, store, settings.public_url)
    return app, identity
