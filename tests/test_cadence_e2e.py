"""End to end: the weekly cadence driven by `tick --at` against the real server and the fake.

Every question here is opened through the modal and then dated back to September 2026, and
every tick is in October or November 2026: before any question the other tests open now,
so each test sees only its own workspace's sends. Questions are closed when a test ends.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.ids import QUESTION_BUTTONS, Action, Input, View
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.requests import Reply, SlackSender, block_action, view_submission
from cadence import schedule, weeks
from tests.conftest import BIN, Server, app_env, fresh_database, run_cli
from tests.flows import block, log_interview, open_question, opened, reply_to

OPENED = "2026-09-01T12:00:00+00:00"
NY, BERLIN, TOKYO, KOLKATA = "America/New_York", "Europe/Berlin", "Asia/Tokyo", "Asia/Kolkata"


@pytest.fixture
def owner(team: str) -> str:
    return "U" + team[1:]  # a user of this workspace only, so DMs to it are this test's


@pytest.fixture(autouse=True)
def close_questions_after(server: Server, team: str) -> Iterator[None]:
    yield
    with server.engine.begin() as c:
        c.execute(sa.text("UPDATE question SET status='dropped' WHERE team_id=:t"), {"t": team})


def start_question(
    sender: SlackSender,
    slack: FakeSlack,
    server: Server,
    owner: str,
    tz: str,
    text: str = "Why do trials stall?",
    channel: str = "CDIGEST",
    target: str = "3",
    opened: str = OPENED,
) -> int:
    """Open a question through the modal, owned by `owner` in `tz`, opened long ago."""
    slack.time_zones[owner] = tz
    open_question(
        sender, slack, text, user=owner, answers={Input.CHANNEL: channel, Input.TARGET: target}
    )
    with server.engine.begin() as c:
        c.execute(
            sa.text("UPDATE question SET created_at=:at WHERE team_id=:t"),
            {"at": datetime.fromisoformat(opened).replace(tzinfo=None), "t": sender.team},
        )
        (qid,) = c.execute(
            sa.text("SELECT max(id) FROM question WHERE team_id=:t"), {"t": sender.team}
        ).one()
    return qid


def dms(slack: FakeSlack, user: str, containing: str = "") -> list:
    return [
        c
        for c in slack.of("chat.postMessage")
        if c.args["channel"] == user and containing in c.args["text"]
    ]


def posts(slack: FakeSlack, channel: str) -> list:
    """The messages posted in `channel` itself, not in a thread."""
    return [
        c
        for c in slack.of("chat.postMessage")
        if c.args["channel"] == channel and not c.args.get("thread_ts")
    ]


def thread(slack: FakeSlack, channel: str) -> list:
    """The replies posted in threads of `channel`."""
    return [
        c
        for c in slack.of("chat.postMessage")
        if c.args["channel"] == channel and c.args.get("thread_ts")
    ]


REMINDER, NUDGE, DIGEST = "A new week of discovery", "Halfway through the week", "Discovery digest"


def shown(blocks: list) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def buttons(message: dict, question_id: int) -> dict[str, dict]:
    actions = block(message, f"{QUESTION_BUTTONS}{question_id}")
    return {e["action_id"]: e for e in actions["elements"]}


def test_a_new_york_week_reminder_nudge_digest_across_the_fall_back(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    # Opened the Tuesday before: its first week, so the reminder offers the burst.
    qid = start_question(sender, slack, server, owner, NY, opened="2026-10-20T12:00:00+00:00")
    # Monday 2026-10-26, daylight time: 09:00 in New York is 13:00 UTC.
    server.tick("2026-10-26T12:59:00Z")
    assert dms(slack, owner, REMINDER) == []
    server.tick("2026-10-26T13:00:00Z")
    server.tick("2026-10-26T13:00:00Z")  # the same tick again sends nothing
    (reminder,) = dms(slack, owner, REMINDER)
    text = shown(reminder.args["blocks"])
    assert "*0/3* this week" in text and "Why do trials stall?" in text
    assert set(buttons(reminder.args, qid)) == {
        Action.LOG,
        Action.PLAN,
        Action.GUIDE,
        Action.SKIP_WEEK,
    }

    log_interview(
        sender,
        slack,
        {
            Input.HELD_ON: "2026-10-27",
            Input.INTERVIEWEE: "Ada <@U999>",
            Input.QUOTE: "I gave up after a week <!channel>",
            Input.INSIGHTS: "Setup takes a week\nNobody owns the rollout <!here>",
        },
        user=owner,
    )
    server.tick("2026-10-29T12:59:00Z")
    assert dms(slack, owner, NUDGE) == []
    server.tick("2026-10-29T13:00:00Z")
    (nudge,) = dms(slack, owner, NUDGE)
    assert "*1/3*: two to go" in shown(nudge.args["blocks"])

    # Friday 16:00 in New York is 20:00 UTC; the digest goes to the question's channel.
    server.tick("2026-10-30T19:59:00Z")
    assert posts(slack, "CDIGEST") == []
    server.tick("2026-10-30T20:00:00Z")
    (digest,) = posts(slack, "CDIGEST")
    text = shown(digest.args["blocks"])
    # A theme its one insight founded: shown once, not as a label over the same words.
    assert "*Setup takes a week* :new:" in text and "• Setup takes a week" not in text
    assert "*Nobody owns the rollout &lt;!here&gt;* :new:" in text
    assert "Ada &lt;@U999&gt;: “Setup takes a week” (+1)" in text
    (snapshot,) = thread(slack, "CDIGEST")
    card = shown(snapshot.args["blocks"])
    assert "I gave up after a week &lt;!channel&gt;" in card and "Ada &lt;@U999&gt;" in card
    assert "<!" not in text + card and "<@U999" not in text + card
    assert "behind target" in text

    # After the fall-back (2026-11-01) 09:00 in New York is 14:00 UTC.
    server.tick("2026-11-02T13:59:00Z")
    assert len(dms(slack, owner, REMINDER)) == 1
    server.tick("2026-11-02T14:00:00Z")
    second = dms(slack, owner, REMINDER)[-1]
    assert len(dms(slack, owner, REMINDER)) == 2
    assert "last week 1" in shown(second.args["blocks"])


@pytest.mark.parametrize(
    ("tz", "before", "at"),
    [
        (BERLIN, "2026-11-02T07:59:00Z", "2026-11-02T08:00:00Z"),
        (TOKYO, "2026-11-01T23:59:00Z", "2026-11-02T00:00:00Z"),
        (KOLKATA, "2026-11-02T03:29:00Z", "2026-11-02T03:30:00Z"),
    ],
)
def test_the_monday_reminder_comes_at_nine_in_the_owners_zone(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str, tz: str, before: str, at: str
) -> None:
    start_question(sender, slack, server, owner, tz)
    # Last week's reminder went out; this test is about this week's.
    server.tick("2026-10-31T12:00:00Z")
    before_count = len(dms(slack, owner, REMINDER))
    server.tick(before)
    assert len(dms(slack, owner, REMINDER)) == before_count
    server.tick(at)
    assert len(dms(slack, owner, REMINDER)) == before_count + 1


def test_a_missed_send_is_caught_up_in_its_week_and_never_in_the_next(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    start_question(sender, slack, server, owner, BERLIN)
    server.tick("2026-11-03T10:00:00Z")  # Tuesday: Monday's reminder, late but this week
    assert len(dms(slack, owner, REMINDER)) == 1
    # Nothing ran from Wednesday to the next Monday at 08:00 in Berlin: the week's nudge
    # and digest are not sent in the new week, and its reminder is not due yet.
    server.tick("2026-11-09T06:59:00Z")
    assert dms(slack, owner, NUDGE) == [] and posts(slack, "CDIGEST") == []
    assert len(dms(slack, owner, REMINDER)) == 1
    server.tick("2026-11-15T22:00:00Z")  # Sunday night: that week's nudge and digest, late
    assert len(dms(slack, owner, NUDGE)) == 1 and len(posts(slack, "CDIGEST")) == 1


def test_reminder_buttons_log_plan_guide_and_skip(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    # Skip is for the week the owner is in, so this test runs in the real current week, with
    # a question opened the week before (its first week: the reminder offers the burst).
    monday = weeks.week_start(weeks.local_today(datetime.now(UTC), BERLIN))
    friday = datetime(monday.year, monday.month, monday.day, tzinfo=UTC) - timedelta(days=3)
    qid = start_question(sender, slack, server, owner, BERLIN, opened=friday.isoformat())
    server.tick(schedule.moment(monday, 0, 9 * 60, BERLIN).isoformat())
    (reminder,) = dms(slack, owner, REMINDER)
    pressed = buttons(reminder.args, qid)

    def press(action_id: str, **kw: object) -> Reply:
        button = pressed[action_id]
        payload = block_action(action_id, button["value"], user=owner, team=sender.team, **kw)
        reply = sender.interaction(payload)
        assert reply.status == 200
        return reply

    view = opened(slack, press(Action.LOG))
    assert view["callback_id"] == View.SUMMARY
    assert block(view, Input.QUESTION)["element"]["initial_option"]["value"] == str(qid)
    view = opened(slack, press(Action.PLAN))
    assert view["callback_id"] == View.PLAN
    assert block(view, Input.QUESTION)["element"]["initial_option"]["value"] == str(qid)
    assert opened(slack, press(Action.GUIDE))["callback_id"] == View.GUIDE

    message = {**reminder.args, "ts": "1700000123.000100"}
    press(Action.SKIP_WEEK, message=message, response_url=slack.response_url())
    update = slack.wait_one("chat.update", channel=owner)
    assert update.args["ts"] == "1700000123.000100"
    text = shown(update.args["blocks"])
    assert "Skipped this week" in text and Action.SKIP_WEEK not in text
    server.tick(schedule.moment(monday, 3, 10 * 60, BERLIN).isoformat())  # no nudge
    assert dms(slack, owner, NUDGE) == []
    next_monday = schedule.moment(monday + timedelta(days=7), 0, 9 * 60, BERLIN)
    server.tick(next_monday.isoformat())  # next week it is back
    assert len(dms(slack, owner, REMINDER)) == 2


def test_settings_move_the_reminder_and_turn_the_nudge_off(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    start_question(sender, slack, server, owner, TOKYO)
    view = opened(slack, sender.command("settings", user=owner))
    assert view["callback_id"] == View.SETTINGS
    bad = view_submission(view, {Input.TIME: "25:00"}, user=owner, team=sender.team)
    assert sender.interaction(bad).json()["errors"].keys() == {Input.TIME}
    answers = {Input.DAY: "2", Input.TIME: "07:30", Input.NUDGE: "off"}
    reply = sender.interaction(view_submission(view, answers, user=owner, team=sender.team))
    assert reply.status == 200 and not reply.body
    saved = slack.wait_where(
        "chat.postMessage", lambda a: a["channel"] == owner and "Saved" in a["text"]
    )
    assert (
        "*Wednesdays at 07:30*" in saved.args["text"] and "no mid-week nudge" in saved.args["text"]
    )

    server.tick("2026-11-16T00:00:00Z")  # Monday 09:00 in Tokyo: no reminder now
    assert dms(slack, owner, REMINDER) == []
    server.tick("2026-11-17T22:29:00Z")  # Wednesday 07:29 in Tokyo
    assert dms(slack, owner, REMINDER) == []
    server.tick("2026-11-17T22:30:00Z")
    assert len(dms(slack, owner, REMINDER)) == 1
    server.tick("2026-11-19T01:00:00Z")  # Thursday 10:00 in Tokyo: the nudge is off
    assert dms(slack, owner, NUDGE) == []


def test_nothing_is_sent_twice_on_429_500_or_an_unreachable_slack(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    start_question(sender, slack, server, owner, BERLIN)
    for_owner = lambda args: args.get("channel") == owner  # noqa: E731
    slack.fail("chat.postMessage", status=429, retry_after=1, when=for_owner)
    server.tick("2026-11-02T08:00:00Z")  # retried in-process after Retry-After
    assert len(dms(slack, owner, REMINDER)) == 1
    assert len([c for c in slack.of("chat.postMessage:failed") if for_owner(c.args)]) == 1

    slack.fail("chat.postMessage", status=500, when=for_owner)
    server.tick("2026-11-05T08:00:00Z")  # Thursday's nudge fails...
    assert dms(slack, owner, NUDGE) == []
    server.tick("2026-11-05T08:01:00Z")  # ...and goes out at the next tick, once
    server.tick("2026-11-05T08:02:00Z")
    assert len(dms(slack, owner, NUDGE)) == 1

    # Slack unreachable, and the owner's cached zone is stale: users.info fails too.
    with server.engine.begin() as c:
        c.execute(
            sa.text("UPDATE member SET fetched_at=:old WHERE team_id=:t"),
            {"old": datetime(2000, 1, 1), "t": sender.team},
        )
    unreachable = {**server.env, "SLACK_API_URL": "http://127.0.0.1:9/api/"}
    result = run_cli("tick", "--at", "2026-11-06T15:00:00Z", env=unreachable)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "a later tick retries" in result.stderr
    assert posts(slack, "CDIGEST") == []
    server.tick("2026-11-06T15:01:00Z")
    server.tick("2026-11-06T15:02:00Z")
    assert len(posts(slack, "CDIGEST")) == 1


def test_the_digest_lists_each_interview_and_threads_its_snapshot_once(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str, team: str
) -> None:
    channel = "C" + team[1:]
    start_question(sender, slack, server, owner, BERLIN, channel=channel)
    for day, who, insights in [
        ("03", "Ada", "Setup takes a week\nNobody owns the rollout"),
        ("04", "Bo", "Pricing per seat hurts"),
        ("05", "Cy", "Setup takes a week"),
    ]:
        answers = {Input.HELD_ON: f"2026-11-{day}", Input.INTERVIEWEE: who, Input.COMPANY: "Acme"}
        log_interview(sender, slack, {**answers, Input.INSIGHTS: insights}, user=owner)
    bos = lambda a: a.get("thread_ts") and a.get("text", "").startswith("Interview snapshot: Bo")  # noqa: E731
    slack.fail("chat.postMessage", status=500, when=bos)

    server.tick("2026-11-06T15:00:00Z")  # Friday 16:00 in Berlin
    (digest,) = posts(slack, channel)
    text = shown(digest.args["blocks"])
    for line in ["Ada (Acme): “Setup takes a week” (+1)", "Bo (Acme): “Pricing per seat hurts”"]:
        assert line in text
    assert "one snapshot each, in this thread" in text
    ts = slack.messages[channel][0]["ts"]
    replies = thread(slack, channel)
    assert [r.args["text"] for r in replies] == [
        "Interview snapshot: Ada (Acme), Tue Nov 3",
        "Interview snapshot: Cy (Acme), Thu Nov 5",
    ]
    assert {r.args["thread_ts"] for r in replies} == {ts}
    assert "Nobody owns the rollout" in shown(replies[0].args["blocks"])

    server.tick("2026-11-06T15:01:00Z")  # only the reply that failed goes again
    server.tick("2026-11-06T15:02:00Z")
    assert len(posts(slack, channel)) == 1
    texts = [r.args["text"] for r in thread(slack, channel)]
    assert sorted(texts) == [
        "Interview snapshot: Ada (Acme), Tue Nov 3",
        "Interview snapshot: Bo (Acme), Wed Nov 4",
        "Interview snapshot: Cy (Acme), Thu Nov 5",
    ]
    assert {r.args["thread_ts"] for r in thread(slack, channel)} == {ts}


def test_two_ticks_at_once_send_once(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    start_question(sender, slack, server, owner, BERLIN)
    at = "2026-11-02T09:00:00Z"
    ticks = [
        subprocess.Popen([str(BIN), "tick", "--at", at], env=server.env, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for t in ticks:
        assert t.wait(timeout=60) == 0, t.stderr.read() if t.stderr else ""
    assert len(dms(slack, owner, REMINDER)) == 1


def test_the_digest_joins_a_public_channel_and_asks_to_be_invited_to_a_private_one(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    start_question(sender, slack, server, owner, BERLIN, channel="CPUBLIC")
    start_question(sender, slack, server, owner, BERLIN, "Who churns?", channel="GPRIVATE")
    slack.outside.update(CPUBLIC="public", GPRIVATE="private")
    server.tick("2026-11-06T15:00:00Z")
    assert [c.args["channel"] for c in slack.of("conversations.join")] == ["CPUBLIC"]
    assert [c.args["channel"] for c in slack.of("conversations.join:refused")] == ["GPRIVATE"]
    assert len(posts(slack, "CPUBLIC")) == 1
    (invite,) = dms(slack, owner, "I couldn't post this week's digest")
    assert "<#GPRIVATE>" in invite.args["text"] and "Who churns?" in invite.args["text"]
    server.tick("2026-11-06T15:05:00Z")  # once: not again at every tick
    assert len(dms(slack, owner, "I couldn't post")) == 1
    assert len(slack.of("conversations.join:refused")) == 1


def test_digest_command_posts_now_and_friday_still_comes(
    sender: SlackSender, slack: FakeSlack, server: Server, owner: str
) -> None:
    start_question(sender, slack, server, owner, BERLIN, channel="CDIGEST")
    today = datetime.now(UTC).date().isoformat()
    answers = {Input.HELD_ON: today, Input.INTERVIEWEE: owner, Input.INSIGHTS: "Setup is slow"}
    log_interview(sender, slack, answers, user=owner)
    reply = reply_to(slack, sender.command("digest", user=owner, channel="CDIGEST"))
    (posted,) = posts(slack, "CDIGEST")
    assert DIGEST in posted.args["text"]
    assert "Posted this week's digest so far in <#CDIGEST>" in reply["text"]
    snapshot = slack.wait_one("chat.postMessage", where=lambda a: owner in a["text"])
    assert snapshot.args["text"].startswith("Interview snapshot:")
    assert snapshot.args["thread_ts"] == slack.messages["CDIGEST"][0]["ts"]
    reply = reply_to(slack, sender.command("digest somewhere", user=owner, channel="CDIGEST"))
    assert "can't tell which channel" in reply["text"]
    elsewhere = sender.command("digest <#CELSEWHERE|random>", user=owner, channel="CDIGEST")
    assert "No open question sends its digest" in reply_to(slack, elsewhere)["text"]
    assert [c.args["channel"] for c in slack.of("chat.postMessage")].count("CELSEWHERE") == 0
    server.tick("2026-11-06T15:00:00Z")
    assert len(posts(slack, "CDIGEST")) == 2


def test_a_second_scheduler_shares_the_shards(fake: FakeSlack, tmp_path: Path) -> None:
    with fresh_database(tmp_path) as url:
        env = app_env(fake, url)
        first = subprocess.Popen(
            [str(BIN), "scheduler"], env=env, stderr=subprocess.PIPE, text=True
        )
        try:
            assert "sends for 16 of 16 shards" in _line_with(first, "shards")
            second = subprocess.Popen(
                [str(BIN), "scheduler"], env=env, stderr=subprocess.PIPE, text=True
            )
            try:  # none while the first holds them all, half once it gives half back
                line = _line_with(second, "shards")
                assert "sends for 0 of 16" in line or "sends for 8 of 16" in line
            finally:
                second.terminate()
                second.wait(timeout=10)
        finally:
            first.terminate()
            first.wait(timeout=10)


def _line_with(process: subprocess.Popen, word: str) -> str:
    """The first line of the process's log containing `word` (blocks until it comes)."""
    assert process.stderr is not None
    for line in process.stderr:
        if word in line:
            return line
    raise AssertionError(f"the process ended without a line containing {word!r}")
