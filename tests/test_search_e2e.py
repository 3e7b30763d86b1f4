"""End to end, through the real server: search, export, and interview snapshots after logging
and in status."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from bot.ids import Action
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.requests import SlackSender, block_action
from tests.conftest import Server, run_cli
from tests.flows import log_interview, open_question, opened


def owner_of(team: str) -> str:
    return "U" + team[1:]


def answer_with(slack: FakeSlack, *words: str) -> dict:
    """The ephemeral answer (through response_url) holding every one of `words`."""

    def holds(a: dict) -> bool:
        shown = a.get("text", "") + json.dumps(a.get("blocks", []), ensure_ascii=False)
        return all(w in shown for w in words)

    return slack.wait_where("response_url", holds).args


def logged(sender: SlackSender, slack: FakeSlack, user: str) -> None:
    open_question(
        sender,
        slack,
        "Would admins pay for single sign-on?",
        user=user,
        answers={"hypothesis": "Okta shops buy sooner", "owner": user},
    )
    log_interview(
        sender,
        slack,
        {
            "interviewee": "Zoë Ångström",
            "company": "Crème Brûlée Ltd",
            "quote": "I hate <passwords> & tokens",
            "struggling_moments": "The café wifi drops every audit",
            "insights": "Logging in with SSO takes five clicks\nAudit logs are exported by hand",
        },
        user=user,
    )


def test_search_finds_every_kind_in_bold_and_never_another_workspace(
    sender: SlackSender, slack: FakeSlack, team: str
) -> None:
    user = owner_of(team)
    logged(sender, slack, user)
    for typed, kind, bold in (
        ("sso click", "insight", "*SSO*"),
        ("tokens", "quote", "*tokens*"),
        ("cafe", "struggling moments", "*café*"),
        ("zoe", "interviewee", "*Zoë*"),
        ("creme", "company", "*Crème*"),
        ("okta", "hypothesis", "*Okta*"),
        ("admins", "question", "*admins*"),
    ):
        sender.command(f"search {typed}", user=user)
        found = answer_with(slack, f"for “{typed}”", bold, kind)
        shown = json.dumps(found["blocks"], ensure_ascii=False)
        assert "#1" in shown and "Would admins pay" in shown
    # User text is escaped before the bold: no link, ping or entity slips through.
    shown = json.dumps(found_for(sender, slack, user), ensure_ascii=False)
    assert "I *hate* &lt;passwords&gt; &amp; tokens" in shown
    # Another workspace holds the same words: it finds only its own, here nothing.
    other = SlackSender(sender.app_url, slack.response_url, team=team[:-1] + "Z")
    other.command("search sso", user="U" + team[1:-1] + "Z")
    answer_with(slack, "Nothing found for “sso”", "fewer words")


def found_for(sender: SlackSender, slack: FakeSlack, user: str) -> list:
    sender.command("search hate", user=user)
    return answer_with(slack, "for “hate”")["blocks"]


def test_more_pages_through_the_hits(sender: SlackSender, slack: FakeSlack, team: str) -> None:
    user = owner_of(team)
    open_question(sender, slack, "How do teams pay?", user=user, answers={"owner": user})
    lines = "\n".join(f"Billing export {n} breaks on totals" for n in range(13))
    log_interview(sender, slack, {"insights": lines}, user=user)
    sender.command("search billing totals", user=user)
    first = answer_with(slack, "13", "for “billing totals”", "and 3 more")
    (more,) = [
        b["accessory"]
        for b in first["blocks"]
        if b.get("accessory", {}).get("action_id") == "search_more"
    ]
    sender.interaction(
        block_action(
            Action.SEARCH_MORE,
            more["value"],
            user=user,
            team=team,
            response_url=slack.response_url(),
        )
    )
    second = answer_with(slack, "for “billing totals”", "(11–13)")
    assert second["replace_original"] in (True, "true")
    assert "search_more" not in json.dumps(second["blocks"])


def test_export_sends_a_report_and_a_csv_to_the_callers_dm(
    sender: SlackSender, slack: FakeSlack, team: str
) -> None:
    user = owner_of(team)
    logged(sender, slack, user)
    log_interview(
        sender, slack, {"interviewee": "=cmd|' /C calc'!A0", "insights": "@SUM(1+1)"}, user=user
    )
    sender.command("export #1", user=user)
    answer_with(slack, "in your DM")
    done = slack.wait_where(
        "files.completeUploadExternal", lambda a: a.get("channel_id") == "D" + user
    ).args
    files = json.loads(done["files"]) if isinstance(done["files"], str) else done["files"]
    ids = {f["id"] for f in files}
    uploads = {c.args["path"].rsplit("/", 1)[1]: c.args["data"] for c in slack.of("upload")}
    markdown = next(uploads[i] for i in ids if uploads[i].startswith(b"# #1")).decode()
    table = next(uploads[i] for i in ids if not uploads[i].startswith(b"# #1")).decode("utf-8-sig")
    assert "**Hypothesis:** Okta shops buy sooner" in markdown
    assert f"**Owner:** Person {user}" in markdown and f"interviewed by Person {user}" in markdown
    assert (
        "## Themes, most heard first" in markdown and "> “I hate <passwords> & tokens”" in markdown
    )
    assert "Zoë Ångström (Crème Brûlée Ltd)" in markdown
    rows = list(csv.reader(io.StringIO(table)))
    assert rows[0][:3] == ["question", "interview date", "interviewee"]
    assert rows[1][7:] == ["Logging in with SSO takes five clicks", "I hate <passwords> & tokens"]
    assert rows[3][2] == "'=cmd|' /C calc'!A0" and rows[3][7] == "'@SUM(1+1)"
    assert len(rows) == 4


def test_the_reply_after_logging_and_status_show_snapshots(
    sender: SlackSender, slack: FakeSlack, team: str
) -> None:
    user = owner_of(team)
    logged(sender, slack, user)
    reply = slack.wait_where(
        "chat.postMessage", lambda a: a["channel"] == user and "Interview logged" in a["text"]
    ).args
    shown = json.dumps(reply["blocks"], ensure_ascii=False)
    assert "Crème Brûlée Ltd" in shown and "The café wifi drops every audit" in shown
    assert "Audit logs are exported by hand" in shown and ":new:" in shown
    assert "Log another" in shown and "Plan next" in shown
    sender.command("status #1", user=user)
    status = answer_with(slack, "Latest interviews", "Zoë Ångström")
    (view,) = [
        b["accessory"]
        for b in status["blocks"]
        if b.get("accessory", {}).get("action_id") == "view_snapshot"
    ]
    assert "Logging in with SSO takes five clicks" in json.dumps(
        status["blocks"], ensure_ascii=False
    )
    pressed = block_action(Action.VIEW_SNAPSHOT, view["value"], user=user, team=team)
    card = json.dumps(opened(slack, sender.interaction(pressed)), ensure_ascii=False)
    assert "I hate &lt;passwords&gt; &amp; tokens" in card and "Struggling moments" in card


def test_the_cli_writes_the_same_two_files(
    sender: SlackSender, slack: FakeSlack, team: str, server: Server, tmp_path: Path
) -> None:
    user = owner_of(team)
    logged(sender, slack, user)
    result = run_cli(
        "export", "--team", team, "--question", "1", "--out", str(tmp_path), env=server.env
    )
    assert result.returncode == 0, result.stderr
    report = (tmp_path / "question-1-evidence.md").read_text()
    assert report.startswith("# #1 Would admins pay for single sign-on?")
    assert f"**Owner:** Person {user}" in report  # the name Slack tells, not an id
    no_token = {k: v for k, v in server.env.items() if k != "SLACK_BOT_TOKEN"}
    offline = run_cli("export", "--team", team, "--question", "1", "--out", str(tmp_path / "o"),
                      env=no_token)  # fmt: skip
    assert offline.returncode == 0, offline.stderr
    assert f"**Owner:** Slack user {user}" in (tmp_path / "o/question-1-evidence.md").read_text()
    table = (tmp_path / "question-1-insights.csv").read_bytes()
    assert table.startswith("\ufeffquestion,".encode()) and "Zoë Ångström".encode() in table
    missing = run_cli(
        "export", "--team", team, "--question", "9", "--out", str(tmp_path), env=server.env
    )
    assert missing.returncode == 2 and "no question #9" in missing.stderr
