"""The new-question and close modals, the saturation rule, the guide button and the App Home
tab."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot import clock, words
from bot.blocks import submission_key
from bot.ids import Action, Input, View
from bot.listeners.shared import (
    dm,
    each,
    first_event,
    overviews_for,
    publish_home,
    refuse,
    store_of,
    stored,
)
from bot.views import questions as surfaces
from cadence import ids, questions


async def new_question(
    ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    draft = surfaces.read_question(view)
    problems = questions.check_draft(draft)
    if problems:
        await refuse(ack, problems)
        return
    store, team, creator = store_of(context), context.team_id, body["user"]["id"]
    # Stored before the ack: once the modal closes, nothing typed into it may be lost.
    args = (team, draft, creator, clock.now(), submission_key(view))
    question = await stored(ack, store, team, view, Input.TEXT, questions.create, *args)
    if question is None:
        return
    text, blocks = surfaces.created_blocks(question, creator)
    await each(
        *(dm(client, user, text, blocks) for user in dict.fromkeys([question.owner_id, creator])),
        publish_home(client, store, team, question.owner_id),
    )


async def advanced_rule(
    ack: AsyncAck, body: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """The new-question modal's Advanced: the saturation rule's inputs, in place of its words."""
    await ack()
    view = body.get("view") or {}
    if view.get("id"):
        await client.views_update(
            view_id=view["id"], hash=view.get("hash"), view=surfaces.with_rule(view)
        )


async def close_question(
    ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    form = surfaces.read_closing(view)
    if form.outcome is None:
        await refuse(ack, {Input.OUTCOME: "required_outcome"})
        return
    store, team, user = store_of(context), context.team_id, body["user"]["id"]
    args = (team, form.question_id, user, form.outcome, form.conclusion, clock.now())
    question = await stored(ack, store, team, view, Input.OUTCOME, questions.close, *args)
    if question is None:
        return
    text = words.say("questions.closed", q=question)
    await each(dm(client, user, text), publish_home(client, store, team, user))


async def rule_submitted(
    ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    question_id, rule, problems = surfaces.read_rule(view)
    if rule is None:
        await refuse(ack, problems)
        return
    store, team, user = store_of(context), context.team_id, body["user"]["id"]
    args = (team, question_id, user, rule, clock.now())
    own = {questions.NotOwner: "not_owner_rule"}
    question = await stored(
        ack, store, team, view, Input.PRESET, questions.set_rule, *args, codes=own
    )
    if question is None:
        return
    (overview,) = await overviews_for(store, team, [question])
    await dm(client, user, words.say("cadence.rule_saved", o=overview))


async def show_guide(
    ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    question_id = ids.number(action.get("value")) or 0
    question = await store_of(context).run(questions.get, context.team_id, question_id)
    if question is not None:
        view = surfaces.guide_modal(question)
        await client.views_open(trigger_id=body["trigger_id"], view=view)


async def new_from_home(ack: AsyncAck, body: dict, client: AsyncWebClient) -> None:
    await ack()
    view = surfaces.new_question_modal("", body["user"]["id"], None)
    await client.views_open(trigger_id=body["trigger_id"], view=view)


async def home(event: dict, body: dict, client: AsyncWebClient, context: AsyncBoltContext) -> None:
    store, user = store_of(context), event.get("user")
    if event.get("tab", "home") != "home" or not ids.is_slack_id(user) or store.busy:
        return  # overloaded: the tab shows what it showed, until it is opened again
    with store.interaction():
        if await first_event(store, context.team_id, body):
            await publish_home(client, store, context.team_id, user)


LISTENERS = [
    ("view", View.NEW_QUESTION, new_question),
    ("action", Action.ADVANCED_RULE, advanced_rule),
    ("view", View.CLOSE_QUESTION, close_question),
    ("view", View.SATURATION_RULE, rule_submitted),
    ("action", Action.GUIDE, show_guide),
    ("action", Action.NEW_QUESTION, new_from_home),
    ("event", "app_home_opened", home),
]
