"""The new-question and close modals, the guide button and the App Home tab."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot import clock, words
from bot.blocks import metadata, section, state_values, submission_key
from bot.ids import Action, Input, Meta, View
from bot.listeners.shared import AGAIN, each, modal_errors, once, overviews_for, publish_home
from bot.store import Store
from bot.views import questions as surfaces
from cadence import deliveries, ids, questions, saturation
from cadence.models import Status


def register(app: AsyncApp, store: Store) -> None:
    @app.view(View.NEW_QUESTION)
    async def new_question(
        ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        values = state_values(view)
        draft = questions.Draft(
            text=values.get(Input.TEXT, ""),
            hypothesis=values.get(Input.HYPOTHESIS, ""),
            segment=values.get(Input.SEGMENT, ""),
            owner_id=values.get(Input.OWNER, ""),
            channel_id=values.get(Input.CHANNEL, ""),
            weekly_target=values.get(Input.TARGET, ""),
            preset=values.get(Input.PRESET, ""),
            base=values.get(Input.BASE, ""),
            run=values.get(Input.RUN, ""),
            threshold=values.get(Input.THRESHOLD, ""),
        )
        problems = questions.check_draft(draft)
        if problems:
            await ack(response_action="errors", errors=modal_errors(problems))
            return
        creator = body["user"]["id"]
        # Stored before the ack: once the modal closes, nothing typed into it may be lost.
        team, key = context.team_id, submission_key(view)
        question = await once(
            store, team, view, questions.create, team, draft, creator, clock.now(), key
        )
        await ack()
        if question is AGAIN:
            return
        text, blocks = surfaces.created_blocks(question, creator)
        await each(
            *(
                client.chat_postMessage(channel=user, text=text, blocks=blocks)
                for user in dict.fromkeys([question.owner_id, creator])
            ),
            publish_home(client, store, context.team_id, question.owner_id),
        )

    @app.view(View.CLOSE_QUESTION)
    async def close_question(
        ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        values = state_values(view)
        if values.get(Input.OUTCOME) not in (Status.ANSWERED.value, Status.DROPPED.value):
            await ack(
                response_action="errors", errors=modal_errors({Input.OUTCOME: "required_outcome"})
            )
            return
        user = body["user"]["id"]
        try:
            question = await once(
                store,
                context.team_id,
                view,
                questions.close,
                context.team_id,
                ids.number(metadata(view).get(Meta.QUESTION_ID)) or 0,
                user,
                Status(values[Input.OUTCOME]),
                values.get(Input.CONCLUSION, ""),
                clock.now(),
            )
        except questions.NotOwner:
            await ack(response_action="errors", errors=modal_errors({Input.OUTCOME: "not_owner"}))
            return
        except LookupError:
            await ack(response_action="errors", errors=modal_errors({Input.OUTCOME: "gone"}))
            return
        except questions.NotOpen:
            await ack(response_action="errors", errors=modal_errors({Input.OUTCOME: "not_open"}))
            return
        await ack()
        if question is AGAIN:
            return
        text = words.say("questions.closed", q=question)
        await each(
            client.chat_postMessage(channel=user, text=text, blocks=[section(text)]),
            publish_home(client, store, context.team_id, user),
        )

    @app.view(View.SATURATION_RULE)
    async def rule_submitted(
        ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        values, user = state_values(view), body["user"]["id"]
        rule, problems = saturation.check_rule(
            values.get(Input.PRESET, ""),
            values.get(Input.BASE, ""),
            values.get(Input.RUN, ""),
            values.get(Input.THRESHOLD, ""),
        )
        if rule is None:
            await ack(response_action="errors", errors=modal_errors(problems))
            return
        question_id = ids.number(metadata(view).get(Meta.QUESTION_ID)) or 0
        team = context.team_id
        try:
            question = await once(
                store, team, view, questions.set_rule, team, question_id, user, rule, clock.now()
            )
        except LookupError:
            await ack(response_action="errors", errors=modal_errors({Input.PRESET: "gone"}))
            return
        except questions.NotOwner:
            await ack(
                response_action="errors", errors=modal_errors({Input.PRESET: "not_owner_rule"})
            )
            return
        await ack()
        if question is AGAIN:
            return
        (overview,) = await overviews_for(store, context.team_id, [question])
        text = words.say("cadence.rule_saved", o=overview)
        await client.chat_postMessage(channel=user, text=text, blocks=[section(text)])

    @app.action(Action.GUIDE)
    async def show_guide(
        ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        question_id = ids.number(action.get("value")) or 0
        question = await store.run(questions.get, context.team_id, question_id)
        if question is not None:
            view = surfaces.guide_modal(question)
            await client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.action(Action.NEW_QUESTION)
    async def new_from_home(ack: AsyncAck, body: dict, client: AsyncWebClient) -> None:
        await ack()
        view = surfaces.new_question_modal("", body["user"]["id"], None)
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.event("app_home_opened")
    async def home(
        event: dict, body: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        user = event.get("user")
        if event.get("tab", "home") != "home" or not ids.is_slack_id(user) or store.busy:
            return  # overloaded: the tab shows what it showed, until it is opened again
        # Slack retries an event it thinks was not answered: each event_id is handled once.
        key = (context.team_id, deliveries.EVENT, str(body.get("event_id", ""))[:64], "")
        with store.interaction():
            if await store.run(deliveries.first, key, clock.now()):
                await publish_home(client, store, context.team_id, user)
