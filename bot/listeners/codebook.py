"""A question's codebook: `/discovery themes`, the Themes buttons, and rename, merge and move."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot import clock
from bot.ids import Action, Input, ThemeChange, View
from bot.listeners.shared import (
    first_submission,
    matcher,
    matcher_ready,
    refusal,
    refuse,
    store_of,
    warm_matcher,
)
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
    form = views.read_change(view)
    problem = codebook.check_label(form.label) if callback == View.RENAME else None
    if problem:
        return {Input.LABEL: problem}, None
    if not first_submission(s, team_id, view):
        return {}, None
    if callback == View.RENAME:
        codebook.rename(s, team_id, form.theme_id, user, form.label)
    elif callback == View.MERGE:
        codebook.merge(s, team_id, form.theme_id, form.into, user, clock.now(), matcher())
    else:
        codebook.move(s, team_id, form.insight, form.to, user, clock.now(), matcher())
    return {}, _load(s, team_id, form.question_id)


async def themes_pressed(
    ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    question_id = ids.number(action.get("value")) or 0
    await open_codebook(client, store_of(context), context.team_id, body["trigger_id"], question_id)


async def theme_menu(
    ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    parsed = ThemeChange.parse((action.get("selected_option") or {}).get("value"))
    if parsed is None or ids.number(parsed[1]) is None:
        return
    view = await store_of(context).run(_child, context.team_id, parsed[0], ids.number(parsed[1]))
    if view is not None:
        await client.views_push(trigger_id=body["trigger_id"], view=view)
        warm_matcher()  # for its Save, which keeps the theme vectors in step


async def changed(
    ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    user, callback = body["user"]["id"], view.get("callback_id", "")
    block = {View.RENAME: Input.LABEL, View.MERGE: Input.INTO}.get(callback, Input.TO)
    if not await matcher_ready():  # a rename keeps the theme's vectors in step too
        await refuse(ack, {block: "warming_up"})
        return
    try:
        problems, fresh = await store_of(context).run(
            _change, context.team_id, user, callback, view
        )
    except (codebook.NotCurator, LookupError) as e:
        problems, fresh = {block: refusal(e)}, None
    if problems:
        await refuse(ack, problems)
        return
    await ack()  # back to the codebook, which shows the change
    root = view.get("root_view_id")
    if fresh is not None and isinstance(root, str):
        await client.views_update(view_id=root, view=views.codebook_modal(*fresh))


LISTENERS = [
    ("action", Action.THEMES, themes_pressed),
    ("action", Action.THEME_MENU, theme_menu),
    ("view", View.RENAME, changed),
    ("view", View.MERGE, changed),
    ("view", View.MOVE, changed),
]
