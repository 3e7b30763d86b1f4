"""What the weekly cadence looks like in Slack: the reminder and nudge DMs with their
buttons, the channel digest, the invitation DM and the settings modal, as Block Kit data;
and VIEWS, the view of each kind of scheduled send."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date
from functools import partial
from typing import Any

from bot import words
from bot.blocks import (
    TEXT_LIMIT,
    Block,
    actions,
    button,
    context,
    divider,
    header,
    input_block,
    metadata,
    modal,
    option,
    section,
    state_values,
    text_element,
)
from bot.ids import COMMAND, QUESTION_BUTTONS, Action, Input, Meta, View
from bot.views import pool as pool_views
from bot.views.interviews import account_blocks, follow_up_blocks
from bot.views.questions import MESSAGE_BLOCKS
from bot.views.snapshots import card_blocks
from bot.views.team import overview_blocks
from cadence import adaptive, channels, ids
from cadence.adaptive import Offer
from cadence.members import MAX_LINK, Prefs, PrefsDraft
from cadence.models import ChannelDigest, Question
from cadence.questions import Overview
from cadence.schedule import (
    Digest,
    DigestEntry,
    Flag,
    Invite,
    Kind,
    OwnerMessage,
    Reply,
    ThemeInsights,
)

# A section's text, less room for the "…and N more" line.
SECTION_ROOM = TEXT_LIMIT - 100
# The insights and interview lines of a whole digest: Slack refuses a message whose blocks hold much
# more than 12,000 characters, and each question's heading takes up to ~500 of its own.
DIGEST_ROOM = 6_000
# A divider, heading, insights and interviews each; the header, the thread line and an
# "…and N more" besides.
MAX_ENTRIES = (MESSAGE_BLOCKS - 3) // 4
# The pool's suggestions in a reminder, as JSON (a generous measure of their text): Slack
# refuses a message much over 12,000 characters of text, and the questions have theirs.
SUGGESTION_ROOM = 5_000


# -- reminders and nudges ----------------------------------------------------------------
# Each offer of the reminder: its button's words and action.
OFFERS: dict[Offer, tuple[str, Action]] = {
    Offer.LOWER: ("modals.lower_button", Action.LOWER_TARGET),
    Offer.PAUSE: ("modals.pause_button", Action.PAUSE),
    Offer.CLOSE: ("modals.close_button", Action.CLOSE_IDLE),
    Offer.KEEP: ("modals.keep_going_button", Action.KEEP_GOING),
    Offer.CLOSE_ANSWERED: ("modals.close_answered_button", Action.CLOSE_ANSWERED),
}


def _buttons(overview: Overview, week: date, offers: Sequence[Offer] = ()) -> Block:
    """A question's buttons: the burst's (log, plan, guide, skip) and what the week offers;
    a question idle for weeks is asked what to do instead of being offered the burst."""
    qid = str(overview.question.id)
    offered = [
        button(words.plain(name), action, qid, "primary" if n == 0 else None)
        for n, (name, action) in enumerate(OFFERS[o] for o in offers if o in OFFERS)
    ]
    log = button(words.plain("modals.log_button"), Action.LOG, qid, None if offered else "primary")
    skip = button(words.plain("modals.skip_button"), Action.SKIP_WEEK, f"{qid}:{week.isoformat()}")
    if Offer.KEEP in offers:
        burst = []
    elif offered:
        burst = [log, skip]
    else:
        plan = button(words.plain("modals.plan_button"), Action.PLAN, qid)
        burst = [log, plan, button(words.plain("modals.guide_button"), Action.GUIDE, qid), skip]
    block = actions(*offered, *burst)
    block["block_id"] = f"{QUESTION_BUTTONS}{qid}"
    return block


def owner_message_blocks(message: OwnerMessage, reminder: bool) -> tuple[str, list[Block]]:
    """The weekly reminder (every question, in words for its situation, with what it
    offers) or the nudge (those behind), with buttons."""
    count = len(message.overviews)
    head = words.say("cadence.reminder_header" if reminder else "cadence.nudge_header", count=count)
    room = (MESSAGE_BLOCKS - 3) // 2  # the header, the footer, and one "…and N more"
    # Blocks and characters left for the pool's suggestions once every question shown has
    # its two blocks.
    spare, chars = MESSAGE_BLOCKS - 3 - 2 * min(count, room), SUGGESTION_ROOM
    blocks = [section(head)]
    for o in message.overviews[:room]:
        found = list(message.suggestions.get(o.question.id, ()))
        people = pool_views.suggestion_blocks(found, min(spare, len(found) + 1))
        cost = sum(len(json.dumps(b)) for b in people)
        people = people if cost <= chars else []
        spare, chars = spare - len(people), chars - (cost if people else 0)
        if reminder:
            text = words.say("cadence.reminder_line", o=o, situation=adaptive.situation(o))
            offers = adaptive.offers(o)
        else:
            text, offers = words.say("cadence.nudge_line", o=o), ()
        if found and not people:  # no room left: counted, to find in /discovery pool
            text += "\n" + words.say("pool.more_people", count=len(found), command=COMMAND)
        blocks += [section(text), _buttons(o, message.week, offers), *people]
    if count > room:
        blocks.append(context(words.say("questions.more", count=count - room)))
    blocks.append(context(words.say("cadence.footer", command=COMMAND, first=message.first)))
    return head, blocks


def with_note(blocks: Sequence[Block], question: Question, note: str) -> list[Block]:
    """A DM as it was, with one question's buttons replaced by a note (skipped, kept)."""
    target = f"{QUESTION_BUTTONS}{question.id}"
    return [context(note) if b.get("block_id") == target else b for b in blocks]


def flag_blocks(flag: Flag) -> tuple[str, list[Block]]:
    """The saturation flag: what it means in plain words, what its count rests on, and what
    to do about it."""
    q = flag.overview.question
    text = words.say("cadence.flag", o=flag.overview)
    qid = str(q.id)
    buttons = actions(
        button(words.plain("modals.close_answered_button"), Action.CLOSE_ANSWERED, qid, "primary"),
        button(words.plain("modals.follow_up_button"), Action.FOLLOW_UP_QUESTION, qid),
        button(words.plain("modals.keep_button"), Action.KEEP_INTERVIEWING, qid),
    )
    buttons["block_id"] = f"{QUESTION_BUTTONS}{qid}"
    return text, [section(text), *account_blocks(q.id, flag.account), buttons]


def skip_value(value: object) -> tuple[int, date] | None:
    """(question id, week) from a Skip button's value, None when it is not one."""
    if not isinstance(value, str):
        return None
    qid, _, week = value.partition(":")
    try:
        monday = date.fromisoformat(week)
    except ValueError:
        return None
    return (ids.number(qid), monday) if ids.number(qid) else None


# -- the digest --------------------------------------------------------------------------
def _fit(groups: Sequence[tuple[str | None, Sequence[str]]], more: str, room: int) -> str:
    """Items under optional headings, within `room` characters; what did not fit is counted
    in a closing "…and N more" line."""
    lines: list[str] = []
    used = shown = 0
    total = sum(len(items) for _, items in groups)
    for heading, items in groups:
        for n, item in enumerate(items):
            add = [heading, item] if heading and n == 0 else [item]
            cost = sum(len(line) + 1 for line in add)
            if used + cost > room:
                break
            lines += add
            used, shown = used + cost, shown + 1
        else:
            continue
        break
    if shown < total:
        lines.append(words.say(more, count=total - shown))
    return "\n".join(lines)


def _theme_lines(t: ThemeInsights) -> tuple[str | None, list[str]]:
    """A theme's heading and its insights; one line when it holds one insight saying the
    same as its name."""
    if t.alone:
        return None, [words.say("cadence.digest_theme", t=t)]
    return (
        words.say("cadence.digest_theme", t=t),
        [words.say("cadence.digest_insight", text=i) for i in t.insights],
    )


def _entry_blocks(entry: DigestEntry, room: int) -> list[Block]:
    """A question's part of the digest, its insights and interviews within `room`
    characters: each interview as one line (its snapshot is in the thread)."""
    blocks = [section(words.say("cadence.digest_question", e=entry))]
    if entry.themes:
        groups = [_theme_lines(t) for t in entry.themes]
        blocks.append(section(_fit(groups, "cadence.more_insights", min(SECTION_ROOM, room))))
    if entry.snapshots:
        lines = [words.say("snapshots.line", snap=snap) for snap in entry.snapshots]
        blocks.append(context(_fit([(None, lines)], "cadence.more_interviews", room // 3)))
    return blocks


def digest_blocks(digest: Digest) -> tuple[str, list[Block]]:
    """The digest: each question's week, and where the snapshots are (its thread)."""
    text = words.say("cadence.digest_text", d=digest)
    blocks: list[Block] = [header(words.plain("cadence.digest_title", week=digest.week))]
    held = sum(e.interviews for e in digest.entries)
    if not held:
        blocks.append(section(words.say("cadence.digest_quiet_week")))
    busy = sum(1 for e in digest.entries[:MAX_ENTRIES] if e.interviews) or 1
    room = DIGEST_ROOM // busy
    for n, entry in enumerate(digest.entries):
        chunk = [divider(), *_entry_blocks(entry, room)]
        if n == MAX_ENTRIES or len(blocks) + len(chunk) > MESSAGE_BLOCKS - 2:
            left = len(digest.entries) - n
            blocks.append(context(words.say("cadence.more_questions", count=left)))
            break
        blocks += chunk
    if held:
        blocks.append(context(words.say("snapshots.thread_intro", count=held)))
    return text, blocks


def reply_blocks(reply: Reply) -> tuple[str, list[Block]]:
    """An interview's snapshot in its digest's thread."""
    return words.say("snapshots.reply_text", snap=reply.snapshot), card_blocks(reply.snapshot)


def invite_blocks(invite: Invite) -> tuple[str, list[Block]]:
    text = words.say("cadence.invite", channel=invite.channel_id, qs=invite.questions)
    return text, [section(text)]


# What each kind of scheduled send looks like: its text and blocks (bot.scheduler sends it).
VIEWS: dict[Kind, Callable[[Any], tuple[str, list[Block]]]] = {
    Kind.REMINDER: partial(owner_message_blocks, reminder=True),
    Kind.NUDGE: partial(owner_message_blocks, reminder=False),
    Kind.FOLLOW_UP: follow_up_blocks,
    Kind.DIGEST: digest_blocks,
    Kind.SNAPSHOT: reply_blocks,
    Kind.INVITE: invite_blocks,
    Kind.FLAG: flag_blocks,
    Kind.OVERVIEW: overview_blocks,
}


# -- settings ----------------------------------------------------------------------------
def _on_off(block_id: str, label: str, on: bool) -> Block:
    options = [
        option("on", words.plain(f"modals.{block_id}_on")),
        option("off", words.plain(f"modals.{block_id}_off")),
    ]
    element = {"type": "radio_buttons", "options": options, "initial_option": options[not on]}
    return input_block(block_id, label, element)


def settings_modal(prefs: Prefs) -> dict[str, Any]:
    days = [option(str(d), words.plain("modals.day_name", day=d)) for d in range(7)]
    hour, minute = divmod(prefs.minute, 60)
    blocks = [
        _on_off(Input.REMINDERS, words.plain("modals.reminders_label"), prefs.reminders),
        input_block(
            Input.DAY,
            words.plain("modals.day_label"),
            {"type": "static_select", "options": days, "initial_option": days[prefs.day]},
        ),
        input_block(
            Input.TIME,
            words.plain("modals.time_label"),
            {"type": "timepicker", "initial_time": f"{hour:02d}:{minute:02d}"},
        ),
        _on_off(Input.NUDGE, words.plain("modals.nudge_label"), prefs.nudge),
        _on_off(Input.OVERVIEW, words.plain("modals.overview_label"), prefs.overview),
        input_block(
            Input.LINK,
            words.plain("modals.link_label"),
            text_element(prefs.link, max_length=MAX_LINK, placeholder="https://"),
            optional=True,
            hint=words.plain("modals.link_hint"),
        ),
    ]
    return modal(
        View.SETTINGS,
        words.plain("modals.settings_title"),
        blocks,
        words.plain("modals.save"),
        words.plain("modals.cancel"),
    )


def read_settings(view: dict[str, Any]) -> PrefsDraft:
    """The reminder settings as the core checks them."""
    values = state_values(view)
    return PrefsDraft(
        reminders=values.get(Input.REMINDERS, ""),
        day=values.get(Input.DAY, ""),
        time=values.get(Input.TIME, ""),
        nudge=values.get(Input.NUDGE, ""),
        overview=values.get(Input.OVERVIEW, ""),
        link=values.get(Input.LINK, ""),
    )


def settings_saved(prefs: Prefs) -> str:
    return words.say(
        "cadence.settings_saved", p=prefs, day=words.plain("modals.day_name", day=prefs.day)
    )


def adapted(question: Question, offer: Offer) -> str:
    """The note that replaces a question's buttons once its owner answered an offer."""
    return words.say("cadence.adapted", q=question, offer=offer.value)


# -- a channel's digest ------------------------------------------------------------------
ZONES = (
    "UTC", "Europe/London", "Europe/Berlin", "Europe/Helsinki", "Africa/Lagos",
    "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore", "Asia/Shanghai",
    "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland", "Pacific/Honolulu",
    "America/Anchorage", "America/Los_Angeles", "America/Denver", "America/Chicago",
    "America/New_York", "America/Sao_Paulo",
)  # fmt: skip


def digest_settings_modal(channel_id: str, chosen: ChannelDigest | None, tz: str) -> dict:
    """When a channel's digest comes: its owners' Friday (the last of them), or a moment of
    its own (day, time, zone; the zone offered first is the caller's)."""
    ways = [
        option(channels.LAST_OWNER, words.plain("modals.digest_last_owner")),
        option(channels.FIXED, words.plain("modals.digest_fixed")),
    ]
    days = [option(str(d), words.plain("modals.day_name", day=d)) for d in range(7)]
    zones = [option(z, z) for z in dict.fromkeys((chosen.tz if chosen else tz, *ZONES))]
    day, minute = (chosen.day, chosen.minute) if chosen else (4, 16 * 60)
    blocks = [
        section(words.say("cadence.digest_settings_intro", channel=channel_id)),
        input_block(
            Input.WHEN,
            words.plain("modals.digest_when_label"),
            {"type": "radio_buttons", "options": ways, "initial_option": ways[bool(chosen)]},
        ),
        input_block(
            Input.DAY,
            words.plain("modals.digest_day_label"),
            {"type": "static_select", "options": days, "initial_option": days[day]},
        ),
        input_block(
            Input.TIME,
            words.plain("modals.digest_time_label"),
            {"type": "timepicker", "initial_time": f"{minute // 60:02d}:{minute % 60:02d}"},
        ),
        input_block(
            Input.TZ,
            words.plain("modals.tz_label"),
            {"type": "static_select", "options": zones, "initial_option": zones[0]},
        ),
    ]
    return modal(
        View.DIGEST_SETTINGS,
        words.plain("modals.digest_settings_title"),
        blocks,
        words.plain("modals.save"),
        words.plain("modals.cancel"),
        {Meta.CHANNEL_ID: channel_id},
    )


def read_digest_settings(view: dict[str, Any]) -> channels.DigestDraft:
    values = state_values(view)
    return channels.DigestDraft(
        channel_id=str(metadata(view).get(Meta.CHANNEL_ID, "")),
        when=values.get(Input.WHEN, ""),
        day=values.get(Input.DAY, ""),
        time=values.get(Input.TIME, ""),
        tz=values.get(Input.TZ, ""),
    )


def digest_settings_saved(channel_id: str, chosen: ChannelDigest | None) -> str:
    day = words.plain("modals.day_name", day=chosen.day) if chosen else ""
    return words.say("cadence.digest_settings_saved", channel=channel_id, c=chosen, day=day)
