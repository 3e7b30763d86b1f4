"""Interview snapshots, search results and the export's files, as Slack shows and sends them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot import words
from bot.blocks import (
    Block,
    actions,
    button,
    context,
    long_sections,
    modal,
    section,
)
from bot.ids import Action, View
from cadence import export, search
from cadence.models import Segment
from cadence.snapshots import Snapshot

# The card's text in a message: Slack refuses a message whose blocks hold much more than
# 12,000 characters, and a card of six long JTBD parts and 20 insights can hold 40,000.
CARD_ROOM = 10_000


def card_blocks(snap: Snapshot) -> list[Block]:
    """The snapshot card, in as many sections as its text needs up to CARD_ROOM; the rest
    is in the export."""
    blocks: list[Block] = []
    used = 0
    for part in long_sections(words.say("snapshots.card", snap=snap)):
        used += len(part)
        if used > CARD_ROOM:
            blocks.append(context(words.say("snapshots.card_cut", q=snap.question)))
            break
        blocks.append(section(part))
    return blocks


def logged_blocks(text: str, snap: Snapshot) -> list[Block]:
    """The reply after logging: where the question stands, the card, what to do next."""
    question = str(snap.question.id)
    return [
        section(text),
        *card_blocks(snap),
        actions(
            button(words.plain("snapshots.log_another"), Action.LOG, question, "primary"),
            button(words.plain("snapshots.plan_next"), Action.PLAN, question),
        ),
    ]


def line_block(snap: Snapshot) -> Block:
    """One line naming the interviewee and the first insight, with View opening the card."""
    view = button(
        words.plain("snapshots.view_button"), Action.VIEW_SNAPSHOT, str(snap.interview.id)
    )
    return section(words.say("snapshots.line", snap=snap), view)


def snapshot_modal(snap: Snapshot) -> dict[str, Any]:
    blocks = card_blocks(snap)
    return modal(
        View.SNAPSHOT, words.plain("snapshots.title"), blocks, None, words.plain("modals.done")
    )


def bold(shown: str) -> str:
    """A hit's text as mrkdwn: escaped first, then its matched words in bold."""
    escaped = words.escape_mrkdwn(shown)
    return escaped.replace(search.MARK, "*").replace(search.UNMARK, "*")


def results_blocks(results: search.Results) -> tuple[str, list[Block]]:
    """A page of hits, each with what it is, its question, interviewee and date; More when
    there are more."""
    if not results.hits:
        text = words.say("snapshots.nothing", words=results.words)
        return text, [section(text)]
    text = words.say("snapshots.results_header", results=results)
    blocks: list[Block] = [section(text)]
    for hit in results.hits:
        blocks += [section(bold(hit.shown)), context(words.say("snapshots.hit_context", hit=hit))]
    if results.more:
        value = f"{results.offset + len(results.hits)}:{results.words}"
        blocks.append(
            section(
                words.say("snapshots.more", count=results.more, capped=results.capped),
                button(words.plain("snapshots.more_button"), Action.SEARCH_MORE, value),
            )
        )
    return text, blocks


def read_more(value: str) -> tuple[int, str]:
    """(offset, words) of a More button."""
    offset, _, typed = value.partition(":")
    return (int(offset) if offset.isdigit() else 0), typed


def export_files(report: export.Report, names: Mapping[str, str]) -> dict[str, bytes]:
    """The two files of an export, by file name: the Markdown report, its people by `names`
    (a file shows no mention), and the CSV (UTF-8 with a byte order mark, so that Excel
    reads it as UTF-8)."""
    number = report.question.number
    markdown = words.plain("export.report", r=report, names=names)
    segments = {s.value: words.plain("segments.name", segment=s.value) for s in Segment}
    header = words.plain("snapshots.csv_header").split(",")
    yes_no = (words.plain("snapshots.yes"), words.plain("snapshots.no"))
    table = export.csv_text(report, header, segments, yes_no)
    return {
        f"question-{number}-evidence.md": (markdown + "\n").encode(),
        f"question-{number}-insights.csv": table.encode("utf-8-sig"),
    }
