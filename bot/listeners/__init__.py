"""Slack listeners, one module a surface, each with a table of its LISTENERS."""

import logging
from collections.abc import Awaitable, Callable

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot import words
from bot.app import REPLIES
from bot.listeners import (
    cadence,
    codebook,
    commands,
    files,
    interviews,
    pool,
    questions,
    search,
)
from bot.listeners.shared import PUBLIC_URL, STORE
from bot.store import Store
from cadence import ids

log = logging.getLogger("discovery")


async def slack_ids_only(context: AsyncBoltContext, next: Callable[[], Awaitable]) -> object:
    """A request whose team or user is not a Slack id (forged: too long for its column, or
    odd characters) goes no further than a 400."""
    for value in (context.team_id, context.user_id, context.channel_id):
        if value is not None and not ids.is_slack_id(value):
            return BoltResponse(status=400, body="")
    return await next()


# Every listener: (Bolt's decorator, the id it listens for, the function), by surface.
LISTENERS = [
    *commands.LISTENERS,
    *questions.LISTENERS,
    *interviews.LISTENERS,
    *cadence.LISTENERS,
    *codebook.LISTENERS,
    *pool.LISTENERS,
    *search.LISTENERS,
    *files.LISTENERS,
]


def register_all(app: AsyncApp, store: Store, public_url: str = "") -> None:
    app.use(slack_ids_only)

    async def with_store(context: AsyncBoltContext, next: Callable[[], Awaitable]) -> object:
        context[STORE] = store  # every listener's one way to the database
        context[PUBLIC_URL] = public_url  # where webhooks reach this server, when set
        return await next()

    app.use(with_store)
    for kind, listens_for, listener in LISTENERS:
        getattr(app, kind)(listens_for)(listener)

    @app.error
    async def failed(error: Exception, context: AsyncBoltContext) -> None:
        # One line; the traceback only when debugging (forged requests would flood the log).
        log.error("listener failed: %s: %s", type(error).__name__, error)
        log.debug("listener failed", exc_info=error)
        # A command or a message action that passed verification: tell the user, at Slack.
        if context.get(REPLIES) and context.response_url:
            await context.respond(text=words.say("help.failed"), response_type="ephemeral")
