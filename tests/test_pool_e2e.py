"""The candidate pool end to end, through the real server and the fake Slack: a pasted CSV,
a CSV shared in a DM, the webhook, forget; suggestions in the Monday reminder with their
buttons, a plan from a suggestion, booked in progress, a no-show."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.requests import Reply, SlackSender, block_action, view_submission
from cadence import schedule, weeks
from tests import flows
from tests.conftest import Server
from tests.test_cadence_e2e import BERLIN, start_question

CSV = (
    "name,email,company,segment,date,plan\n"
    "Ana Lima,ana@acme.com,Acme,Recent cancellations,{d1},pro\n"
    "Bo Chen,bo@bolt.io,Bolt,recent_cancellations,{d2},team\n"
)


def days_ago(n: int) -> str:
    return (datetime.now(UTC) - timedelta(days=n)).date().isoformat()


def paste(sender: SlackSender, slack: FakeSlack, user: str, text: str) -> dict:
    view = flows.opened(slack, sender.command("pool add", user=user))
    reply = sender.interaction(view_submission(view, {"people": text}, user=user, team=sender.team))
    assert reply.status == 200
    return json.loads(reply.body) if reply.body else {}


def people(server: Server, team: str) -> list[dict]:
    return flows.rows(server, "SELECT * FROM candidate WHERE team_id = :t ORDER BY id", t=team)


def post(url: str, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def test_a_pasted_csv_names_bad_lines_then_imports(
    server: Server, slack: FakeSlack, sender: SlackSender, team: str
) -> None:
    owner = "U" + team[1:]
    bad = CSV.format(d1=days_ago(2), d2=days_ago(3)) + "Cy,cy@c.io,C,churned,,\n"
    answer = paste(sender, slack, owner, bad)
    assert answer["response_action"] == "errors"
    assert "line 3: no such segment 'churned'" in answer["errors"]["people"]
    assert "cy@c.io" not in json.dumps(answer)  # no person's details in an error
    assert people(server, team) == []
    assert paste(sender, slack, owner, CSV.format(d1=days_ago(2), d2=days_ago(3))) == {}
    flows.dm(slack, owner, "The pool has *2* new people")
    assert [(p["email"], p["company"]) for p in people(server, team)] == [
        ("ana@acme.com", "Acme"),
        ("bo@bolt.io", "Bolt"),
    ]


def test_a_csv_shared_in_a_dm(
    server: Server, slack: FakeSlack, sender: SlackSender, team: str
) -> None:
    owner = "U" + team[1:]
    data = CSV.format(d1=days_ago(1), d2=days_ago(1)).encode()
    slack.add_file("FPOOL1" + team, "signups.csv", data, filetype="csv")
    event = {
        "type": "file_shared",
        "file_id": "FPOOL1" + team,
        "user_id": owner,
        "channel_id": "D" + owner,
    }
    assert sender.event(event).status == 200
    flows.dm(slack, owner, "*signups.csv*: :inbox_tray: The pool has *2* new people")
    (download,) = slack.calls_where("file_download", where=lambda a: a["file"] == "FPOOL1" + team)
    assert download.token  # fetched with the bot token
    # Shared again: the same people, updated, not doubled.
    slack.add_file("FPOOL2" + team, "again.csv", data, filetype="csv")
    sender.event({**event, "file_id": "FPOOL2" + team})
    flows.dm(slack, owner, "*again.csv*: :inbox_tray: The pool has *0* new people and *2* updated")
    assert len(people(server, team)) == 2


def webhook_url(server: Server, slack: FakeSlack, sender: SlackSender, user: str) -> str:
    sender.command("pool webhook", user=user)
    reply = slack.wait_where("response_url", lambda a: "/hooks/candidates/" in a.get("text", ""))
    secret = re.search(r"/hooks/candidates/([A-Za-z0-9_-]+)", reply.args["text"]).group(1)
    assert len(secret) >= 16
    return f"{server.url}/hooks/candidates/{secret}"


def test_the_webhook(server: Server, slack: FakeSlack, sender: SlackSender, team: str) -> None:
    owner = "U" + team[1:]
    url = webhook_url(server, slack, sender, owner)
    secret = url.rsplit("/", 1)[1]
    stored = flows.rows(server, "SELECT webhook_hash FROM pool WHERE team_id = :t", t=team)
    assert stored and secret not in stored[0]["webhook_hash"]  # kept hashed
    signup = {"name": "Ana", "email": "ana@acme.com", "event": "Signed Up", "at": days_ago(1)}
    track = {
        "type": "track",
        "event": "Subscription Cancelled",
        "userId": "u-9",
        "timestamp": days_ago(2) + "T10:00:00Z",
        "context": {"traits": {"name": "Bo", "company": {"name": "Bolt"}}},
    }
    assert post(url, json.dumps([signup, track]).encode()) == (
        202,
        {"added": 2, "updated": 0, "refused": 0},
    )
    assert post(url, json.dumps(signup).encode())[0] == 202
    assert post(url[:-4] + "abcd", b"{}")[0] == 404
    assert post(url, b"not json") == (400, {"error": "the body is not JSON"})
    status, answer = post(url, json.dumps({"name": "Cy", "event": "Upgraded"}).encode())
    assert status == 400 and answer["lines"] == [
        {"line": 1, "problem": "line 1: no segment for the event 'Upgraded'"}
    ]
    many = [{"email": f"p{n}@x.io", "segment": "superstars"} for n in range(1001)]
    status, answer = post(url, json.dumps(many).encode())
    assert status == 413 and "at most 1000" in answer["error"]
    assert len(people(server, team)) == 2
    # A new secret: the old URL stops.
    sender.command("pool webhook", user=owner)
    shown = slack.wait_where("response_url", lambda a: "has a webhook already" in a["text"])
    rotate = shown.args["blocks"][1]["elements"][0]
    sender.interaction(
        block_action(
            rotate["action_id"],
            rotate["value"],
            user=owner,
            team=team,
            response_url=slack.response_url(),
        )
    )
    slack.wait_where(
        "response_url", lambda a: "/hooks/candidates/" in a["text"] and secret not in a["text"]
    )
    assert post(url, json.dumps(signup).encode())[0] == 404
    log = server.log.read_text()
    assert "ana@acme.com" not in log and "hook team=" in log


def test_forget_and_no_revival(
    server: Server, slack: FakeSlack, sender: SlackSender, team: str
) -> None:
    owner = "U" + team[1:]
    paste(sender, slack, owner, CSV.format(d1=days_ago(2), d2=days_ago(3)))
    flows.dm(slack, owner, "The pool has *2* new people")
    sender.command("pool forget ANA@acme.com", user=owner)
    slack.wait_where("response_url", lambda a: "Deleted from the pool" in a["text"])
    assert [p["email"] for p in people(server, team)] == ["bo@bolt.io"]
    paste(sender, slack, owner, CSV.format(d1=days_ago(2), d2=days_ago(3)))
    flows.dm(slack, owner, "*1* refused")
    assert [p["email"] for p in people(server, team)] == ["bo@bolt.io"]


@pytest.fixture
def owner(server: Server, team: str) -> Iterator[str]:
    """This test's question owner; their questions are closed afterwards, so that later
    ticks of other tests leave them alone."""
    yield "U" + team[1:]
    with server.engine.begin() as c:
        c.execute(sa.text("UPDATE question SET status='dropped' WHERE team_id=:t"), {"t": team})


def test_the_monday_reminder_suggests_and_closes_the_loop(
    server: Server, slack: FakeSlack, sender: SlackSender, owner: str
) -> None:
    qid = start_question(sender, slack, server, owner, BERLIN)
    monday = weeks.week_start(weeks.local_today(datetime.now(UTC), BERLIN))
    at = schedule.moment(monday, 0, 9 * 60, BERLIN)

    def day(n: int) -> str:
        return (at - timedelta(days=n)).isoformat()

    pool_csv = (
        "name,email,company,segment,date\n"
        f"Ana Lima,ana@acme.com,Acme,recent sign-ups,{day(2)}\n"
        f"Bo Chen,bo@bolt.io,Bolt,recent sign-ups,{day(3)}\n"
        f"Cy Park,cy@acme.com,Acme,recent sign-ups,{day(1)}\n"
        f"Di Roy,di@dune.io,Dune,recent sign-ups,{day(40)}\n"
        f"Ed Ito,ed@eon.io,Eon,recent sign-ups,{day(5)}\n"
    )
    assert paste(sender, slack, owner, pool_csv) == {}
    server.tick(at.isoformat())
    reminder = flows.dm(slack, owner, "A new week of discovery").copy()
    text = json.dumps(reminder["blocks"])
    for name in ("Cy Park", "Bo Chen", "Ed Ito"):
        assert name in text
    assert "Ana Lima" not in text and "Di Roy" not in text  # one per company; too old
    assert "signed up yesterday" in text
    ids = {p["name"]: p["id"] for p in people(server, sender.team)}
    reminder["ts"] = "1700000200.000100"

    def press(action_id: str, name: str) -> Reply:
        value = f"{ids[name]}:{qid}"
        payload = block_action(
            action_id, value, user=owner, team=sender.team,
            message=reminder, response_url=slack.response_url(),
        )  # fmt: skip
        reply = sender.interaction(payload)
        assert reply.status == 200
        return reply

    press("pool_not_a_fit", "Bo Chen")
    update = slack.wait_where("chat.update", lambda a: "not a fit" in json.dumps(a["blocks"]))
    assert f"pool_{ids['Bo Chen']}_{qid}" not in json.dumps(update.args["blocks"])
    press("pool_opted_out", "Ed Ito")
    slack.wait_where("chat.update", lambda a: "opted out" in json.dumps(a["blocks"]))
    view = flows.opened(slack, press("pool_invite", "Cy Park"))
    assert view["callback_id"] == "pool_invite" and "cy@acme.com" in json.dumps(view)
    draft = flows.block(view, "draft")["element"]["initial_value"]
    assert draft.startswith("Hi Cy,") and "signed up" in draft
    reply = sender.interaction(view_submission(view, {}, user=owner, team=sender.team))
    assert reply.status == 200 and not reply.body
    flows.dm(slack, owner, "Marked *Cy Park* as invited")
    found = {p["name"]: p for p in people(server, sender.team)}
    assert found["Bo Chen"]["status"] == "not_a_fit" and found["Ed Ito"]["status"] == "opted_out"
    assert found["Cy Park"]["status"] == "invited" and found["Cy Park"]["contacted_at"]

    # Plan from the suggestion: the plan modal has the person; they count as booked.
    view = flows.opened(slack, press("pool_plan", "Cy Park"))
    assert flows.block(view, "interviewee")["element"]["initial_value"] == "Cy Park"
    when = int(datetime.now(UTC).timestamp()) + 120
    sender.interaction(view_submission(view, {"when": when}, user=owner, team=sender.team))
    flows.dm(slack, owner, "Planned: an interview with Cy Park")
    (planned,) = flows.rows(server, "SELECT * FROM interview WHERE question_id=:q", q=qid)
    assert planned["candidate_id"] == ids["Cy Park"]
    sender.command("status", user=owner)
    slack.wait_where("response_url", lambda a: "0/3 · 1 booked" in a.get("text", ""))

    # An hour after: the follow-up, and a no-show frees the slot.
    follow_up_at = datetime.fromtimestamp(when, UTC) + timedelta(minutes=61)
    server.tick(follow_up_at.isoformat())
    follow_up = flows.dm(slack, owner, "How did it go?").copy()
    follow_up["ts"] = "1700000300.000100"
    no_show = follow_up["blocks"][1]["elements"][1]
    assert no_show["action_id"] == "interview_no_show"
    payload = block_action(
        "interview_no_show", no_show["value"], user=owner, team=sender.team,
        message=follow_up, response_url=slack.response_url(),
    )  # fmt: skip
    sender.interaction(payload)
    slack.wait_where("chat.update", lambda a: "No-show noted" in a["text"])
    assert flows.rows(server, "SELECT * FROM interview WHERE question_id=:q", q=qid) == []
    cy = {p["name"]: p for p in people(server, sender.team)}["Cy Park"]
    assert cy["contacted_at"] is None
    sender.command("status", user=owner)
    slack.wait_where("response_url", lambda a: "*This week:* 0/3 (3 to go)" in a.get("text", ""))
