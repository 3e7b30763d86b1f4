"""Theme matching: offline, calibrated on the labelled pairs, near-duplicates found."""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path

import pytest

from cadence.matching import CharTfidf, WordLlamaMatcher, default_matcher, suggest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "matching.py"


def bench():
    spec = importlib.util.spec_from_file_location("bench_matching", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError("network blocked by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_wordllama_loads_and_matches_with_the_network_blocked(no_network: None) -> None:
    matcher = WordLlamaMatcher()  # a fresh load, not the cached one
    near, far = matcher.scores(
        "Setup takes more than a week", ["Setup takes more than a week!", "SSO is required"]
    )
    assert near > 0.95 and far < matcher.threshold


def test_the_default_is_wordllama() -> None:
    assert default_matcher().name == "wordllama"


@pytest.mark.parametrize("matcher", [CharTfidf(), default_matcher()], ids=lambda m: m.name)
def test_shipped_thresholds_are_the_calibrated_ones(matcher) -> None:
    b = bench()
    pairs = b.load_pairs()
    assert len(pairs) >= 150
    scored = b.score(matcher, pairs)
    assert matcher.threshold == b.calibrate(scored)
    assert b.precision_recall(scored, matcher.threshold)[0] >= b.TARGET_PRECISION


def test_the_default_recalls_more_than_the_lexical_baseline() -> None:
    b = bench()
    pairs = b.load_pairs()
    recall = {
        m.name: b.precision_recall(b.score(m, pairs), m.threshold)[1]
        for m in (CharTfidf(), default_matcher())
    }
    assert recall["wordllama"] > recall["tfidf-char"]


def test_suggest_picks_the_theme_of_a_near_duplicate_or_none() -> None:
    coded = [
        (1, "Per-seat pricing stops them from inviting colleagues"),
        (2, "Setup takes more than a week before the team sees value"),
        (2, "Time to first value is painfully slow because of setup"),
    ]
    m = default_matcher()
    assert suggest(m, "setup takes more than a week before the team sees value", coded).theme == 2
    assert suggest(m, "Security won't approve it without SSO", coded).theme is None
    assert suggest(m, "anything", []).theme is None
