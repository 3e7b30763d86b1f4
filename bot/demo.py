"""`discovery-bot demo`: three weeks of a sample team, played on a virtual clock through the
real server, the real handlers and the real `tick`, against the app's own Slack fake. Every
message is printed as the person who gets it would see it, at their local time.

Two owners in different zones: Maya (Berlin) runs a burst of three interviews a week on why
trials stall until the question saturates; Dev (New York) falls behind on his and plans one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import sqlalchemy as sa
from rich.console import Console
from rich.markup import escape

from bot import clock, words
from bot.app import build_app
from bot.config import Settings
from bot.http import web_client
from bot.ids import Action, Input, Shortcut, View
from bot.listeners.shared import warm_matcher
from bot.sandbox.fake_slack import BOT_TOKEN, Call, FakeSlack
from bot.sandbox.requests import SIGNING_SECRET, SlackSender, message_shortcut, view_submission
from bot.scheduler import every_workspace, tick
from bot.server import asgi_app
from bot.store import Store
from cadence.db import make_engine, migrate
from cadence.weeks import week_start, zone

TEAM = "TDEMO"
MAYA, DEV = "UMAYA", "UDEV"
PEOPLE = {MAYA: ("@maya", "Europe/Berlin"), DEV: ("@dev", "America/New_York")}
CHANNEL, CHANNEL_NAME = "CPRODUCT", "#product-discovery"
WEEKS = 3
EXPORT_LINES = 6  # of each exported file, shown

# Maya's nine interviews (Tuesday to Thursday, three weeks): new themes early, then the same.
MAYA_INTERVIEWS = [
    ["Setup takes more than a week before the team sees value",
     "Admins don't know which integrations to connect first"],
    ["Importing our old spreadsheets was the hardest part",
     "Setup takes more than a week before the team sees any value"],
    ["The trial died when our internal champion was on holiday",
     "Per-seat pricing stops them from inviting colleagues"],
    ["Security won't approve it without single sign-on",
     "Importing old spreadsheets was the hardest part"],
    ["Admins don't know which integrations to connect first",
     "Per-seat pricing stops them inviting colleagues"],
    ["Setup takes more than a week before the team sees value",
     "Nobody watches the onboarding video"],
    ["The trial died when the internal champion was on holiday"],
    ["Security won't approve it without single sign-on",
     "Importing old spreadsheets was the hardest part"],
    ["Setup takes more than a week before the team sees value",
     "Per-seat pricing stops them from inviting colleagues"],
]  # fmt: skip
DEV_INTERVIEWS = [
    "Finance closes the books in a spreadsheet the ERP can't read",
    "Switching tools is blocked by the annual contract",
    "They want approvals in Slack, not in another inbox",
]
# Dev's notes of his first interview, a message in Slack he drafts the summary from.
DEV_NOTES = """Interview with Ana (Acme)
- Finance closes the books in a spreadsheet the ERP can't read
- "Every month end we retype the invoices by hand"
- Tried an ERP plug-in instead, gave up after a week"""
QUOTES = [
    "I gave up on day three <!channel>",
    "",
    "We'd pay double for SSO",
    "",
    "",
    "",
    "",
    "",
    "",
]
# Whom Maya talked to: the snapshots in the digest's thread and in status name them.
PEOPLE_MET = [
    ("Lena", "Acme"),
    ("Omar", "Brightbooks"),
    ("Sara", "Cloudkitchen"),
    ("Tom", "Dataflow"),
    ("Ines", "Evergreen"),
    ("Kai", "Fieldnotes"),
    ("Ruth", "Greenlight"),
    ("Jon", "Harbor"),
    ("Mia", "Ironclad"),
]


@dataclass
class Demo:
    out: Console
    fake: FakeSlack
    sender: SlackSender
    store: Store
    settings: Settings
    now: datetime
    shown: int = 0
    homes: set[str] = field(default_factory=set)
    used: set[str] = field(default_factory=set)  # modals already filled
    png: Path | None = None
    uploads: list[str] = field(default_factory=list)  # the export's files, until announced

    # -- acting as people in Slack ----------------------------------------------------------
    def command(self, user: str, text: str) -> None:
        self.out.print(f"[dim]{self._when(user)}[/] [bold]{PEOPLE[user][0]}[/] types "
                       f"[cyan]/discovery {escape(text)}[/]")  # fmt: skip
        self.sender.command(text, user=user, channel=CHANNEL)

    def modal(self, user: str, answers: dict[str, Any], callback: str) -> dict:
        """Fill the modal `callback` last opened for `user` and submit it."""
        call = self.fake.wait_where(
            "views.open",
            lambda a: a["view"]["callback_id"] == callback and a["trigger_id"] not in self.used,
        )
        self.used.add(call.args["trigger_id"])
        return self.submit(user, {**call.args["view"], "id": f"V{len(self.used)}"}, answers)

    def draft_from_message(self, user: str, notes: str, answers: dict[str, Any]) -> dict:
        """The "Log as interview notes" shortcut on `notes`: the summary opens, "Drafting…",
        the draft fills it; submitted as drafted, with `answers` on top."""
        self.out.print(f"[dim]{self._when(user)}[/] [bold]{PEOPLE[user][0]}[/] uses "
                       "[cyan]Log as interview notes[/] on his notes")  # fmt: skip
        payload = message_shortcut(
            Shortcut.LOG_FROM_MESSAGE,
            notes,
            user=user,
            team=TEAM,
            response_url=self.fake.response_url(),
        )
        self.used.add(payload["trigger_id"])
        self.sender.interaction(payload)
        opened = self.fake.wait_where("views.open", lambda a: a["trigger_id"] in payload.values())
        view_id = opened.result["view"]["id"] if opened.result else ""
        filled = self.fake.wait_where("views.update", lambda a: a["view_id"] == view_id)
        self.show()
        return self.submit(user, {**filled.args["view"], "id": view_id}, answers)

    def submit(self, user: str, view: dict, answers: dict[str, Any]) -> dict:
        warm_matcher().result()  # a person takes longer to fill a modal in than it takes to load
        reply = self.sender.interaction(view_submission(view, answers, user=user, team=TEAM))
        answer = reply.json() if reply.body else {}
        if answer.get("response_action") == "update":  # the coding step: keep the suggestions
            step = {**answer["view"], "id": f"VC{len(self.used)}"}
            self._print(Call("views.update", {"view": step}))
            self.sender.interaction(view_submission(step, {}, user=user, team=TEAM))
        return answer

    def press(self, user: str, button: dict, message: dict | None = None) -> None:
        self.out.print(f"[dim]{self._when(user)}[/] [bold]{PEOPLE[user][0]}[/] presses "
                       f"[reverse] {escape(button['text']['text'])} [/]")  # fmt: skip
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": user, "team_id": TEAM},
            "api_app_id": "A1",
            "trigger_id": f"trigger.press.{len(self.used)}.{time.monotonic_ns()}",
            "actions": [{**button, "block_id": "b"}],
            **({"message": message, "channel": {"id": message["channel"]}} if message else {}),
        }
        self.sender.interaction(payload)

    def settle(self, method: str, user: str, words_: str = "") -> None:
        """Wait for the call that ends what the last request started (`method` for `user`,
        with `words_` in its text), then print everything that came."""

        def ended(args: dict[str, Any]) -> bool:
            target = args.get("channel") or args.get("user_id") or args.get("channel_id")
            mine = method == "response_url" or target in (user, "D" + user)  # a reply: its own
            return mine and words_ in str(args.get("text", ""))

        with contextlib.suppress(AssertionError):
            self.fake.wait_where(method, ended, timeout=10, after=self.shown)
        self.show()

    async def tick(self) -> None:
        await tick(every_workspace(web_client(self.settings)), self.store, self.now)
        self.show()

    # -- printing what Slack would show -------------------------------------------------------
    def show(self) -> None:
        calls = self.fake.calls[self.shown :]
        self.shown += len(calls)
        for call in calls:
            self._print(call)

    def _when(self, user: str | None) -> str:
        tz = PEOPLE.get(user or "", ("", "UTC"))[1]
        local = self.now.astimezone(zone(tz))
        return local.strftime("%a %b %-d %H:%M ") + (tz.split("/")[-1].replace("_", " "))

    def _print(self, call: Call) -> None:
        args = call.args
        if call.method == "chat.postMessage":
            to = args["channel"]
            who = PEOPLE[to][0] if to in PEOPLE else CHANNEL_NAME
            where = " (in the digest's thread)" if args.get("thread_ts") else ""
            self._message(f"→ {who}{where}", to if to in PEOPLE else MAYA, args)
        elif call.method == "chat.update":
            self._message("✎ the message changes", None, args)
        elif call.method == "response_url":
            self._message("↳ only you can see this", None, args)
        elif call.method == "views.publish" and args["user_id"] not in self.homes:
            self.homes.add(args["user_id"])
            self._message(
                f"⌂ Home tab of {PEOPLE[args['user_id']][0]}", args["user_id"], args["view"]
            )
        elif call.method in ("views.open", "views.push", "views.update"):
            view = args["view"]
            fields = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
            self.out.print(f"   [magenta]⧉ modal “{escape(view['title']['text'])}”[/] "
                           f"[dim]{escape(' · '.join(fields))}[/]")  # fmt: skip
            self._filled(view)
        elif call.method == "upload" and args["data"].startswith(b"\x89PNG"):
            self.png = Path.cwd() / "discovery-demo-learning-curve.png"
            self.png.write_bytes(args["data"])
        elif call.method == "upload":  # the export's report (Markdown) and CSV
            self.uploads.append(args["data"].decode("utf-8-sig"))
        elif call.method == "files.completeUploadExternal":
            self._uploaded(args)

    def _uploaded(self, args: dict[str, Any]) -> None:
        files = args["files"]
        files = json.loads(files) if isinstance(files, str) else files
        titles = [f.get("title", "") for f in files]
        if any(t.endswith(".png") for t in titles) or not self.uploads:
            self.out.print(f"   [magenta]📎 learning-curve.png[/] in the DM, saved as {self.png}")
            return
        self.out.print(f"   [magenta]📎 {escape(' · '.join(titles))}[/] in the DM; they begin:")
        for text in self.uploads:
            for line in text.splitlines()[:EXPORT_LINES]:
                self.out.print(f"   [dim]│[/] {escape(_people(line))}", soft_wrap=True)
        self.uploads.clear()

    def _filled(self, view: dict[str, Any]) -> None:
        """A drafted summary's note and the fields the draft filled."""
        if not any(b["type"] == "context" for b in view["blocks"]):
            return
        for b in view["blocks"]:
            if b["type"] == "context":
                self.out.print("     " + _block(b), soft_wrap=True)
            elif b["type"] == "input" and b["element"].get("initial_value"):
                value = b["element"]["initial_value"].replace("\n", " · ")
                self.out.print(f"     [dim]{escape(b['label']['text'])}:[/] {escape(value)}")

    def _message(self, title: str, user: str | None, args: dict[str, Any]) -> None:
        self.out.print(f"\n[dim]{self._when(user)}[/] [bold green]{escape(title)}[/]")
        for block in args.get("blocks") or [{"type": "section", "text": {"text": args["text"]}}]:
            self.out.print(_block(block), soft_wrap=True)


# Slack's emoji codes that rich does not know; rich renders the others itself.
EMOJI = {"bricks": "🧱"}


def _people(text: str) -> str:
    """Mentions as the people's names."""
    return re.sub(r"<@(\w+)>", lambda m: PEOPLE.get(m.group(1), ("@" + m.group(1),))[0], text)


def _mrkdwn(text: str) -> str:
    """Slack's mrkdwn as rich markup: bold, italics, code, mentions, links."""
    text = re.sub(r":(\w+):", lambda m: EMOJI.get(m.group(1), m.group(0)), escape(text))
    text = _people(text)
    text = re.sub(r"<#\w+>", CHANNEL_NAME, text)
    text = re.sub(r"<(https?://[^|>]+)\|([^>]+)>", r"[underline]\2[/]", text)
    text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"[bold]\1[/bold]", text)
    text = re.sub(r"(?<![\w_])_([^_\n]+)_(?![\w_])", r"[italic]\1[/italic]", text)
    text = re.sub(r"`([^`\n]+)`", r"[cyan]\1[/cyan]", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _block(block: dict[str, Any]) -> str:
    kind = block.get("type")
    if kind == "header":
        return f"   [bold underline]{escape(block['text']['text'])}[/]"
    if kind == "divider":
        return "   [dim]" + "─" * 40 + "[/]"
    if kind == "context":
        text = " ".join(_mrkdwn(e.get("text", "")) for e in block["elements"])
        return "   [dim]" + text.replace("\n", "\n   ") + "[/]"
    if kind == "actions":
        return "   " + " ".join(
            f"[reverse] {escape(e['text']['text'])} [/]" for e in block["elements"] if "text" in e
        )
    text = "   " + _mrkdwn(block.get("text", {}).get("text", "")).replace("\n", "\n   ")
    accessory = block.get("accessory") or {}
    return text + (
        f"  [reverse] {escape(accessory['text']['text'])} [/]" if "text" in accessory else ""
    )


@contextlib.contextmanager
def _server(settings: Settings, engine: sa.Engine) -> Iterator[str]:
    """The real ASGI app on a loopback port, in a thread of this process."""
    import uvicorn

    app, identity = build_app(settings, engine)

    @contextlib.asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        yield
        await identity.close()  # the shared HTTP session, on the server's own loop

    config = uvicorn.Config(
        asgi_app(app, engine, settings.signing_secret, lifespan),
        host="127.0.0.1",
        port=0,
        log_level="error",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)  # waiting for the socket, not for a schedule
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def run(out: TextIO, database: str | None = None, today: date | None = None) -> None:
    console = Console(file=out, highlight=False, width=100)
    with tempfile.TemporaryDirectory() as tmp:
        url = database or f"sqlite:///{Path(tmp) / 'demo.db'}"
        engine = make_engine(url)
        migrate(engine)
        fake = FakeSlack().start()
        fake.time_zones.update({user: tz for user, (_, tz) in PEOPLE.items()})
        settings = Settings(BOT_TOKEN, SIGNING_SECRET, "", fake.api_url, url, 0)
        # Three full weeks that ended before today: every date is in the simulated past.
        monday = week_start(today or datetime.now(UTC).date()) - timedelta(weeks=WEEKS)
        start = datetime.combine(monday, datetime.min.time(), UTC) - timedelta(hours=6)
        try:
            with _server(settings, engine) as app_url:
                sender = SlackSender(app_url, fake.response_url, team=TEAM)
                demo = Demo(console, fake, sender, Store(engine), settings, start)
                clock.use(lambda: demo.now)
                console.print(words.plain("demo.intro"), highlight=False)
                asyncio.run(_play(demo))
        finally:
            clock.use(lambda: datetime.now(UTC))
            fake.stop()
            engine.dispose()
    console.print(words.plain("demo.outro"))


def _answer_offer(demo: Demo) -> None:
    """Dev, behind two weeks in a row, takes the reminder's offer to lower his target."""
    for call in demo.fake.of("chat.postMessage"):
        if call.args["channel"] != DEV or call.args.get("_done"):
            continue
        offer = next(
            (
                e
                for b in call.args.get("blocks", [])
                for e in b.get("elements", [])
                if e.get("action_id") == Action.LOWER_TARGET
            ),
            None,
        )
        if offer is not None:
            call.args["_done"] = True
            demo.press(DEV, offer, {**call.args, "ts": "1700000000.000200"})
            demo.settle("chat.update", DEV, "1 interview a week")


def _open_questions(demo: Demo) -> None:
    """Sunday evening before the first week: the two questions are opened, Maya asks for the
    Monday overview and fills the candidate pool with her recent sign-ups (a CSV)."""
    demo.command(MAYA, "new Why do trials stall before the team sees value?")
    demo.modal(
        MAYA,
        {Input.SEGMENT: "recent_signups", Input.HYPOTHESIS: "Setup is too slow."},
        View.NEW_QUESTION,
    )
    demo.settle("views.publish", MAYA)
    demo.command(DEV, "new What makes finance teams switch invoicing tools?")
    demo.modal(DEV, {Input.SEGMENT: "competitor_advocates"}, View.NEW_QUESTION)
    demo.settle("views.publish", DEV)
    demo.command(MAYA, "settings")  # Maya leads the team: the Monday overview, please
    demo.modal(MAYA, {Input.OVERVIEW: "on"}, View.SETTINGS)
    demo.settle("chat.postMessage", MAYA, "Saved")
    # Maya fills the candidate pool: her recent sign-ups, pasted as a CSV.
    demo.command(MAYA, "pool add")
    demo.modal(MAYA, {"people": _pool_csv(demo.now)}, "pool_add")
    demo.settle("chat.postMessage", MAYA, "The pool has")


def _answer_follow_up(demo: Demo, dev: Iterator[str]) -> None:
    """A planned interview's follow-up, answered: Maya's person did not come; Dev logs his."""
    follow_up = next(
        (
            c
            for c in demo.fake.of("chat.postMessage")
            if "How did it go?" in c.args["text"] and not c.args.get("_done")
        ),
        None,
    )
    if follow_up is not None and follow_up.args["channel"] == MAYA:  # they did not come
        follow_up.args["_done"] = True
        message = {**follow_up.args, "ts": "1700000000.000200"}
        demo.press(MAYA, follow_up.args["blocks"][1]["elements"][1], message)
        demo.settle("chat.update", MAYA, "No-show")
    elif follow_up is not None:
        follow_up.args["_done"] = True
        demo.press(DEV, follow_up.args["blocks"][1]["elements"][0])
        demo.modal(DEV, {Input.INSIGHTS: next(dev)}, View.SUMMARY)
        demo.settle("chat.postMessage", DEV, "Interview logged")


async def _play(demo: Demo) -> None:
    maya = iter(zip(MAYA_INTERVIEWS, QUOTES, PEOPLE_MET, strict=True))
    dev = iter(DEV_INTERVIEWS)
    _open_questions(demo)
    first = demo.now.date() + timedelta(days=1)
    end = datetime.combine(first + timedelta(weeks=WEEKS), datetime.min.time(), UTC)
    while demo.now < end - timedelta(hours=4):  # until Sunday evening of the third week
        demo.now = demo.now.replace(minute=0) + timedelta(hours=1)
        day, hour, today = (demo.now.date() - first).days, demo.now.hour, demo.now.date()
        if hour == 0:
            demo.out.rule(f"[bold]{demo.now.strftime('%A %b %-d')}[/]", style="dim")
        if today.weekday() in (1, 2, 3) and hour == 13:  # Maya logs one a day, after lunch
            lines, quote, (name, company) = next(maya)
            demo.command(MAYA, "log #1")
            answers = {
                Input.INTERVIEWEE: name,
                Input.COMPANY: company,
                Input.INSIGHTS: "\n".join(lines),
                Input.QUOTE: quote,
                Input.HELD_ON: today.isoformat(),
            }
            demo.modal(MAYA, answers, View.SUMMARY)
            demo.settle("chat.postMessage", MAYA, "Interview logged")
        if today.weekday() == 1 and hour == 16 and day < 7:  # Dev drafts his first from notes
            next(dev)
            answers = {Input.QUESTION: "2", Input.HELD_ON: today.isoformat()}
            demo.draft_from_message(DEV, DEV_NOTES, answers)
            demo.settle("chat.postMessage", DEV, "Interview logged")
        elif today.weekday() == 1 and hour == 16 and day < 14:  # and logs one on Tuesdays
            demo.command(DEV, "log #2")
            answers = {Input.INSIGHTS: next(dev), Input.HELD_ON: today.isoformat()}
            demo.modal(DEV, answers, View.SUMMARY)
            demo.settle("chat.postMessage", DEV, "Interview logged")
        if day == 1 and hour == 15:  # and plans one for Wednesday, 14:00 his time
            demo.command(DEV, "plan #2")
            when = datetime.combine(today + timedelta(days=1), datetime.min.time())
            when = when.replace(hour=14, tzinfo=zone("America/New_York"))
            answers = {Input.INTERVIEWEE: "Ana at Acme", Input.WHEN: int(when.timestamp())}
            demo.modal(DEV, answers, View.PLAN)
            demo.settle("chat.postMessage", DEV, "Planned")
        if day == 0 and hour == 10:  # Maya books the first person her reminder suggests
            _book_suggestion(demo, today)
        await demo.tick()
        _answer_offer(demo)
        _answer_follow_up(demo, dev)
    _evidence(demo)


def _evidence(demo: Demo) -> None:
    """After three weeks: where #1 stands, what anyone heard about setup, and #1's export."""
    demo.command(MAYA, "status #1")
    demo.settle("files.completeUploadExternal", MAYA)
    demo.command(DEV, "search setup")  # every question's evidence, found by its words
    demo.settle("response_url", DEV, "hits for")
    demo.command(MAYA, "export #1")  # and taken into a planning document
    demo.settle("files.completeUploadExternal", MAYA)
    demo.command(MAYA, "team")
    demo.settle("response_url", MAYA)


def _pool_csv(now: datetime) -> str:
    """Maya's recent sign-ups, as exported from her analytics: two of one company."""
    people = [
        ("Lena Vogt", "lena@kontor.de", "Kontor", 1),
        ("Sam Okafor", "sam@brightdesk.io", "Brightdesk", 2),
        ("Jo Park", "jo@kontor.de", "Kontor", 3),
        ("Ines Ruiz", "ines@tallyho.es", "Tallyho", 4),
        ("Old Signup", "old@example.com", "Example", 45),
    ]
    lines = [f"{n},{e},{c},Recent sign-ups,{(now - timedelta(days=d)).date()},trial"
             for n, e, c, d in people]  # fmt: skip
    return "name,email,company,segment,date,plan\n" + "\n".join(lines)


def _book_suggestion(demo: Demo, today: date) -> None:
    """Maya plans an interview with the first person of her Monday reminder, Tuesday 11:00."""
    reminder = next(
        c.args
        for c in demo.fake.of("chat.postMessage")
        if c.args["channel"] == MAYA and "A new week" in c.args["text"]
    )
    row = next(b for b in reminder["blocks"] if str(b.get("block_id", "")).startswith("pool_"))
    plan = next(e for e in row["elements"] if e["action_id"] == "pool_plan")
    demo.press(MAYA, plan, {**reminder, "ts": "1700000000.000100"})
    when = datetime.combine(today + timedelta(days=1), datetime.min.time())
    when = when.replace(hour=11, tzinfo=zone("Europe/Berlin"))
    demo.modal(MAYA, {"when": int(when.timestamp())}, "plan_interview")
    demo.settle("chat.postMessage", MAYA, "Planned")
