"""What interviews look like in Slack: the summary, coding and plan modals, their messages."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from bot import words
from bot.blocks import (
    Block,
    actions,
    button,
    context,
    input_block,
    metadata,
    modal,
    option,
    plain_text,
    section,
    state_values,
    text_element,
)
from bot.ids import (
    CODING_PREFIX,
    FOLLOW_UP_BUTTONS,
    KEEP_PREFIX,
    Action,
    Input,
    Meta,
    View,
    coding_block,
    keep_block,
)
from bot.views.questions import segment_options
from bot.views.snapshots import line_block
from cadence import ids
from cadence.drafting import MAX_NOTES, Draft
from cadence.interviews import MAX_INTERVIEWEE, NEW_THEME, Coding, Summary
from cadence.models import JTBD_PARTS, Candidate, Insight, Interview, Question, Theme
from cadence.preselection import Account
from cadence.schedule import FollowUp
from cadence.snapshots import Snapshot

if TYPE_CHECKING:  # the matcher needs numpy: the scheduler renders these views without it
    from cadence.matching import Ranked

MAX_OPTIONS = 100
KEEP = "keep"  # the value of an offered line's ticked checkbox
MAX_PASTE = 3000  # Slack's most for a plain_text_input
MAX_KEPT = 2500  # of private_metadata's 3000 characters, for what was typed before pasting


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
    return input_block(Input.QUESTION, words.plain("modals.question_label"), element)


def _interviewee(initial: str) -> Block:
    return input_block(
        Input.INTERVIEWEE,
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
    draft: Draft | None = None,
    drafting: bool = False,
    kept: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The post-interview summary; prefilled from `interview` when editing or following up,
    else from `draft` (a note atop says by whom; `drafting`: one is on its way), with what
    the person had `kept` (chose or typed: by block) before pasting notes left as it was."""
    kept = kept or {}
    initial = _initial(interview, insights, draft) | {k: v for k, v in kept.items() if v}
    question_id = ids.number(initial.get(Input.QUESTION)) or question_id
    blocks = [
        *_drafting_blocks(interview, draft, drafting),
        _question_select(open_questions, question_id),
        _interviewee(initial.get(Input.INTERVIEWEE, "")),
        *_whom_and_when(initial, interview, _date(initial.get(Input.HELD_ON)) or held_on),
        *_notes(initial),
    ]
    return modal(
        View.SUMMARY,
        words.plain("modals.summary_title"),
        blocks,
        words.plain("modals.save"),
        words.plain("modals.cancel"),
        {Meta.INTERVIEW_ID: interview.id if interview else None},
    )


def _whom_and_when(
    initial: Mapping[str, str], interview: Interview | None, held_on: date
) -> list[Block]:
    """The summary's company, segment and date fields."""
    segment: dict[str, Any] = {"type": "static_select", "options": segment_options()}
    chosen = [o for o in segment["options"] if o["value"] == initial.get(Input.SEGMENT)]
    if chosen:
        segment["initial_option"] = chosen[0]
    return [
        input_block(
            Input.COMPANY,
            words.plain("modals.company_label"),
            text_element(interview.company if interview else "", max_length=MAX_INTERVIEWEE),
            optional=True,
        ),
        input_block(
            Input.SEGMENT,
            words.plain("modals.interview_segment_label"),
            segment,
            optional=True,
            hint=words.plain("modals.interview_segment_hint"),
        ),
        input_block(
            Input.HELD_ON,
            words.plain("modals.held_on_label"),
            {"type": "datepicker", "initial_date": held_on.isoformat()},
        ),
    ]


def _notes(initial: Mapping[str, str]) -> list[Block]:
    """The summary's JTBD parts, quote and insights, each a multi-line field."""
    blocks = [
        input_block(
            part,
            words.plain("modals.part_label", part=part),
            text_element(initial.get(part, ""), multiline=True),
            optional=True,
            hint=words.plain("modals.part_hint", part=part),
        )
        for part in JTBD_PARTS
    ]
    return [
        *blocks,
        input_block(
            Input.QUOTE,
            words.plain("modals.quote_label"),
            text_element(initial.get(Input.QUOTE, ""), multiline=True),
            optional=True,
        ),
        input_block(
            Input.INSIGHTS,
            words.plain("modals.insights_label"),
            text_element(initial.get(Input.INSIGHTS, ""), multiline=True),
            optional=True,
            hint=words.plain("modals.insights_hint"),
        ),
    ]


def _initial(
    interview: Interview | None, insights: Sequence[str], draft: Draft | None
) -> dict[str, str]:
    """The summary's fields, by block, as stored for `interview`, else as drafted."""
    if interview is not None:
        found = {part: getattr(interview, part) for part in JTBD_PARTS}
        return found | {
            Input.INTERVIEWEE: interview.interviewee,
            Input.SEGMENT: interview.segment,
            Input.QUESTION: str(interview.question_id),
            Input.QUOTE: interview.quote,
            Input.INSIGHTS: "\n".join(insights),
        }
    if draft is None:
        return {}
    found = {part: draft.part_text(part) for part in JTBD_PARTS}
    return found | {
        Input.INTERVIEWEE: draft.who(),
        Input.QUOTE: draft.quote,
        Input.INSIGHTS: draft.insights_text(),
    }


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None


def _drafting_blocks(interview: Interview | None, draft: Draft | None, drafting: bool) -> list:
    """Atop a new summary: Paste notes, and a line on the draft (on its way, or by whom)."""
    if interview is not None:
        return []
    blocks: list[Block] = [
        actions(button(words.plain("modals.paste_button"), Action.PASTE_NOTES)),
    ]
    if drafting:
        blocks.append(context(words.say("interviews.drafting")))
    elif draft is not None:
        said = words.say(
            "interviews.drafted",
            by_model=draft.by_model,
            fallback=draft.fallback,
            cut=draft.cut,
            limit=MAX_NOTES,
            empty=draft.is_empty(),
        )
        blocks.append(context(said))
    return blocks


def kept_values(view: dict[str, Any]) -> dict[str, str]:
    """What the person chose or typed in an open summary, by block (non-empty only)."""
    return {block: value for block, value in state_values(view).items() if value}


def paste_modal(summary: dict[str, Any]) -> dict[str, Any]:
    """One large input for notes, pushed over the open `summary`, which it then fills."""
    element = text_element("", multiline=True, max_length=MAX_PASTE)
    blocks = [
        input_block(
            Input.NOTES,
            words.plain("modals.notes_label"),
            element,
            hint=words.plain("modals.notes_hint"),
        )
    ]
    meta = {
        Meta.SUMMARY_VIEW: summary.get("id"),
        Meta.SUMMARY_HASH: summary.get("hash"),
        Meta.KEPT: _fitting(kept_values(summary)),
    }
    return modal(
        View.PASTE_NOTES,
        words.plain("modals.paste_title"),
        blocks,
        words.plain("modals.paste_submit"),
        words.plain("modals.back"),
        meta,
    )


def _fitting(kept: dict[str, str]) -> dict[str, str]:
    """What was typed, as much as private_metadata holds: the shortest fields first (the
    question, the date); a field too long to carry is drafted over."""
    found: dict[str, str] = {}
    for block, value in sorted(kept.items(), key=lambda kv: len(kv[1])):
        if len(json.dumps({**found, block: value})) > MAX_KEPT:
            break
        found[block] = value
    return found


@dataclass(frozen=True)
class Pasted:
    notes: str
    summary_view: str
    summary_hash: str
    kept: dict[str, str]


def read_paste(view: dict[str, Any]) -> Pasted:
    meta = metadata(view)
    kept = meta.get(Meta.KEPT)
    return Pasted(
        notes=state_values(view).get(Input.NOTES, ""),
        summary_view=str(meta.get(Meta.SUMMARY_VIEW) or ""),
        summary_hash=str(meta.get(Meta.SUMMARY_HASH) or ""),
        kept={str(k): str(v) for k, v in kept.items()} if isinstance(kept, dict) else {},
    )


def file_offer(name: str, file_id: str) -> tuple[str, list[Block]]:
    """The DM answering a notes file: a button that opens the summary drafted from it."""
    text = words.say("interviews.file_offer", name=name)
    draft = button(
        words.plain("interviews.file_button"), Action.DRAFT_FROM_FILE, file_id, "primary"
    )
    return text, [section(text), actions(draft)]


def read_summary(view: dict[str, Any]) -> tuple[Summary, int | None]:
    """The summary form as the core checks it, and the interview it edits (None: a new one)."""
    values = state_values(view)
    summary = Summary(
        question_id=values.get(Input.QUESTION, ""),
        held_on=values.get(Input.HELD_ON, ""),
        interviewee=values.get(Input.INTERVIEWEE, ""),
        company=values.get(Input.COMPANY, ""),
        segment=values.get(Input.SEGMENT, ""),
        parts={part: values.get(part, "") for part in JTBD_PARTS},
        quote=values.get(Input.QUOTE, ""),
        insights=values.get(Input.INSIGHTS, ""),
    )
    return summary, ids.number(metadata(view).get(Meta.INTERVIEW_ID))


OPTION_TEXT = 75  # Slack's limit on an option's text


def theme_option(theme_id: int, name: str, closeness: str = "") -> dict[str, Any]:
    """A theme as an option: its name, with its score in words where it has some, cut so
    that the words still fit Slack's 75 characters."""
    score = words.plain("modals.closeness", word=closeness)
    text = words.plain("modals.theme_option", name=name, score=score)
    if len(text) > OPTION_TEXT:
        short = name[: len(name) - (len(text) - OPTION_TEXT) - 1] + "…"
        text = words.plain("modals.theme_option", name=short, score=score)
    return option(str(theme_id), text)


@dataclass(frozen=True)
class Choices:
    """One insight's select in the coding step: its options in groups (label, options), and
    the one chosen to begin with."""

    groups: tuple[tuple[str, list[dict[str, Any]]], ...]
    initial: dict[str, Any]

    @property
    def count(self) -> int:
        """Options across the groups: Slack's 100 counts them all."""
        return sum(len(options) for _, options in self.groups)

    def element(self, typeahead: bool = False) -> dict[str, Any]:
        """A static select, in groups when there is more than one; past Slack's 100 options
        (or with `typeahead`), an external select whose type-ahead (Action.THEME_SEARCH)
        reaches every theme."""
        if typeahead or self.count > MAX_OPTIONS:
            return {
                "type": "external_select",
                "action_id": Action.THEME_SEARCH,
                "min_query_length": 0,  # the best matches as soon as it opens
                "placeholder": plain_text(words.plain("modals.theme_search_placeholder")),
                "initial_option": self.initial,
            }
        groups = [(label, options) for label, options in self.groups if options]
        element: dict[str, Any] = {"type": "static_select", "initial_option": self.initial}
        if len(groups) == 1:
            element["options"] = groups[0][1]
        else:
            element["option_groups"] = [
                {"label": plain_text(label), "options": options} for label, options in groups
            ]
        return element


def coding_choices(coding: Coding, insight: Insight) -> Choices:
    """An insight's options: its best three earlier themes with their score in words ("Best
    matches"), then "New theme" and the themes of this interview's other insights ("Same as:
    …"), then every other earlier theme by score. Chosen: the theme the core preselected,
    else "New theme"."""
    new = option(NEW_THEME, words.plain("modals.new_theme"))
    by_id = {t.id: t for t in coding.themes}
    own = {i.theme_id: i for i in coding.insights if i.theme_id not in by_id}
    alike = [
        option(str(theme), words.plain("modals.same_as", text=other.text))
        for theme, other in own.items()
        if other.id != insight.id
    ]
    ranking = coding.rankings.get(insight.id)
    if ranking is None:  # nothing to rank against: the themes as they are
        best, rest = [], [theme_option(t.id, t.name) for t in coding.themes]
        chosen = insight.theme_id
    else:
        alive = [r for r in ranking.themes if r.theme in by_id]  # none gone since it ranked
        ranked = [theme_option(r.theme, by_id[r.theme].name, r.closeness) for r in alive]
        best, rest = ranked[: len(ranking.top)], ranked[len(ranking.top) :]
        chosen = ranking.preselect
    options = [*best, *alike, *rest]
    initial = next((o for o in options if o["value"] == str(chosen)), new)
    groups = (
        (words.plain("modals.best_matches"), best),
        (words.plain("modals.new_group"), [new, *alike]),
        (words.plain("modals.other_themes"), rest),
    )
    return Choices(groups, initial)


# Static options in one coding step: Slack refuses a view over 250 kB, and an option takes up
# to ~170 bytes; the selects past them type ahead instead.
MODAL_OPTIONS = 1000


def coding_modal(coding: Coding, interview_id: int) -> dict[str, Any]:
    """One select per insight (`coding_choices`); a look-alike of the same interview only
    proposed in the hint."""
    earlier = {t.id for t in coding.themes}
    own = {i.theme_id for i in coding.insights if i.theme_id not in earlier}
    blocks: list[Block] = [
        section(
            words.say(
                "interviews.coding_intro",
                count=len(coding.insights),
                earlier=bool(coding.themes),
                offered=coding.offered,
            )
        )
    ]
    room = MODAL_OPTIONS
    for insight in coding.insights:
        choices = coding_choices(coding, insight)
        room -= choices.count
        hint = None
        if insight.id in coding.proposals and insight.theme_id in own:
            other = next(i for i in coding.insights if i.theme_id == coding.proposals[insight.id])
            hint = words.plain("modals.looks_like", text=other.text)
        element = choices.element(typeahead=room < 0)
        blocks.append(
            input_block(coding_block(insight.id), insight.text[:2000], element, hint=hint)
        )
        if coding.offered:
            blocks.append(_keep(insight.id))
    view = modal(
        View.CODING,
        words.plain("modals.coding_title"),
        blocks,
        words.plain("modals.done"),
        words.plain("modals.close"),
        {Meta.INTERVIEW_ID: interview_id},
    )
    view["notify_on_close"] = True  # closing keeps the preselected coding; we still confirm
    return view


def theme_search_groups(found: Sequence[tuple[Theme, Ranked]]) -> list[dict[str, Any]]:
    """The type-ahead's answer (`interviews.find_themes`, best first): the best three, "New
    theme" (the way back to it), then the others; Slack takes 100 options at most."""
    from cadence.matching import TOP

    shown = [theme_option(t.id, t.name, r.closeness) for t, r in found[: MAX_OPTIONS - 1]]
    groups = (
        (words.plain("modals.best_matches"), shown[:TOP]),
        (words.plain("modals.new_group"), [option(NEW_THEME, words.plain("modals.new_theme"))]),
        (words.plain("modals.other_themes"), shown[TOP:]),
    )
    return [{"label": plain_text(label), "options": o} for label, o in groups if o]


def _keep(insight_id: int) -> Block:
    """The checkbox of an offered JTBD line, ticked: it counts unless unticked."""
    keep = option(KEEP, words.plain("modals.keep_insight"))
    element = {"type": "checkboxes", "options": [keep], "initial_options": [keep]}
    return input_block(
        keep_block(insight_id), words.plain("modals.keep_label"), element, optional=True
    )


def read_dropped(view: dict[str, Any]) -> set[int]:
    """The offered JTBD lines the interviewer unticked."""
    values = state_values(view)
    found = {
        ids.number(b.removeprefix(KEEP_PREFIX)): v
        for b, v in values.items()
        if b.startswith(KEEP_PREFIX)
    }
    return {insight for insight, value in found.items() if insight is not None and value != KEEP}


def read_coding(view: dict[str, Any]) -> tuple[int, dict[int, str]]:
    """The coding step: its interview, and each insight's chosen theme (or NEW_THEME)."""
    values = state_values(view)
    found = {ids.number(block.removeprefix(CODING_PREFIX)): c for block, c in values.items()}
    interview_id = ids.number(metadata(view).get(Meta.INTERVIEW_ID)) or 0
    return interview_id, {insight: c for insight, c in found.items() if insight is not None}


def no_question_modal() -> dict[str, Any]:
    """Instead of a question select with no options (which Slack refuses): say so, and
    offer to open one."""
    blocks = [
        section(words.say("interviews.no_open_question")),
        actions(button(words.plain("modals.new_button"), Action.NEW_QUESTION, style="primary")),
    ]
    title, done = words.plain("modals.no_question_title"), words.plain("modals.done")
    return modal(View.NO_QUESTION, title, blocks, None, done)


def plan_modal(
    open_questions: Sequence[Question],
    question_id: int | None,
    candidate: Candidate | None = None,
) -> dict[str, Any]:
    """Plan an interview; from a suggestion, with that person of the pool (booked)."""
    blocks = [
        _question_select(open_questions, question_id),
        _interviewee(candidate.name if candidate else ""),
        _when(),
    ]
    return modal(
        View.PLAN,
        words.plain("modals.plan_title"),
        blocks,
        words.plain("modals.plan_submit"),
        words.plain("modals.cancel"),
        {Meta.CANDIDATE_ID: candidate.id} if candidate else None,
    )


@dataclass(frozen=True)
class PlanForm:
    """The plan form as typed: the question and the moment as Slack gives them (checked by
    the core's check_plan), and whom."""

    question: str
    when: str
    interviewee: str
    candidate_id: int | None = None  # planned from a suggestion: a person of the pool

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(ids.number(self.when) or 0, UTC)


def read_plan(view: dict[str, Any]) -> PlanForm:
    values = state_values(view)
    return PlanForm(
        values.get(Input.QUESTION, ""),
        values.get(Input.WHEN, ""),
        values.get(Input.INTERVIEWEE, ""),
        ids.number(metadata(view).get(Meta.CANDIDATE_ID)),
    )


def read_when(view: dict[str, Any]) -> tuple[str, int]:
    """The reschedule form: the new moment as Slack gives it, and the interview's id."""
    return state_values(view).get(Input.WHEN, ""), ids.number(
        metadata(view).get(Meta.INTERVIEW_ID)
    ) or 0


def follow_up_blocks(follow_up: FollowUp) -> tuple[str, list[Block]]:
    interview = follow_up.interview
    text = words.say("interviews.follow_up", q=follow_up.question, interview=interview)
    value = str(interview.id)
    buttons = actions(
        button(words.plain("modals.summary_button"), Action.LOG_PLANNED, value, "primary"),
        button(words.plain("pool.no_show_button"), Action.NO_SHOW, value),
        button(words.plain("pool.reschedule_button"), Action.RESCHEDULE, value),
    )
    buttons["block_id"] = f"{FOLLOW_UP_BUTTONS}{interview.id}"
    return text, [section(text), buttons]


def account_blocks(question_id: int, account: Account | None) -> list[Block]:
    """What the question's latest saturation run rests on, with a button to review its
    coding in the codebook; nothing before a run with insights."""
    if account is None or not account.insights:
        return []
    review = button(words.plain("modals.review_coding_button"), Action.THEMES, str(question_id))
    return [section(words.say("interviews.account", a=account), accessory=review)]


def recent_blocks(recent: Sequence[Snapshot]) -> list[Block]:
    """The latest interviews in the status view, each a line with View, Edit and Delete."""
    if not recent:
        return []
    blocks: list[Block] = [context(words.say("interviews.recent_header", count=len(recent)))]
    for snap in recent:
        interview = snap.interview
        confirm = {
            "title": plain_text(words.plain("modals.delete_confirm_title")),
            "text": plain_text(words.plain("modals.delete_confirm_text")),
            "confirm": plain_text(words.plain("modals.delete_button")),
            "deny": plain_text(words.plain("modals.cancel")),
            "style": "danger",
        }
        delete = button(
            words.plain("modals.delete_button"), Action.DELETE, str(interview.id), "danger"
        )
        delete["confirm"] = confirm
        blocks += [
            line_block(snap),
            actions(
                button(words.plain("modals.edit_button"), Action.EDIT, str(interview.id)), delete
            ),
        ]
    return blocks


def with_follow_up_note(blocks: Sequence[Block], interview_id: int, note: str) -> list[Block]:
    """The follow-up DM as it was, with its buttons replaced by a note (a no-show)."""
    target = f"{FOLLOW_UP_BUTTONS}{interview_id}"
    return [context(note) if b.get("block_id") == target else b for b in blocks]


def _when() -> Block:
    """When the interview is: a date and time in the user's zone (Slack's picker)."""
    picker = {"type": "datetimepicker"}
    return input_block(Input.WHEN, words.plain("modals.when_label"), picker,
                       hint=words.plain("modals.when_hint"))  # fmt: skip


def reschedule_modal(interview: Interview) -> dict[str, Any]:
    return modal(
        View.RESCHEDULE,
        words.plain("pool.reschedule_title"),
        [_when()],
        words.plain("pool.reschedule_submit"),
        words.plain("modals.cancel"),
        {Meta.INTERVIEW_ID: interview.id},
    )
