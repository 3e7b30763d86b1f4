"""`discovery-bot`: serve, socket, scheduler, tick, migrate, export, demo."""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import logging
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot import clock

# Each command imports what it needs when it runs: `--help` and an idle `tick` stay quick.
if TYPE_CHECKING:
    import sqlalchemy as sa
    from slack_sdk.web.async_client import AsyncWebClient
    from sqlmodel import Session

    from bot.config import Settings
    from bot.scheduler import Clients
    from cadence.export import Report


def _parse_instant(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO-8601 instant") from None
    if at.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} has no time zone; add Z or +HH:MM")
    return at.astimezone(UTC)


def _parse_shard(value: str) -> frozenset[int]:
    from cadence.shards import SHARDS

    index, _, count = value.partition("/")
    if not (index.isdigit() and count.isdigit() and int(index) < int(count) <= SHARDS):
        raise argparse.ArgumentTypeError(f"{value!r} is not I/N with I < N <= {SHARDS}")
    return frozenset(range(int(index), SHARDS, int(count)))


def _first_line(error: BaseException | None) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else repr(error)


def _engine(settings: Settings) -> sa.Engine:
    """The database, its schema brought up to date on SQLite and checked elsewhere."""
    import sqlalchemy as sa

    from bot.config import ConfigError
    from cadence.db import is_current, make_engine, migrate

    engine = make_engine(settings.database_url)
    try:
        if is_current(engine):
            pass
        elif settings.database_url.startswith("sqlite"):
            migrate(engine)
        else:
            raise ConfigError("the database schema is not up to date; run `discovery-bot migrate`")
    except sa.exc.OperationalError as e:
        raise ConfigError(f"DATABASE_URL does not answer: {_first_line(e.orig)}") from None
    return engine


def _clients(settings: Settings, engine: sa.Engine) -> Clients:
    """What the scheduler sends with: the bot token's client for every workspace, or with
    OAuth installs each workspace's client from the installation store. Made when the first
    workspace's is asked for: an idle tick asks for none, and loads no HTTP client."""

    @functools.cache
    def made() -> Clients:
        from bot.http import web_client
        from bot.scheduler import every_workspace

        if not settings.oauth:
            return every_workspace(web_client(settings))
        from bot.oauth import InstallationStore, team_clients
        from bot.store import Store

        installations = InstallationStore(settings.client_id, Store(engine))
        return team_clients(installations, lambda token: web_client(settings, token))

    async def client_for(team_id: str) -> AsyncWebClient | None:
        return await made()(team_id)

    return client_for


def _retention(settings: Settings) -> timedelta:
    return timedelta(days=settings.retention_days)


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from bot import config
    from bot.app import build_app
    from bot.http import web_client
    from bot.scheduler import start
    from bot.server import asgi_app
    from bot.store import Store

    settings = config.load()
    engine = _engine(settings)
    app, identity = build_app(settings, engine)

    @contextlib.asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        await identity.verify(web_client(settings))
        # The theme matcher (about 80 MB) loads as the first modal that needs it opens, the
        # plotting library with the first chart: a server starts small.
        scheduler = (
            None
            if args.no_scheduler
            else start(_clients(settings, engine), Store(engine), _retention(settings))
        )
        # What start-up loaded stays: kept out of the collector's full passes, which
        # otherwise stall the answers to Slack for tens of milliseconds now and then.
        gc.freeze()
        try:
            yield
        finally:
            if scheduler:
                scheduler.shutdown(wait=False)
            await identity.close()

    uvicorn.run(
        asgi_app(app, engine, settings.signing_secret, lifespan),
        host=args.host,
        port=settings.port,
        log_level="info",
        access_log=False,
        proxy_headers=True,
    )


SOCKET_ATTEMPTS = 3


def cmd_socket(args: argparse.Namespace) -> None:
    import asyncio

    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
    from slack_sdk.errors import SlackApiError

    from bot import config
    from bot.app import build_app
    from bot.config import ConfigError
    from bot.http import web_client
    from bot.scheduler import start
    from bot.store import Store

    settings = config.load(requests=False, socket=True)
    engine = _engine(settings)
    app, identity = build_app(settings, engine)

    async def run() -> None:
        handler = AsyncSocketModeHandler(app, settings.app_token)
        # Reach Slack first, a bounded number of times with one line each: the SDK alone
        # would retry forever, a traceback a time.
        for attempt in range(1, SOCKET_ATTEMPTS + 1):
            try:
                handler.client.wss_uri = await handler.client.issue_new_wss_url()
                break
            except SlackApiError as e:
                raise ConfigError(
                    f"Slack refused the app-level token ({e.response.get('error')}); "
                    "check SLACK_APP_TOKEN and that Socket Mode is on"
                ) from None
            except Exception as e:
                print(f"discovery-bot: Socket Mode: cannot reach Slack ({_first_line(e)}); "
                      f"attempt {attempt} of {SOCKET_ATTEMPTS}", file=sys.stderr)  # fmt: skip
                if attempt == SOCKET_ATTEMPTS:
                    raise ConfigError("Slack cannot be reached; giving up") from None
                await asyncio.sleep(2 ** (attempt - 1))
        await identity.verify(web_client(settings))
        if not args.no_scheduler:
            start(_clients(settings, engine), Store(engine), _retention(settings))
        gc.freeze()  # as `serve` does
        await handler.start_async()

    asyncio.run(run())


def cmd_scheduler(_args: argparse.Namespace) -> None:
    import asyncio

    from bot import config
    from bot.scheduler import start
    from bot.store import Store

    settings = config.load(requests=False)
    engine = _engine(settings)

    async def run() -> None:
        start(_clients(settings, engine), Store(engine), _retention(settings))
        await asyncio.Event().wait()

    asyncio.run(run())


def cmd_tick(args: argparse.Namespace) -> None:
    import asyncio

    from bot import config
    from bot.scheduler import tick
    from bot.store import Store

    settings = config.load(requests=False)
    engine = _engine(settings)
    at = args.at or clock.now()
    store, retention = Store(engine), _retention(settings)
    sent = asyncio.run(tick(_clients(settings, engine), store, at, retention, args.shard))
    counts = "".join(f", {n} {kind}" for kind, n in sorted(sent.items()))
    print(f"tick at {at.isoformat()}: {sent.total()} sent{counts}")


def cmd_migrate(_args: argparse.Namespace) -> None:
    import sqlalchemy as sa

    from bot import config
    from bot.config import ConfigError
    from cadence.db import make_engine, migrate

    settings = config.load(bot=False, requests=False)
    try:
        migrate(make_engine(settings.database_url))
    except sa.exc.OperationalError as e:
        raise ConfigError(f"DATABASE_URL does not answer: {_first_line(e.orig)}") from None
    print("database schema is up to date")


def cmd_export(args: argparse.Namespace) -> None:
    """The files `/discovery export` sends, written on the server (for an admin or a backup);
    people by the names Slack tells when a bot token is configured, else by their ids."""
    import asyncio

    from bot import config
    from bot.config import ConfigError
    from bot.views.snapshots import export_files

    try:
        settings, slack = config.load(requests=False), True
    except ConfigError:
        settings, slack = config.load(bot=False, requests=False), False
    report, names = asyncio.run(_evidence(args, settings, _engine(settings), slack))
    if report is None:
        raise ConfigError(f"workspace {args.team} has no question #{args.question}")
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in export_files(report, names).items():
        (args.out / name).write_bytes(data)
        print(args.out / name)


async def _evidence(
    args: argparse.Namespace, settings: Settings, engine: sa.Engine, slack: bool
) -> tuple[Report | None, dict[str, str]]:
    """The question's report (None: no such question), and with `slack` the names Slack
    tells for the people in it (none without the workspace's token)."""
    from bot.members import names
    from bot.store import Store
    from cadence import export, members, questions

    def load(s: Session) -> Report | None:
        question = questions.find(s, args.team, f"#{args.question}").question
        if question is None:
            return None
        tz = members.cached_zone(s, args.team, question.owner_id)
        return export.report(s, args.team, question.id, clock.now(), tz)

    report = await Store(engine).run(load)
    client = await _clients(settings, engine)(args.team) if report and slack else None
    return report, (await names(client, report.people) if client is not None else {})


def cmd_demo(args: argparse.Namespace) -> None:
    from bot import config
    from bot.demo import run

    database = config.load(bot=False, requests=False).database_url if args.database else None
    run(sys.stdout, database)


def _add_tick(sub: argparse._SubParsersAction) -> None:
    tick = sub.add_parser(
        "tick",
        help="send once whatever is due at an instant, then exit",
        description="Run everything due at --at (default now) and exit; for cron and tests.",
    )
    tick.add_argument(
        "--at",
        type=_parse_instant,
        metavar="ISO-8601",
        help="the instant to act at, with a zone, e.g. 2026-11-30T14:05:00Z",
    )
    tick.add_argument(
        "--shard",
        type=_parse_shard,
        metavar="I/N",
        help="only the workspaces of the I-th of N equal parts of the shards (from 0)",
    )
    tick.set_defaults(func=cmd_tick)


def _add_export_and_demo(sub: argparse._SubParsersAction) -> None:
    export = sub.add_parser(
        "export",
        help="write a question's evidence: a Markdown report and a CSV of its insights",
        description="Write the two files `/discovery export` sends (a Markdown report and a "
        "CSV with a row per insight) into --out.",
    )
    export.add_argument("--team", required=True, help="the workspace's team id, e.g. T0123")
    export.add_argument("--question", required=True, type=int, help="the question's number")
    export.add_argument("--out", required=True, type=Path, help="the directory to write into")
    export.set_defaults(func=cmd_export)

    demo = sub.add_parser(
        "demo",
        help="try the app in the terminal, no Slack needed",
        description="Play three weeks of a sample team through the real app against a Slack "
        "fake on a virtual clock: questions, interviews, reminders, nudges, digests, a "
        "follow-up and a saturation flag, printed as each person would see them.",
    )
    demo.add_argument(
        "--database",
        action="store_true",
        help="play into $DATABASE_URL instead of a throwaway SQLite file",
    )
    demo.set_defaults(func=cmd_demo)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="discovery-bot",
        description="Discovery Cadence: a Slack app that keeps customer interviews going. "
        "Settings come from the environment (see .env.example).",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="run the HTTP server for Slack's requests (and the scheduler)",
        description="Serve POST /slack/events and GET /healthz on $PORT, and run the scheduler "
        "in the same process unless --no-scheduler.",
    )
    serve.add_argument("--no-scheduler", action="store_true", help="do not run scheduled sends")
    serve.add_argument("--host", default="0.0.0.0", help="address to bind (default 0.0.0.0)")
    serve.set_defaults(func=cmd_serve)

    socket = sub.add_parser(
        "socket",
        help="run the app over Socket Mode (local development, no public URL)",
        description="Connect to Slack over Socket Mode with $SLACK_APP_TOKEN.",
    )
    socket.add_argument("--no-scheduler", action="store_true", help="do not run scheduled sends")
    socket.set_defaults(func=cmd_socket)

    sub.add_parser(
        "scheduler",
        help="run the scheduler alone, in its own process",
        description="Every minute, send what is due: weekly reminders, Thursday nudges, "
        "planned-interview follow-ups and Friday digests. More schedulers on the same database "
        "share the workspaces (sharded, leased) and take over a stopped one's.",
    ).set_defaults(func=cmd_scheduler)

    _add_tick(sub)
    sub.add_parser(
        "migrate",
        help="bring the database schema up to date",
        description="Apply the Alembic migrations to $DATABASE_URL.",
    ).set_defaults(func=cmd_migrate)

    _add_export_and_demo(sub)
    return p


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    quiet = args.command in ("demo", "migrate", "export")  # their output is for a person, not a log
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    from bot.config import ConfigError

    try:
        args.func(args)
    except ConfigError as e:
        print(f"discovery-bot: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        pass
    finally:
        # The process ends here: nothing loaded needs collecting. The interpreter's last
        # collections over every module took about 300 ms of an idle tick's exit.
        gc.freeze()
