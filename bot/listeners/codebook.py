"""A question's codebook: `/discovery themes`, the Themes buttons, and rename, merge and move."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot import clock
from bot.blocks import metadata, state_values
from bot.ids import Action, Input, Meta, ThemeChange, View
from bot.listeners.shared import first_submission, modal_errors
from bot.store import Store
from bot.views import codebook as views
from cadence import codebook, ids, interviews, questions
from cadence.models import Question


def _load(s: Session, team_id: str, question_id: int) -> tuple[Question, list] | None:
    question = questions.get(s, team_id, question_id)
    if question is None:
        return None
    return question, codebook.entries(s, team_id, question_id)


async def open_codebook(
    client: AsyncWebClient, store: Store, team_id: str, trigger_id: str, question_id: int
) -> None:
    found = await store.run(_load, team_id, question_id)
    if found is not None:
        await client.views_open(trigger_id=trigger_id, view=views.codebook_modal(*found))


def _child(s: Session, team_id: str, kind: ThemeChange, theme_id: int) -> dict[str, Any] | None:
    """The small modal for one theme's menu choice, or None when the theme is gone."""
    try:
        theme = codebook.theme_of(s, team_id, theme_id)
    except LookupError:
        return None
    themes = interviews.themes_of(s, team_id, theme.question_id)
    if kind is ThemeChange.RENAME:
        return views.rename_modal(theme)
    if kind is ThemeChange.MERGE:
        return views.merge_modal(theme, themes)
    return views.move_modal(theme, codebook.insights_of_theme(s, team_id, theme.id), themes)


def _change(s: Session, team_id: str, user: str, callback: str, view: dict) -> tuple:
    """Apply a child modal's change; returns (errors, refreshed codebook), the codebook
    None when the same change was submitted before."""
    values, meta = state_values(view), metadata(view)
    theme_id, question_id = (
        ids.number(meta.get(Meta.THEME_ID)),
        ids.number(meta.get(Meta.QUESTION_ID)),
    )
    problem = codebook.check_label(values.get(Input.LABEL, "")) if callback == View.RENAME else None
    if problem:
        return {Input.LABEL: problem}, None
    if not first_submission(s, team_id, view):
        return {}, None
    if callback == View.RENAME:
        codebook.rename(s, team_id, theme_id or 0, user, values[Input.LABEL])
    elif callback == View.MERGE:
        codebook.merge(s, team_id, theme_id or 0, ids.number(values.get(Input.INTO)) or 0, user)
    else:
        to = values.get(Input.TO, "")
        target = None if to == interviews.NEW_THEME else (ids.number(to) or 0)
        insight = ids.number(values.get(Input.INSIGHT)) or 0
        codebook.move(s, team_id, insight, target, user, clock.now())
    return {}, _load(s, team_id, question_id or 0)


def register(app: AsyncApp, store: Store) -> None:
    @app.action(Action.THEMES)
    async def themes_pressed(
        ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        question_id = ids.number(action.get("value")) or 0
        await open_codebook(client, store, context.team_id, body["trigger_id"], question_id)

    @app.action(Action.THEME_MENU)
    async def theme_menu(
        ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        chosen = (action.get("selected_option") or {}).get("value")
        parsed = ThemeChange.parse(chosen)
        if parsed is None or ids.number(parsed[1]) is None:
            return
        view = await store.run(_child, context.team_id, parsed[0], ids.number(parsed[1]))
        if view is not None:
            await client.views_push(trigger_id=body["trigger_id"], view=view)

    @app.view(View.RENAME)
    @app.view(View.MERGE)
    @app.view(View.MOVE)
    async def changed(
        ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        user, callback = body["user"]["id"], view.get("callback_id", "")
        block = {View.RENAME: Input.LABEL, View.MERGE: Input.INTO}.get(callback, Input.TO)
        try:
            problems, fresh = await store.run(_change, context.team_id, user, callback, view)
        except codebook.NotCurator:
            problems, fresh = {block: "not_curator"}, None
        except LookupError:
            problems, fresh = {block: "gone"}, None
        if problems:
            await ack(response_action="errors", errors=modal_errors(problems))
            return
        await ack()  # back to the codebook, which shows the change
        root = view.get("root_view_id")
        if fresh is not None and isinstance(root, str):
            await client.views_update(view_id=root, view=views.codebook_modal(*fresh))
