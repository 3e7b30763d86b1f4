"""Time zones come from Slack's users.info, cached in the Member table."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Store
from cadence import members

log = logging.getLogger("discovery.members")


async def _lookup(client: AsyncWebClient, user_id: str) -> str | None:
    try:
        response = await client.users_info(user=user_id)
    except SlackApiError as e:
        log.warning("users.info %s failed: %s", user_id, e.response.get("error"))
        return None
    return response["user"].get("tz")


async def time_zones(
    client: AsyncWebClient, store: Store, team_id: str, user_ids: Iterable[str], now: datetime
) -> dict[str, str]:
    """Each user's zone; one users.info per user not cached (or stale), UTC when Slack fails."""
    wanted = set(user_ids)
    known = await store.run(members.zones, team_id, wanted, now)
    missing = sorted(wanted - known.keys())
    zones = await asyncio.gather(*(_lookup(client, u) for u in missing))
    found = dict(zip(missing, zones, strict=True))
    fetched = {u: tz for u, tz in found.items() if tz}
    if fetched:
        await store.run(members.remember, team_id, fetched, now)
    return {u: known.get(u) or fetched.get(u) or "UTC" for u in wanted}
