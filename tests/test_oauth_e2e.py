"""End to end: multi-workspace distribution through OAuth, against the real server process
and the fake Slack: the install page, Slack's redirect, oauth.v2.access, the stored
installation, requests authorized from the store, the scheduler sending with each
workspace's token, the uninstall and the deletion of the workspace's data after retention.
"""

from __future__ import annotations

import contextlib
import html
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from bot.config import ConfigError, load
from bot.ids import COMMAND
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.requests import Reply, SlackSender
from cadence import workspaces
from cadence.models import Member
from tests.conftest import Server, app_env, fresh_database, get_or_none, run_cli, running_server
from tests.flows import eventually, open_question, reply_to

CLIENT_ID = "1111.2222"
OAUTH = {
    "SLACK_CLIENT_ID": CLIENT_ID,
    "SLACK_CLIENT_SECRET": "test-client-secret",
    "SLACK_STATE_SECRET": "test-state-secret",
}


@contextmanager
def oauth_server(fake: FakeSlack, workdir: Path, database_url: str) -> Iterator[Server]:
    """`discovery-bot serve` with OAuth settings and no bot token: each workspace's token
    comes from the installation store."""
    settings: dict[str, str | None] = {**OAUTH, "SLACK_BOT_TOKEN": None}
    with running_server(
        fake, workdir, "--no-scheduler", database_url=database_url, settings=settings
    ) as server:
        yield server


@pytest.fixture(scope="module")
def oauth(fake: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("oauth")
    with fresh_database(workdir) as url, oauth_server(fake, workdir, url) as server:
        yield server


def fetch(url: str, cookie: str = "") -> tuple[Reply, dict[str, str]]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return Reply(r.status, r.read()), dict(r.headers.items())
    except urllib.error.HTTPError as e:
        return Reply(e.code, e.read()), dict(e.headers.items())


def install(server: Server, slack: FakeSlack, team: str) -> Reply:
    """A person opens the install page, clicks through Slack, and Slack redirects back."""
    page, headers = fetch(server.url + "/slack/install")
    assert page.status == 200
    link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.body.decode())
    assert link, page.body
    query = parse_qs(urlsplit(html.unescape(link.group(1))).query)
    assert query["client_id"] == [CLIENT_ID]
    assert "chat:write" in query["scope"][0].split(",")
    (state,) = query["state"]
    cookie = headers["set-cookie"].split(";")[0]  # Bolt ties the state to this browser
    code = f"code-{team}"
    slack.grant(code, team)
    reply, _ = fetch(
        server.url + "/slack/oauth_redirect?" + urlencode({"code": code, "state": state}), cookie
    )
    return reply


def rows(server: Server, sql: str, **params: object) -> list[dict]:
    with server.engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(sa.text(sql), params)]


def helped(slack: FakeSlack, sender: SlackSender, team: str) -> bool:
    """Whether `help` is answered on its response_url (after the app's 200) within 3 s."""
    request = sender.command("help", team=team)
    with contextlib.suppress(AssertionError):  # no answer
        return f"{COMMAND} new" in reply_to(slack, request, timeout=3)["text"]
    return False


def test_install_authorize_schedule_uninstall_and_delete(
    oauth: Server, slack: FakeSlack, team: str
) -> None:
    sender = SlackSender(oauth.url, slack.response_url, team=team)
    assert not helped(slack, sender, team)  # not installed: no token to answer with

    reply = install(oauth, slack, team)
    assert reply.status == 200, reply.body
    (access,) = slack.of("oauth.v2.access")
    assert access.args["code"] == f"code-{team}"
    (bot,) = rows(oauth, "SELECT * FROM slack_bots WHERE team_id=:t", t=team)
    assert bot["bot_token"] == f"xoxb-{team}" and bot["client_id"] == CLIENT_ID
    (workspace,) = rows(oauth, "SELECT * FROM workspace WHERE team_id=:t", t=team)
    assert workspace["uninstalled_at"] is None

    # A later request from that workspace is authorized with its token from the store.
    assert helped(slack, sender, team)
    assert helped(slack, sender, team)
    # The token is checked once: at the install (Bolt's flow) and at its first request.
    assert [c.token for c in slack.of("auth.test")] == [f"xoxb-{team}"] * 2
    assert not slack.of("auth.test:refused")

    # The scheduler sends the workspace's messages with its token.
    owner = "U" + team[1:]
    open_question(sender, slack, "Why do trials stall?", user=owner)
    slack.wait_one("views.open", team=team)  # the modal opened with the workspace's token
    with oauth.engine.begin() as c:
        c.execute(
            sa.text("UPDATE question SET created_at=:at WHERE team_id=:t"),
            {"at": datetime(2026, 9, 1, 12), "t": team},
        )
    oauth.tick("2026-11-30T09:00:00Z")  # Monday 09:00 in London, the fake's default zone
    (reminder,) = [
        c
        for c in slack.of("chat.postMessage")
        if c.args["channel"] == owner and "A new week of discovery" in c.args["text"]
    ]
    assert reminder.token == f"xoxb-{team}"
    assert {c.token for c in slack.of("chat.postMessage")} == {f"xoxb-{team}"}

    # Uninstalled: the tokens go, the workspace's data stays for DATA_RETENTION_DAYS.
    slack.revoke(team)
    uninstalled = datetime.now(UTC)
    assert sender.event({"type": "app_uninstalled"}, team=team).status == 200
    query = "SELECT * FROM workspace WHERE team_id=:t AND uninstalled_at IS NOT NULL"
    # Marked last, once the tokens are deleted; the app acknowledges first, then handles it.
    eventually(lambda: rows(oauth, query, t=team), what="the uninstall was not recorded")
    assert not rows(oauth, "SELECT * FROM slack_bots WHERE team_id=:t", t=team)
    assert not rows(oauth, "SELECT * FROM slack_installations WHERE team_id=:t", t=team)
    assert not helped(slack, sender, team)

    sent = len(slack.of("chat.postMessage"))
    oauth.tick((uninstalled + timedelta(days=29)).isoformat())
    assert len(slack.of("chat.postMessage")) == sent  # no token, nothing sent
    assert oauth.rows(team)["question"] == 1
    oauth.tick((uninstalled + timedelta(days=30, minutes=1)).isoformat())
    assert set(oauth.rows(team).values()) == {0}, oauth.rows(team)


def test_a_forged_or_replayed_state_installs_nothing(
    oauth: Server, slack: FakeSlack, team: str
) -> None:
    _page, headers = fetch(oauth.url + "/slack/install")
    name, state = headers["set-cookie"].split(";")[0].split("=", 1)
    forged = state.rsplit(".", 1)[0] + "." + "0" * 32  # the stored state, not our signature

    def redirect(attempt: str) -> int:
        slack.grant(f"code-{team}", team)
        query = urlencode({"code": f"code-{team}", "state": attempt})
        reply, _ = fetch(oauth.url + "/slack/oauth_redirect?" + query, f"{name}={attempt}")
        return reply.status

    assert redirect(forged) != 200
    assert not slack.of("oauth.v2.access") and not slack.of("oauth.v2.access:refused")
    assert redirect(state) == 200
    assert redirect(state) != 200  # a state is good once
    assert len(slack.of("oauth.v2.access")) == 1
    assert len(rows(oauth, "SELECT * FROM slack_bots WHERE team_id=:t", t=team)) == 1


def test_oauth_settings_are_all_three_or_none(fake: FakeSlack, tmp_path: Path) -> None:
    base = {"SLACK_SIGNING_SECRET": "s"}
    assert load({**base, **OAUTH}).oauth
    assert not load({**base, "SLACK_BOT_TOKEN": "xoxb-1"}).oauth
    assert load({**base, **OAUTH, "DATA_RETENTION_DAYS": "7"}).retention_days == 7
    with pytest.raises(ConfigError, match="SLACK_STATE_SECRET"):
        load({**base, **OAUTH, "SLACK_STATE_SECRET": ""})
    env = app_env(fake, f"sqlite:///{tmp_path}/x.db", SLACK_CLIENT_ID=CLIENT_ID)
    result = run_cli("serve", env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "SLACK_CLIENT_SECRET" in lines[0], result.stderr


def test_token_mode_has_no_install_routes(server: Server) -> None:
    assert get_or_none(server.url + "/slack/install") == 404


def test_the_oauth_server_starts_without_warnings(oauth: Server) -> None:
    assert " WARNING " not in oauth.log.read_text().split("Application startup complete")[0]


def test_purge_keeps_reinstalled_and_other_workspaces(db: Session) -> None:
    day = datetime(2026, 11, 2, 12, tzinfo=UTC)
    retention = timedelta(days=30)
    for team in ("TGONE", "TBACK", "TSTAY"):
        workspaces.installed(db, team, day)
        db.add(Member(team_id=team, user_id="U1", fetched_at=day))
    workspaces.uninstalled(db, "TGONE", day)
    workspaces.uninstalled(db, "TBACK", day)
    workspaces.installed(db, "TBACK", day + timedelta(days=1))  # came back in time
    db.flush()
    assert workspaces.purge(db, day + retention - timedelta(seconds=1), retention) == []
    assert workspaces.purge(db, day + retention, retention) == ["TGONE"]
    left = db.exec(select(Member.team_id)).all()
    assert sorted(left) == ["TBACK", "TSTAY"]
    assert db.get(workspaces.Workspace, "TGONE") is None
