"""How well the offline drafter drafts a summary: tests/data/notes, scored against the summary
a researcher wrote for each note before the rules existed. Prints the table in bench/README.md.

    .venv/bin/python bench/drafting.py            # the held-out half (h*), as reported
    .venv/bin/python bench/drafting.py design -v  # the half the rules were written on, per note

A drafted line and a researcher's line match when the content words they share are at least
half of each one's content words (so neither a paragraph nor a fragment matches everything).
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from cadence.drafting import Draft, OfflineDrafter, prepare
from cadence.models import JTBD_PARTS

NOTES = Path(__file__).resolve().parent.parent / "tests" / "data" / "notes"
HALVES = {"heldout": "h", "design": "d"}
STOP_WORDS = (
    "a an the and or but so of to in on at for by with from as is are was were be been it its "
    "it's this that these those i i'm we we're you he she they them his her their our my me us "
    "what which who when there then than do did does not no just about into up out over all "
    "every each very really also has have had get got can could would will"
)
STOP = set(STOP_WORDS.split())


def content(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9%£€$]+(?:['’-][a-z0-9]+)*", text.lower())
    return {w.removesuffix("s") for w in words if w not in STOP}


def match(drafted: str, expected: str) -> bool:
    a, b = content(drafted), content(expected)
    shared = len(a & b)
    return bool(a and b) and shared >= len(a) / 2 and shared >= len(b) / 2


@dataclass
class Score:
    expected_insights: int = 0
    found_insights: int = 0
    expected_parts: int = 0
    found_parts: int = 0
    drafted_lines: int = 0
    wrong_lines: int = 0
    quotes: int = 0  # notes whose researcher kept a quote
    quote_found: int = 0
    quote_wrong: int = 0  # a drafted quote that is not the researcher's (or there was none)
    notes: int = 0
    who_right: int = 0
    who_wrong: int = 0

    def add(self, draft: Draft, want: dict) -> list[str]:
        """Count one note; the drafted lines that match nothing expected, for -v."""
        self.notes += 1
        fields = [("insights", draft.insights)] + [(p, draft.parts.get(p, ())) for p in JTBD_PARTS]
        wrong: list[str] = []
        for name, drafted in fields:
            expected = want[name]
            found = sum(any(match(d, e) for d in drafted) for e in expected)
            if name == "insights":
                self.expected_insights += len(expected)
                self.found_insights += found
            else:
                self.expected_parts += len(expected)
                self.found_parts += found
            self.drafted_lines += len(drafted)
            wrong += [f"{name}: {d}" for d in drafted if not any(match(d, e) for e in expected)]
        self.wrong_lines += len(wrong)
        if want["quote"]:
            self.quotes += 1
            self.quote_found += bool(draft.quote) and match(draft.quote, want["quote"])
        if draft.quote and not (want["quote"] and match(draft.quote, want["quote"])):
            self.quote_wrong += 1
            wrong.append(f"quote: {draft.quote}")
        for drafted, expected in (
            (draft.interviewee, want["interviewee"]),
            (draft.company, want["company"]),
        ):
            if drafted:
                right = drafted.casefold() == expected.casefold()
                self.who_right += right
                self.who_wrong += not right
                if not right:
                    wrong.append(f"who: {drafted!r} (want {expected!r})")
        return wrong

    def table(self, half: str) -> str:
        def share(n: int, of: int) -> str:
            return f"{n}/{of} ({100 * n / of:.0f}%)" if of else "0/0"

        return "\n".join(
            [
                f"Offline drafter on the {half} half ({self.notes} notes):",
                "",
                "| measure | result |",
                "| --- | --- |",
                "| expected insights found "
                f"| {share(self.found_insights, self.expected_insights)} |",
                f"| expected JTBD lines found | {share(self.found_parts, self.expected_parts)} |",
                f"| drafted lines that are wrong | {share(self.wrong_lines, self.drafted_lines)} |",
                f"| quote found (of notes with one) | {share(self.quote_found, self.quotes)} |",
                f"| quotes drafted that are wrong | {self.quote_wrong} |",
                f"| interviewee and company fields: right, wrong (of {2 * self.notes}) "
                f"| {self.who_right}, {self.who_wrong} |",
            ]
        )


def main(argv: list[str]) -> None:
    half = next((a for a in argv if a in HALVES), "heldout")
    verbose = "-v" in argv
    score = Score()
    for path in sorted(NOTES.glob(f"{HALVES[half]}*")):
        if path.suffix in {".json", ".md"} and path.with_suffix(".json") == path:
            continue
        if path.suffix == ".json" or path.name == "README.md":
            continue
        want = json.loads(path.with_suffix(".json").read_text())
        draft = asyncio.run(OfflineDrafter().draft(prepare(path.read_text())))
        wrong = score.add(draft, want)
        if verbose:
            print(f"== {path.name}: {draft.who()!r} quote={draft.quote!r}")
            for line in wrong:
                print("   WRONG", line)
    print(score.table(half))


if __name__ == "__main__":
    main(sys.argv[1:])
