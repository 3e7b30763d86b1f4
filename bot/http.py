"""Web API clients (without Bolt: the scheduler needs none of it), and HTTP sessions shared
by many calls (slack_sdk's default is a new session, and a new connection, for each call)."""

from __future__ import annotations

import aiohttp
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryState
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings


def session_for(client: AsyncWebClient) -> aiohttp.ClientSession:
    """A session for `client`'s calls, in the running event loop. slack_sdk applies its own
    timeout only to sessions it makes: this one gets the client's."""
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=client.timeout))


# Web API methods that may run twice with the effect of once. Slack has no idempotency key:
# a connection that broke after Slack acted on a chat.postMessage, chat.update, files.*,
# views.open or views.push would be done twice by a retry.
REPEATABLE = frozenset(
    {
        "apps.connections.open",
        "auth.test",
        "conversations.history",
        "conversations.info",
        "conversations.join",
        "conversations.open",
        "users.info",
        "views.publish",
    }
)


class RepeatableRetryHandler(AsyncConnectionErrorRetryHandler):
    """slack_sdk's retry on a connection error, for REPEATABLE methods only."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        method = request.url.partition("?")[0].rsplit("/", 1)[-1]
        return method in REPEATABLE and await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        )


def web_client(settings: Settings, token: str | None = "") -> AsyncWebClient:
    """A client of SLACK_API_URL that retries 429s (Slack answered: it did nothing) and
    connection errors of repeatable methods; with the bot token unless told otherwise."""
    return AsyncWebClient(
        token=settings.bot_token if token == "" else token,
        base_url=settings.api_url,
        timeout=settings.api_timeout,
        retry_handlers=[
            RepeatableRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )
