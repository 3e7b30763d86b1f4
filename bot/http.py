"""HTTP sessions shared by many Web API calls (slack_sdk's default is a new session, and a
new connection, for each call)."""

from __future__ import annotations

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient


def session_for(client: AsyncWebClient) -> aiohttp.ClientSession:
    """A session for `client`'s calls, in the running event loop. slack_sdk applies its own
    timeout only to sessions it makes: this one gets the client's."""
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=client.timeout))
