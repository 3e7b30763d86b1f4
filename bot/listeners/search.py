"""Evidence coming back out: a search's next page, and an interview's snapshot."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import words
from bot.ids import Action
from bot.listeners.shared import answer, store_of
from bot.views import snapshots as cards
from cadence import ids, search, snapshots


async def more_pressed(
    ack: AsyncAck, action: dict, respond: AsyncRespond, context: AsyncBoltContext
) -> None:
    """The next page of hits, in place of the page shown (only its caller sees it)."""
    await ack()
    offset, typed = cards.read_more(str(action.get("value", "")))
    results = await store_of(context).run(search.search, context.team_id, typed, offset)
    text, blocks = cards.results_blocks(results)
    await respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=True)


async def view_pressed(
    ack: AsyncAck,
    body: dict,
    action: dict,
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    interview_id = ids.number(action.get("value")) or 0
    found = await store_of(context).run(snapshots.of_interviews, context.team_id, [interview_id])
    if not found:
        await answer(respond, words.say("interviews.gone"))
        return
    await client.views_open(trigger_id=body["trigger_id"], view=cards.snapshot_modal(found[0]))


LISTENERS = [
    ("action", Action.SEARCH_MORE, more_pressed),
    ("action", Action.VIEW_SNAPSHOT, view_pressed),
]
