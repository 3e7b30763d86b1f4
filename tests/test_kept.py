"""Kept theme vectors (cadence.kept) stay in step with the coding: after each kind of change,
what is stored equals a recompute from scratch, and ranking by them ranks as by the texts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from sqlmodel import select

from cadence import codebook, interviews, kept, workspaces
from cadence.interviews import Summary
from cadence.matching import default_matcher, rank, rank_kept
from cadence.models import Insight, QuestionKept, ThemeKept
from cadence.preselection import GLOBAL
from cadence.questions import Draft, create
from cadence.workspaces import Workspace

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
LINES = [
    ["Setup takes more than a week", "SSO is required by security", "Per-seat pricing hurts"],
    ["setup takes over a week!", "Invoices, not cards", "Exports to CSV break"],
    ["Security asks for SSO first", "Pricing per seat stops invites", "CSV export is broken"],
]


def as_stored(db, question_id: int) -> dict[int, tuple]:
    """The kept rows, read without syncing them first."""
    rows = db.execute(sa.select(ThemeKept.__table__).where(ThemeKept.question_id == question_id))
    return {
        r.theme_id: (
            np.frombuffer(r.centroid, dtype=np.float32),
            np.frombuffer(r.grams, dtype=np.int32),
            np.frombuffer(r.weights, dtype=np.float32),
            np.frombuffer(r.lengths, dtype=np.int64),
        )
        for r in rows
    }


def assert_in_step(db, question_id: int) -> None:
    """Every theme of the question has stored vectors equal to a recompute with the kept IDF
    from its current texts, and no other theme has any."""
    m = default_matcher()
    fit = db.get(QuestionKept, question_id)
    assert fit is not None
    weights = kept._weights(db, question_id, fit.fitted)
    themes = interviews.themes_of(db, "T", question_id)
    stored = as_stored(db, question_id)
    assert set(stored) == {t.id for t in themes}
    texts: dict[int, list[str]] = {}
    for theme, text in interviews.reference(db, "T", themes):
        texts.setdefault(theme, []).append(text)
    for theme_id, found in stored.items():
        fresh = m.theme_vectors(texts[theme_id], weights)
        np.testing.assert_allclose(found[0], fresh.centroid, atol=1e-6)
        for a, b in zip(found[1:], (fresh.grams, fresh.weights, fresh.lengths), strict=True):
            np.testing.assert_array_equal(a, b)


def log(db, question_id: int, lines: list[str], at: datetime = NOW, refresh: bool = True):
    """A summary saved, then (as the app does once Slack has its answer) the IDF refreshed."""
    summary = Summary(str(question_id), "2026-11-25", insights="\n".join(lines))
    interview = interviews.save(db, "T", summary, "U1", at)
    coding = interviews.code_insights(db, "T", interview, lines, default_matcher(), at)
    if refresh:
        kept.refresh(db, "T", question_id)
    return interview, coding


@pytest.fixture
def question(db) -> int:
    q = create(db, "T", Draft("Why?", "", "other", "U1", "C1", "3"), "U1", NOW)
    for k, lines in enumerate(LINES):
        log(db, q.id, lines, NOW + timedelta(minutes=k))
    assert_in_step(db, q.id)
    return q.id


def test_kept_vectors_follow_each_kind_of_change(db, question: int) -> None:
    interview, coding = log(db, question, ["Setup is slow", "Nobody reads the digest"])
    assert_in_step(db, question)  # insights coded, a theme founded
    first, second = coding.insights
    interviews.recode(db, "T", interview.id, {second.id: str(first.theme_id)}, "U1", NOW)
    assert_in_step(db, question)  # recoded in the coding step
    codebook.move(db, "T", first.id, None, "U1", NOW)
    assert_in_step(db, question)  # moved to a theme of its own
    themes = interviews.themes_of(db, "T", question)
    codebook.merge(db, "T", themes[1].id, themes[0].id, "U1", NOW)
    assert_in_step(db, question)  # merged
    codebook.rename(db, "T", themes[0].id, "U1", "Onboarding")
    assert_in_step(db, question)  # renamed
    edited = Summary(str(question), "2026-11-24", insights="Reports are late")
    interviews.save(db, "T", edited, "U1", NOW, interview.id)
    interviews.code_insights(db, "T", interview, ["Reports are late"], default_matcher(), NOW)
    assert_in_step(db, question)  # edited
    interviews.delete(db, "T", interview.id, "U1")
    assert_in_step(db, question)  # deleted


def test_ranking_by_kept_vectors_is_ranking_by_the_texts(db, question: int) -> None:
    m = default_matcher()
    lines = ["SSO please", "Setup takes more than a week", "The mobile app crashes"]
    themes, weights = kept.themes(db, "T", question)
    coded = interviews.reference(db, "T", interviews.themes_of(db, "T", question))
    by_texts = rank(m, lines, coded, GLOBAL, weights)
    by_kept = rank_kept(m, lines, themes, weights, GLOBAL)
    for a, b in zip(by_texts, by_kept, strict=True):
        assert [r.theme for r in a.themes] == [r.theme for r in b.themes]
        assert [r.score for r in a.themes] == pytest.approx([r.score for r in b.themes], abs=1e-6)
        assert [(r.overlap, r.repeat) for r in a.themes] == [
            (r.overlap, r.repeat) for r in b.themes
        ]


def test_the_idf_is_fitted_again_once_enough_texts_changed(
    db, question: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    fit = db.get(QuestionKept, question)
    small = ["Reports are late"]
    monkeypatch.setattr(kept, "INLINE", 0)
    log(db, question, small, NOW + timedelta(hours=1), refresh=False)
    db.refresh(fit)
    assert 0 < fit.changed <= kept.REFIT * fit.texts  # one line: counted, not fitted again
    assert not kept.refresh(db, "T", question)
    # Past REFIT: kept in step with the old fit until refreshed, then fitted again on every
    # text as they are, nothing changed since (a question past INLINE texts).
    extra = [f"Theme number {n} about billing" for n in range(fit.texts // 2 + 1)]
    log(db, question, extra[:20], NOW + timedelta(hours=2), refresh=False)
    db.refresh(fit)
    assert fit.changed > kept.REFIT * fit.texts
    assert_in_step(db, question)
    assert kept.refresh(db, "T", question)
    db.refresh(fit)
    refs = interviews.reference(db, "T", interviews.themes_of(db, "T", question))
    assert fit.changed == 0 and fit.texts == len(refs)
    fresh = default_matcher().fit([t for _, t in refs])
    assert np.array_equal(kept._weights(db, question, fit.fitted).grams.counts, fresh.grams.counts)
    assert np.array_equal(kept._weights(db, question, fit.fitted).tokens.ids, fresh.tokens.ids)
    assert_in_step(db, question)


def test_a_purged_workspace_keeps_no_vectors(db, question: int) -> None:
    workspaces.uninstalled(db, "T", NOW)
    workspaces.purge(db, NOW + timedelta(days=31), timedelta(days=30))
    assert db.exec(select(ThemeKept)).all() == [] and db.exec(select(QuestionKept)).all() == []
    assert db.get(Workspace, "T") is None
    assert db.exec(select(Insight)).all() == []


def test_a_small_question_is_fitted_again_at_once(db, question: int) -> None:
    fit = db.get(QuestionKept, question)
    assert fit.texts < kept.INLINE
    extra = [f"Theme number {n} about billing" for n in range(fit.texts // 2 + 1)]
    log(db, question, extra[:20], NOW + timedelta(hours=2), refresh=False)
    db.refresh(fit)
    assert fit.changed == 0  # no refresh needed
    assert_in_step(db, question)
