"""A question's evidence, to take into a planning document: what the Markdown report shows
(rendered by the Slack layer from prompts/export.j2) and the CSV of its insights."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session

from cadence import codebook, questions, snapshots, weeks
from cadence.codebook import Entry
from cadence.questions import Overview
from cadence.snapshots import Snapshot

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ThemeEvidence:
    entry: Entry
    insights: tuple[str, ...]
    quote: str  # the quote of the first interview that heard it and kept one


@dataclass(frozen=True)
class Report:
    overview: Overview
    weeks: tuple[tuple[date, int], ...]  # (Monday, interviews held) since it was opened
    themes: tuple[ThemeEvidence, ...]  # most heard first
    snapshots: tuple[Snapshot, ...]  # oldest first

    @property
    def question(self) -> questions.Question:
        return self.overview.question

    @property
    def people(self) -> set[str]:
        """The Slack users the report names: the owner and every interviewer."""
        return {self.question.owner_id, *(s.interview.interviewer_id for s in self.snapshots)}


def report(s: Session, team_id: str, question_id: int, now: datetime, tz: str) -> Report:
    """Everything the export of one question holds, as of `now` in the owner's zone `tz`."""
    question = questions.get(s, team_id, question_id)
    if question is None:
        raise LookupError(question_id)
    (overview,) = questions.overviews(s, team_id, [question], now, {question.owner_id: tz})
    shots = snapshots.of_question(s, team_id, question_id)
    opened = weeks.local_today(question.created_at, tz)
    today = weeks.local_today(now, tz)
    return Report(
        overview,
        _by_week([shot.interview.held_on for shot in shots], opened, today),
        _themes(codebook.entries(s, team_id, question_id), shots),
        tuple(shots),
    )


def _by_week(held: Sequence[date], opened: date, today: date) -> tuple[tuple[date, int], ...]:
    """Interviews per week from the week it was opened (or of its first interview, logged
    as held before it) to this one."""
    counted = Counter(weeks.week_start(day) for day in held)
    monday = weeks.week_start(min([opened, *held]))
    found = []
    while monday <= weeks.week_start(max([today, *held])):
        found.append((monday, counted[monday]))
        monday += timedelta(weeks=1)
    return tuple(found)


def _themes(entries: list[Entry], shots: list[Snapshot]) -> tuple[ThemeEvidence, ...]:
    heard: dict[int, list[str]] = {e.theme.id: [] for e in entries}
    quotes: dict[int, str] = {}
    for shot in shots:
        for coded in shot.insights:
            heard.setdefault(coded.theme_id, []).append(coded.text)
            if shot.interview.quote:
                quotes.setdefault(coded.theme_id, shot.interview.quote)
    return tuple(
        ThemeEvidence(e, tuple(heard[e.theme.id]), quotes.get(e.theme.id, "")) for e in entries
    )


def neutralised(cell: str) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula gets a ' first."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def csv_text(
    report: Report, header: Sequence[str], segments: dict[str, str], yes_no: tuple[str, str]
) -> str:
    """One row per insight under `header` (question number, interview date, interviewee,
    company, segment, theme, new theme or not, insight, quote), in the words given for
    segments and yes/no; quoted as spreadsheets expect, every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralised(h) for h in header])
    number = str(report.question.number)
    for shot in report.snapshots:
        i = shot.interview
        for coded in shot.insights:
            row = [
                number,
                i.held_on.isoformat() if i.held_on else "",
                i.interviewee,
                i.company,
                segments.get(i.segment, i.segment),
                coded.theme,
                yes_no[0] if coded.new else yes_no[1],
                coded.text,
                i.quote,
            ]
            writer.writerow([neutralised(cell) for cell in row])
    return out.getvalue()
