"""Every id the app puts into Slack, in one place: the slash command, the message shortcut,
buttons and menus (action ids), modals (callback ids), their input blocks and their
private_metadata keys. Views build with them, listeners route by them, the demo and the tests
send them, and tests check them against slack-manifest.json and the fuzz lists.

An input block's id is the name of the field the core checks (cadence's `check_*` functions
key their problems by it), so a problem lands on the block that holds the field. The kinds of
scheduled sends are the core's: cadence.schedule.
"""

from __future__ import annotations

from enum import StrEnum

COMMAND = "/discovery"


class Shortcut(StrEnum):
    LOG_FROM_MESSAGE = "log_from_message"


class Action(StrEnum):
    """Buttons and menus, by what pressing them does."""

    LOG = "log_interview"
    GUIDE = "show_guide"
    NEW_QUESTION = "new_question_button"
    THEMES = "show_themes"
    LOG_PLANNED = "log_planned"
    EDIT = "edit_interview"
    DELETE = "delete_interview"
    VIEW_SNAPSHOT = "view_snapshot"
    SEARCH_MORE = "search_more"
    PLAN = "plan_interview_button"
    SKIP_WEEK = "skip_week"
    CLOSE_ANSWERED = "close_as_answered"
    FOLLOW_UP_QUESTION = "open_follow_up"
    KEEP_INTERVIEWING = "keep_interviewing"
    THEME_MENU = "theme_menu"
    THEME_SEARCH = "theme_search"  # the coding step's type-ahead, past Slack's 100 options
    # the candidate pool
    NEW_SECRET = "pool_new_secret"
    INVITE = "pool_invite"
    NOT_A_FIT = "pool_not_a_fit"
    OPTED_OUT = "pool_opted_out"
    PLAN_CANDIDATE = "pool_plan"
    # a planned interview's follow-up
    NO_SHOW = "interview_no_show"
    RESCHEDULE = "interview_reschedule"
    PASTE_NOTES = "paste_notes"
    DRAFT_FROM_FILE = "draft_from_file"
    # the reminder's offers when a question stalls or idles
    LOWER_TARGET = "lower_target"
    PAUSE = "pause_question"
    KEEP_GOING = "keep_going"
    CLOSE_IDLE = "close_idle_question"
    ADVANCED_RULE = "advanced_rule"  # the new-question modal's saturation rule, shown


class View(StrEnum):
    """Modals, by their callback id."""

    NEW_QUESTION = "new_question"
    CLOSE_QUESTION = "close_question"
    SATURATION_RULE = "saturation_rule"
    GUIDE = "guide"
    SUMMARY = "interview_summary"
    CODING = "code_insights"
    PLAN = "plan_interview"
    NO_QUESTION = "no_question"
    SETTINGS = "reminder_settings"
    CODEBOOK = "codebook"
    RENAME = "rename_theme"
    MERGE = "merge_theme"
    MOVE = "move_insight"
    POOL_ADD = "pool_add"
    INVITE = "pool_invite"
    RESCHEDULE = "reschedule_interview"
    DIGEST_SETTINGS = "digest_settings"
    SNAPSHOT = "interview_snapshot"
    PASTE_NOTES = "paste_notes"


class Input(StrEnum):
    """Input blocks, by id: each the field of the core's form it holds."""

    # a question
    TEXT = "text"
    HYPOTHESIS = "hypothesis"
    SEGMENT = "segment"
    OWNER = "owner"
    CHANNEL = "channel"
    TARGET = "target"
    PRESET = "preset"
    BASE = "base"
    RUN = "run"
    THRESHOLD = "threshold"
    OUTCOME = "outcome"
    CONCLUSION = "conclusion"
    # an interview (and the six JTBD parts, each a block named as cadence.models.JTBD_PARTS)
    QUESTION = "question"
    HELD_ON = "held_on"
    INTERVIEWEE = "interviewee"
    COMPANY = "company"
    QUOTE = "quote"
    INSIGHTS = "insights"
    WHEN = "when"
    NOTES = "notes"  # notes or a transcript pasted to draft the summary from
    # reminders
    REMINDERS = "reminders"
    DAY = "day"
    TIME = "time"
    NUDGE = "nudge"
    LINK = "link"
    # the candidate pool
    PEOPLE = "people"
    DRAFT = "draft"
    OVERVIEW = "overview"
    # a channel's digest: WHEN (its owners' Friday or a set moment), DAY, TIME and TZ
    TZ = "tz"
    # the codebook
    LABEL = "label"
    INTO = "into"
    TO = "to"
    INSIGHT = "insight"


CODING_PREFIX = "insight_"  # the coding step's block of an insight: "insight_<id>"
QUESTION_BUTTONS = "cadence_q"  # block id prefix of a question's buttons in a reminder DM
FOLLOW_UP_BUTTONS = "follow_up_"  # "How did it go?"'s buttons: "follow_up_<interview id>"
SUGGESTION_PREFIX = "pool_"  # a suggestion's buttons: "pool_<candidate id>_<question id>"


def suggestion_block(candidate_id: int, question_id: int) -> str:
    return f"{SUGGESTION_PREFIX}{candidate_id}_{question_id}"


def suggestion_value(candidate_id: int, question_id: int) -> str:
    """A suggestion's buttons carry "<candidate id>:<question id>"."""
    return f"{candidate_id}:{question_id}"


def parse_suggestion(value: object) -> tuple[str, str]:
    """(candidate id text, question id text) of a suggestion button's value."""
    candidate, _, question = str(value).partition(":")
    return candidate, question


KEEP_PREFIX = "keep_"  # the checkbox of an offered JTBD line: "keep_<insight id>"


def coding_block(insight_id: int) -> str:
    return f"{CODING_PREFIX}{insight_id}"


def keep_block(insight_id: int) -> str:
    return f"{KEEP_PREFIX}{insight_id}"


class Meta(StrEnum):
    """Keys of a modal's private_metadata."""

    QUESTION_ID = "question_id"
    INTERVIEW_ID = "interview_id"
    THEME_ID = "theme_id"
    CANDIDATE_ID = "candidate_id"
    SUMMARY_VIEW = "summary_view"  # the summary a pasted note fills: its view id and hash
    SUMMARY_HASH = "summary_hash"
    KEPT = "kept"  # what the person had chosen or typed in the summary before pasting
    CHANNEL_ID = "channel_id"


class ThemeChange(StrEnum):
    """The codebook's menu: what to do with a theme, as "<change>:<theme id>"."""

    RENAME = "rename"
    MERGE = "merge"
    MOVE = "move"

    def value_for(self, theme_id: int) -> str:
        return f"{self.value}:{theme_id}"

    @classmethod
    def parse(cls, value: object) -> tuple[ThemeChange, str] | None:
        """(change, theme id text) of a menu value; None for anything else."""
        change, _, theme = str(value).partition(":")
        return (cls(change), theme) if change in cls._value2member_map_ else None
