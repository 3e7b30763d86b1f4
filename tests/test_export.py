"""Unit tests of snapshots and the export: what a card and a report hold, and a CSV that a
spreadsheet opens as text."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from cadence import export, interviews, snapshots
from cadence.interviews import Summary
from cadence.matching import default_matcher
from cadence.questions import Draft, create

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
HEADER = ["q", "date", "who", "company", "segment", "theme", "new", "insight", "quote"]


def log(db, question_id: int, held: str, lines: list[str], **fields):
    interview = interviews.save(db, "T", Summary(str(question_id), held, **fields), "U1", NOW)
    interviews.code_insights(db, "T", interview, lines, default_matcher(), NOW)
    return interview


def test_a_snapshot_holds_the_filled_parts_and_marks_new_themes(db) -> None:
    q = create(db, "T", Draft("Why?", "", "other", "U1", "C1", "3"), "U1", NOW)
    first = log(db, q.id, "2026-11-23", ["Setup is slow"], interviewee="Ana", company="Acme")
    second = log(
        db, q.id, "2026-11-24", ["Setup is slow", "Invoices arrive late"],
        parts={"motivations": "Close the month faster", "driving_forces": ""}, quote="Ugh",
    )  # fmt: skip
    one, two = snapshots.of_interviews(db, "T", [first.id, second.id])
    assert (one.interview.interviewee, one.interview.company, one.question.id) == (
        "Ana",
        "Acme",
        q.id,
    )
    assert [(c.text, c.new) for c in one.insights] == [("Setup is slow", True)]
    assert [(c.text, c.new) for c in two.insights] == [
        ("Setup is slow", False), ("Invoices arrive late", True)
    ]  # fmt: skip
    assert two.parts == [("motivations", "Close the month faster")]
    assert two.first_insight == "Setup is slow"
    assert snapshots.of_interviews(db, "OTHER", [first.id]) == []  # another workspace's id
    assert [s.interview.id for s in snapshots.of_question(db, "T", q.id)] == [first.id, second.id]


def test_the_report_counts_weeks_since_opening_and_themes_most_heard_first(db) -> None:
    q = create(
        db,
        "T",
        Draft("Why?", "", "other", "U1", "C1", "3"),
        "U1",
        datetime(2026, 11, 10, tzinfo=UTC),
    )
    log(db, q.id, "2026-11-12", ["Invoices arrive late"], quote="Paper everywhere")
    log(db, q.id, "2026-11-24", ["Invoices arrive late", "Setup is slow"])
    report = export.report(db, "T", q.id, NOW, "UTC")
    assert report.weeks == (
        (date(2026, 11, 9), 1),
        (date(2026, 11, 16), 0),
        (date(2026, 11, 23), 1),
    )
    late, slow = report.themes
    assert late.insights == ("Invoices arrive late", "Invoices arrive late")
    assert late.quote == "Paper everywhere" and slow.quote == ""


def test_the_csv_neutralises_formulas_and_quotes_as_spreadsheets_expect(db) -> None:
    q = create(db, "T", Draft("Why?", "", "other", "U1", "C1", "3"), "U1", NOW)
    log(
        db, q.id, "2026-11-24", ["=HYPERLINK(\"http://x\")", "+1 for SSO, \"really\"", "@SUM(A1)"],
        interviewee="-Bob", company="+44 Ltd", quote="line one\nline two",
    )  # fmt: skip
    text = export.csv_text(export.report(db, "T", q.id, NOW, "UTC"), HEADER, {}, ("yes", "no"))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == HEADER
    assert [r[7] for r in rows[1:]] == [
        '\'=HYPERLINK("http://x")',
        '\'+1 for SSO, "really"',
        "'@SUM(A1)",
    ]
    assert rows[1][:7] == [
        str(q.number),
        "2026-11-24",
        "'-Bob",
        "'+44 Ltd",
        "other",
        rows[1][5],
        "yes",
    ]
    assert rows[1][8] == "line one\nline two"
    assert all(not cell.startswith(export.FORMULA_STARTS) for row in rows for cell in row)
    # Tab and CR (which the app strips from what it stores) are neutralised as well.
    assert [export.neutralised(c) for c in ("\tx", "\rx", "a=b")] == ["'\tx", "'\rx", "a=b"]
