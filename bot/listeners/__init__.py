"""Slack listeners, one module a surface, each with a `register(app, store)`."""

from slack_bolt.async_app import AsyncApp

from bot.app import Store
from bot.listeners import commands, questions


def register_all(app: AsyncApp, store: Store) -> None:
    commands.register(app, store)
    questions.register(app, store)
