"""Unit tests of search: what is found, how it is ranked and paged, and the index kept in step
with every write (on SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import select

from cadence import codebook, interviews, questions, search, workspaces
from cadence.interviews import Summary
from cadence.matching import default_matcher
from cadence.models import Status, Theme
from cadence.questions import Draft, create

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def plain(shown: str) -> str:
    return shown.replace(search.MARK, "").replace(search.UNMARK, "")


def found(db, words: str, team: str = "T") -> set[tuple[str, str]]:
    """(kind, text) of every hit, markers dropped."""
    return {(h.kind, plain(h.shown)) for h in search.search(db, team, words, limit=100).hits}


def log(db, question_id: int, lines: list[str], team: str = "T", **fields) -> interviews.Interview:
    summary = Summary(str(question_id), fields.pop("held", "2026-11-25"), **fields)
    interview = interviews.save(db, team, summary, "U1", NOW)
    interviews.code_insights(db, team, interview, lines, default_matcher(), NOW)
    return interview


def question(db, text: str = "Why do teams churn?", team: str = "T", **draft) -> questions.Question:
    return create(
        db, team, Draft(text, segment="other", owner_id="U1", channel_id="C1", **draft), "U1", NOW
    )


def test_every_kind_is_found_case_accent_and_stem_insensitively(db) -> None:
    q = question(db, "Would admins pay for single sign-on?", hypothesis="Okta shops buy")
    log(
        db,
        q.id,
        ["Logging in with SSO takes five clicks"],
        interviewee="Zoë Ångström",
        company="Crème Brûlée Ltd",
        quote="I hate passwords",
        parts={"struggling_moments": "The café wifi drops", "motivations": "Security audits"},
    )
    assert found(db, "sso") == {("insight", "Logging in with SSO takes five clicks")}
    assert found(db, "LOGGED") == {("insight", "Logging in with SSO takes five clicks")}
    assert found(db, "zoe angstrom") == {("interviewee", "Zoë Ångström")}
    assert found(db, "creme brulee") == {("company", "Crème Brûlée Ltd")}
    assert found(db, "passwords") == {("quote", "I hate passwords")}
    assert found(db, "cafe") == {("struggling_moments", "The café wifi drops")}
    assert found(db, "audit") == {("motivations", "Security audits")}
    assert found(db, "admins") == {("question", "Would admins pay for single sign-on?")}
    assert found(db, "okta") == {("hypothesis", "Okta shops buy")}
    questions.close(db, "T", q.id, "U1", Status.ANSWERED, "Yes, admins want SAML", NOW)
    assert ("conclusion", "Yes, admins want SAML") in found(db, "saml")  # closed: still found


def test_all_words_required_phrases_kept_and_operators_read_as_words(db) -> None:
    q = question(db)
    log(db, q.id, ["Invoices arrive late every month", "Late fees on every card invoice"])
    assert len(found(db, "late invoice")) == 2
    assert found(db, "late month") == {("insight", "Invoices arrive late every month")}
    assert found(db, '"arrive late"') == {("insight", "Invoices arrive late every month")}
    assert found(db, '"late arrive"') == set()
    # FTS5 and websearch operators typed by someone are words, never syntax or errors.
    for typed in [
        "late -month",
        "late OR nothing",
        "late NOT month",
        "late*",
        '"late',
        "NEAR(late",
        "late) AND (",
        "-",
        '""',
        "'",
        "team_id:x",
        "text : late",
    ]:
        search.search(db, "T", typed)
    assert len(found(db, "-late")) == 2  # no negation
    assert found(db, "late OR absent") == set()  # every word required, "or" too


def test_words_inside_hosts_emails_and_paths_are_found_and_bolded(db) -> None:
    # PostgreSQL's parser reads "okta.com" as one token; SQLite's tokenizer splits it.
    q = question(db)
    long = "Setup " * 30 + "goes through okta.com/admin and then " + "waits " * 20
    log(
        db,
        q.id,
        ["We use okta.com for SSO", "Mail ana@acme.io about it", "Exports land in /srv/csv_out"],
        quote=long,
    )
    assert {kind for kind, _ in found(db, "okta")} == {"insight", "quote"}
    assert found(db, "okta.com sso") == {("insight", "We use okta.com for SSO")}
    assert (
        found(db, "acme") == found(db, "ana@acme.io") == {("insight", "Mail ana@acme.io about it")}
    )
    assert found(db, "csv") == {("insight", "Exports land in /srv/csv_out")}
    shown = {h.kind: h.shown for h in search.search(db, "T", "okta").hits}
    assert shown["insight"] == f"We use {search.MARK}okta{search.UNMARK}.com for SSO"
    assert f"{search.MARK}okta{search.UNMARK}.com/admin" in shown["quote"]


def test_a_phrase_with_a_stop_word_or_three_words(db) -> None:
    q = question(db)
    log(db, q.id, ["The cost of living rises", "Living costs of the team", "Single sign on first"])
    assert found(db, '"cost of living"') == {("insight", "The cost of living rises")}
    assert found(db, '"single sign on"') == {("insight", "Single sign on first")}
    assert found(db, '"sign single"') == set()


def test_ranking_paging_and_count(db) -> None:
    q = question(db)
    lines = [f"Billing export number {n} is slow" for n in range(13)]
    log(db, q.id, lines[:7])
    log(db, q.id, [*lines[7:], "Billing billing billing"])
    first = search.search(db, "T", "billing")
    assert first.total == 14 and first.more == 4 and len(first.hits) == 10
    assert plain(first.hits[0].shown) == "Billing billing billing"
    assert first.hits[0].shown.startswith(f"{search.MARK}Billing{search.UNMARK}")
    second = search.search(db, "T", "billing", offset=10)
    assert len(second.hits) == 4 and second.more == 0
    assert {h.shown for h in first.hits}.isdisjoint(h.shown for h in second.hits)
    hit = first.hits[0]
    assert (hit.question_number, hit.question_text, str(hit.held_on)) == (
        q.number,
        q.text,
        "2026-11-25",
    )


def test_only_the_callers_workspace_is_searched(db) -> None:
    mine, theirs = question(db, team="T"), question(db, team="OTHER")
    log(db, mine.id, ["SSO is required"])
    log(db, theirs.id, ["SSO is required by legal"], team="OTHER")
    assert found(db, "sso") == {("insight", "SSO is required")}
    assert found(db, "legal") == set()
    assert found(db, "legal", team="OTHER") == {("insight", "SSO is required by legal")}


def test_the_index_follows_every_write(db) -> None:
    q, other = question(db), question(db, "Where do we sell?")
    interview = log(db, q.id, ["Setup is slow"], interviewee="Ana")
    assert found(db, "setup") == {("insight", "Setup is slow")}  # its theme is the insight
    # Edit: new words in, old words out; planned interviews are not evidence yet.
    summary = Summary(str(q.id), "2026-11-24", interviewee="Bea", quote="Too many steps")
    interviews.save(db, "T", summary, "U1", NOW, interview.id)
    interviews.code_insights(db, "T", interview, ["Onboarding drags"], default_matcher(), NOW)
    assert found(db, "setup ana") == set()
    assert found(db, "bea") == {("interviewee", "Bea")}
    assert found(db, "onboarding") == {("insight", "Onboarding drags")}
    interviews.plan(db, "T", q.id, "Carl", NOW + timedelta(days=1), "U1", NOW)
    assert found(db, "carl") == set()
    # Theme rename, move and merge: labels found, under their question.
    (theme,) = interviews.themes_of(db, "T", q.id)
    codebook.rename(db, "T", theme.id, "U1", "Activation friction")
    assert found(db, "friction") == {("theme", "Activation friction")}
    (insight,) = interviews.insights_of(db, "T", interview.id)
    codebook.move(db, "T", insight.id, None, "U1", NOW)  # back to a theme named after it
    assert found(db, "friction") == set()
    second = log(db, q.id, ["Pricing page confuses"])
    first_theme, second_theme = interviews.themes_of(db, "T", q.id)
    codebook.rename(db, "T", second_theme.id, "U1", "Pricing clarity")
    codebook.merge(db, "T", second_theme.id, first_theme.id, "U1")
    assert found(db, "clarity") == set()
    # Moved to another question: found under it.
    summary = Summary(str(other.id), "2026-11-24", interviewee="Bea", quote="Too many steps")
    interviews.save(db, "T", summary, "U1", NOW, interview.id)
    interviews.code_insights(db, "T", interview, ["Onboarding drags"], default_matcher(), NOW)
    hit = search.search(db, "T", "steps").hits[0]
    assert (hit.question_id, hit.interviewee) == (other.id, "Bea")
    # Delete: gone, with its documents.
    interviews.delete(db, "T", second.id, "U1")
    assert found(db, "pricing") == set()
    assert db.exec(select(Theme).where(Theme.question_id == q.id)).all() == []
    assert {h.question_id for h in search.search(db, "T", "onboarding").hits} == {other.id}


def test_a_purged_workspace_leaves_nothing_to_find(db) -> None:
    q = question(db, team="TGONE")
    log(db, q.id, ["SSO is required"], team="TGONE")
    workspaces.uninstalled(db, "TGONE", NOW - timedelta(days=40))
    workspaces.purge(db, NOW, timedelta(days=30))
    assert found(db, "sso", team="TGONE") == set()
    count = db.execute(sa.text("SELECT count(*) FROM search_doc")).scalar_one()
    assert count == 0


def test_a_question_rewrites_only_the_documents_whose_text_changed(db) -> None:
    q = question(db)
    log(db, q.id, ["Setup is slow"])
    (theme,) = interviews.themes_of(db, "T", q.id)
    codebook.rename(db, "T", theme.id, "U1", "Activation friction")

    def docs() -> dict[tuple[str, str], int]:
        query = sa.text(
            "SELECT kind, text, id FROM search_doc WHERE question_id = :q AND interview_id IS NULL"
        )
        return {(kind, text): id for kind, text, id in db.execute(query, {"q": q.id})}

    before = docs()
    log(db, q.id, ["Pricing page confuses"])  # a new theme: its label is the only new document
    codebook.rename(db, "T", interviews.themes_of(db, "T", q.id)[1].id, "U1", "Pricing clarity")
    questions.close(db, "T", q.id, "U1", Status.ANSWERED, "Setup is the blocker", NOW)
    after = docs()
    assert {k: after[k] for k in before} == before  # the same rows: not deleted and written again
    assert set(after) - set(before) == {
        ("theme", "Pricing clarity"),
        ("conclusion", "Setup is the blocker"),
    }
    assert found(db, "blocker") == {("conclusion", "Setup is the blocker")}


def test_a_label_held_twice_is_kept_once(db) -> None:
    q = question(db)
    log(db, q.id, ["Setup is slow"])
    log(db, q.id, ["Pricing page confuses"])
    first, second = interviews.themes_of(db, "T", q.id)
    codebook.rename(db, "T", first.id, "U1", "Activation friction")
    codebook.rename(db, "T", second.id, "U1", "Activation friction")  # two themes, one name
    count = "SELECT count(*) FROM search_doc WHERE kind = 'theme' AND text = :t"
    assert db.execute(sa.text(count), {"t": "Activation friction"}).scalar_one() == 1
    db.execute(  # a copy, as the old delete-and-insert of every label left two
        sa.text(
            "INSERT INTO search_doc (team_id, kind, question_id, text) "
            "SELECT team_id, kind, question_id, text FROM search_doc WHERE kind = 'theme'"
        )
    )
    questions.close(db, "T", q.id, "U1", Status.ANSWERED, "Setup is the blocker", NOW)
    assert db.execute(sa.text(count), {"t": "Activation friction"}).scalar_one() == 1
