"""End to end: the adaptive reminder's buttons, pause, `/discovery team` at 200 questions, the
Monday team overview DM and a channel's digest setting, through the real server.

The buttons and the pause act on the owner's real today, so their tests run in the real
current week (as the Skip test does); the others tick in November and December 2026.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from bot.ids import Action, Input, View
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.requests import SlackSender, block_action, view_submission
from cadence import schedule, weeks
from cadence.models import Interview, Question
from tests.conftest import Server
from tests.flows import ephemeral, opened, rows
from tests.test_cadence_e2e import (
    BERLIN,
    NUDGE,
    NY,
    REMINDER,
    TOKYO,
    buttons,
    dms,
    posts,
    shown,
    start_question,
)


@pytest.fixture
def owner(team: str) -> str:
    return "U" + team[1:]


@pytest.fixture(autouse=True)
def quiet_after(server: Server, team: str) -> Iterator[None]:
    """This workspace's questions closed and overviews off: later ticks send it nothing."""
    yield
    with server.engine.begin() as c:
        c.execute(sa.text("UPDATE question SET status='dropped' WHERE team_id=:t"), {"t": team})
        c.execute(sa.text("UPDATE member SET overview=false WHERE team_id=:t"), {"t": team})


def this_monday() -> date:
    return weeks.week_start(weeks.local_today(datetime.now(UTC), BERLIN))


def at_berlin(day: date, hour: int) -> str:
    return schedule.moment(weeks.week_start(day), day.weekday(), hour * 60, BERLIN).isoformat()


def press(sender: SlackSender, slack: FakeSlack, user: str, message: dict, action: str, qid: int):
    """Press a question's button in a DM, as Slack sends it (the message, a response_url)."""
    element = buttons(message, qid)[action]
    payload = block_action(
        action,
        element["value"],
        user=user,
        team=sender.team,
        message={**message, "ts": "1700000555.000100"},
        response_url=slack.response_url(),
    )
    reply = sender.interaction(payload)
    assert reply.status == 200
    return reply


def update_for(slack: FakeSlack, user: str, words: str) -> str:
    found = slack.wait_where(
        "chat.update", lambda a: a["channel"] == user and words in json.dumps(a["blocks"])
    )
    return shown(found.args["blocks"])


def test_a_stalled_question_offers_lower_and_pause_and_a_pause_holds_until_lifted(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    monday = this_monday()
    # Opened on a Friday nearly three weeks ago, nothing logged: two whole weeks behind.
    since = datetime(monday.year, monday.month, monday.day, tzinfo=UTC) - timedelta(days=17)
    lowered = start_question(sender, slack, server, owner, BERLIN, "Why do trials stall?")
    paused = start_question(sender, slack, server, owner, BERLIN, "Who renews late?")
    with server.engine.begin() as c:
        c.execute(sa.text("UPDATE question SET created_at=:at WHERE team_id=:t"),
                  {"at": since.replace(tzinfo=None), "t": sender.team})  # fmt: skip
    server.tick(at_berlin(monday, 9))
    (reminder,) = dms(slack, owner, REMINDER)
    text = shown(reminder.args["blocks"])
    assert "under target 2 weeks in a row" in text
    assert "mutes a question until Monday" in text  # the first reminder explains Skip
    assert list(buttons(reminder.args, lowered)) == [
        Action.LOWER_TARGET, Action.PAUSE, Action.LOG, Action.SKIP_WEEK,
    ]  # fmt: skip

    press(sender, slack, owner, reminder.args, Action.LOWER_TARGET, lowered)
    assert "now 1 interview a week" in update_for(slack, owner, "1 interview a week")
    press(sender, slack, owner, reminder.args, Action.PAUSE, paused)
    until = monday + timedelta(weeks=2)
    words = f"paused until {until.strftime('%b')} {until.day}"
    assert words in update_for(slack, owner, words)
    (q,) = rows(server, "SELECT * FROM question WHERE id=:id", id=lowered)
    assert q["weekly_target"] == 1

    listed = ephemeral(slack, sender.command("list", user=owner))
    assert words in listed and listed.count("paused until") == 1
    server.tick(at_berlin(monday + timedelta(days=3), 10))  # Thursday: no nudge for the paused
    (nudge,) = dms(slack, owner, NUDGE)
    assert "Why do trials stall?" in nudge.args["text"] + shown(nudge.args["blocks"])
    assert "Who renews late?" not in shown(nudge.args["blocks"])
    server.tick(at_berlin(monday + timedelta(days=7), 9))
    second = dms(slack, owner, REMINDER)[-1]
    assert len(dms(slack, owner, REMINDER)) == 2
    assert "Who renews late?" not in shown(second.args["blocks"])
    assert "mutes a question until Monday" not in shown(second.args["blocks"])

    request = sender.command(f"settings #{_number(server, paused)}", user=owner)
    assert opened(slack, request)["callback_id"] == View.SATURATION_RULE
    assert "no longer paused" in ephemeral(slack, request)
    (q,) = rows(server, "SELECT * FROM question WHERE id=:id", id=paused)
    assert str(q["paused_until"]) <= datetime.now(UTC).date().isoformat()


def _number(server: Server, qid: int) -> int:
    return rows(server, "SELECT number FROM question WHERE id=:id", id=qid)[0]["number"]


def test_nothing_logged_for_four_weeks_asks_close_pause_or_keep_going(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    monday = this_monday()
    qid = start_question(sender, slack, server, owner, BERLIN)  # opened in September
    server.tick(at_berlin(monday, 9))
    (reminder,) = dms(slack, owner, REMINDER)
    assert "nothing logged for" in shown(reminder.args["blocks"])
    assert list(buttons(reminder.args, qid)) == [
        Action.CLOSE_IDLE, Action.PAUSE, Action.KEEP_GOING,
    ]  # fmt: skip
    view = opened(slack, press(sender, slack, owner, reminder.args, Action.CLOSE_IDLE, qid))
    assert view["callback_id"] == View.CLOSE_QUESTION
    press(sender, slack, owner, reminder.args, Action.KEEP_GOING, qid)
    assert "Keep going" in update_for(slack, owner, "Keep going")
    (q,) = rows(server, "SELECT * FROM question WHERE id=:id", id=qid)
    assert str(q["counted_from"]) == monday.isoformat() and q["status"] == "open"


def test_team_shows_200_questions_within_slacks_limits_most_in_need_first(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    owners = [f"{owner[:-1]}{n}" for n in range(5)]
    now = datetime.now(UTC)
    with Session(server.engine) as s:
        for n in range(200):
            s.add(
                Question(
                    team_id=sender.team, number=n + 1, text=f"Open question {n + 1} " + "x" * 200,
                    owner_id=owners[n % 5], channel_id="CTEAM", created_by=owners[0],
                    created_at=now - timedelta(days=60), updated_at=now,
                    weekly_target=1 if n % 5 else 3,
                )
            )  # fmt: skip
        s.flush()
        helped = s.exec(sa.select(Question.id).where(Question.team_id == sender.team)).all()
        # Every owner but the first holds a weekly interview: the first is the most in need.
        for (qid,) in helped:
            for k in range(1, 4):
                s.add(
                    Interview(
                        team_id=sender.team, question_id=qid, interviewer_id=owners[1],
                        held_on=now.date() - timedelta(weeks=k), created_at=now, updated_at=now,
                    )
                )  # fmt: skip
        s.execute(
            sa.delete(Interview).where(
                Interview.team_id == sender.team,
                Interview.question_id.in_(
                    sa.select(Question.id).where(Question.owner_id == owners[0])
                ),
            )
        )
        s.commit()
    request = sender.command("team", user=owner)
    reply = slack.wait_one("response_url", response_url=request.response_url).args
    blocks = reply["blocks"]
    assert len(blocks) <= 50 and len(json.dumps(blocks)) < 12_000
    text = shown(blocks)
    assert "200 open questions" in text and "and 150 more" in text
    assert "/discovery team @owner" in text
    assert blocks[1]["text"]["text"].startswith(f"*<@{owners[0]}>*")
    assert "40 stalled" in blocks[1]["text"]["text"]

    one = sender.command(f"team <@{owners[2]}|dev>", user=owner)
    mine = shown(slack.wait_one("response_url", response_url=one.response_url).args["blocks"])
    assert "40 open questions" in mine and f"<@{owners[0]}>" not in mine


def test_the_monday_team_overview_comes_once_a_week_at_the_members_time(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    start_question(sender, slack, server, owner, BERLIN)
    lead = owner[:-1] + "L"
    slack.time_zones[lead] = TOKYO
    view = opened(slack, sender.command("settings", user=lead))
    answers = {Input.TIME: "08:00", Input.OVERVIEW: "on"}
    reply = sender.interaction(view_submission(view, answers, user=lead, team=sender.team))
    assert reply.status == 200
    slack.wait_where("chat.postMessage", lambda a: a["channel"] == lead and "overview" in a["text"])
    overview = "Team overview"
    server.tick("2026-12-06T22:59:00Z")  # Monday 07:59 in Tokyo
    assert dms(slack, lead, overview) == []
    for tick in ("2026-12-06T23:00:00Z", "2026-12-06T23:00:00Z", "2026-12-07T10:00:00Z"):
        server.tick(tick)
    (sent,) = dms(slack, lead, overview)
    assert "1 open question" in sent.args["text"]
    assert f"<@{owner}>" in shown(sent.args["blocks"])
    server.tick("2026-12-08T23:30:00Z")  # Tuesday: no catch-up
    server.tick("2026-12-13T23:00:00Z")  # the next Monday 08:00 in Tokyo
    assert len(dms(slack, lead, overview)) == 2


def test_a_channel_sets_its_digest_moment_and_a_shared_one_waits_for_its_last_owner(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    other = owner[:-1] + "T"
    for user, tz, channel in ((owner, NY, "CSET"), (other, TOKYO, "CSET"),
                              (owner, NY, "CLAST"), (other, TOKYO, "CLAST")):  # fmt: skip
        start_question(sender, slack, server, user, tz, channel=channel)
    view = opened(slack, sender.command("digest settings <#CSET|set>", user=owner, channel="C1"))
    assert view["callback_id"] == View.DIGEST_SETTINGS
    answers = {Input.WHEN: "fixed", Input.DAY: "5", Input.TIME: "10:00", Input.TZ: BERLIN}
    reply = sender.interaction(view_submission(view, answers, user=owner, team=sender.team))
    assert reply.status == 200 and not reply.body
    saved = slack.wait_where(
        "chat.postMessage", lambda a: a["channel"] == owner and "now comes" in a["text"]
    )
    assert "Saturdays at 10:00 Europe/Berlin" in saved.args["text"]

    server.tick("2026-11-20T07:00:00Z")  # Friday 16:00 in Tokyo: neither channel yet
    assert posts(slack, "CLAST") == [] and posts(slack, "CSET") == []
    server.tick("2026-11-20T21:00:00Z")  # 16:00 in New York, the last owner
    assert len(posts(slack, "CLAST")) == 1 and posts(slack, "CSET") == []
    server.tick("2026-11-21T08:59:00Z")
    assert posts(slack, "CSET") == []
    server.tick("2026-11-21T09:00:00Z")  # Saturday 10:00 in Berlin
    (digest,) = posts(slack, "CSET")
    assert "Why do trials stall?" in shown(digest.args["blocks"])


def test_the_new_question_modal_keeps_the_rule_behind_advanced(
    sender: SlackSender, slack: FakeSlack, owner: str
) -> None:
    request = sender.command("new Why do trials stall?", user=owner)
    view = opened(slack, request)
    ids = {b.get("block_id") for b in view["blocks"]}
    assert Input.PRESET not in ids and Input.BASE not in ids
    assert "by default" in shown(view["blocks"])
    payload = block_action(Action.ADVANCED_RULE, user=owner, team=sender.team)
    held = {**view, "id": "VNEW1", "hash": "h1"}
    slack.hashes["VNEW1"] = "h1"
    reply = sender.interaction({**payload, "container": {"type": "view"}, "view": held})
    assert reply.status == 200
    update = slack.wait_one("views.update", view_id="VNEW1").args["view"]
    shown_ids = [b.get("block_id") for b in update["blocks"]]
    assert {Input.PRESET, Input.BASE, Input.RUN, Input.THRESHOLD} <= set(shown_ids)
    assert shown_ids[0] == Input.TEXT and update["callback_id"] == View.NEW_QUESTION
