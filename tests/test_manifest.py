"""slack-manifest.json asks for exactly the scopes the code's Web API calls need, and names
every command, shortcut and event the code registers."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.ids import COMMAND, Action, Shortcut, View
from bot.listeners import LISTENERS
from bot.listeners.commands import SUBCOMMANDS, usage

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = json.loads((ROOT / "slack-manifest.json").read_text())
CODE = "\n".join(p.read_text() for p in (ROOT / "bot").rglob("*.py") if "sandbox" not in p.parts)

# The bot scope each Web API method needs (Slack's method reference); None: no scope.
SCOPE = {
    "auth_test": None,
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    # Only on the bot's DMs (bot.receipts); a channel's would need channels:history too.
    "conversations_history": "im:history",
    "conversations_join": "channels:join",
    "conversations_open": "im:write",
    "files_info": "files:read",  # and its url_private, downloaded with the bot token
    "files_upload_v2": "files:write",
    "issue_new_wss_url": None,  # apps.connections.open: the app-level token's connections:write
    "users_info": "users:read",
    "views_open": None,
    "views_publish": None,
    "views_push": None,
    "views_update": None,
}


def test_the_scopes_are_exactly_those_the_code_needs() -> None:
    called = set(re.findall(r"client\.([A-Za-z_0-9]+)\(", CODE))
    assert called <= SCOPE.keys(), f"a Web API method with no known scope: {called - SCOPE.keys()}"
    needed = {SCOPE[m] for m in called} - {None}
    if any(kind == "command" for kind, _, _ in LISTENERS):
        needed.add("commands")
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == needed


def test_every_command_shortcut_and_event_is_declared() -> None:
    features, settings = MANIFEST["features"], MANIFEST["settings"]
    assert {c["command"] for c in features["slash_commands"]} == {COMMAND}
    assert {s["callback_id"] for s in features["shortcuts"]} == set(Shortcut)
    events = {i for kind, i, _ in LISTENERS if kind == "event"}
    events |= set(re.findall(r'@app\.event\("([^"]+)"\)', CODE))  # OAuth's, in bot/oauth.py
    assert set(settings["event_subscriptions"]["bot_events"]) == events
    assert settings["interactivity"]["is_enabled"]


def test_the_usage_hint_lists_every_subcommand() -> None:
    (command,) = MANIFEST["features"]["slash_commands"]
    assert command["usage_hint"].split(" | ") == list(SUBCOMMANDS)
    assert len(command["command"]) <= 32
    assert all(len(s["description"]) <= 150 for s in MANIFEST["features"]["shortcuts"])
    name = MANIFEST["features"]["bot_user"]["display_name"]
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,80}", name), name
    assert len(MANIFEST["display_information"]["name"]) <= 35


def test_every_id_is_listened_for() -> None:
    """Every command, shortcut, button, menu and modal of bot/ids.py has a listener (a menu
    whose options come from the app, an options listener)."""
    heard = {(kind, i) for kind, i, _ in LISTENERS}
    assert ("command", COMMAND) in heard
    for kind, decorators in (
        (Shortcut, {"shortcut"}),
        (Action, {"action", "options"}),
        (View, {"view"}),
    ):
        for member in kind:
            if kind is View and member in INFORMATIVE:
                continue
            assert any((d, member) in heard for d in decorators), member


# Modals with nothing to submit: their Done button only closes them.
INFORMATIVE = {View.GUIDE, View.NO_QUESTION, View.CODEBOOK, View.SNAPSHOT}


def test_help_and_the_readme_name_every_subcommand_in_the_tables_order() -> None:
    shown = usage(COMMAND)
    assert [w for w in SUBCOMMANDS if f"`{COMMAND} {w}" not in shown] == []
    readme = (ROOT / "README.md").read_text()
    assert f"`{COMMAND} {' | '.join(SUBCOMMANDS)}`" in readme
