"""`/discovery ...`: every answer is ephemeral, through response_url."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot import words
from bot.app import Store
from bot.blocks import section


def register(app: AsyncApp, store: Store) -> None:
    @app.command("/discovery")
    async def discovery(ack: AsyncAck, command: dict, respond: AsyncRespond) -> None:
        await ack()
        sub, _, _rest = command.get("text", "").strip().partition(" ")
        name = command.get("command", "/discovery")
        text = words.say("help.text", command=name)
        if sub.lower() not in ("", "help"):
            text = words.say("help.unknown", command=name, word=sub) + "\n" + text
        await respond(text=text, blocks=[section(text)], response_type="ephemeral")
