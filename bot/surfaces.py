"""What questions look like in Slack: modals, messages and the Home tab, as Block Kit data."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot import words
from bot.blocks import Block, actions, button, context, divider, header, plain_text, section
from cadence.models import Question, Segment, Status
from cadence.questions import MAX_LONG_TEXT, MAX_TARGET, MAX_TEXT, MIN_TARGET, Overview

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
NEW_QUESTION = "new_question"
CLOSE_QUESTION = "close_question"
GUIDE_BUTTON = "show_guide"
NEW_BUTTON = "new_question_button"
LOG_BUTTON = "log_interview"
VALUE = "value"  # the action_id of every input, so reading a view is uniform


# -- inputs ------------------------------------------------------------------------------
def _input(block_id: str, label: str, element: dict[str, Any], **extra: Any) -> Block:
    element["action_id"] = VALUE
    block = {"type": "input", "block_id": block_id, "label": plain_text(label), "element": element}
    if extra.get("hint"):
        block["hint"] = plain_text(extra["hint"])
    if extra.get("optional"):
        block["optional"] = True
    return block


def _text_element(
    initial: str = "", *, multiline: bool = False, max_length: int = MAX_TEXT, placeholder: str = ""
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial[:max_length]
    if placeholder:
        element["placeholder"] = plain_text(placeholder)
    return element


def _option(value: str, text: str, description: str = "") -> dict[str, Any]:
    option: dict[str, Any] = {"text": plain_text(text), "value": value}
    if description:
        option["description"] = plain_text(description)
    return option


def segment_options() -> list[dict[str, Any]]:
    return [
        _option(
            s.value,
            words.plain("segments.name", segment=s.value),
            words.plain("segments.when", segment=s.value),
        )
        for s in Segment
    ]


def state_values(view: dict[str, Any]) -> dict[str, str]:
    """Every input of a submitted view as a string, by block_id ('' when left empty)."""
    found: dict[str, str] = {}
    for block_id, by_action in view.get("state", {}).get("values", {}).items():
        state = by_action.get(VALUE, {})
        option = state.get("selected_option") or {}
        found[block_id] = str(
            state.get("value")
            or option.get("value")
            or state.get("selected_user")
            or state.get("selected_conversation")
            or state.get("selected_date")
            or ""
        )
    return found


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    return json.loads(view.get("private_metadata") or "{}")


def _modal(callback_id: str, title: str, blocks: list[Block], submit: str | None, **meta: Any):
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain_text(title),
        "close": plain_text(words.plain("modals.cancel" if submit else "modals.done")),
        "blocks": blocks,
        "private_metadata": json.dumps(meta),
    }
    if submit:
        view["submit"] = plain_text(submit)
    return view


# -- new question ------------------------------------------------------------------------
def new_question_modal(text: str, user_id: str, channel_id: str | None) -> dict[str, Any]:
    channel_select: dict[str, Any] = {
        "type": "conversations_select",
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if channel_id:
        channel_select["initial_conversation"] = channel_id
    blocks = [
        _input(
            "text",
            words.plain("modals.text_label"),
            _text_element(text, multiline=True, placeholder=words.plain("modals.text_placeholder")),
            hint=words.plain("modals.text_hint"),
        ),
        _input(
            "hypothesis",
            words.plain("modals.hypothesis_label"),
            _text_element(
                multiline=True,
                max_length=MAX_LONG_TEXT,
                placeholder=words.plain("modals.hypothesis_placeholder"),
            ),
            optional=True,
        ),
        _input(
            "segment",
            words.plain("modals.segment_label"),
            {
                "type": "static_select",
                "placeholder": plain_text(words.plain("modals.segment_placeholder")),
                "options": segment_options(),
            },
        ),
        _input(
            "owner",
            words.plain("modals.owner_label"),
            {"type": "users_select", "initial_user": user_id},
            hint=words.plain("modals.owner_hint"),
        ),
        _input(
            "channel",
            words.plain("modals.channel_label"),
            channel_select,
            hint=words.plain("modals.channel_hint"),
        ),
        _input(
            "target",
            words.plain("modals.target_label"),
            {
                "type": "number_input",
                "is_decimal_allowed": False,
                "initial_value": "3",
                "min_value": str(MIN_TARGET),
                "max_value": str(MAX_TARGET),
            },
            hint=words.plain("modals.target_hint"),
        ),
    ]
    return _modal(
        NEW_QUESTION, words.plain("modals.new_title"), blocks, words.plain("modals.create")
    )


def created_blocks(question: Question, creator: str) -> tuple[str, list[Block]]:
    text = words.say(
        "questions.created",
        q=question,
        segment=words.plain("segments.name", segment=question.segment),
    )
    if creator != question.owner_id:
        text += "\n" + words.say("questions.opened_for", q=question, creator=creator)
    blocks = [
        section(text),
        actions(button(words.plain("modals.guide_button"), GUIDE_BUTTON, str(question.id))),
    ]
    return text, blocks


# -- close -------------------------------------------------------------------------------
def close_modal(question: Question, conclusion: str) -> dict[str, Any]:
    blocks = [
        section(words.say("questions.ref", q=question)),
        _input(
            "outcome",
            words.plain("modals.outcome_label"),
            {
                "type": "radio_buttons",
                "options": [
                    _option(Status.ANSWERED.value, words.plain("modals.answered")),
                    _option(Status.DROPPED.value, words.plain("modals.dropped")),
                ],
            },
        ),
        _input(
            "conclusion",
            words.plain("modals.conclusion_label"),
            _text_element(
                conclusion,
                multiline=True,
                max_length=MAX_LONG_TEXT,
                placeholder=words.plain("modals.conclusion_placeholder"),
            ),
            optional=True,
        ),
    ]
    return _modal(
        CLOSE_QUESTION,
        words.plain("modals.close_title"),
        blocks,
        words.plain("modals.close_submit"),
        question_id=question.id,
    )


# -- guide -------------------------------------------------------------------------------
def guide_blocks(question: Question) -> list[Block]:
    return [
        section(words.say("guide.intro", q=question)),
        section(words.say("guide.golden_rule")),
        section(words.say("guide.questions", segment=question.segment)),
        section(words.say("guide.listen_for")),
        context(words.say("guide.after")),
    ]


def guide_modal(question: Question) -> dict[str, Any]:
    return _modal("guide", words.plain("modals.guide_title"), guide_blocks(question), None)


# -- list, status, home ------------------------------------------------------------------
def _capped(items: Sequence[Block], room: int) -> list[Block]:
    """At most `room` blocks, the last one saying how many were left out."""
    if len(items) <= room:
        return list(items)
    return [*items[: room - 1], context(words.say("questions.more", count=len(items) - room + 1))]


def list_blocks(overviews: Sequence[Overview]) -> list[Block]:
    lines = [section(words.say("questions.line", o=o)) for o in overviews]
    head = [section(words.say("questions.list_header", count=len(overviews)))]
    return head + _capped(lines, MESSAGE_BLOCKS - len(head))


def status_blocks(overviews: Sequence[Overview]) -> list[Block]:
    blocks = []
    for o in overviews:
        segment = words.plain("segments.name", segment=o.question.segment)
        blocks.append(section(words.say("questions.status", o=o, segment=segment)))
    return _capped(blocks, MESSAGE_BLOCKS)


def home_view(overviews: Sequence[Overview], command: str = "/discovery") -> dict[str, Any]:
    head = [
        header(words.plain("home.title")),
        section(words.say("home.intro", count=len(overviews))),
        actions(
            button(words.plain("modals.new_button"), NEW_BUTTON, style="primary"),
            button(words.plain("modals.log_button"), LOG_BUTTON),
        ),
        divider(),
    ]
    if not overviews:
        return {
            "type": "home",
            "blocks": [*head, section(words.say("questions.none_yours", command=command))],
        }
    lines = [section(words.say("home.question", o=o)) for o in overviews]
    return {"type": "home", "blocks": head + _capped(lines, VIEW_BLOCKS - len(head))}
