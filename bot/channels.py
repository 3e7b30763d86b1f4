"""Posting in a channel the bot may not be a member of yet."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from bot.blocks import Block

if TYPE_CHECKING:  # the client loads with the first one made (an idle tick makes none)
    from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("discovery.channels")

# chat.postMessage errors meaning the bot is not in the channel: not_in_channel for a public
# one, channel_not_found for a private one it cannot see.
OUTSIDE = {"not_in_channel", "channel_not_found"}


async def post_to_channel(
    client: AsyncWebClient,
    channel_id: str,
    text: str,
    blocks: list[Block],
    metadata: dict[str, Any] | None = None,
    thread_ts: str | None = None,
) -> str | None:
    """Post (with message `metadata`, if any; in the thread of `thread_ts`, if given),
    joining the channel first when it is public: the message's ts, or None when the bot
    needs an invitation. Any other failure raises."""
    post = {"channel": channel_id, "text": text, "blocks": blocks, "metadata": metadata}
    if thread_ts:
        post["thread_ts"] = thread_ts
    try:
        return (await client.chat_postMessage(**post))["ts"]
    except SlackApiError as e:
        if e.response.get("error") not in OUTSIDE:
            raise
    try:
        await client.conversations_join(channel=channel_id)
    except SlackApiError as e:
        log.info("cannot join %s (%s): it needs an invitation", channel_id, e.response["error"])
        return None
    return (await client.chat_postMessage(**post))["ts"]
