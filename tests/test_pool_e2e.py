"""The candidate pool end to end, through the real server and the fake Slack: a pasted CSV,
a CSV shared in a DM, the webhook, forget; suggestions in the Monday reminder with their
buttons, a plan from a suggestion, booked in progress, a no-show."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.requests import SlackSender, block_action, view_submission
from tests import flows
from tests.conftest import Server

CSV = (
    "name,email,company,segment,date,plan\n"
    "Ana Lima,ana@acme.com,Acme,Recent cancellations,{d1},pro\n"
    "Bo Chen,bo@bolt.io,Bolt,recent_cancellations,{d2},team\n"
)


def days_ago(n: int) -> str:
    return (datetime.now(UTC) - timedelta(days=n)).date().isoformat()


def paste(sender: SlackSender, slack: FakeSlack, user: str, text: str) -> dict:
    before = len(slack.of("views.open"))
    sender.command("pool add", user=user)
    view = flows.opened(slack, before)
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
    file_id = slack.share("signups.csv", data)
    event = {"type": "file_shared", "file_id": file_id, "user_id": owner, "channel_id": "D" + owner}
    assert sender.event(event).status == 200
    flows.dm(slack, owner, "*signups.csv*: :inbox_tray: The pool has *2* new people")
    assert slack.of("download")[0].token  # fetched with the bot token
    # Shared again: the same people, updated, not doubled.
    sender.event({**event, "file_id": slack.share("again.csv", data)})
    flows.dm(slack, owner, "*again.csv*: :inbox_tray: The pool has *0* new people and *2* updated")
    assert len(people(server, team)) == 2
    other = slack.share("notes.txt", b"hello", filetype="text")
    sender.event({**event, "file_id": other})
    flows.dm(slack, owner, "*notes.txt* is not a CSV file")


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
