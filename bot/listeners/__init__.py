"""Slack listeners, one module a surface, each with a `register(app, store)`."""

import logging

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot import words
from bot.app import Store
from bot.listeners import cadence, commands, interviews, questions

log = logging.getLogger("discovery")


def register_all(app: AsyncApp, store: Store) -> None:
    commands.register(app, store)
    questions.register(app, store)
    interviews.register(app, store)
    cadence.register(app, store)

    @app.error
    async def failed(error: Exception, context: AsyncBoltContext) -> None:
        log.error("listener failed", exc_info=error)
        if context.response_url:  # a command or a message action: tell the user
            await context.respond(text=words.say("help.failed"), response_type="ephemeral")
