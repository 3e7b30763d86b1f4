"""`discovery-bot demo`: the app without Slack (filled in by a later change)."""

from typing import TextIO

from bot import words


def run(out: TextIO) -> None:
    out.write(words.say("help.text", command="/discovery") + "\n")
