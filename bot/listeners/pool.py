"""The candidate pool in Slack: `/discovery pool` and its words, people pasted or shared as
a CSV file in a DM, the webhook's secret, and the buttons of each suggestion (Invite, Plan
interview, Not a fit, Opted out). Names and emails go only into DMs and modals."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot import clock, words
from bot.blocks import section
from bot.ids import COMMAND, Action, Input, View, parse_suggestion
from bot.listeners.shared import (
    AGAIN,
    PUBLIC_URL,
    answer,
    dm,
    first_submission,
    refuse,
    store_of,
    stored,
)
from bot.store import Store
from bot.views import interviews as interview_ui
from bot.views import pool as views
from cadence import members, pool, questions, weeks
from cadence.models import Candidate, Question
from cadence.pool import Contacted, Imported

log = logging.getLogger("discovery")
FILE_BYTES = 1_000_000  # a shared CSV, at most (what bot.listeners.files reads of a file)


def hook_url(public_url: str, host: str, secret: str) -> str:
    """The webhook's address: PUBLIC_URL's, else the host this request came to."""
    base = public_url or f"https://{host or 'YOUR-HOST'}"
    return f"{base}/hooks/candidates/{secret}"


def host_of(request: AsyncBoltRequest | None) -> str:
    found = (request.headers.get("host") or [""]) if request is not None else [""]
    return str(found[0])


# -- /discovery pool ---------------------------------------------------------------------
def _glance(
    s: Session, team_id: str, user_id: str, now: datetime
) -> tuple[pool.Overview, list[Question], dict]:
    """The pool's counts, and the next suggestions for the user's open questions."""
    mine = questions.open_questions(s, team_id, user_id)
    tz = members.cached_zone(s, team_id, user_id)
    since = weeks.week_begins(now, tz)
    return pool.overview(s, team_id), mine, pool.suggestions(s, team_id, mine, now, since)


async def show_pool(
    client: AsyncWebClient, store: Store, respond: AsyncRespond, team_id: str, user_id: str
) -> None:
    """Counts by segment and source in the reply; names only in the DM."""
    glance, mine, found = await store.run(_glance, team_id, user_id, clock.now())
    text = views.overview_text(glance, COMMAND)
    if mine and any(found.values()):
        text += "\n" + words.say("pool.sent_to_dm")
        head, blocks = views.pool_dm(mine, found, COMMAND)
        await dm(client, user_id, head, blocks)
    elif mine:
        text += "\n" + words.say("pool.none_to_suggest", command=COMMAND)
    await respond(text=text, blocks=[section(text)], response_type="ephemeral")


async def show_webhook(
    store: Store, respond: AsyncRespond, team_id: str, url_of: Any, rotate: bool = False
) -> None:
    """The webhook's URL when its secret is new (the first time, or rotated)."""

    def secret(s: Session) -> str | None:
        return None if pool.has_secret(s, team_id) and not rotate else pool.new_secret(s, team_id)

    made = await store.run(secret)
    text, blocks = views.webhook_blocks(url_of(made) if made else None)
    await respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=rotate)


async def forget(store: Store, respond: AsyncRespond, team_id: str, email: str) -> None:
    if "@" not in email:
        text = words.say("pool.forget_usage", command=COMMAND)
    else:
        text = words.say("pool.forgot", found=await store.run(pool.forget, team_id, email))
    await respond(text=text, blocks=[section(text)], response_type="ephemeral")


# -- a CSV shared in a DM ----------------------------------------------------------------
async def import_file(
    client: AsyncWebClient,
    store: Store,
    team_id: str,
    user: str,
    file: dict[str, Any],
    read: Callable[[AsyncWebClient, str], Awaitable[str]],
) -> None:
    """A CSV shared in a DM (`read` downloads it with the bot token): imported into the
    pool; a DM says how it went."""
    name = str(file.get("name") or "file")[:100]
    if int(file.get("size") or 0) > FILE_BYTES:
        await dm(client, user, words.say("pool.too_big", name=name))
        return
    try:
        text = await read(client, str(file.get("id", "")))
    except (aiohttp.ClientError, TimeoutError, ValueError) as e:
        log.warning("a shared file could not be read: %s", type(e).__name__)
        await dm(client, user, words.say("pool.file_failed", name=name))
        return
    await dm(client, user, await _imported(store, team_id, text, name))


async def _imported(store: Store, team_id: str, text: str, name: str) -> str:
    try:
        rows = pool.read_csv(text.removeprefix("\ufeff"))
    except pool.TooMany as e:
        return words.say("pool.too_many", count=e.count, limit=e.limit)
    if not rows:
        return words.say("pool.nothing")
    names = views.segment_names()
    done = await store.run(pool.import_rows, team_id, rows, pool.Source.FILE, names, clock.now())
    if done.problems:
        shown = list(done.problems[: views.SHOWN_PROBLEMS])
        more = max(len(done.problems) - len(shown), 0)
        return words.say("pool.file_problems", name=name, shown=shown, more=more)
    return words.say("pool.file_imported", name=name, done=done)


# -- suggestions -------------------------------------------------------------------------
def _pick(s: Session, team_id: str, value: Any) -> tuple[Candidate | None, Question | None]:
    candidate_id, question_id = parse_suggestion(value)
    return pool.get(s, team_id, candidate_id), questions.get(s, team_id, question_id)


def _invite_modal(s: Session, team_id: str, user: str, value: Any) -> dict | None:
    candidate, question = _pick(s, team_id, value)
    if candidate is None or question is None:
        return None
    link = members.prefs(s, team_id, user).link
    return views.invite_modal(candidate, question, link, COMMAND)


def _marked(
    s: Session, team_id: str, value: Any, kind: str, now: datetime
) -> tuple[Candidate, Question] | None:
    """Not a fit for the question, or opted out of everything."""
    candidate, question = _pick(s, team_id, value)
    if candidate is None or question is None:
        return None
    if kind == Contacted.NOT_A_FIT:
        return pool.mark(s, team_id, candidate.id, question.id, kind, now), question
    return pool.opt_out(s, team_id, candidate.id, now), question


async def _note(client: AsyncWebClient, body: dict, candidate: Candidate, q: Question, kind: str):
    """The suggestion's buttons in the DM give way to what was decided."""
    message, channel = body.get("message") or {}, (body.get("channel") or {}).get("id")
    if not (message.get("ts") and channel):
        return
    if kind == Contacted.NOT_A_FIT:
        note = words.say("pool.not_a_fit", c=candidate, q=q)
        blocks = views.with_pool_note(message.get("blocks") or [], candidate.id, note, q.id)
    else:
        note = words.say("pool.opted_out", c=candidate)
        blocks = views.with_pool_note(message.get("blocks") or [], candidate.id, note)
    text = message.get("text") or note
    await client.chat_update(channel=channel, ts=message["ts"], text=text, blocks=blocks)


def _add(s: Session, team: str, view: dict, rows: list, now: datetime) -> Imported | object:
    """Check the pasted people; store them at the view's first submission with all good."""
    people, problems = pool.read(s, team, rows, views.segment_names(), now)
    if problems or not people:
        return Imported(problems=tuple(problems))
    if not first_submission(s, team, view):
        return AGAIN
    return pool.store(s, team, people, pool.Source.CSV, now)


async def add_submitted(
    ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    team, user, now = context.team_id, body["user"]["id"], clock.now()
    try:
        rows = pool.read_csv(views.read_people(view))
    except pool.TooMany as e:
        error = words.plain("pool.too_many", count=e.count, limit=e.limit)
        await ack(response_action="errors", errors={Input.PEOPLE: error})
        return
    done = await store_of(context).run(_add, team, view, rows, now)
    if done is AGAIN:
        await ack()
        return
    assert isinstance(done, Imported)
    if not done.ok or not (done.added + done.updated + done.refused):
        error = views.problems_text(done.problems) if done.problems else ""
        errors = {Input.PEOPLE: error or words.plain("pool.nothing")}
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    await dm(client, user, words.say("pool.imported", done=done))


async def new_secret(
    ack: AsyncAck, respond: AsyncRespond, request: AsyncBoltRequest, context: AsyncBoltContext
) -> None:
    await ack()
    public_url, host = context.get(PUBLIC_URL, ""), host_of(request)
    url_of = lambda secret: hook_url(public_url, host, secret)  # noqa: E731
    await show_webhook(store_of(context), respond, context.team_id, url_of, rotate=True)


async def invite(
    ack: AsyncAck,
    body: dict,
    action: dict,
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    user = body["user"]["id"]
    view = await store_of(context).run(_invite_modal, context.team_id, user, action.get("value"))
    if view is None:
        await answer(respond, words.say("pool.gone"))
        return
    await client.views_open(trigger_id=body["trigger_id"], view=view)


async def invited(
    ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """ "Mark invited": the contact is recorded, and the cooldown starts."""
    store, team, user = store_of(context), context.team_id, body["user"]["id"]
    candidate_id, question_id = views.read_invite(view)
    question = await store.run(questions.get, team, question_id)
    if question is None:
        await refuse(ack, {Input.DRAFT: "gone"})
        return
    args = (team, candidate_id, question.id, Contacted.INVITED, clock.now())
    try:
        done = await stored(ack, store, team, view, Input.DRAFT, pool.mark, *args)
    except pool.OptedOut as e:
        await ack(response_action="errors", errors={Input.DRAFT: _said_no(e.candidate)})
        return
    if done is not None:
        await dm(client, user, words.say("pool.invited", c=done, q=question))


async def decided(
    ack: AsyncAck,
    body: dict,
    action: dict,
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Not a fit (for this question) or Opted out (of everything)."""
    await ack()
    kind = Contacted.NOT_A_FIT if action["action_id"] == Action.NOT_A_FIT else "opted_out"
    args = (context.team_id, action.get("value"), kind, clock.now())
    try:
        found = await store_of(context).run(_marked, *args)
    except pool.OptedOut as e:
        await answer(respond, words.say("pool.said_no", c=e.candidate))
        return
    if found is None:
        await answer(respond, words.say("pool.gone"))
        return
    await _note(client, body, *found, kind)


async def plan_with(
    ack: AsyncAck,
    body: dict,
    action: dict,
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Plan interview from a suggestion: the plan modal, with the person in it."""
    await ack()

    def load(s: Session) -> tuple[Candidate | None, Question | None, list[Question]]:
        candidate, question = _pick(s, context.team_id, action.get("value"))
        return candidate, question, questions.open_questions(s, context.team_id)

    candidate, question, open_questions = await store_of(context).run(load)
    if candidate is None or question is None or question not in open_questions:
        await answer(respond, words.say("pool.gone"))
        return
    view = interview_ui.plan_modal(open_questions, question.id, candidate)
    await client.views_open(trigger_id=body["trigger_id"], view=view)


LISTENERS = [
    ("view", View.POOL_ADD, add_submitted),
    ("action", Action.NEW_SECRET, new_secret),
    ("action", Action.INVITE, invite),
    ("view", View.INVITE, invited),
    ("action", Action.NOT_A_FIT, decided),
    ("action", Action.OPTED_OUT, decided),
    ("action", Action.PLAN_CANDIDATE, plan_with),
]


def _said_no(candidate: Candidate) -> str:
    return words.plain("pool.said_no", c=candidate)
