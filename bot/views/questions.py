"""What questions look like in Slack: modals, messages and the Home tab, as Block Kit data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from bot import words
from bot.blocks import (
    Block,
    actions,
    button,
    context,
    divider,
    header,
    input_block,
    long_sections,
    metadata,
    modal,
    option,
    plain_text,
    section,
    state_values,
    text_element,
)
from bot.ids import Action, Input, Meta, View
from cadence import ids
from cadence.models import Question, Segment, Status
from cadence.questions import (
    DEFAULT_TARGET,
    MAX_LONG_TEXT,
    MAX_TARGET,
    MIN_TARGET,
    Draft,
    Overview,
)
from cadence.saturation import LIMITS, PRESETS, Rule, check_rule, preset_of

T = TypeVar("T")

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100


def segment_options() -> list[dict[str, Any]]:
    return [
        option(
            s.value,
            words.plain("segments.name", segment=s.value),
            words.plain("segments.when", segment=s.value),
        )
        for s in Segment
    ]


# -- new question ------------------------------------------------------------------------
def rule_blocks(rule: Rule | None = None) -> list[Block]:
    """The optional saturation-rule inputs: a preset, or base, run and threshold typed."""
    presets = [option(name, words.plain("modals.preset_name", preset=name)) for name in PRESETS]
    preset: dict[str, Any] = {"type": "static_select", "options": presets}
    chosen = preset_of(rule) if rule else None
    if chosen:
        preset["initial_option"] = presets[list(PRESETS).index(chosen)]

    def number(block_id: str, decimal: bool) -> Block:
        low, high = LIMITS[block_id]
        element = {
            "type": "number_input",
            "is_decimal_allowed": decimal,
            "min_value": str(low),
            "max_value": str(high),
        }
        label = words.plain(f"modals.{block_id}_label")
        return input_block(block_id, label, element, optional=True)

    return [
        section(words.say("questions.rule_intro", rule=rule)),
        input_block(
            Input.PRESET,
            words.plain("modals.preset_label"),
            preset,
            optional=True,
            hint=words.plain("modals.preset_hint"),
        ),
        number(Input.BASE, False),
        number(Input.RUN, False),
        number(Input.THRESHOLD, True),
    ]


def new_question_modal(
    text: str,
    user_id: str,
    channel_id: str | None,
    segment: str | None = None,
) -> dict[str, Any]:
    """The new-question modal, prefilled with what is known (a follow-up knows it all)."""
    blocks = [
        input_block(
            Input.TEXT,
            words.plain("modals.text_label"),
            text_element(text, multiline=True, placeholder=words.plain("modals.text_placeholder")),
            hint=words.plain("modals.text_hint"),
        ),
        input_block(
            Input.HYPOTHESIS,
            words.plain("modals.hypothesis_label"),
            text_element(
                multiline=True,
                max_length=MAX_LONG_TEXT,
                placeholder=words.plain("modals.hypothesis_placeholder"),
            ),
            optional=True,
        ),
        *_who_and_where(user_id, channel_id, segment),
        input_block(
            Input.TARGET,
            words.plain("modals.target_label"),
            {
                "type": "number_input",
                "is_decimal_allowed": False,
                "initial_value": str(DEFAULT_TARGET),
                "min_value": str(MIN_TARGET),
                "max_value": str(MAX_TARGET),
            },
            hint=words.plain("modals.target_hint"),
        ),
        section(
            words.say("questions.rule_default"),
            accessory=button(words.plain("modals.advanced_button"), Action.ADVANCED_RULE),
        )
        | {"block_id": ADVANCED},
    ]
    return modal(
        View.NEW_QUESTION,
        words.plain("modals.new_title"),
        blocks,
        words.plain("modals.create"),
        words.plain("modals.cancel"),
    )


def _who_and_where(user_id: str, channel_id: str | None, segment: str | None) -> list[Block]:
    """The new question's segment, owner (the user, at first) and digest channel fields."""
    segment_select: dict[str, Any] = {
        "type": "static_select",
        "placeholder": plain_text(words.plain("modals.segment_placeholder")),
        "options": segment_options(),
    }
    if segment:
        segment_select["initial_option"] = next(
            o for o in segment_select["options"] if o["value"] == segment
        )
    channel_select: dict[str, Any] = {
        "type": "conversations_select",
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if channel_id:
        channel_select["initial_conversation"] = channel_id
    return [
        input_block(Input.SEGMENT, words.plain("modals.segment_label"), segment_select),
        input_block(
            Input.OWNER,
            words.plain("modals.owner_label"),
            {"type": "users_select", "initial_user": user_id},
            hint=words.plain("modals.owner_hint"),
        ),
        input_block(
            Input.CHANNEL,
            words.plain("modals.channel_label"),
            channel_select,
            hint=words.plain("modals.channel_hint"),
        ),
    ]


ADVANCED = "rule_default"  # the new-question modal's rule, in words, until Advanced is pressed


def with_rule(view: dict[str, Any]) -> dict[str, Any]:
    """A new-question modal as Slack holds it, with the rule's inputs in place of its words
    (views.update keeps what was typed in blocks whose ids stay)."""
    kept = ("type", "callback_id", "title", "submit", "close", "private_metadata")
    blocks = []
    for b in view.get("blocks", []):
        blocks += rule_blocks() if b.get("block_id") == ADVANCED else [b]
    return {k: view[k] for k in kept if k in view} | {"blocks": blocks}


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
        actions(button(words.plain("modals.guide_button"), Action.GUIDE, str(question.id))),
    ]
    return text, blocks


# -- close -------------------------------------------------------------------------------
def read_question(view: dict[str, Any]) -> Draft:
    """The new-question form as the core checks it."""
    values = state_values(view)
    return Draft(
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


def close_modal(question: Question, conclusion: str, outcome: Status | None = None) -> dict:
    outcomes = [
        option(Status.ANSWERED.value, words.plain("modals.answered")),
        option(Status.DROPPED.value, words.plain("modals.dropped")),
    ]
    radio: dict[str, Any] = {"type": "radio_buttons", "options": outcomes}
    if outcome is not None:
        radio["initial_option"] = next(o for o in outcomes if o["value"] == outcome.value)
    blocks = [
        section(words.say("questions.ref", q=question)),
        input_block(Input.OUTCOME, words.plain("modals.outcome_label"), radio),
        input_block(
            Input.CONCLUSION,
            words.plain("modals.conclusion_label"),
            text_element(
                conclusion,
                multiline=True,
                max_length=MAX_LONG_TEXT,
                placeholder=words.plain("modals.conclusion_placeholder"),
            ),
            optional=True,
        ),
    ]
    return modal(
        View.CLOSE_QUESTION,
        words.plain("modals.close_title"),
        blocks,
        words.plain("modals.close_submit"),
        words.plain("modals.cancel"),
        {Meta.QUESTION_ID: question.id},
    )


# -- guide -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Closing:
    """The close form: which question, answered or dropped (None: not chosen), what we learned."""

    question_id: int
    outcome: Status | None
    conclusion: str


def read_closing(view: dict[str, Any]) -> Closing:
    values = state_values(view)
    chosen = values.get(Input.OUTCOME)
    outcome = Status(chosen) if chosen in (Status.ANSWERED, Status.DROPPED) else None
    question_id = ids.number(metadata(view).get(Meta.QUESTION_ID)) or 0
    return Closing(question_id, outcome, values.get(Input.CONCLUSION, ""))


def guide_blocks(question: Question) -> list[Block]:
    return [
        section(words.say("guide.intro", q=question)),
        section(words.say("guide.golden_rule")),
        section(words.say("guide.questions", segment=question.segment)),
        section(words.say("guide.listen_for")),
        context(words.say("guide.after")),
    ]


def guide_modal(question: Question) -> dict[str, Any]:
    title, done = words.plain("modals.guide_title"), words.plain("modals.done")
    return modal(View.GUIDE, title, guide_blocks(question), None, done)


# -- list, status, home ------------------------------------------------------------------
def _capped(
    items: Sequence[T], room: int, render: Callable[[T], Block], total: int | None = None
) -> list[Block]:
    """At most `room` blocks, the last one saying how many of `total` (default: all items)
    were left out; only the items shown are rendered."""
    total = len(items) if total is None else total
    if total <= room:
        return [render(item) for item in items]
    more = context(words.say("questions.more", count=total - room + 1))
    return [*(render(item) for item in items[: room - 1]), more]


def _shown(o: Overview) -> tuple:
    """All that a list or Home line reads of an overview (prompts: questions.line and
    home.question), so that its words are rendered once while they stay the same."""
    q = o.question
    return (q.number, q.text, q.owner_id, o.progress, o.themes, o.saturation, o.booked)


LIST_ROOM = MESSAGE_BLOCKS - 1  # a list's lines: all but its header


def list_blocks(overviews: Sequence[Overview], total: int) -> list[Block]:
    """The first `LIST_ROOM` (or fewer) of `total` open questions, by number."""
    head = [section(words.say("questions.list_header", count=total))]
    return head + _capped(
        overviews,
        LIST_ROOM,
        lambda o: section(words.say_as("questions.line", _shown(o), o=o)),
        total,
    )


def _themes_button(question: Question) -> dict[str, Any]:
    return button(words.plain("modals.themes_button"), Action.THEMES, str(question.id))


def status_blocks(overviews: Sequence[Overview]) -> list[Block]:
    blocks = []
    for o in overviews:
        segment = words.plain("segments.name", segment=o.question.segment)
        text = words.say("questions.status", o=o, segment=segment)
        blocks.append(section(text, accessory=_themes_button(o.question)))
        for long in ("questions.hypothesis", "questions.conclusion"):
            blocks += [section(part) for part in long_sections(words.say(long, q=o.question))]
    return _capped(blocks, MESSAGE_BLOCKS, lambda block: block)


def home_view(overviews: Sequence[Overview], command: str = "/discovery") -> dict[str, Any]:
    head = [
        header(words.plain("home.title")),
        section(words.say("home.intro", count=len(overviews))),
        actions(
            button(words.plain("modals.new_button"), Action.NEW_QUESTION, style="primary"),
            button(words.plain("modals.log_button"), Action.LOG),
        ),
        divider(),
    ]
    if not overviews:
        return {
            "type": "home",
            "blocks": [*head, section(words.say("questions.none_yours", command=command))],
        }

    def line(o: Overview) -> Block:
        text = words.say_as("home.question", _shown(o), o=o)
        return section(text, accessory=_themes_button(o.question))

    return {"type": "home", "blocks": head + _capped(overviews, VIEW_BLOCKS - len(head), line)}


# -- the saturation rule of one question -------------------------------------------------
def rule_modal(question: Question, rule: Rule) -> dict[str, Any]:
    blocks = [section(words.say("questions.ref", q=question)), *rule_blocks(rule)]
    return modal(
        View.SATURATION_RULE,
        words.plain("modals.rule_title"),
        blocks,
        words.plain("modals.save"),
        words.plain("modals.cancel"),
        {Meta.QUESTION_ID: question.id},
    )


def read_rule(view: dict[str, Any]) -> tuple[int, Rule | None, dict[str, str]]:
    """The rule form: its question, and the rule it sets, else the problems with it."""
    values = state_values(view)
    rule, problems = check_rule(
        values.get(Input.PRESET, ""),
        values.get(Input.BASE, ""),
        values.get(Input.RUN, ""),
        values.get(Input.THRESHOLD, ""),
    )
    return ids.number(metadata(view).get(Meta.QUESTION_ID)) or 0, rule, problems
