"""Logging interviews: the summary modal and its three ways in, theme coding, planning,
the follow-up after a planned interview, editing and deleting."""

from __future__ import annotations

from datetime import UTC, date, datetime

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot import clock, words
from bot.blocks import metadata, section, state_values, submission_key
from bot.ids import Action, Input, Meta, Shortcut, View
from bot.listeners.shared import (
    AGAIN,
    answer,
    each,
    first_submission,
    modal_errors,
    once,
    overviews_for,
    publish_home,
    time_zone,
)
from bot.store import Store
from bot.views import interviews as ui
from cadence import ids, interviews, members, questions, weeks
from cadence.interviews import Coding
from cadence.matching import default_matcher
from cadence.models import Interview, Question


async def open_summary(
    client: AsyncWebClient,
    store: Store,
    team_id: str,
    user_id: str,
    trigger_id: str,
    *,
    question_id: int | None = None,
    interview: Interview | None = None,
    notes: str = "",
) -> None:
    """Open the summary modal: new, for a known question, from notes, or for `interview`.
    It opens at once, dated in the cached zone (however old; UTC for none): a users.info
    first could outlast the trigger_id's 3 s."""
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

    def modal(held_on: date) -> dict:
        lines = interviews.insight_lines(notes)[: interviews.MAX_INSIGHTS]
        return ui.summary_modal(
            open_questions,
            held_on,
            question_id=question_id,
            interview=interview,
            insights=insights,
            notes="\n".join(lines),
        )

    shown = interviews.default_held_on(interview, now, tz)
    opened = await client.views_open(trigger_id=trigger_id, view=modal(shown))
    if fresh:
        return
    # The modal is open: now the zone is looked up, and a default date it changes follows.
    tz = await time_zone(client, store, team_id, user_id)
    held_on = interviews.default_held_on(interview, now, tz)
    if held_on != shown:
        await _update_unless_changed(client, opened["view"], modal(held_on))


async def _update_unless_changed(client: AsyncWebClient, shown: dict, view: dict) -> None:
    """Replace a view as it was opened; one changed since (its hash moved on, Slack answers
    hash_conflict) is left as it is."""
    try:
        await client.views_update(view_id=shown["id"], hash=shown["hash"], view=view)
    except SlackApiError as e:
        if e.response.get("error") != "hash_conflict":
            raise


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
        question = questions.get(s, team_id, interview.question_id)
        count = len(interviews.insights_of(s, team_id, interview_id))
        return question, interviews.new_themes(s, team_id, interview), count

    found = await store.run(load)
    if found is None:
        return
    question, new, count = found
    (overview,) = await overviews_for(store, team_id, [question])
    text = words.say(
        "interviews.logged", q=question, progress=overview.progress, new_themes=new, insights=count
    )
    # The owner's Home tab shows the progress that moved; a closed question is not on it.
    await each(
        publish_home(client, store, team_id, question.owner_id),
        client.chat_postMessage(channel=user_id, text=text, blocks=[section(text)]),
    )


async def open_plan(
    client: AsyncWebClient, store: Store, team_id: str, trigger_id: str, question_id: int | None
) -> None:
    open_questions = await store.run(questions.open_questions, team_id)
    view = ui.plan_modal(open_questions, question_id) if open_questions else ui.no_question_modal()
    await client.views_open(trigger_id=trigger_id, view=view)


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
    when = interview.planned_at.astimezone(weeks.zone(tz))
    text = words.say("interviews.planned", q=question, interview=interview, when=when)
    await each(
        client.chat_postMessage(channel=user, text=text, blocks=[section(text)]),
        publish_home(client, store, team_id, question.owner_id),
    )


def register(app: AsyncApp, store: Store) -> None:
    @app.view(View.SUMMARY)
    async def summary_submitted(
        ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        team, user, now = context.team_id, body["user"]["id"], clock.now()
        summary = ui.read_summary(state_values(view))
        editing = ids.number(metadata(view).get(Meta.INTERVIEW_ID))
        key = submission_key(view)

        def store_and_code(s: Session) -> dict[str, str] | tuple[Interview, Coding, bool]:
            # No Slack call before the answer: "today" in the cached zone, else UTC.
            today = weeks.local_today(now, members.cached_zone(s, team, user))
            problems = interviews.check_summary(summary, today)
            if problems:
                return problems
            if not first_submission(s, team, view):  # Save pressed again: the first answer
                seen = interviews.get(s, team, editing) if editing else None
                seen = seen or interviews.submitted(s, team, key or "")
                return (seen, interviews.coding_of(s, team, seen), False) if seen else {}
            interview = interviews.save(s, team, summary, user, now, editing, key)
            lines = interviews.insight_lines(summary.insights)
            coding = interviews.code_insights(s, team, interview, lines, default_matcher(), now)
            return interview, coding, True

        try:
            stored = await store.run(store_and_code)
        except interviews.NotAllowed:
            await ack(
                response_action="errors", errors=modal_errors({Input.QUESTION: "not_allowed"})
            )
            return
        except LookupError:
            await ack(response_action="errors", errors=modal_errors({Input.QUESTION: "gone"}))
            return
        if isinstance(stored, dict):
            await ack(response_action="errors", errors=modal_errors(stored))
            return
        interview, coding, fresh = stored
        if coding.to_confirm:
            # Already stored with the suggested coding; the next step only confirms it.
            await ack(response_action="update", view=ui.coding_modal(coding, interview.id))
            return
        await ack()
        if fresh:
            await _confirm(client, store, team, user, interview.id)

    async def coded(body: dict, view: dict, context: AsyncBoltContext, choices: dict) -> bool:
        """Apply the coding step's choices (none: the suggestions stand), once per view;
        whether this was its first submission and the interviewer may change it."""
        interview_id = ids.number(metadata(view).get(Meta.INTERVIEW_ID)) or 0
        team, user = context.team_id, body["user"]["id"]
        try:
            done = await once(
                store, team, view, interviews.recode, team, interview_id, choices, user, clock.now()
            )
        except (interviews.NotAllowed, LookupError):
            return False
        return done is not AGAIN

    @app.view(View.CODING)
    async def coding_submitted(
        ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        first = await coded(body, view, context, ui.read_choices(state_values(view)))
        await ack()
        if first:
            interview_id = ids.number(metadata(view).get(Meta.INTERVIEW_ID)) or 0
            await _confirm(client, store, context.team_id, body["user"]["id"], interview_id)

    @app.view_closed(View.CODING)
    async def coding_closed(
        ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()  # the suggested coding stands
        if await coded(body, view, context, {}):
            interview_id = ids.number(metadata(view).get(Meta.INTERVIEW_ID)) or 0
            await _confirm(client, store, context.team_id, body["user"]["id"], interview_id)

    @app.view(View.PLAN)
    async def plan_submitted(
        ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        values, now = state_values(view), clock.now()
        problems = interviews.check_plan(
            values.get(Input.QUESTION, ""), values.get(Input.WHEN, ""), now
        )
        if problems:
            await ack(response_action="errors", errors=modal_errors(problems))
            return
        user = body["user"]["id"]
        planned_at = datetime.fromtimestamp(ids.number(values[Input.WHEN]) or 0, UTC)
        try:
            planned = await once(
                store,
                context.team_id,
                view,
                interviews.plan,
                context.team_id,
                ids.number(values[Input.QUESTION]) or 0,
                values.get(Input.INTERVIEWEE, ""),
                planned_at,
                user,
                now,
                submission_key(view),
                ids.number(metadata(view).get(Meta.CANDIDATE_ID)),
            )
        except LookupError:
            await ack(response_action="errors", errors=modal_errors({Input.QUESTION: "gone"}))
            return
        await ack()
        if planned is AGAIN:
            return
        await _planned(client, store, context.team_id, user, *planned)

    @app.action(Action.NO_SHOW)
    async def no_show(
        ack: AsyncAck,
        body: dict,
        action: dict,
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        team, user = context.team_id, body["user"]["id"]
        interview_id = ids.number(action.get("value")) or 0
        try:
            question = await store.run(interviews.no_show, team, interview_id, user, clock.now())
        except (interviews.NotAllowed, LookupError) as e:
            await refuse(respond, e)
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

    @app.action(Action.RESCHEDULE)
    async def reschedule(
        ack: AsyncAck,
        body: dict,
        action: dict,
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        team, user = context.team_id, body["user"]["id"]
        try:
            interview_id = ids.number(action.get("value")) or 0
            interview = await store.run(interviews.changeable, team, interview_id, user)
        except (interviews.NotAllowed, LookupError) as e:
            await refuse(respond, e)
            return
        view = ui.reschedule_modal(interview)
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.view(View.RESCHEDULE)
    async def rescheduled(
        ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        when, now = state_values(view).get(Input.WHEN, ""), clock.now()
        problems = interviews.check_when(when, now)
        if problems:
            await ack(response_action="errors", errors=modal_errors(problems))
            return
        team, user = context.team_id, body["user"]["id"]
        planned_at = datetime.fromtimestamp(ids.number(when) or 0, UTC)
        interview_id = ids.number(metadata(view).get(Meta.INTERVIEW_ID)) or 0
        try:
            moved = await once(
                store, team, view, interviews.reschedule, team, interview_id, planned_at, user, now
            )
        except (interviews.NotAllowed, LookupError):
            await ack(response_action="errors", errors=modal_errors({Input.WHEN: "gone"}))
            return
        await ack()
        if moved is not AGAIN:
            await _planned(client, store, team, user, *moved)

    @app.action(Action.LOG)
    async def log_button(
        ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        value = action.get("value", "")
        await open_summary(
            client,
            store,
            context.team_id,
            body["user"]["id"],
            body["trigger_id"],
            question_id=ids.number(value),
        )

    @app.shortcut(Shortcut.LOG_FROM_MESSAGE)
    async def log_from_message(
        ack: AsyncAck, shortcut: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        await open_summary(
            client,
            store,
            context.team_id,
            shortcut["user"]["id"],
            shortcut["trigger_id"],
            notes=shortcut.get("message", {}).get("text", ""),
        )

    async def refuse(respond: AsyncRespond, error: Exception) -> None:
        gone = not isinstance(error, interviews.NotAllowed)
        text = words.say("interviews.gone" if gone else "interviews.not_allowed")
        await answer(respond, text)

    @app.action(Action.LOG_PLANNED)
    @app.action(Action.EDIT)
    async def edit(
        ack: AsyncAck,
        body: dict,
        action: dict,
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        team, user = context.team_id, body["user"]["id"]
        try:
            interview_id = ids.number(action.get("value")) or 0
            interview = await store.run(interviews.changeable, team, interview_id, user)
        except (interviews.NotAllowed, LookupError) as e:
            await refuse(respond, e)
            return
        await open_summary(client, store, team, user, body["trigger_id"], interview=interview)

    @app.action(Action.DELETE)
    async def delete(
        ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond, context: AsyncBoltContext
    ) -> None:
        await ack()
        user = body["user"]["id"]
        try:
            interview = await store.run(
                interviews.delete, context.team_id, ids.number(action.get("value")) or 0, user
            )
        except (interviews.NotAllowed, LookupError) as e:
            await refuse(respond, e)
            return
        await answer(respond, words.say("interviews.deleted", interview=interview))
