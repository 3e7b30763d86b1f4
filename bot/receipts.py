"""Did a scheduled DM reach Slack? Asked before a send the ledger is unsure of goes again.

Slack has no idempotency key: a post whose answer was lost (a reset connection, an answer
slower than the client's timeout) or whose process died mid-send may be in the
conversation already. Each scheduled post carries message metadata naming its ledger key,
and the DM's history since the claim is read for it (scope im:history).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cadence.deliveries import Key

if TYPE_CHECKING:  # the client loads with the first one made (an idle tick makes none)
    from slack_sdk.web.async_client import AsyncWebClient

EVENT_TYPE = "discovery_send"
# Slack's clock against ours: the history is read from a little before the claim.
SKEW = timedelta(minutes=1)
PAGE = 200  # messages per conversations.history page


def metadata(key: Key) -> dict[str, Any]:
    """The message metadata of a scheduled send: its ledger key."""
    team_id, kind, target, period = key
    payload = {"team": team_id, "kind": kind, "target": target, "period": period}
    return {"event_type": EVENT_TYPE, "event_payload": payload}


async def in_dm(client: AsyncWebClient, user: str, key: Key, since: datetime) -> bool:
    """Whether the bot's DM with `user` holds the message of `key`, posted since `since`."""
    opened = await client.conversations_open(users=user)  # the D… id history needs
    payload = metadata(key)["event_payload"]
    cursor = None
    while True:
        page = await client.conversations_history(
            channel=opened["channel"]["id"],
            oldest=f"{(since - SKEW).timestamp():.6f}",
            include_all_metadata=True,
            limit=PAGE,
            cursor=cursor,
        )
        for message in page.get("messages") or []:
            found = message.get("metadata") or {}
            if found.get("event_type") == EVENT_TYPE and found.get("event_payload") == payload:
                return True
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return False
