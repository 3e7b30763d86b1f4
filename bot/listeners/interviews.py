"""Logging interviews: the summary modal and its three ways in, theme coding, planning,
the follow-up after a planned interview, editing and deleting."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot import clock, words
from bot.blocks import submission_key
from bot.drafting import drafter_of
from bot.ids import CODING_PREFIX, Action, Input, Shortcut, View
from bot.listeners.shared import (
    AGAIN,
    answer,
    dm,
    each,
    first_submission,
    matcher,
    matcher_loaded,
    matcher_ready,
    once,
    overviews_for,
    publish_home,
    refusal,
    refuse,
    store_of,
    stored,
    time_zone,
    warm_matcher,
)
from bot.store import Store
from bot.views import interviews as ui
from bot.views import snapshots as cards
from cadence import ids, interviews, members, questions, snapshots, weeks
from cadence.drafting import Draft, Drafter, OfflineDrafter, prepare
from cadence.interviews import Coding, Summary
from cadence.models import Interview, Question

log = logging.getLogger("discovery")


async def open_summary(
    client: AsyncWebClient,
    store: Store,
    team_id: str,
    user_id: str,
    trigger_id: str,
    *,
    question_id: int | None = None,
    interview: Interview | None = None,
    notes: Callable[[], Awaitable[str]] | None = None,
    drafter: Drafter | None = None,
) -> None:
    """Open the summary modal: new, for a known question, for `interview`, or drafted from
    `notes` (read once it is open). It opens at once, dated in the cached zone (however old;
    UTC for none), "Drafting from your notes…": a users.info or a draft first could outlast
    the trigger_id's 3 s. The date a fresh zone gives, and the draft, follow by views.update
    with the view's hash: a modal the person changed since is theirs."""
    now = clock.now()

    def load(s: Session) -> tuple[tuple[str, bool], list, list[str]]:
        cached = members.zones(s, team_id, [user_id], now).get(user_id, ("UTC", False))
        open_questions = questions.open_questions(s, team_id)
        if interview is None:
            return cached, open_questions, []
        mine = [i.text for i in interviews.insights_of(s, team_id, interview.id)]
        current = questions.get(s, team_id, interview.question_id)
        if current is not None and current not in open_questions:
            open_questions.append(current)  # a closed question's interviews stay editable
        return cached, open_questions, mine

    (tz, fresh), open_questions, insights = await store.run(load)
    if not open_questions:
        await client.views_open(trigger_id=trigger_id, view=ui.no_question_modal())
        return

    def modal(held_on: date, draft: Draft | None = None) -> dict:
        return ui.summary_modal(
            open_questions,
            held_on,
            question_id=question_id,
            interview=interview,
            insights=insights,
            draft=draft,
            drafting=notes is not None and draft is None,
        )

    shown = interviews.default_held_on(interview, now, tz)
    opened = await client.views_open(trigger_id=trigger_id, view=modal(shown))
    warm_matcher()  # for its Save, while it is filled in
    if not fresh:  # the modal is open: now the zone is looked up
        tz = await time_zone(client, store, team_id, user_id)
    held_on = interviews.default_held_on(interview, now, tz)
    draft = await draft_notes(notes, drafter or OfflineDrafter()) if notes else None
    if held_on != shown or draft is not None:
        await update_unless_changed(client, opened["view"], modal(held_on, draft))


async def draft_notes(notes: Callable[[], Awaitable[str]], drafter: Drafter) -> Draft:
    """The draft of the notes `notes` reads; an empty one, said so, when they can't be read."""
    try:
        text = await notes()
    except Exception as e:  # a file gone or refused: the summary stays, empty
        log.warning("notes not read: %s", type(e).__name__)
        return Draft(fallback="unreadable")
    return await drafter.draft(prepare(text))


async def update_unless_changed(client: AsyncWebClient, shown: dict, view: dict) -> dict | None:
    """Replace a view as it was opened, and give it back as it is now; one changed since
    (its hash moved on, Slack answers hash_conflict) is left as it is (None)."""
    try:
        updated = await client.views_update(view_id=shown["id"], hash=shown["hash"], view=view)
    except SlackApiError as e:
        if e.response.get("error") != "hash_conflict":
            raise
        return None
    return updated["view"]


async def _confirm(
    client: AsyncWebClient, store: Store, team_id: str, user_id: str, interview_id: int
) -> None:
    """Tell the interviewer where the question stands: "2/3 this week · 1 new theme"; only
    someone who may change the interview hears about it."""

    def load(s: Session):
        try:
            interview = interviews.changeable(s, team_id, interview_id, user_id)
        except (LookupError, interviews.NotAllowed):
            return None
        (snap,) = snapshots.of_interviews(s, team_id, [interview.id])
        return snap, interviews.new_themes(s, team_id, interview)

    found = await store.run(load)
    if found is None:
        return
    snap, new = found
    question = snap.question
    (overview,) = await overviews_for(store, team_id, [question])
    text = words.say(
        "interviews.logged",
        q=question,
        progress=overview.progress,
        new_themes=new,
        insights=len(snap.insights),
    )
    # The owner's Home tab shows the progress that moved; a closed question is not on it.
    await each(
        publish_home(client, store, team_id, question.owner_id),
        dm(client, user_id, text, cards.logged_blocks(text, snap)),
    )


async def open_plan(
    client: AsyncWebClient, store: Store, team_id: str, trigger_id: str, question_id: int | None
) -> None:
    open_questions = await store.run(questions.open_questions, team_id)
    view = ui.plan_modal(open_questions, question_id) if open_questions else ui.no_question_modal()
    await client.views_open(trigger_id=trigger_id, view=view)


def _problems(s: Session, team: str, user: str, summary: Summary, now: datetime) -> dict[str, str]:
    """The summary's problems by block. No Slack call before the answer: "today" in the
    user's cached zone, else UTC."""
    today = weeks.local_today(now, members.cached_zone(s, team, user))
    return interviews.check_summary(summary, today)


def _store_and_code(
    s: Session, team: str, user: str, view: dict, now: datetime
) -> dict[str, str] | tuple[Interview, Coding, bool]:
    """Check, store and code a summary in one transaction: its problems by block, or the
    interview, its coding and whether this was the first submission of the view."""
    summary, editing = ui.read_summary(view)
    problems = _problems(s, team, user, summary, now)
    if problems:
        return problems
    key = submission_key(view)
    if not first_submission(s, team, view):  # Save pressed again: the first answer
        seen = interviews.get(s, team, editing) if editing else None
        seen = seen or interviews.submitted(s, team, key or "")
        if seen is None:
            return {}
        return seen, interviews.coding_of(s, team, seen, matcher()), False
    interview = interviews.save(s, team, summary, user, now, editing, key)
    lines, offered = interviews.lines_to_code(summary)
    coding = interviews.code_insights(s, team, interview, lines, matcher(), now, offered)
    return interview, coding, True


async def summary_submitted(
    ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    store, team, user = store_of(context), context.team_id, body["user"]["id"]
    if not warm_matcher().done():  # a server just started: what the form lacks, at once
        summary, _ = ui.read_summary(view)
        problems = await store.run(_problems, team, user, summary, clock.now())
        if problems or not await matcher_ready():
            await refuse(ack, problems or {Input.INSIGHTS: "warming_up"})
            return
    try:
        found = await store.run(_store_and_code, team, user, view, clock.now())
    except (interviews.NotAllowed, LookupError) as e:
        await refuse(ack, {Input.QUESTION: refusal(e)})
        return
    if isinstance(found, dict):
        await refuse(ack, found)
        return
    interview, coding, fresh = found
    if coding.to_confirm:
        # Already stored with the suggested coding; the next step only confirms it.
        await ack(response_action="update", view=ui.coding_modal(coding, interview.id))
    else:
        await ack()
        if fresh:
            await _confirm(client, store, team, user, interview.id)
    if fresh:  # answered: now the question's IDF is fitted again, if it is due
        from cadence import kept  # with the matcher: loaded by the first coding

        await store.run(kept.refresh, team, interview.question_id)


async def _coded(body: dict, view: dict, context: AsyncBoltContext, keep: bool) -> int | None:
    """Apply the coding step's choices (`keep`: none, the suggestions stand), once per view:
    the interview, when this was its first submission by someone who may change it."""
    interview_id, choices = ui.read_coding(view)
    dropped = set() if keep else ui.read_dropped(view)
    team, user = context.team_id, body["user"]["id"]
    args = (team, interview_id, {} if keep else choices, user, clock.now(), dropped)
    try:
        done = await once(store_of(context), team, view, interviews.recode, *args)
    except (interviews.NotAllowed, LookupError):
        return None
    return None if done is AGAIN else interview_id


async def coding_submitted(
    ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    # Recoding keeps the theme vectors in step: after a restart since the step opened, Slack
    # is answered at once and the choices wait for the matcher's load.
    waiting = not warm_matcher().done()
    if waiting:
        await ack()
        await matcher_loaded()
    interview_id = await _coded(body, view, context, keep=False)
    if not waiting:
        await ack()
    if interview_id is not None:
        user = body["user"]["id"]
        await _confirm(client, store_of(context), context.team_id, user, interview_id)


async def coding_closed(
    ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()  # the suggested coding stands
    await matcher_loaded()
    interview_id = await _coded(body, view, context, keep=True)
    if interview_id is not None:
        user = body["user"]["id"]
        await _confirm(client, store_of(context), context.team_id, user, interview_id)


MAX_QUERY = 200  # characters of a type-ahead query read: more finds nothing more


def _theme_search(s: Session, team: str, block_id: object, query: object) -> list[dict]:
    """The options of a coding select's type-ahead: the insight's block, the words typed."""
    insight_id = ids.number(str(block_id).removeprefix(CODING_PREFIX)) or 0
    typed = str(query)[:MAX_QUERY]
    found = interviews.find_themes(s, team, insight_id, typed, matcher(), ui.MAX_OPTIONS)
    return ui.theme_search_groups(found)


async def theme_search(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
    """A coding select past 100 themes asks for its options (within Slack's 3 s): one trip."""
    store, team = store_of(context), context.team_id
    if not warm_matcher().done():  # a restart since the step opened: typing again will do
        await ack(option_groups=ui.theme_search_groups([]))
        return
    groups = await store.run(_theme_search, team, body.get("block_id"), body.get("value", ""))
    await ack(option_groups=groups)


async def plan_submitted(
    ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    form = ui.read_plan(view)
    problems = interviews.check_plan(form.question, form.when, clock.now())
    if problems:
        await refuse(ack, problems)
        return
    store, team, user = store_of(context), context.team_id, body["user"]["id"]
    question_id = ids.number(form.question) or 0
    args = (team, question_id, form.interviewee, form.at, user, clock.now(), submission_key(view))
    args += (form.candidate_id,)
    planned = await stored(ack, store, team, view, Input.QUESTION, interviews.plan, *args)
    if planned is None:
        return
    await _planned(client, store, team, user, *planned)


async def _planned(
    client: AsyncWebClient,
    store: Store,
    team_id: str,
    user: str,
    interview: Interview,
    question: Question,
) -> None:
    """Say when it is, in the planner's zone; the owner's Home shows it booked."""
    tz = await time_zone(client, store, team_id, user)
    when = (interview.planned_at or clock.now()).astimezone(weeks.zone(tz))
    text = words.say("interviews.planned", q=question, interview=interview, when=when)
    await each(dm(client, user, text), publish_home(client, store, team_id, question.owner_id))


async def no_show(
    ack: AsyncAck,
    body: dict,
    action: dict,
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """The follow-up's No-show: the planned interview no longer counts as booked."""
    await ack()
    store, team, user = store_of(context), context.team_id, body["user"]["id"]
    interview_id = ids.number(action.get("value")) or 0
    try:
        question = await store.run(interviews.no_show, team, interview_id, user, clock.now())
    except (interviews.NotAllowed, LookupError) as e:
        await _cannot(respond, e)
        return
    note = words.say("pool.no_show", q=question)
    message, channel = body.get("message") or {}, (body.get("channel") or {}).get("id")
    steps = [publish_home(client, store, team, question.owner_id)]
    if message.get("ts") and channel:
        blocks = ui.with_follow_up_note(message.get("blocks") or [], interview_id, note)
        steps.append(
            client.chat_update(channel=channel, ts=message["ts"], text=note, blocks=blocks)
        )
    await each(*steps)


async def _changeable(
    body: dict, action: dict, respond: AsyncRespond, context: AsyncBoltContext
) -> Interview | None:
    """The interview a button names, if the person pressing it may change it; else they are
    told why, and None."""
    interview_id, user = ids.number(action.get("value")) or 0, body["user"]["id"]
    try:
        return await store_of(context).run(
            interviews.changeable, context.team_id, interview_id, user
        )
    except (interviews.NotAllowed, LookupError) as e:
        await _cannot(respond, e)
        return None


async def reschedule(
    ack: AsyncAck,
    body: dict,
    action: dict,
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    interview = await _changeable(body, action, respond, context)
    if interview is not None:
        view = ui.reschedule_modal(interview)
        await client.views_open(trigger_id=body["trigger_id"], view=view)


async def rescheduled(
    ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    when, interview_id = ui.read_when(view)
    problems = interviews.check_when(when, clock.now())
    if problems:
        await refuse(ack, problems)
        return
    store, team, user = store_of(context), context.team_id, body["user"]["id"]
    at = ui.PlanForm("", when, "").at
    args = (team, interview_id, at, user, clock.now())
    moved = await stored(ack, store, team, view, Input.WHEN, interviews.reschedule, *args)
    if moved is not None:
        await _planned(client, store, team, user, *moved)


async def log_button(
    ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    question_id = ids.number(action.get("value", ""))
    await open_summary(
        client,
        store_of(context),
        context.team_id,
        body["user"]["id"],
        body["trigger_id"],
        question_id=question_id,
    )


async def log_from_message(
    ack: AsyncAck, shortcut: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    await open_summary(
        client,
        store_of(context),
        context.team_id,
        shortcut["user"]["id"],
        shortcut["trigger_id"],
        notes=lambda: _message_text(shortcut),
        drafter=drafter_of(context),
    )


async def _message_text(shortcut: dict) -> str:
    return str(shortcut.get("message", {}).get("text", ""))


async def paste_button(
    ack: AsyncAck, body: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Paste notes, atop the summary: one large input pushed over it."""
    await ack()
    await client.views_push(trigger_id=body["trigger_id"], view=ui.paste_modal(body["view"]))


async def paste_submitted(
    ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Back to the summary below, "Drafting…", then filled from the notes; what the person
    had chosen or typed there stays. Nothing is stored: the summary's Save does that."""
    await ack()  # closes this view only: the summary is on top again
    pasted = ui.read_paste(view)
    store, team, user, now = store_of(context), context.team_id, body["user"]["id"], clock.now()

    def load(s: Session) -> tuple[list, str]:
        return questions.open_questions(s, team), members.cached_zone(s, team, user)

    open_questions, tz = await store.run(load)
    if not open_questions:
        return  # closed since: the summary's Save says so

    def modal(draft: Draft | None) -> dict:
        held_on = interviews.default_held_on(None, now, tz)
        return ui.summary_modal(
            open_questions, held_on, draft=draft, drafting=draft is None, kept=pasted.kept
        )

    shown = {"id": pasted.summary_view, "hash": pasted.summary_hash}
    waiting = await update_unless_changed(client, shown, modal(None))
    if waiting is not None:
        draft = await drafter_of(context).draft(prepare(pasted.notes))
        await update_unless_changed(client, waiting, modal(draft))


async def _cannot(respond: AsyncRespond, error: Exception) -> None:
    gone = not isinstance(error, interviews.NotAllowed)
    await answer(respond, words.say("interviews.gone" if gone else "interviews.not_allowed"))


async def edit(
    ack: AsyncAck,
    body: dict,
    action: dict,
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    interview = await _changeable(body, action, respond, context)
    if interview is not None:
        team, user = context.team_id, body["user"]["id"]
        await open_summary(
            client, store_of(context), team, user, body["trigger_id"], interview=interview
        )


async def delete(
    ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond, context: AsyncBoltContext
) -> None:
    await ack()
    interview_id, user = ids.number(action.get("value")) or 0, body["user"]["id"]
    await matcher_loaded()  # its question's theme vectors follow
    try:
        interview = await store_of(context).run(
            interviews.delete, context.team_id, interview_id, user
        )
    except (interviews.NotAllowed, LookupError) as e:
        await _cannot(respond, e)
        return
    await answer(respond, words.say("interviews.deleted", interview=interview))


LISTENERS = [
    ("view", View.SUMMARY, summary_submitted),
    ("view", View.CODING, coding_submitted),
    ("view_closed", View.CODING, coding_closed),
    ("options", Action.THEME_SEARCH, theme_search),
    ("view", View.PLAN, plan_submitted),
    ("view", View.PASTE_NOTES, paste_submitted),
    ("action", Action.PASTE_NOTES, paste_button),
    ("action", Action.LOG, log_button),
    ("shortcut", Shortcut.LOG_FROM_MESSAGE, log_from_message),
    ("action", Action.LOG_PLANNED, edit),
    ("action", Action.EDIT, edit),
    ("action", Action.DELETE, delete),
    ("action", Action.NO_SHOW, no_show),
    ("action", Action.RESCHEDULE, reschedule),
    ("view", View.RESCHEDULE, rescheduled),
]
