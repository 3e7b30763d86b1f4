"""`/discovery ...`: every answer is ephemeral, through response_url."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot import clock, words
from bot.blocks import section
from bot.ids import COMMAND
from bot.listeners.cadence import digest_channel, open_digest_settings, post_digest_now
from bot.listeners.codebook import open_codebook
from bot.listeners.interviews import open_plan, open_summary
from bot.listeners.pool import forget, hook_url, host_of, show_pool, show_webhook
from bot.listeners.shared import PUBLIC_URL, overviews_for, store_of, time_zone
from bot.members import names as slack_names
from bot.store import Store
from bot.views import cadence as cadence_views
from bot.views import interviews as interview_ui
from bot.views import pool as pool_views
from bot.views import questions as surfaces
from bot.views import snapshots as cards
from bot.views import team as team_views
from cadence import (
    adaptive,
    export,
    interviews,
    members,
    preselection,
    questions,
    search,
    snapshots,
    team,
    weeks,
)
from cadence.models import Question, Status
from cadence.questions import Overview

RECENT_INTERVIEWS = 10


@dataclass
class Ask:
    """One slash command, as the subcommands need it."""

    team_id: str
    user_id: str
    channel_id: str
    trigger_id: str
    command: str
    rest: str
    client: AsyncWebClient
    respond: AsyncRespond
    store: Store
    host: str = ""  # the host the request came to
    public_url: str = ""

    async def say(self, text: str) -> None:
        await self.respond(text=text, blocks=[section(text)], response_type="ephemeral")


def usage(command: str) -> str:
    """/discovery help: a line for each subcommand the routing table has, in its order."""
    return words.say("help.text", command=command, subcommands=list(SUBCOMMANDS))


async def _help(ask: Ask) -> None:
    await ask.say(usage(ask.command))


async def _new(ask: Ask) -> None:
    view = surfaces.new_question_modal(ask.rest, ask.user_id, ask.channel_id)
    await ask.client.views_open(trigger_id=ask.trigger_id, view=view)


KEPT_LISTS = 1000  # workspaces whose last list a process keeps


async def _list(ask: Ask) -> None:
    """The workspace's open questions; the answer is kept, and given again while the
    workspace's stamp (cadence.questions.stamp: its version and the minute) is the same.
    The stamp is read outside a transaction, first: the cheapest statement there is."""
    key, now = f"list:{ask.team_id}", clock.now()
    stamp = await ask.store.read(questions.stamp, ask.team_id, now)
    seen, text, blocks = ask.store.kept.get(key, (None, "", []))
    if stamp != seen:
        overviews, total = await ask.store.run(
            questions.first_open, ask.team_id, now, surfaces.LIST_ROOM
        )
        if not total:
            await ask.say(words.say("questions.none_open", command=ask.command))
            return
        text = words.say("questions.list_header", count=total)
        blocks = surfaces.list_blocks(overviews, total)
        if key not in ask.store.kept and len(ask.store.kept) >= KEPT_LISTS:
            ask.store.kept.pop(next(iter(ask.store.kept)))  # the longest kept
        ask.store.kept[key] = (stamp, text, blocks)
    await ask.respond(text=text, blocks=blocks, response_type="ephemeral")


async def _named(ask: Ask) -> tuple[Question | None, str]:
    """The question the command's argument names; says why when it names none or several."""
    lookup = await ask.store.run(questions.find, ask.team_id, ask.rest)
    if lookup.question is None:
        await _not_found(ask, lookup)
    return lookup.question, lookup.rest


async def _not_found(ask: Ask, lookup: questions.Lookup) -> None:
    """Why the command's argument names no question: none, or several."""
    if lookup.candidates:
        await ask.say(words.say("questions.ambiguous", name=ask.rest, candidates=lookup.candidates))
    else:
        await ask.say(words.say("questions.unknown", name=ask.rest))


async def _pick(ask: Ask, verb: str) -> tuple[Question | None, str]:
    """The question the command names, or the caller's only open one; says why when none."""
    if ask.rest:
        return await _named(ask)
    mine = await ask.store.run(questions.open_questions, ask.team_id, ask.user_id)
    if len(mine) == 1:
        return mine[0], ""
    if not mine:
        await ask.say(words.say("questions.none_yours", command=ask.command))
    else:
        await ask.say(words.say("questions.which", verb=verb, candidates=mine))
    return None, ""


def _one_status(s: Session, team_id: str, ref: str, now: datetime) -> tuple:
    """The question `ref` names, its overview, what its latest run rests on and its latest
    interviews: one trip."""
    lookup = questions.find(s, team_id, ref)
    if lookup.question is None:
        return lookup, [], None, []
    overviews = questions.overviews_of(s, team_id, [lookup.question], now)
    account = preselection.account(s, team_id, lookup.question.id)
    latest = interviews.recent(s, team_id, lookup.question.id, RECENT_INTERVIEWS)
    shown = snapshots.of_interviews(s, team_id, [i.id for i in latest])
    return lookup, overviews, account, shown


async def _status(ask: Ask) -> None:
    if ask.rest:  # one question, with its latest interviews to edit or delete
        lookup, overviews, account, latest = await ask.store.run(
            _one_status, ask.team_id, ask.rest, clock.now()
        )
        if lookup.question is None:
            await _not_found(ask, lookup)
            return
        blocks = surfaces.status_blocks(overviews)
        blocks += interview_ui.account_blocks(lookup.question.id, account)
        blocks += interview_ui.recent_blocks(latest)
        blocks = blocks[: surfaces.MESSAGE_BLOCKS]
    else:
        overviews = await overviews_for(ask.store, ask.team_id, None, ask.user_id)
        if not overviews:
            await ask.say(words.say("questions.none_yours", command=ask.command))
            return
        blocks = surfaces.status_blocks(overviews)
    await ask.respond(text=blocks[0]["text"]["text"], blocks=blocks, response_type="ephemeral")
    if ask.rest and overviews[0].saturation.curve:
        await _learning_curve(ask, overviews[0])


async def _learning_curve(ask: Ask, overview: Overview) -> None:
    """The learning curve as a chart, uploaded into the caller's DM with the app."""
    from bot import charts  # matplotlib, loaded by the first chart

    title = words.plain("questions.chart_title", q=overview.question)
    png = await asyncio.to_thread(charts.learning_curve_png, overview.saturation, title)
    dm = await ask.client.conversations_open(users=ask.user_id)
    await ask.client.files_upload_v2(
        channel=dm["channel"]["id"],
        file=png,
        filename=f"learning-curve-{overview.question.number}.png",
        title=title,
        alt_txt=words.plain("questions.chart_alt", o=overview),
        initial_comment=words.say("questions.chart_comment", o=overview),
    )


async def _close(ask: Ask) -> None:
    question, conclusion = await _pick(ask, "close")
    if question is None:
        return
    if question.owner_id != ask.user_id:
        await ask.say(words.say("questions.not_owner", q=question))
    elif question.status != Status.OPEN.value:
        await ask.say(words.say("questions.not_open", q=question))
    else:
        view = surfaces.close_modal(question, conclusion)
        await ask.client.views_open(trigger_id=ask.trigger_id, view=view)


async def _guide(ask: Ask) -> None:
    question, _ = await _pick(ask, "prepare for")
    if question is not None:
        blocks = surfaces.guide_blocks(question)
        await ask.respond(text=blocks[0]["text"]["text"], blocks=blocks, response_type="ephemeral")


async def _optional_question(ask: Ask) -> tuple[bool, int | None]:
    """(go on, question id): no argument is fine (the modal asks); a bad one is explained."""
    if not ask.rest:
        return True, None
    question, _ = await _named(ask)
    return question is not None, question.id if question else None


async def _log(ask: Ask) -> None:
    go_on, question_id = await _optional_question(ask)
    if go_on:
        await open_summary(
            ask.client, ask.store, ask.team_id, ask.user_id, ask.trigger_id, question_id=question_id
        )


async def _plan(ask: Ask) -> None:
    go_on, question_id = await _optional_question(ask)
    if go_on:
        await open_plan(ask.client, ask.store, ask.team_id, ask.trigger_id, question_id)


async def _settings(ask: Ask) -> None:
    """Your reminders; with a question named, its saturation rule (owner only)."""
    if not ask.rest:
        prefs = await ask.store.run(members.prefs, ask.team_id, ask.user_id)
        view = cadence_views.settings_modal(prefs)
        await ask.client.views_open(trigger_id=ask.trigger_id, view=view)
        return
    question, _ = await _named(ask)
    if question is None:
        return
    if question.owner_id != ask.user_id:
        await ask.say(words.say("questions.not_owner_rule", q=question))
        return
    view = surfaces.rule_modal(question, questions.rule_of(question))
    await ask.client.views_open(trigger_id=ask.trigger_id, view=view)
    if question.paused_until is not None:  # a question's settings lift its pause
        tz = await time_zone(ask.client, ask.store, ask.team_id, ask.user_id)
        today = weeks.local_today(clock.now(), tz)
        if adaptive.paused(question, today):
            args = (ask.team_id, question.id, ask.user_id, today)
            await ask.say(
                words.say("cadence.resumed", q=await ask.store.run(adaptive.resume, *args))
            )


async def _digest(ask: Ask) -> None:
    """This week's digest so far; `digest settings [#channel]`: when a channel's comes."""
    first, _, rest = ask.rest.partition(" ")
    settings = first.lower() == "settings"
    channel = digest_channel(rest.strip() if settings else ask.rest, ask.channel_id)
    if channel is None:
        await ask.say(words.say("cadence.digest_unknown_channel", name=ask.rest))
    elif settings:
        args = (ask.team_id, ask.user_id, ask.trigger_id, channel)
        await open_digest_settings(ask.client, ask.store, *args)
    else:
        args = (ask.team_id, ask.user_id, channel)
        await post_digest_now(ask.store, ask.client, ask.respond, *args)


_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$|^([UW][A-Z0-9]{6,})$")


async def _team(ask: Ask) -> None:
    """Every open question by owner, the most in need first; or one owner's (`@owner`)."""
    owner = ""
    if ask.rest:
        m = _MENTION.match(ask.rest.strip())
        if m is None:
            await ask.say(words.say("team.unknown_owner", name=ask.rest))
            return
        owner = m.group(1) or m.group(2)
    found = await ask.store.run(team.rollup, ask.team_id, clock.now(), owner)
    if not found.questions:
        await ask.say(words.say("questions.none_open", command=ask.command))
        return
    text, blocks = team_views.team_blocks(found, owner)
    await ask.respond(text=text, blocks=blocks, response_type="ephemeral")


async def _themes(ask: Ask) -> None:
    question, _ = await _pick(ask, "see the themes of")
    if question is not None:
        await open_codebook(ask.client, ask.store, ask.team_id, ask.trigger_id, question.id)


async def _search(ask: Ask) -> None:
    if not search.terms(ask.rest):
        await ask.say(words.say("snapshots.usage", command=ask.command))
        return
    results = await ask.store.run(search.search, ask.team_id, ask.rest)
    text, blocks = cards.results_blocks(results)
    await ask.respond(text=text, blocks=blocks, response_type="ephemeral")


async def _export(ask: Ask) -> None:
    """The question's report and CSV, uploaded into the caller's DM with the app."""
    if not ask.rest:
        await ask.say(words.say("snapshots.export_usage", command=ask.command))
        return
    question, _ = await _named(ask)
    if question is None:
        return
    tz = await time_zone(ask.client, ask.store, ask.team_id, question.owner_id)
    report = await ask.store.run(export.report, ask.team_id, question.id, clock.now(), tz)
    names = await slack_names(ask.client, report.people)
    files = await asyncio.to_thread(cards.export_files, report, names)
    dm = await ask.client.conversations_open(users=ask.user_id)
    await ask.client.files_upload_v2(
        channel=dm["channel"]["id"],
        file_uploads=[
            {"content": data, "filename": name, "title": name} for name, data in files.items()
        ],
        initial_comment=words.say("snapshots.export_comment", q=question),
    )
    await ask.say(words.say("snapshots.export_sent", q=question))


async def _pool(ask: Ask) -> None:
    """The pool's counts and your next suggestions; `add`, `webhook`, `forget <email>`."""
    word, _, rest = ask.rest.partition(" ")
    word = word.lower()
    if word == "add":
        await ask.client.views_open(trigger_id=ask.trigger_id, view=pool_views.add_modal())
    elif word == "webhook":
        url_of = lambda secret: hook_url(ask.public_url, ask.host, secret)  # noqa: E731
        await show_webhook(ask.store, ask.respond, ask.team_id, url_of)
    elif word == "forget":
        await forget(ask.store, ask.respond, ask.team_id, rest.strip())
    else:
        await show_pool(ask.client, ask.store, ask.respond, ask.team_id, ask.user_id)


# The routing table: every subcommand, in the order help, the manifest's usage hint and the
# README list them (tests/test_manifest.py checks the last two against it).
SUBCOMMANDS: dict[str, Callable[[Ask], Awaitable[None]]] = {
    "new": _new,
    "list": _list,
    "team": _team,
    "status": _status,
    "guide": _guide,
    "themes": _themes,
    "search": _search,
    "export": _export,
    "log": _log,
    "plan": _plan,
    "pool": _pool,
    "close": _close,
    "settings": _settings,
    "digest": _digest,
    "help": _help,
}


async def run(
    command: dict,
    respond: AsyncRespond,
    client: AsyncWebClient,
    team_id: str,
    store: Store,
    host: str = "",
    public_url: str = "",
) -> None:
    """One `/discovery ...` after its answer: the subcommand its first word names."""
    word, _, rest = command.get("text", "").strip().partition(" ")
    ask = Ask(
        team_id=team_id,
        user_id=command["user_id"],
        channel_id=command.get("channel_id", ""),
        trigger_id=command.get("trigger_id", ""),
        command=command.get("command", COMMAND),
        rest=rest.strip(),
        client=client,
        respond=respond,
        store=store,
        host=host,
        public_url=public_url,
    )
    handler = SUBCOMMANDS.get(word.lower() or "help")
    if handler is None:
        text = words.say("help.unknown", word=word) + "\n" + usage(ask.command)
        await ask.say(text)
        return
    await handler(ask)


async def discovery(
    ack: AsyncAck,
    command: dict,
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
    request: AsyncBoltRequest,
) -> None:
    store = store_of(context)
    if store.busy:  # overloaded: a quick "try again" beats an answer a minute late
        await ack(text=words.say("help.busy"), response_type="ephemeral")
        return
    await ack()
    with store.interaction():
        team, host = context.team_id or "", host_of(request)
        await run(command, respond, client, team, store, host, context.get(PUBLIC_URL, ""))


LISTENERS = [("command", COMMAND, discovery)]
