"""`discovery-bot demo`: three weeks of discovery on one question, in a throwaway database,
printed as the app would say it in Slack. The same core and templates; no Slack needed."""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from bot import words
from cadence import interviews, questions
from cadence.db import make_engine, migrate, session
from cadence.matching import default_matcher
from cadence.weeks import week_start

TEAM, OWNER = "TDEMO", "UDEMO"
NAMES = {OWNER: "@maya"}
# Nine interviews (three bursts of three), oldest first: new themes early, the same later.
SCRIPT = [
    [
        "Setup takes more than a week before the team sees value",
        "Admins don't know which integrations to connect first",
    ],
    [
        "Importing our old spreadsheets was the hardest part",
        "Setup takes more than a week before the team sees any value",
    ],
    [
        "The trial died when our internal champion was on holiday",
        "Per-seat pricing stops them from inviting colleagues",
    ],
    [
        "Security won't approve it without single sign-on",
        "Importing old spreadsheets was the hardest part",
    ],
    [
        "Admins don't know which integrations to connect first",
        "Per-seat pricing stops them inviting colleagues",
    ],
    [
        "Setup takes more than a week before the team sees value",
        "Nobody watches the onboarding video",
    ],
    ["The trial died when the internal champion was on holiday"],
    [
        "Security won't approve it without single sign-on",
        "Importing old spreadsheets was the hardest part",
    ],
    [
        "Setup takes more than a week before the team sees value",
        "Per-seat pricing stops them from inviting colleagues",
    ],
]


def _plain(mrkdwn: str) -> str:
    """Slack's markup as a terminal shows it."""
    text = re.sub(r"<@(\w+)>", lambda m: NAMES.get(m.group(1), "@" + m.group(1)), mrkdwn)
    text = re.sub(r"<#\w+>", "#product-discovery", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def run(out: TextIO, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    say = lambda line="": out.write(line + "\n")  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'demo.db'}")
        migrate(engine)
        with session(engine) as s:
            say("Discovery Cadence demo: a throwaway workspace, no Slack.\n")
            say("$ /discovery new Why do trials stall before the team sees value?")
            draft = questions.Draft(
                "Why do trials stall before the team sees value?",
                "Setup is too slow for a busy admin.",
                "recent_signups",
                OWNER,
                "CDEMO",
            )
            q = questions.create(s, TEAM, draft, OWNER, now)
            segment = words.plain("segments.name", segment=q.segment)
            say(_plain(words.say("questions.created", q=q, segment=segment)) + "\n")

            monday = week_start(now.date()) - timedelta(weeks=2)
            matcher = default_matcher()
            for n, lines in enumerate(SCRIPT):
                held = monday + timedelta(weeks=n // 3, days=n % 3)
                summary = interviews.Summary(str(q.id), held.isoformat(), f"Customer {n + 1}")
                interview = interviews.save(s, TEAM, summary, OWNER, now)
                coding = interviews.code_insights(s, TEAM, interview, lines, matcher, now)
                new = interviews.new_themes(s, TEAM, interview)
                line = words.say(
                    "interviews.demo_line",
                    held=held,
                    number=n + 1,
                    insights=len(coding.insights),
                    new_themes=new,
                )
                say(_plain(line))

            say("\n$ /discovery status #1")
            (overview,) = questions.overviews(s, TEAM, [q], now, {OWNER: "UTC"})
            say(_plain(words.say("questions.status", o=overview, segment=segment)))
            say(_plain(words.say("questions.hypothesis", q=q)))
            say("\n$ /discovery guide #1")
            say(_plain(words.say("guide.questions", segment=q.segment)))
            say("\nConnect a real workspace: see README.md, 'Connect a real workspace'.")
