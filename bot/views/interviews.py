"""What interviews look like in Slack: the summary, coding and plan modals, their messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot import words
from bot.blocks import (
    Block,
    actions,
    button,
    context,
    input_block,
    modal,
    option,
    plain_text,
    section,
    text_element,
)
from bot.views.questions import NEW_BUTTON, segment_options
from cadence import ids
from cadence.interviews import MAX_INTERVIEWEE, NEW_THEME, Coding, Summary
from cadence.models import JTBD_PARTS, Insight, Interview, Question
from cadence.schedule import FollowUp

SUMMARY = "interview_summary"
CODING = "code_insights"
PLAN = "plan_interview"
LOG_PLANNED = "log_planned"
EDIT = "edit_interview"
DELETE = "delete_interview"
MAX_OPTIONS = 100


def question_options(open_questions: Sequence[Question]) -> list[dict[str, Any]]:
    return [option(str(q.id), f"#{q.number} {q.text}") for q in open_questions[-MAX_OPTIONS:]]


def _question_select(open_questions: Sequence[Question], question_id: int | None) -> Block:
    options = question_options(open_questions)
    element: dict[str, Any] = {
        "type": "static_select",
        "placeholder": plain_text(words.plain("modals.question_placeholder")),
        "options": options,
    }
    chosen = [o for o in options if o["value"] == str(question_id)]
    if chosen:
        element["initial_option"] = chosen[0]
    return input_block("question", words.plain("modals.question_label"), element)


def _interviewee(initial: str) -> Block:
    return input_block(
        "interviewee",
        words.plain("modals.interviewee_label"),
        text_element(
            initial,
            max_length=MAX_INTERVIEWEE,
            placeholder=words.plain("modals.interviewee_placeholder"),
        ),
        optional=True,
    )


def summary_modal(
    open_questions: Sequence[Question],
    held_on: date,
    *,
    question_id: int | None = None,
    interview: Interview | None = None,
    insights: Sequence[str] = (),
    notes: str = "",
) -> dict[str, Any]:
    """The post-interview summary; prefilled from `interview` when editing or following up."""
    segment: dict[str, Any] = {"type": "static_select", "options": segment_options()}
    if interview is not None:
        question_id = interview.question_id
        initial = [o for o in segment["options"] if o["value"] == interview.segment]
        segment["initial_option"] = initial[0]
    blocks = [
        _question_select(open_questions, question_id),
        _interviewee(interview.interviewee if interview else ""),
        input_block(
            "segment",
            words.plain("modals.interview_segment_label"),
            segment,
            optional=True,
            hint=words.plain("modals.interview_segment_hint"),
        ),
        input_block(
            "held_on",
            words.plain("modals.held_on_label"),
            {"type": "datepicker", "initial_date": held_on.isoformat()},
        ),
    ]
    for part in JTBD_PARTS:
        blocks.append(
            input_block(
                part,
                words.plain("modals.part_label", part=part),
                text_element(getattr(interview, part) if interview else "", multiline=True),
                optional=True,
                hint=words.plain("modals.part_hint", part=part),
            )
        )
    blocks += [
        input_block(
            "quote",
            words.plain("modals.quote_label"),
            text_element(interview.quote if interview else "", multiline=True),
            optional=True,
        ),
        input_block(
            "insights",
            words.plain("modals.insights_label"),
            text_element("\n".join(insights) or notes, multiline=True),
            optional=True,
            hint=words.plain("modals.insights_hint"),
        ),
    ]
    return modal(
        SUMMARY,
        words.plain("modals.summary_title"),
        blocks,
        words.plain("modals.save"),
        words.plain("modals.cancel"),
        interview_id=interview.id if interview else None,
    )


def read_summary(values: dict[str, str]) -> Summary:
    return Summary(
        question_id=values.get("question", ""),
        held_on=values.get("held_on", ""),
        interviewee=values.get("interviewee", ""),
        segment=values.get("segment", ""),
        parts={part: values.get(part, "") for part in JTBD_PARTS},
        quote=values.get("quote", ""),
        insights=values.get("insights", ""),
    )


def coding_modal(coding: Coding, interview_id: int) -> dict[str, Any]:
    """One select per insight: "New theme", the themes of this interview's other insights
    ("Same as: …") and the question's themes; the best earlier theme chosen, a look-alike
    of the same interview only proposed in the hint."""
    new = option(NEW_THEME, words.plain("modals.new_theme"))
    earlier = {t.id for t in coding.themes}
    own = {i.theme_id: i for i in coding.insights if i.theme_id not in earlier}
    blocks: list[Block] = [
        section(
            words.say(
                "interviews.coding_intro", count=len(coding.insights), earlier=bool(coding.themes)
            )
        )
    ]
    for insight in coding.insights:
        alike = [
            option(str(theme), words.plain("modals.same_as", text=other.text))
            for theme, other in own.items()
            if other.id != insight.id
        ]
        choices = [new, *alike, *(option(str(t.id), t.name) for t in coding.themes)]
        choices = choices[:MAX_OPTIONS]
        known = {o["value"]: o for o in choices}
        element = {
            "type": "static_select",
            "options": choices,
            "initial_option": known.get(str(insight.theme_id), new),
        }
        hint = None
        if insight.id in coding.proposals and insight.theme_id in own:
            other = next(i for i in coding.insights if i.theme_id == coding.proposals[insight.id])
            hint = words.plain("modals.looks_like", text=other.text)
        blocks.append(input_block(f"insight_{insight.id}", insight.text[:2000], element, hint=hint))
    view = modal(
        CODING,
        words.plain("modals.coding_title"),
        blocks,
        words.plain("modals.save"),
        words.plain("modals.done"),
        interview_id=interview_id,
    )
    view["notify_on_close"] = True  # closing keeps the preselected coding; we still confirm
    return view


def read_choices(values: dict[str, str]) -> dict[int, str]:
    found = {ids.number(block.removeprefix("insight_")): c for block, c in values.items()}
    return {insight: choice for insight, choice in found.items() if insight is not None}


def no_question_modal() -> dict[str, Any]:
    """Instead of a question select with no options (which Slack refuses): say so, and
    offer to open one."""
    blocks = [
        section(words.say("interviews.no_open_question")),
        actions(button(words.plain("modals.new_button"), NEW_BUTTON, style="primary")),
    ]
    title, done = words.plain("modals.no_question_title"), words.plain("modals.done")
    return modal("no_question", title, blocks, None, done)


def plan_modal(open_questions: Sequence[Question], question_id: int | None) -> dict[str, Any]:
    blocks = [
        _question_select(open_questions, question_id),
        _interviewee(""),
        input_block(
            "when",
            words.plain("modals.when_label"),
            {"type": "datetimepicker"},
            hint=words.plain("modals.when_hint"),
        ),
    ]
    return modal(
        PLAN,
        words.plain("modals.plan_title"),
        blocks,
        words.plain("modals.plan_submit"),
        words.plain("modals.cancel"),
    )


def follow_up_blocks(follow_up: FollowUp) -> tuple[str, list[Block]]:
    interview = follow_up.interview
    text = words.say("interviews.follow_up", q=follow_up.question, interview=interview)
    summary = button(
        words.plain("modals.summary_button"), LOG_PLANNED, str(interview.id), "primary"
    )
    return text, [section(text), actions(summary)]


def recent_blocks(recent: Sequence[tuple[Interview, list[Insight]]]) -> list[Block]:
    """The latest interviews in the status view, each with Edit and Delete."""
    if not recent:
        return []
    blocks: list[Block] = [context(words.say("interviews.recent_header", count=len(recent)))]
    for interview, insights in recent:
        confirm = {
            "title": plain_text(words.plain("modals.delete_confirm_title")),
            "text": plain_text(words.plain("modals.delete_confirm_text")),
            "confirm": plain_text(words.plain("modals.delete_button")),
            "deny": plain_text(words.plain("modals.cancel")),
            "style": "danger",
        }
        delete = button(words.plain("modals.delete_button"), DELETE, str(interview.id), "danger")
        delete["confirm"] = confirm
        blocks += [
            section(words.say("interviews.line", interview=interview, insights=len(insights))),
            actions(button(words.plain("modals.edit_button"), EDIT, str(interview.id)), delete),
        ]
    return blocks
