"""Unit tests of the Delivery ledger: who sends, and when a send must be looked for first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from cadence import deliveries
from cadence.deliveries import LEASE, Claim

NOW = datetime(2026, 11, 23, 8, tzinfo=UTC)
KEY = ("T", "weekly_reminder", "UOWNER", "2026-11-23")
SECOND = timedelta(seconds=1)


def test_a_fresh_claim_needs_no_look_and_a_live_one_is_not_taken(db: Session) -> None:
    assert deliveries.take(db, KEY, NOW) == Claim(True)
    assert deliveries.take(db, KEY, NOW + LEASE - SECOND) == Claim(False)


def test_a_claim_taken_over_after_its_lease_says_since_when_to_look(db: Session) -> None:
    assert deliveries.claim(db, KEY, NOW)  # and the process dies
    later = NOW + LEASE + SECOND
    assert deliveries.take(db, KEY, later) == Claim(True, check_since=NOW)
    # The taker holds it now, with a fresh lease: nobody else takes it over.
    assert deliveries.take(db, KEY, later + SECOND) == Claim(False)
    deliveries.sent(db, KEY, later)
    assert deliveries.take(db, KEY, later + LEASE * 3) == Claim(False)


def test_a_send_in_doubt_is_taken_over_at_once_and_looked_for(db: Session) -> None:
    assert deliveries.claim(db, KEY, NOW)
    deliveries.in_doubt(db, KEY, NOW)  # the answer was lost: the next tick takes it over
    claim = deliveries.take(db, KEY, NOW + SECOND)
    assert claim.won and claim.check_since is not None and claim.check_since <= NOW


def test_a_failed_look_keeps_the_earliest_moment_to_look_from(db: Session) -> None:
    assert deliveries.claim(db, KEY, NOW)
    first = deliveries.take(db, KEY, NOW + LEASE + SECOND)
    assert first.check_since == NOW
    # The look failed: the claim goes back in doubt, from the first claim's moment.
    deliveries.in_doubt(db, KEY, NOW + LEASE + SECOND, first.check_since)
    much_later = NOW + LEASE * 5
    assert deliveries.take(db, KEY, much_later) == Claim(True, check_since=NOW)


def test_in_doubt_leaves_a_claim_it_does_not_hold_alone(db: Session) -> None:
    assert deliveries.claim(db, KEY, NOW)
    taker = NOW + LEASE + SECOND
    assert deliveries.take(db, KEY, taker).won
    deliveries.in_doubt(db, KEY, NOW)  # the first process, late: no longer its claim
    assert deliveries.take(db, KEY, taker + SECOND) == Claim(False)
    deliveries.sent(db, KEY, taker)
    deliveries.in_doubt(db, KEY, taker)  # sent stays sent
    assert deliveries.take(db, KEY, taker + LEASE * 3) == Claim(False)
