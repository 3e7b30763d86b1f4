"""The offline drafter and a model's answer checked against the schema (cadence/drafting.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cadence.drafting import (
    ANSWER_SCHEMA,
    MAX_NOTES,
    InvalidAnswer,
    Notes,
    OfflineDrafter,
    draft_from_answer,
    draft_offline,
    fell_back,
    prepare,
)
from cadence.models import JTBD_PARTS

NOTES = Path(__file__).parent / "data" / "notes"


def test_captions_are_unwrapped_to_speaker_lines():
    vtt = (NOTES / "d04_expense_vtt.vtt").read_text()
    lines = prepare(vtt).text.split("\n")
    assert lines[0] == "Interviewer: Could you start with who you are and what you do?"
    assert not any("-->" in line or line == "WEBVTT" for line in lines)
    srt = prepare((NOTES / "d05_fieldservice_srt.srt").read_text()).text.split("\n")
    assert srt[1].startswith("JOANNE: We double-booked the same customer")
    assert not any(line.isdigit() for line in srt)


def test_long_notes_are_cut_at_a_line_and_the_cut_is_counted():
    line = "Interviewer: and then?\nAna: it took two days to close the month.\n"
    raw = line * (MAX_NOTES // len(line) + 50)
    notes = prepare(raw)
    assert len(notes.text) <= MAX_NOTES
    assert raw.startswith(notes.text + "\n")  # whole lines
    assert notes.cut == len(raw.strip()) - len(notes.text)
    assert draft_offline(notes).cut == notes.cut
    assert prepare("short notes").cut == 0


def test_offline_draft_of_bullet_notes():
    draft = asyncio.run(
        OfflineDrafter().draft(prepare((NOTES / "d01_expense_bullets.md").read_text()))
    )
    assert (draft.interviewee, draft.company) == ("Ana Ruiz", "Brightline Dental")
    assert draft.who() == "Ana Ruiz (Brightline Dental)"
    assert (
        draft.quote == "I'm not an accountant, I just don't want to be the receipt police anymore."
    )
    assert (
        "Had to reject 30% of claims last quarter because the receipt was missing or blurry"
        in (draft.parts["struggling_moments"])
    )
    assert draft.parts["motivations"] == ("Wants the accountant to get a clean export",)
    assert draft.parts["desired_outcomes"] == ("The books close by the 5th",)
    assert draft.quote not in draft.insights
    assert not draft.by_model and not draft.fallback


def test_transcript_speakers_name_the_interviewee_and_leave_the_interviewer_out():
    draft = draft_offline(prepare((NOTES / "d03_restaurant_transcript.txt").read_text()))
    assert (draft.interviewee, draft.company) == ("Priya", "Kettle & Co")
    lines = [*draft.insights, *(line for part in draft.parts.values() for line in part)]
    assert not any("Can you tell me" in line or line.endswith("?") for line in lines)


def test_empty_rather_than_wrong():
    draft = draft_offline(
        prepare("Met Jo today. Nice office, good coffee.\nTalked about the weather.")
    )
    assert draft.is_empty()
    assert draft.quote == "" and draft.insights == () and dict(draft.parts) == {}


def test_a_part_without_its_cue_stays_empty():
    draft = draft_offline(prepare("- Closing the month took her two days"))
    assert set(draft.parts) == {"struggling_moments"}


def _answer(**changes) -> dict:
    answer = {"interviewee": "Ana", "company": "Acme", "quote": "", "insights": ["Slow close"]}
    answer |= {part: [] for part in JTBD_PARTS}
    return answer | changes


def test_a_valid_answer_is_a_draft_by_the_model():
    draft = draft_from_answer(_answer(struggling_moments=["Took two days", " "]), Notes("x", 3))
    assert draft.by_model and draft.cut == 3
    assert draft.who() == "Ana (Acme)"
    assert dict(draft.parts) == {"struggling_moments": ("Took two days",)}


@pytest.mark.parametrize(
    "answer",
    [
        None,
        [],
        {"interviewee": "Ana"},
        _answer(extra="x"),
        _answer(quote=7),
        _answer(insights="one line"),
        _answer(insights=[1]),
        _answer(struggling_moments=None),
    ],
)
def test_an_answer_off_the_schema_is_refused(answer):
    with pytest.raises(InvalidAnswer):
        draft_from_answer(answer, Notes("x"))


def test_an_answer_too_long_is_cut_to_the_summary():
    draft = draft_from_answer(_answer(insights=["x" * 1200] * 25, quote="q" * 4000), Notes("x"))
    assert len(draft.insights) == 20 and len(draft.insights[0]) == 1000
    assert len(draft.quote) == 3000


def test_schema_requires_every_property_as_strict_structured_outputs_do():
    assert set(ANSWER_SCHEMA["required"]) == set(ANSWER_SCHEMA["properties"])
    assert ANSWER_SCHEMA["additionalProperties"] is False


def test_fallback_is_the_offline_draft_and_says_why():
    notes = prepare((NOTES / "d06_restaurant_slack.txt").read_text())
    draft = fell_back(notes, "timeout")
    assert draft.fallback == "timeout" and not draft.by_model
    assert draft.quote == draft_offline(notes).quote == "every monday is a guessing game"
