"""Time zones come from Slack's users.info, cached in the Member table."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.store import Store
from cadence import members

if TYPE_CHECKING:  # the client loads with the first one made (an idle tick makes none)
    from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("discovery.members")


async def _lookup(client: AsyncWebClient, user_id: str) -> dict | None:
    """The user's users.info record; None when Slack refuses or fails."""
    try:
        response = await client.users_info(user=user_id)
    except SlackApiError as e:
        log.warning("users.info %s failed: %s", user_id, e.response.get("error"))
        return None
    except Exception as e:  # Slack unreachable or slow: the cached zone (or UTC) serves
        log.warning("users.info %s failed: %s", user_id, type(e).__name__)
        return None
    return response["user"]


def _cached(s: Session, asked: list[tuple[str, set[str], datetime]]) -> list[dict]:
    """members.zones of each (team, users, now): a scheduler's workspaces read together."""
    return [members.zones(s, team_id, users, now) for team_id, users, now in asked]


async def time_zones(
    client: AsyncWebClient, store: Store, team_id: str, user_ids: Iterable[str], now: datetime
) -> dict[str, str]:
    """Each user's zone; one users.info per user not cached or stale. When Slack fails, the
    stale zone still beats UTC, the zone of a user never looked up."""
    wanted = set(user_ids)
    cached = await store.grouped(_cached, (team_id, wanted, now))
    missing = sorted(u for u in wanted if not cached.get(u, ("", False))[1])
    found = await asyncio.gather(*(_lookup(client, u) for u in missing))
    fetched = {
        u: user["tz"] for u, user in zip(missing, found, strict=True) if user and user.get("tz")
    }
    if fetched:
        await store.run(members.remember, team_id, fetched, now)
    return {u: fetched.get(u) or cached.get(u, ("UTC", False))[0] for u in wanted}


def _name(user: dict) -> str:
    """What Slack shows for a person: the display name, else the full name."""
    profile = user.get("profile") or {}
    return profile.get("display_name") or user.get("real_name") or user.get("name") or ""


async def names(client: AsyncWebClient, user_ids: Iterable[str]) -> dict[str, str]:
    """The names of those users Slack tells (one users.info each, at once), for text read
    outside Slack, where a mention is just an id; a user Slack does not tell is left out."""
    wanted = sorted(set(user_ids))
    found = await asyncio.gather(*(_lookup(client, u) for u in wanted))
    told = {u: _name(user) for u, user in zip(wanted, found, strict=True) if user}
    return {u: name for u, name in told.items() if name}
