"""What a question's codebook looks like in Slack: its themes with how often each was heard,
and the small modals to rename, merge and move, as Block Kit data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot import words
from bot.blocks import (
    Block,
    context,
    input_block,
    metadata,
    modal,
    option,
    section,
    state_values,
    text_element,
)
from bot.ids import Action, Input, Meta, ThemeChange, View
from cadence import ids
from cadence.codebook import MAX_LABEL, Entry
from cadence.interviews import NEW_THEME
from cadence.models import Insight, Question, Theme

MAX_THEMES = 95  # one block each, within a modal's 100
MAX_OPTIONS = 100


def codebook_modal(question: Question, found: Sequence[Entry]) -> dict[str, Any]:
    blocks: list[Block] = [section(words.say("codebook.intro", q=question, count=len(found)))]
    for entry in found[:MAX_THEMES]:
        changes = list(ThemeChange) if len(found) > 1 else [ThemeChange.RENAME]
        menu = [
            option(c.value_for(entry.theme.id), words.plain(f"codebook.{c.value}")) for c in changes
        ]
        overflow = {"type": "overflow", "action_id": Action.THEME_MENU, "options": menu}
        blocks.append(section(words.say("codebook.entry", e=entry), accessory=overflow))
    if len(found) > MAX_THEMES:
        blocks.append(context(words.say("questions.more", count=len(found) - MAX_THEMES)))
    title, done = words.plain("codebook.title"), words.plain("modals.done")
    return modal(View.CODEBOOK, title, blocks, None, done, {Meta.QUESTION_ID: question.id})


def _themes(themes: Sequence[Theme], but: Theme) -> list[dict[str, Any]]:
    return [option(str(t.id), t.name) for t in themes if t.id != but.id][: MAX_OPTIONS - 1]


def rename_modal(theme: Theme) -> dict[str, Any]:
    label = input_block(
        Input.LABEL,
        words.plain("codebook.label"),
        text_element(theme.name[:MAX_LABEL], max_length=MAX_LABEL),
        hint=words.plain("codebook.label_hint"),
    )
    return _child(View.RENAME, theme, [label])


def merge_modal(theme: Theme, themes: Sequence[Theme]) -> dict[str, Any]:
    into = input_block(
        Input.INTO,
        words.plain("codebook.into"),
        {"type": "static_select", "options": _themes(themes, theme)},
    )
    return _child(View.MERGE, theme, [section(words.say("codebook.merging", t=theme)), into])


def move_modal(theme: Theme, insights: Sequence[Insight], themes: Sequence[Theme]) -> dict:
    which = [option(str(i.id), i.text) for i in insights][:MAX_OPTIONS]
    to = [option(NEW_THEME, words.plain("modals.new_theme")), *_themes(themes, theme)]
    blocks = [
        input_block(
            Input.INSIGHT,
            words.plain("codebook.insight"),
            {"type": "static_select", "options": which},
        ),
        input_block(Input.TO, words.plain("codebook.to"), {"type": "static_select", "options": to}),
    ]
    return _child(View.MOVE, theme, blocks)


def _child(callback: str, theme: Theme, blocks: list[Block]) -> dict[str, Any]:
    return modal(
        callback,
        words.plain(f"codebook.{callback}_title"),
        blocks,
        words.plain("modals.save"),
        words.plain("modals.cancel"),
        {Meta.THEME_ID: theme.id, Meta.QUESTION_ID: theme.question_id},
    )


@dataclass(frozen=True)
class ThemeForm:
    """A codebook change as typed: which theme (and its question), and the rename's label,
    the merge's theme or the move's insight and where it goes (NEW_THEME for a new one)."""

    theme_id: int
    question_id: int
    label: str
    into: int
    insight: int
    to: int | None


def read_change(view: dict[str, Any]) -> ThemeForm:
    values, meta = state_values(view), metadata(view)
    to = values.get(Input.TO, "")
    return ThemeForm(
        theme_id=ids.number(meta.get(Meta.THEME_ID)) or 0,
        question_id=ids.number(meta.get(Meta.QUESTION_ID)) or 0,
        label=values.get(Input.LABEL, ""),
        into=ids.number(values.get(Input.INTO)) or 0,
        insight=ids.number(values.get(Input.INSIGHT)) or 0,
        to=None if to == NEW_THEME else (ids.number(to) or 0),
    )
