"""Files shared with the app in a DM, routed by what they hold: notes and transcripts (text,
Markdown, WebVTT, SRT) are offered as the draft of an interview summary. A DM gives no
trigger to open a modal with, so the answer is a button that opens it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import slack_file_url
from bot.drafting import drafter_of
from bot.ids import Action
from bot.listeners import pool
from bot.listeners.interviews import open_summary
from bot.listeners.shared import dm, first_event, store_of
from bot.views import interviews as ui
from cadence import ids

NOTES = "notes"
PEOPLE = "people"  # a CSV of people for the candidate pool
NOTES_TYPES = {"text", "markdown", "vtt", "srt"}  # Slack's filetype of each
NOTES_EXTENSIONS = (".txt", ".text", ".md", ".markdown", ".vtt", ".srt")
MAX_FILE_BYTES = 1_000_000  # read of a file; drafting reads the first MAX_NOTES characters


def kind_of(file: dict) -> str | None:
    """What a shared file holds, as a route's name; None for a file the app has no use for."""
    name, filetype = str(file.get("name", "")).lower(), str(file.get("filetype", "")).lower()
    if filetype == "csv" or name.endswith(".csv"):
        return PEOPLE
    if filetype in NOTES_TYPES or name.endswith(NOTES_EXTENSIONS):
        return NOTES
    return None


async def offer_draft(
    client: AsyncWebClient, context: AsyncBoltContext, user: str, file: dict
) -> None:
    name = str(file.get("name") or file.get("title") or file["id"])[:200]
    text, blocks = ui.file_offer(name, str(file["id"]))
    await dm(client, user, text, blocks)


async def import_people(
    client: AsyncWebClient, context: AsyncBoltContext, user: str, file: dict
) -> None:
    await pool.import_file(client, store_of(context), context.team_id, user, file, read_file)


# A shared file's kind -> what is done with it.
Route = Callable[[AsyncWebClient, AsyncBoltContext, str, dict], Awaitable[None]]
ROUTES: dict[str, Route] = {NOTES: offer_draft, PEOPLE: import_people}


async def file_shared(
    ack: AsyncAck, event: dict, body: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """A file shared in a DM with the app, by a person: looked up, and routed by its kind;
    each event once (Slack retries one it thinks unanswered)."""
    await ack()
    user, channel = str(event.get("user_id", "")), str(event.get("channel_id", ""))
    file_id = str(event.get("file_id") or "")
    if not channel.startswith("D") or user == context.bot_user_id or not ids.is_slack_id(user):
        return
    if not await first_event(store_of(context), context.team_id, body):
        return
    file = (await client.files_info(file=file_id))["file"]
    route = ROUTES.get(kind_of(file) or "")
    if route is not None:
        await route(client, context, user, file)


async def read_file(client: AsyncWebClient, file_id: str) -> str:
    """A shared file's text (its first MAX_FILE_BYTES), downloaded with the bot token from
    Slack's file host, and from nowhere else."""
    file = (await client.files_info(file=file_id))["file"]
    url = str(file.get("url_private_download") or file.get("url_private") or "")
    if not slack_file_url(url, client.base_url):
        raise ValueError("a file URL off Slack's hosts")
    timeout = aiohttp.ClientTimeout(total=client.timeout)
    headers = {"Authorization": f"Bearer {client.token}"}
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(url, headers=headers) as response,
    ):
        response.raise_for_status()
        data = await response.content.read(MAX_FILE_BYTES)
    return data.decode("utf-8", errors="replace")


async def draft_from_file(
    ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """The summary, opened at once and then drafted from the file the button names."""
    await ack()
    file_id = str(action.get("value", ""))
    await open_summary(
        client,
        store_of(context),
        context.team_id,
        body["user"]["id"],
        body["trigger_id"],
        notes=lambda: read_file(client, file_id),
        drafter=drafter_of(context),
    )


LISTENERS = [
    ("event", "file_shared", file_shared),
    ("action", Action.DRAFT_FROM_FILE, draft_from_file),
]
