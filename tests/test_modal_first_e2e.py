"""End to end: every modal opens at once while Slack is slow; what needs a slow read (the
interviewer's zone) follows with views.update."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from bot.ids import Action, Input, Shortcut
from bot.sandbox.fake_slack import Call, FakeSlack
from bot.sandbox.requests import SlackSender, block_action, message_shortcut, view_submission
from cadence import members
from tests.conftest import Server
from tests.flows import block, dm, log_interview, open_question, opened, rows

STALLED = ("users.info", "conversations.info", "team.info")
STALL = 5  # seconds: past Slack's 3 s, after which a trigger_id has expired
# 25 hours apart: "today" in one is never "today" in the other.
EAST, WEST = "Pacific/Kiritimati", "Pacific/Pago_Pago"

Send = Callable[[SlackSender, FakeSlack, dict], str]  # sends the request; its trigger_id


def command(text: str) -> Send:
    def send(sender: SlackSender, slack: FakeSlack, known: dict) -> str:
        trigger = f"trigger.{uuid.uuid4().hex}"
        sender.command(text, user=known["owner"], channel="CPRODUCT", trigger_id=trigger)
        return trigger

    return send


def button(action_id: str, value: str = "") -> Send:
    """A button pressed; `value` names what `known` holds for it (a question, an interview)."""

    def send(sender: SlackSender, slack: FakeSlack, known: dict) -> str:
        payload = block_action(
            action_id,
            str(known[value]) if value else "",
            user=known["owner"],
            team=sender.team,
            response_url=slack.response_url(),
        )
        sender.interaction(payload)
        return payload["trigger_id"]

    return send


def shortcut(sender: SlackSender, slack: FakeSlack, known: dict) -> str:
    payload = message_shortcut(
        Shortcut.LOG_FROM_MESSAGE,
        "Call with Acme:\n• Setup takes a week",
        user=known["owner"],
        team=sender.team,
        response_url=slack.response_url(),
    )
    sender.interaction(payload)
    return payload["trigger_id"]


PATHS: dict[str, Send] = {
    "/discovery new": command("new Why do trials stall?"),
    "/discovery log": command("log"),
    "/discovery plan": command("plan"),
    "/discovery close": command("close"),
    "/discovery settings": command("settings"),
    "/discovery settings #N": command("settings #1"),
    "/discovery themes": command("themes"),
    "Home: New": button(Action.NEW_QUESTION),
    "Log": button(Action.LOG, "question"),
    "Edit": button(Action.EDIT, "logged"),
    "follow-up: Write the summary": button(Action.LOG_PLANNED, "planned"),
    "message shortcut": shortcut,
    "Guide": button(Action.GUIDE, "question"),
    "reminder: Plan": button(Action.PLAN, "question"),
    "flag: Close as answered": button(Action.CLOSE_ANSWERED, "question"),
    "flag: Open a follow-up": button(Action.FOLLOW_UP_QUESTION, "question"),
}
# Summaries dated "today" (or a planned day) in the interviewer's zone; an edit keeps its date.
DATED = {"/discovery log", "Log", "follow-up: Write the summary", "message shortcut"}
CASES = [(path, "stale") for path in PATHS] + [(path, "missing") for path in sorted(DATED)]


def zones() -> tuple[str, str]:
    """(the owner's real zone, another): the real one's "today" is not UTC's either, so a
    summary opened in UTC or in the other zone shows another date."""
    return (EAST, WEST) if datetime.now(UTC).hour >= 11 else (WEST, EAST)


def remember_zone(server: Server, team: str, user: str, tz: str, at: datetime) -> None:
    with Session(server.engine) as s:
        members.remember(s, team, {user: tz}, at)
        s.commit()


def plan_interview(sender: SlackSender, slack: FakeSlack, owner: str) -> None:
    view = opened(slack, sender.command("plan #1", user=owner))
    when = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())
    answers = {Input.WHEN: when, Input.INTERVIEWEE: "Ada"}
    sender.interaction(view_submission(view, answers, user=owner, team=sender.team))
    dm(slack, owner, "Planned: an interview with Ada")


def prepare(sender: SlackSender, slack: FakeSlack, server: Server, path: str) -> dict:
    """One open question (and an interview to edit, or one planned), with Slack still quick
    and the owner's zone fresh in the cache, so nothing of this is still looking it up."""
    owner, (real, _) = "U" + sender.team[1:], zones()
    slack.time_zones[owner] = real
    remember_zone(server, sender.team, owner, real, datetime.now(UTC))
    open_question(sender, slack, "Why do trials stall?", user=owner)
    (question,) = rows(server, "SELECT id FROM question WHERE team_id=:t", t=sender.team)
    known = {"owner": owner, "question": question["id"]}
    if path == "Edit":
        log_interview(sender, slack, {Input.INSIGHTS: "Setup takes a week"}, user=owner)
    if path == "follow-up: Write the summary":
        plan_interview(sender, slack, owner)
    for row in rows(server, "SELECT id, held_on FROM interview WHERE team_id=:t", t=sender.team):
        known["logged" if row["held_on"] else "planned"] = row["id"]
    return known


def forget_zone(server: Server, team: str, owner: str, cache: str) -> None:
    """The owner's cached zone: a day and more old (and another), or none at all."""
    if cache == "stale":
        remember_zone(server, team, owner, zones()[1], datetime.now(UTC) - timedelta(days=2))
    else:
        with server.engine.begin() as c:
            c.execute(sa.text("DELETE FROM member WHERE team_id = :t"), {"t": team})


def open_while_slack_is_slow(
    sender: SlackSender, slack: FakeSlack, server: Server, path: str, cache: str
) -> tuple[Call, dict]:
    known = prepare(sender, slack, server, path)
    forget_zone(server, sender.team, known["owner"], cache)
    for method in STALLED:
        slack.delays[method] = STALL
    started = time.monotonic()
    trigger = PATHS[path](sender, slack, known)
    call = slack.wait_where("views.open", lambda a: a["trigger_id"] == trigger, timeout=STALL * 2)
    assert time.monotonic() - started < 1, f"views.open {time.monotonic() - started:.1f} s late"
    return call, known


@pytest.mark.parametrize(("path", "cache"), CASES)
def test_every_modal_opens_within_a_second_while_slack_stalls(
    sender: SlackSender, slack: FakeSlack, server: Server, path: str, cache: str
) -> None:
    call, _ = open_while_slack_is_slow(sender, slack, server, path, cache)
    if path not in DATED:
        return
    assert call.result is not None
    shown = call.result["view"]
    update = slack.wait_where(
        "views.update", lambda a: a.get("view_id") == shown["id"], timeout=STALL * 2
    )
    assert update.args["hash"] == shown["hash"]  # a view changed meanwhile is left alone
    today = datetime.now(ZoneInfo(zones()[0])).date().isoformat()
    assert block(update.args["view"], Input.HELD_ON)["element"]["initial_date"] == today
    assert block(shown, Input.HELD_ON)["element"]["initial_date"] != today


def test_a_summary_changed_meanwhile_is_not_overwritten(
    sender: SlackSender, slack: FakeSlack, server: Server
) -> None:
    call, _ = open_while_slack_is_slow(sender, slack, server, "/discovery log", "stale")
    assert call.result is not None
    view_id = call.result["view"]["id"]
    slack.touch(view_id)  # the view moved on before the zone came back
    slack.wait_where(
        "views.update:refused", lambda a: a.get("view_id") == view_id, timeout=STALL * 2
    )
