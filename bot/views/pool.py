"""What the candidate pool looks like in Slack: suggestions with their buttons, the modals
(add people, invite, reschedule), the overview and the webhook's URL, as Block Kit data.
Names and emails appear only in DMs and modals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import words
from bot.blocks import (
    Block,
    actions,
    button,
    context,
    input_block,
    metadata,
    modal,
    section,
    state_values,
    text_element,
)
from bot.ids import (
    SUGGESTION_PREFIX,
    Action,
    Input,
    Meta,
    View,
    suggestion_block,
    suggestion_value,
)
from bot.views.questions import MESSAGE_BLOCKS
from cadence import ids
from cadence.models import Candidate, Question, Segment
from cadence.pool import Overview, Problem, Suggestion

SHOWN_PROBLEMS = 10  # bad lines named in a modal's error or a reply; the rest counted
MAX_PASTE = 3000  # a plain_text_input's most


def segment_names() -> dict[str, str]:
    """Each segment's name as the app shows it, lower-case, to its key: how a CSV may name it."""
    found = {}
    for s in Segment:
        name = words.plain("segments.name", segment=s.value).lower()
        found[name] = s.value
        found[name.partition(" (")[0]] = s.value  # "superstars (best customers)" too
    return found


def problems_text(problems: Sequence[Problem], plain: bool = True) -> str:
    shown, more = list(problems[:SHOWN_PROBLEMS]), max(len(problems) - SHOWN_PROBLEMS, 0)
    return (words.plain if plain else words.say)("pool.problems", shown=shown, more=more)


def problem_lines(problems: Sequence[Problem]) -> list[dict[str, Any]]:
    """The webhook's answer: each bad line in words (no value of a person in them)."""
    return [{"line": p.line, "problem": words.plain("pool.problem", p=p)} for p in problems]


# -- suggestions -------------------------------------------------------------------------
def _buttons(s: Suggestion) -> Block:
    value = suggestion_value(s.candidate.id, s.question_id)
    block = actions(
        button(
            words.plain("pool.invite_label", name=s.candidate.name), Action.INVITE, value, "primary"
        ),
        button(words.plain("modals.plan_button"), Action.PLAN_CANDIDATE, value),
        button(words.plain("modals.not_a_fit_button"), Action.NOT_A_FIT, value),
        button(words.plain("modals.opted_out_button"), Action.OPTED_OUT, value),
    )
    block["block_id"] = suggestion_block(s.candidate.id, s.question_id)
    return block


def people_text(suggestions: Sequence[Suggestion]) -> str:
    return "\n".join(words.say("pool.suggestion", s=s) for s in suggestions)


def suggestion_blocks(suggestions: Sequence[Suggestion], room: int) -> list[Block]:
    """A question's suggestions in at most `room` blocks: the people, then a row of buttons
    for each that fits (none fit in one block: the people only)."""
    if not suggestions or room < 1:
        return []
    blocks = [section(people_text(suggestions))]
    return blocks + [_buttons(s) for s in suggestions[: room - 1]]


def with_pool_note(blocks: Sequence[Block], candidate_id: int, note: str, question_id: int = 0):
    """A message as it was, with a person's buttons (for one question, or all) replaced by
    a note; the note once."""
    prefix = (
        suggestion_block(candidate_id, question_id)
        if question_id
        else f"{SUGGESTION_PREFIX}{candidate_id}_"
    )
    found: list[Block] = []
    noted = False
    for b in blocks:
        if str(b.get("block_id", "")).startswith(prefix):
            if not noted:
                found.append(context(note))
            noted = True
        else:
            found.append(b)
    return found


def pool_dm(
    questions: Sequence[Question], found: dict[int, list[Suggestion]], command: str
) -> tuple[str, list[Block]]:
    """`/discovery pool`'s DM: the next suggestions for each of your open questions."""
    head = words.say("pool.suggestions_header")
    blocks = [section(head)]
    for n, q in enumerate(questions):
        mine = found.get(q.id, [])
        left = MESSAGE_BLOCKS - len(blocks) - 1
        if left < 2:
            blocks.append(context(words.say("questions.more", count=len(questions) - n)))
            break
        blocks.append(section(words.say("pool.for_question", q=q, count=len(mine))))
        blocks += suggestion_blocks(mine, min(len(mine) + 1, left - 1))
    return head, blocks


# -- modals ------------------------------------------------------------------------------
def add_modal() -> dict[str, Any]:
    element = text_element(
        multiline=True,
        max_length=MAX_PASTE,
        placeholder=words.plain("pool.people_placeholder"),
    )
    blocks = [
        input_block(
            Input.PEOPLE,
            words.plain("pool.people_label"),
            element,
            hint=words.plain("pool.people_hint"),
        )
    ]
    return modal(
        View.POOL_ADD,
        words.plain("pool.add_title"),
        blocks,
        words.plain("pool.add_submit"),
        words.plain("modals.cancel"),
    )


def invite_modal(candidate: Candidate, question: Question, link: str, command: str) -> dict:
    draft = words.plain("outreach.draft", segment=question.segment, name=candidate.name, link=link)
    blocks = [
        section(words.say("pool.invite_who", c=candidate, q=question)),
        input_block(
            Input.DRAFT,
            words.plain("pool.draft_label"),
            text_element(draft, multiline=True, max_length=MAX_PASTE),
            optional=True,
            hint=words.plain("pool.draft_hint"),
        ),
    ]
    if not link:
        blocks.append(context(words.say("pool.no_link", command=command)))
    return modal(
        View.INVITE,
        words.plain("pool.invite_title"),
        blocks,
        words.plain("pool.invite_submit"),
        words.plain("modals.cancel"),
        {Meta.CANDIDATE_ID: candidate.id, Meta.QUESTION_ID: question.id},
    )


def read_people(view: dict[str, Any]) -> str:
    """The add modal's pasted CSV."""
    return state_values(view).get(Input.PEOPLE, "")


def read_invite(view: dict[str, Any]) -> tuple[int, int]:
    """(candidate id, question id) of an Invite modal; 0 for anything not one."""
    meta = metadata(view)
    return ids.number(meta.get(Meta.CANDIDATE_ID)) or 0, ids.number(meta.get(Meta.QUESTION_ID)) or 0


# -- overview and webhook ----------------------------------------------------------------
def overview_text(o: Overview, command: str) -> str:
    names = {s.value: words.plain("segments.name", segment=s.value) for s in Segment}
    return words.say("pool.overview", o=o, command=command, names=names)


def webhook_blocks(url: str | None) -> tuple[str, list[Block]]:
    """The webhook's URL, shown once when its secret is new; else that one is set."""
    text = words.say("pool.webhook", url=url) if url else words.say("pool.webhook_set")
    rotate = button(words.plain("pool.new_secret_button"), Action.NEW_SECRET, "rotate")
    return text, [section(text), actions(rotate)]
