"""The cadence's messages stay within Block Kit's limits however busy the week, and no user
text pings or links."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from bot.sandbox.fake_slack import check_payload
from bot.views import cadence as views
from cadence import saturation, weeks
from cadence.models import Interview, Question
from cadence.questions import Overview
from cadence.schedule import Digest, DigestEntry, OwnerMessage, Reply, ThemeInsights
from cadence.snapshots import Coded, Snapshot, for_channel

MON = date(2026, 11, 23)
NOW = datetime(2026, 11, 27, 16, tzinfo=UTC)
PING = "<!channel> <@U123> <https://evil.example|click>"


def overview(number: int, this_week: int = 0, text: str = "") -> Overview:
    q = Question(
        id=number,
        team_id="T",
        number=number,
        text=text or f"Why {number} {PING}",
        owner_id="UOWNER",
        channel_id="CDIGEST",
        created_by="UOWNER",
        created_at=NOW,
        updated_at=NOW,
    )
    progress = weeks.progress([MON] * this_week, 3, MON)
    return Overview(q, progress, 40, saturation.assess(()))


def busy_entry(number: int) -> DigestEntry:
    themes = tuple(
        ThemeInsights(
            f"Theme {t} {PING}", t % 2 == 0, tuple(f"{PING} " + "x" * 900 for _ in range(5))
        )
        for t in range(12)
    )
    o = overview(number, 2, "Q" * 300)
    snaps = tuple(snapshot(o.question, n, f"{PING} " + "i" * 900) for n in range(30))
    return DigestEntry(o, themes, snaps)


def snapshot(q: Question, n: int, insight: str, **parts: str) -> Snapshot:
    interview = Interview(
        id=n,
        team_id="T",
        question_id=q.id,
        interviewer_id="UOWNER",
        interviewee=f"Ada {PING}",
        company="Acme",
        held_on=MON,
        quote="q" * 3000,
        **parts,
    )
    return Snapshot(interview, q, tuple(Coded(insight, n, insight, True) for _ in range(20)))


def sent_text(blocks: list) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_a_busy_digest_stays_within_block_kits_limits_and_says_what_it_left_out() -> None:
    digest = Digest("T", "CDIGEST", MON, tuple(busy_entry(n) for n in range(1, 31)))
    text, blocks = views.digest_blocks(digest)
    assert check_payload("chat.postMessage", {"text": text, "blocks": blocks}) == []
    shown = sent_text(blocks)
    assert "more insights" in shown and "more interviews" in shown and "more questions" in shown
    assert "one snapshot each, in this thread" in shown
    assert "<!channel>" not in shown and "<@U123>" not in shown and "<https://" not in shown


def test_a_quiet_week_gets_a_short_digest_that_says_so() -> None:
    digest = Digest("T", "CDIGEST", MON, (DigestEntry(overview(1), (), ()),))
    text, blocks = views.digest_blocks(digest)
    assert check_payload("chat.postMessage", {"text": text, "blocks": blocks}) == []
    shown = sent_text(blocks)
    assert "A quiet week" in shown and "No interviews this week" in shown and len(blocks) <= 4


def test_a_reminder_for_many_questions_fits_one_message_and_keeps_its_buttons() -> None:
    message = OwnerMessage(
        "T", "UOWNER", "weekly_reminder", MON, tuple(overview(n) for n in range(1, 41))
    )
    text, blocks = views.owner_message_blocks(message, reminder=True)
    assert check_payload("chat.postMessage", {"text": text, "blocks": blocks}) == []
    assert "more." in sent_text(blocks)
    assert "<!channel>" not in sent_text(blocks)
    q = message.overviews[0].question
    skipped = views.with_note(blocks, q, views.words.say("cadence.skipped", q=q))
    assert len(skipped) == len(blocks)
    assert "Skipped this week" in sent_text(skipped) and '"cadence_q1"' not in sent_text(skipped)


def test_the_nudge_says_how_many_to_go() -> None:
    message = OwnerMessage("T", "UOWNER", "nudge", MON, (overview(1, 1), overview(2, 0)))
    _, blocks = views.owner_message_blocks(message, reminder=False)
    assert "*1/3*: two to go" in sent_text(blocks) and "*0/3*: three to go" in sent_text(blocks)


def test_a_skip_button_value_is_checked() -> None:
    assert views.skip_value("12:2026-11-23") == (12, MON)
    assert views.skip_value("12") is None and views.skip_value("x:2026-11-23") is None
    assert views.skip_value("²:2026-11-23") is None


def test_many_quiet_questions_fit_one_digest() -> None:
    entries = tuple(DigestEntry(overview(n, 0, "Q" * 300), (), ()) for n in range(1, 60))
    text, blocks = views.digest_blocks(Digest("T", "CDIGEST", MON, entries))
    assert check_payload("chat.postMessage", {"text": text, "blocks": blocks}) == []
    assert "more questions" in sent_text(blocks)


def test_a_theme_with_one_insight_saying_its_name_is_shown_once() -> None:
    o = overview(1, 1)
    themes = (
        ThemeInsights("Setup takes a week", True, ("Setup takes a week",)),
        ThemeInsights("Pricing", False, ("Seats cost too much",)),
    )
    entry = DigestEntry(o, themes, (snapshot(o.question, 1, "Setup takes a week"),))
    shown = sent_text(views.digest_blocks(Digest("T", "CDIGEST", MON, (entry,)))[1])
    assert shown.count("Setup takes a week") == 2  # the theme once, the interview's line once
    assert "*Pricing*" in shown and "• Seats cost too much" in shown


def test_a_long_snapshot_in_a_thread_fits_one_message() -> None:
    q = overview(1).question
    long = "w " * 1500
    snap = snapshot(
        q, 7, "x" * 1000, struggling_moments=long, driving_forces=long, motivations=long
    )
    text, blocks = views.reply_blocks(Reply("CDIGEST", "1.000001", snap))
    assert check_payload("chat.postMessage", {"text": text, "blocks": blocks}) == []
    assert "Interview snapshot: Ada" in text and "/discovery export #1" in sent_text(blocks)


def test_a_reminder_with_suggestions_for_many_questions_stays_within_limits() -> None:
    from cadence.models import Candidate
    from cadence.pool import Suggestion

    def people(q: int) -> list[Suggestion]:
        return [
            Suggestion(
                Candidate(
                    id=q * 10 + n,
                    team_id="T",
                    name=f"{PING} " + "N" * 190,
                    company="C" * 200,
                    segment="recent_signups",
                    event_at=NOW,
                    source="csv",
                ),
                q,
                n,
            )
            for n in range(3)
        ]

    for count in (1, 3, 8, 30):
        overviews = tuple(overview(n) for n in range(1, count + 1))
        found = {o.question.id: people(o.question.id) for o in overviews}
        message = OwnerMessage("T", "UOWNER", "weekly_reminder", MON, overviews, found)
        _, blocks = views.owner_message_blocks(message, reminder=True)
        assert check_payload("chat.postMessage", {"blocks": blocks}) == []
        text = sent_text(blocks)
        mrkdwn = [b["text"]["text"] for b in blocks if b["type"] == "section"]
        assert not any("<!channel>" in t for t in mrkdwn) and "&lt;!channel&gt;" in text
        if count <= 8:  # the first question's people have their buttons
            assert "pool_10_1" in text
        else:  # one block to spare: the first question's people, then counts
            assert "pool_10_1" not in text and "N" * 30 in text
            assert "more people to reach out to in `/discovery pool`" in text


def test_a_person_of_the_pool_is_not_named_in_a_channel() -> None:
    q = overview(1).question
    pooled = snapshot(q, 8, "Setup takes a week")
    pooled.interview.candidate_id = 3
    (shown,) = for_channel((pooled,))
    _, blocks = views.reply_blocks(Reply("CDIGEST", "1.000001", shown))
    entry = DigestEntry(overview(1, 1), (), (shown,))
    channel = sent_text(blocks) + sent_text(views.digest_blocks(Digest("T", "C", MON, (entry,)))[1])
    assert "Ada" not in channel
    assert pooled.interview.interviewee.startswith("Ada")  # the stored interview is unchanged
    (kept,) = for_channel((snapshot(q, 9, "x"),))
    assert kept.interview.interviewee.startswith("Ada")  # someone not of the pool is named
