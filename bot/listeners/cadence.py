"""The weekly cadence in Slack: the buttons of reminders and nudges, reminder settings,
and the digest on demand."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot import clock, words
from bot.blocks import section
from bot.channels import post_to_channel
from bot.ids import Action, Input, View
from bot.listeners.interviews import open_plan
from bot.listeners.shared import answer, dm, refuse, store_of, stored, time_zone
from bot.scheduler import post_thread
from bot.store import Store
from bot.views import cadence as views
from bot.views import questions as surfaces
from cadence import (
    adaptive,
    channels,
    deliveries,
    ids,
    members,
    questions,
    saturation,
    schedule,
    weeks,
)
from cadence.models import ChannelDigest, Question, Status

_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$|^([CG][A-Z0-9]{6,})$")


async def skip_week(
    store: Store,
    client: AsyncWebClient,
    respond: AsyncRespond,
    team_id: str,
    body: dict[str, Any],
    value: str,
) -> None:
    """Mute a question until Monday and say so in the DM the button was in."""
    parsed = views.skip_value(value)
    if parsed is None:
        return
    question_id, week = parsed
    user = body["user"]["id"]
    today = weeks.local_today(clock.now(), await time_zone(client, store, team_id, user))
    try:
        question = await store.run(schedule.skip, team_id, question_id, user, week, today)
    except LookupError:
        await answer(respond, words.say("interviews.gone"))
        return
    except questions.NotOwner as e:
        await answer(respond, words.say("cadence.not_owner", q=e.question))
        return
    except questions.NotOpen as e:
        await answer(respond, words.say("questions.not_open", q=e.question))
        return
    except schedule.WeekOver:
        await answer(respond, words.say("cadence.week_over"))
        return
    await _noted(client, body, question, words.say("cadence.skipped", q=question))


async def adapt(
    store: Store,
    client: AsyncWebClient,
    respond: AsyncRespond,
    team_id: str,
    body: dict[str, Any],
    action: dict[str, Any],
) -> None:
    """The reminder's offers: close (the close modal), lower the target, pause, keep going;
    the answer replaces the question's buttons in the DM."""
    question_id, user = ids.number(action.get("value")) or 0, body["user"]["id"]
    if action["action_id"] == Action.CLOSE_IDLE:
        question = await store.run(questions.get, team_id, question_id)
        if question is None:
            await answer(respond, words.say("interviews.gone"))
        elif question.status != Status.OPEN.value:
            await answer(respond, words.say("questions.not_open", q=question))
        else:
            view = surfaces.close_modal(question, "")
            await client.views_open(trigger_id=body["trigger_id"], view=view)
        return
    offer = OFFERED[action["action_id"]]
    today = weeks.local_today(clock.now(), await time_zone(client, store, team_id, user))
    try:
        question = await store.run(adaptive.ANSWERS[offer], team_id, question_id, user, today)
    except LookupError:
        await answer(respond, words.say("interviews.gone"))
        return
    except questions.NotOwner as e:
        await answer(respond, words.say("questions.not_owner", q=e.question))
        return
    except questions.NotOpen as e:
        await answer(respond, words.say("questions.not_open", q=e.question))
        return
    await _noted(client, body, question, views.adapted(question, offer))


OFFERED = {
    Action.LOWER_TARGET: adaptive.Offer.LOWER,
    Action.PAUSE: adaptive.Offer.PAUSE,
    Action.KEEP_GOING: adaptive.Offer.KEEP,
}


async def _noted(client: AsyncWebClient, body: dict[str, Any], question: Question, note: str):
    """The DM the button was in, with the question's buttons replaced by `note`."""
    message, channel = body.get("message") or {}, (body.get("channel") or {}).get("id")
    if message.get("ts") and channel:
        blocks = views.with_note(message.get("blocks") or [], question, note)
        await client.chat_update(channel=channel, ts=message["ts"], text=note, blocks=blocks)


async def adapt_pressed(
    ack: AsyncAck,
    body: dict,
    action: dict,
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    await adapt(store_of(context), client, respond, context.team_id, body, action)


async def settings_submitted(
    ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    draft = views.read_settings(view)
    problems = members.check_prefs(draft)
    if problems:
        await refuse(ack, problems)
        return
    team, user = context.team_id, body["user"]["id"]
    store = store_of(context)
    args = (team, user, draft)
    prefs = await stored(ack, store, team, view, Input.REMINDERS, members.save_prefs, *args)
    if prefs is not None:
        await dm(client, user, views.settings_saved(prefs))
        if prefs.overview:  # a lead may own no question: the tick would not look them up
            await time_zone(client, store, team, user)


async def open_digest_settings(
    client: AsyncWebClient, store: Store, team_id: str, user: str, trigger: str, channel: str
) -> None:
    """The channel digest modal, with the channel's setting (or the default) chosen."""
    chosen = await store.run(channels.setting, team_id, channel)
    tz = await store.run(members.cached_zone, team_id, user)
    view = views.digest_settings_modal(channel, chosen, tz)
    await client.views_open(trigger_id=trigger, view=view)


async def digest_settings_submitted(
    ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    draft = views.read_digest_settings(view)
    problems = channels.check(draft)
    if problems:
        await refuse(ack, problems)
        return
    team, user = context.team_id, body["user"]["id"]
    args = (team, user, draft, clock.now())
    saved = await stored(ack, store_of(context), team, view, Input.WHEN, _save_digest, *args)
    if saved is not None:
        await dm(client, user, views.digest_settings_saved(draft.channel_id, saved.setting))


@dataclass(frozen=True)
class _Saved:
    setting: ChannelDigest | None  # None: back to the last owner's Friday


def _save_digest(s: Session, *args: Any) -> _Saved:
    return _Saved(channels.save(s, *args))


def digest_channel(rest: str, here: str) -> str | None:
    """The channel `/discovery digest [channel]` names: a picked <#C…> link, an id, or the
    channel it was typed in; None when the words name no channel."""
    if not rest:
        return here
    m = _CHANNEL.match(rest.strip())
    return (m.group(1) or m.group(2)) if m else None


async def post_digest_now(
    store: Store,
    client: AsyncWebClient,
    respond: AsyncRespond,
    team_id: str,
    user: str,
    channel: str,
) -> None:
    """This week so far, posted in `channel` now, with its snapshots in its thread."""
    tz = await time_zone(client, store, team_id, user)
    digest = await store.run(schedule.digest_now, team_id, channel, clock.now(), tz)
    if digest is None:
        reply = words.say("cadence.digest_none", channel=channel)
        await respond(text=reply, blocks=[section(reply)], response_type="ephemeral")
        return
    text, blocks = views.digest_blocks(digest)
    ts = await post_to_channel(client, channel, text, blocks)
    name = "cadence.digest_posted" if ts else "cadence.digest_cannot_post"
    reply = words.say(name, channel=channel)
    await respond(text=reply, blocks=[section(reply)], response_type="ephemeral")
    if ts:  # its thread as the Friday digest's: each reply sent once, a later tick retries
        replies = digest.thread(ts)
        await store.run(deliveries.queue, [r.key for r in replies], clock.now())
        await post_thread(client, store=store, clock=clock.now, replies=replies)


async def flag_pressed(
    store: Store,
    client: AsyncWebClient,
    respond: AsyncRespond,
    team_id: str,
    body: dict[str, Any],
    action: dict[str, Any],
) -> None:
    """The saturation flag's buttons: close as answered, open a follow-up, keep going."""
    question = await store.run(questions.get, team_id, ids.number(action.get("value")) or 0)
    if question is None:
        await answer(respond, words.say("interviews.gone"))
        return
    user, trigger = body["user"]["id"], body["trigger_id"]
    kind = action["action_id"]
    if kind == Action.FOLLOW_UP_QUESTION:
        text = words.plain("cadence.follow_up_text", q=question)[: questions.MAX_TEXT]
        segment = questions.other_segment(question.segment)
        view = surfaces.new_question_modal(text, user, question.channel_id, segment)
        await client.views_open(trigger_id=trigger, view=view)
    elif question.status != Status.OPEN.value:
        await answer(respond, words.say("questions.not_open", q=question))
    elif kind == Action.CLOSE_ANSWERED:  # the flag's, and a reminder's when saturated
        # Saturation does not depend on time zones: no users.info before the trigger expires.
        now = clock.now()
        (overview,) = await store.run(questions.overviews, team_id, [question], now, {})
        saturated = overview.saturation.state is saturation.State.SATURATED
        conclusion = words.plain("cadence.saturated_conclusion", o=overview) if saturated else ""
        view = surfaces.close_modal(question, conclusion, Status.ANSWERED)
        await client.views_open(trigger_id=trigger, view=view)
    else:  # keep interviewing: nothing to store, the next flag needs a new saturation
        await _noted(client, body, question, words.say("cadence.kept", q=question))


async def saturation_flag(
    ack: AsyncAck,
    body: dict,
    action: dict,
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    await flag_pressed(store_of(context), client, respond, context.team_id, body, action)


async def skip_pressed(
    ack: AsyncAck,
    body: dict,
    action: dict,
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    value = action.get("value", "")
    await skip_week(store_of(context), client, respond, context.team_id, body, value)


async def plan_pressed(
    ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    question_id = ids.number(action.get("value"))
    await open_plan(client, store_of(context), context.team_id, body["trigger_id"], question_id)


LISTENERS = [
    ("action", Action.CLOSE_ANSWERED, saturation_flag),
    ("action", Action.FOLLOW_UP_QUESTION, saturation_flag),
    ("action", Action.KEEP_INTERVIEWING, saturation_flag),
    ("action", Action.SKIP_WEEK, skip_pressed),
    ("action", Action.PLAN, plan_pressed),
    ("view", View.SETTINGS, settings_submitted),
    ("action", Action.LOWER_TARGET, adapt_pressed),
    ("action", Action.PAUSE, adapt_pressed),
    ("action", Action.KEEP_GOING, adapt_pressed),
    ("action", Action.CLOSE_IDLE, adapt_pressed),
    ("view", View.DIGEST_SETTINGS, digest_settings_submitted),
]
