"""The team's view in Slack: `/discovery team` (every open question by owner, owners most
in need first) and the Monday team overview DM (the shortest form, with the week's totals),
as Block Kit data within Slack's limits however many questions the workspace holds."""

from __future__ import annotations

from bot import words
from bot.blocks import TEXT_LIMIT, Block, context, section
from cadence import adaptive
from cadence.questions import Overview
from cadence.schedule import TeamOverview
from cadence.team import Owner, Team

SHOWN = 50  # question lines in `/discovery team`: the most in need, "and N more" after
ROOM = 10_000  # their characters: Slack refuses much more than 12,000 in one message
OWNERS_SHOWN = 40  # owner lines in the overview DM


def _line(o: Overview) -> str:
    return words.say(
        "team.line", o=o, stalled=adaptive.stalled(o), saturated=adaptive.saturated_open(o)
    )


def team_blocks(team: Team, owner: str = "") -> tuple[str, list[Block]]:
    """Each owner's questions under their name, the most in need first, within SHOWN lines
    and ROOM characters; the rest counted, with how to see one owner's."""
    text = words.say("team.header", t=team, owner=owner)
    blocks = [section(text)]
    shown = used = 0
    for person in team.owners:
        lines = []
        heading = words.say("team.owner", o=person)
        size = len(heading)
        for o in person.overviews:
            line = _line(o)
            if shown == SHOWN or used + size + len(line) > ROOM or size + len(line) >= TEXT_LIMIT:
                break
            lines.append(line)
            size, shown = size + len(line) + 1, shown + 1
        if not lines:
            break
        blocks.append(section("\n".join([heading, *lines])))
        used += size
    if shown < team.questions:
        more = words.say("team.more", count=team.questions - shown, owner=owner)
        blocks.append(context(more))
    return text, blocks


def _owner_line(person: Owner) -> str:
    return words.say("team.owner_short", o=person)


def overview_blocks(overview: TeamOverview) -> tuple[str, list[Block]]:
    """The Monday team overview: last week's totals and a line per owner."""
    team = overview.team
    text = words.say("team.overview_header", t=team, week=overview.week)
    lines = [_owner_line(p) for p in team.owners[:OWNERS_SHOWN]]
    blocks = [section(text)]
    if lines:
        blocks.append(section("\n".join(lines)[: TEXT_LIMIT - 1]))
    if len(team.owners) > OWNERS_SHOWN:
        blocks.append(context(words.say("team.more_owners", count=len(team.owners) - OWNERS_SHOWN)))
    blocks.append(context(words.say("team.overview_footer")))
    return text, blocks
