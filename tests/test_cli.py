"""The command line: settings errors, --help, migrations on both databases."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlmodel import SQLModel

import cadence
from bot import oauth
from bot.config import ConfigError, load
from bot.sandbox.fake_slack import FakeSlack
from cadence.db import is_current, make_engine, migrate
from tests.conftest import BIN, app_env, run_cli

COMMANDS = ["serve", "socket", "scheduler", "tick", "migrate", "export", "demo"]


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_command_has_help(command: str | None, fake: FakeSlack, tmp_path) -> None:
    args = ["--help"] if command is None else [command, "--help"]
    result = run_cli(*args, env=app_env(fake, f"sqlite:///{tmp_path}/x.db"))
    assert result.returncode == 0, result.stderr
    assert "usage: discovery-bot" in result.stdout
    if command is None:
        assert all(c in result.stdout for c in COMMANDS)


@pytest.mark.parametrize(
    ("variable", "value", "command"),
    [
        ("SLACK_BOT_TOKEN", "", "serve"),
        ("SLACK_BOT_TOKEN", "not-a-token", "tick"),
        ("SLACK_SIGNING_SECRET", "", "serve"),
        ("SLACK_APP_TOKEN", "", "socket"),
        ("SLACK_API_URL", "slack.com/api", "serve"),
        ("DATABASE_URL", "mysql://x@y/z", "migrate"),
        ("PORT", "eighty", "serve"),
    ],
)
def test_bad_setting_is_one_line_naming_it(
    variable: str, value: str, command: str, fake: FakeSlack, tmp_path
) -> None:
    env = app_env(fake, f"sqlite:///{tmp_path}/x.db")
    env[variable] = value
    result = run_cli(command, env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0], result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["migrate", "tick"])
def test_a_database_that_does_not_answer_is_one_line(command: str, fake: FakeSlack) -> None:
    env = app_env(fake, "postgresql://postgres@127.0.0.1:1/nowhere")
    result = run_cli(command, env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DATABASE_URL does not answer" in lines[0], result.stderr


def test_tick_refuses_an_instant_without_a_zone(fake: FakeSlack, tmp_path) -> None:
    result = run_cli(
        "tick", "--at", "2026-11-30T14:05", env=app_env(fake, f"sqlite:///{tmp_path}/x.db")
    )
    assert result.returncode == 2
    assert "time zone" in result.stderr


def test_database_urls_are_mapped_to_psycopg() -> None:
    base = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    for url in ("postgres://u@h/db", "postgresql://u@h/db"):
        assert load({**base, "DATABASE_URL": url}).database_url == "postgresql+psycopg://u@h/db"
    assert load(base).database_url == "sqlite:///discovery.db"
    assert load(base).api_url == "https://slack.com/api/"
    assert load({**base, "SLACK_API_URL": "http://127.0.0.1:9/api"}).api_url.endswith("/api/")
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        load({"SLACK_BOT_TOKEN": "xoxb-1"})


def _schema_matches_models(engine: sa.Engine) -> list:
    """Differences between the migrated schema and the models plus slack-sdk's OAuth tables."""
    for module in pkgutil.iter_modules(cadence.__path__, "cadence."):  # every table declared,
        importlib.import_module(module.name)  # whichever tests ran before
    expected = sa.MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(expected)
    SQLAlchemyInstallationStore.build_installations_table(expected, oauth.INSTALLATIONS)
    SQLAlchemyInstallationStore.build_bots_table(expected, oauth.BOTS)
    SQLAlchemyOAuthStateStore.build_oauth_states_table(expected, oauth.STATES)
    with engine.connect() as c:
        opts = {"compare_type": True, "include_object": _not_the_search_index}
        context = MigrationContext.configure(c, opts=opts)
        return compare_metadata(context, expected)


def _not_the_search_index(thing: object, name: str | None, kind: str, *_: object) -> bool:
    """The search index is the database's own (migration 0007): SQLite's FTS5 table and its
    shadow tables, PostgreSQL's tsvector column and its GIN index; no model describes them."""
    if kind == "table":
        return not (name or "").startswith("search_fts")
    return name not in ("tsv", "ix_search_doc_tsv") or thing.table.name != "search_doc"


def test_migrations_build_the_models_schema_on_sqlite(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/m.db")
    assert not is_current(engine)
    migrate(engine)
    migrate(engine)  # a second run is a no-op
    assert is_current(engine)
    assert _schema_matches_models(engine) == []


def test_migrate_command_builds_the_models_schema_on_postgresql(
    postgres_url: str, fake: FakeSlack
) -> None:
    env = app_env(fake, postgres_url.replace("postgresql+psycopg", "postgres"))
    result = run_cli("migrate", env=env)
    assert result.returncode == 0, result.stderr
    engine = make_engine(postgres_url)
    assert is_current(engine)
    assert _schema_matches_models(engine) == []
    engine.dispose()


def test_serve_refuses_an_old_postgresql_schema(postgres_url: str, fake: FakeSlack) -> None:
    result = run_cli("tick", env=app_env(fake, postgres_url))
    assert result.returncode == 2
    assert "discovery-bot migrate" in result.stderr


def test_demo_runs_without_slack_or_settings(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    result = subprocess.run(
        [str(BIN), "demo"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for kind in (
        "Question #1 is open",  # the question, opened through the modal
        "⌂ Home tab of @maya",
        "A new week of discovery",  # Monday's reminder
        "Halfway through the week",  # Thursday's nudge
        "modal “Interview summary”",
        "Drafting from your notes",  # a summary drafted from a message
        "Drafted from your notes by simple rules",
        "modal “Code the insights”",  # the coding step
        "Interview logged",
        "Planned: an interview with Ana",
        "How did it go?",  # the follow-up
        "The pool has 5 new people",  # an import into the candidate pool
        "Lena Vogt · Kontor · signed up 2 days ago",  # suggested in Monday's reminder
        "Planned: an interview with Lena Vogt",  # booked from the suggestion
        "No-show noted for #1",  # and a no-show
        "→ #product-discovery",  # Friday's digest
        "Discovery digest · week of",
        "is saturated at 6+3",  # the flag
        "Close as answered",
        "only you can see this",  # the status
        "(in the digest's thread)",  # a snapshot under Friday's digest
        "hits for “setup”",  # a search
        "question-1-evidence.md · question-1-insights.csv in the DM",  # an export
    ):
        assert kind in out, kind
    assert "*#1*" not in out and "<@U" not in out  # rendered, not raw mrkdwn
    # Only the learning curve is left behind, as a PNG.
    (png,) = tmp_path.iterdir()
    assert png.read_bytes().startswith(b"\x89PNG")


def test_settings_come_from_a_dotenv_file_under_the_environment(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "# from .env.example\nexport SLACK_BOT_TOKEN=xoxb-from-dotenv\n"
        "SLACK_SIGNING_SECRET='quoted secret'\nPORT=4001\nnot a setting\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PORT"))}
    code = (
        "from bot import config; s = config.load(); "
        "print(s.bot_token, s.signing_secret, s.port, sep='|')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "PORT": "4002"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "xoxb-from-dotenv|quoted secret|4002"  # the environment wins


def test_weeks_work_without_the_systems_zone_database() -> None:
    # Slim images ship no /usr/share/zoneinfo: the tzdata package must serve.
    code = (
        "import zoneinfo; zoneinfo.reset_tzpath([]);"
        "from datetime import date; from cadence import schedule;"
        "print(schedule.moment(date(2026, 11, 2), 0, 540, 'America/New_York').hour)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "14"


def test_socket_mode_fails_cleanly_without_slack(fake: FakeSlack, tmp_path: Path) -> None:
    env = app_env(fake, f"sqlite:///{tmp_path}/x.db", SLACK_APP_TOKEN="xapp-not-known")
    refused = run_cli("socket", "--no-scheduler", env=env)  # the fake refuses the token
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "refused the app-level token (invalid_auth)" in refused.stderr
    env["SLACK_API_URL"] = "http://127.0.0.1:9/api/"
    unreachable = run_cli("socket", "--no-scheduler", env=env)
    assert unreachable.returncode == 2 and "Traceback" not in unreachable.stderr
    assert unreachable.stderr.count("cannot reach Slack") == 3
    assert "giving up" in unreachable.stderr


def test_migration_0004_counts_the_curves_of_existing_questions(tmp_path) -> None:
    from alembic import command

    from cadence.db import _alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as c:
        command.upgrade(_alembic_config(c), "0003")
        at = "'2026-11-01 00:00:00'"
        c.execute(sa.text(
            "INSERT INTO question (id, team_id, number, text, hypothesis, segment, owner_id,"
            " channel_id, weekly_target, status, conclusion, created_by, created_at, updated_at,"
            " sat_base, sat_run, sat_threshold, saturated, flags)"
            f" VALUES (1, 'T', 1, 'Why?', '', 'other', 'U', 'C', 3, 'open', '', 'U', {at}, {at},"
            " 1, 1, 0.0, 1, 1)"
        ))  # fmt: skip
        for n, held in enumerate(["'2026-11-03'", "'2026-11-02'", "NULL"], start=1):
            c.execute(sa.text(
                "INSERT INTO interview (id, team_id, question_id, interviewer_id, interviewee,"
                " segment, held_on, struggling_moments, driving_forces, existing_solutions,"
                " alternative_solutions, motivations, desired_outcomes, quote, created_at,"
                f" updated_at) VALUES ({n}, 'T', 1, 'U', '', 'other', {held}, '', '', '', '', '',"
                f" '', '', {at}, {at})"
            ))  # fmt: skip
            c.execute(sa.text(
                f"INSERT INTO theme (id, team_id, question_id, name, created_at)"
                f" VALUES ({n}, 'T', 1, 'theme {n}', {at})"
            ))  # fmt: skip
        for interview, theme in [(1, 1), (1, 2), (2, 1), (3, 3)]:
            c.execute(sa.text(
                "INSERT INTO insight (team_id, interview_id, theme_id, text, created_at)"
                f" VALUES ('T', {interview}, {theme}, 'x', {at})"
            ))  # fmt: skip
    migrate(engine)
    with engine.connect() as c:
        row = c.execute(sa.text("SELECT curve, sat_state, saturated FROM question")).one()
    # Held on the 2nd (theme 1), then the 3rd (themes 1, 2); the planned one does not count.
    # Told it was saturated once, it is learning now: saturating again will be news.
    assert tuple(row) == ("1,2", "learning", False)


def test_head_is_the_newest_migration() -> None:
    from alembic.script import ScriptDirectory

    from cadence.db import HEAD, MIGRATIONS

    scripts = ScriptDirectory(str(MIGRATIONS))
    assert scripts.get_heads() == [HEAD]


def test_every_command_is_in_the_help_and_the_tests() -> None:
    from bot.cli import parser

    (commands,) = (a for a in parser()._subparsers._group_actions if a.dest == "command")
    assert sorted(commands.choices) == sorted(COMMANDS)


def test_an_idle_tick_loads_no_http_client_alembic_numpy_or_bolt(fake: FakeSlack, tmp_path) -> None:
    """Nothing due, on an up-to-date schema: the tick reads the database and loads nothing
    it would send with."""
    heavy = ("aiohttp", "alembic", "apscheduler", "numpy", "slack_bolt")
    code = (
        "import sys; from bot.cli import main;"
        "main(['tick', '--at', '2026-11-30T00:30:00Z']);"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    env = app_env(fake, f"sqlite:///{tmp_path}/x.db")
    assert run_cli("migrate", env=env).returncode == 0
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines() == ["tick at 2026-11-30T00:30:00+00:00: 0 sent", "[]"]
