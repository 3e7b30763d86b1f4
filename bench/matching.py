"""Precision and recall of the theme matchers on tests/data/insight_pairs.csv.

    .venv/bin/python bench/matching.py

For each matcher: the calibrated threshold, with its precision and recall, the same at the
threshold the code ships with, and the time per comparison.

Calibration favours precision: a wrong merge hides a new theme, and hidden themes make
saturation look reached too early (telling a team to stop interviewing while it still
learns). So the threshold is the lowest one whose precision reaches TARGET_PRECISION,
which keeps the most recall at that precision.
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cadence.matching import CharTfidf, Matcher, WordLlamaMatcher

TARGET_PRECISION = 0.90
PAIRS = Path(__file__).resolve().parents[1] / "tests" / "data" / "insight_pairs.csv"


def load_pairs() -> list[tuple[str, str, bool]]:
    with PAIRS.open() as f:
        return [(r["a"], r["b"], r["same_theme"] == "1") for r in csv.DictReader(f)]


def precision_recall(scored: list[tuple[float, bool]], threshold: float) -> tuple[float, float]:
    tp = sum(1 for s, same in scored if s >= threshold and same)
    fp = sum(1 for s, same in scored if s >= threshold and not same)
    fn = sum(1 for s, same in scored if s < threshold and same)
    return tp / ((tp + fp) or 1), tp / ((tp + fn) or 1)


def f1(p: float, r: float) -> float:
    return 2 * p * r / ((p + r) or 1)


def calibrate(scored: list[tuple[float, bool]]) -> float:
    """The lowest threshold (in steps of 0.01) whose precision reaches TARGET_PRECISION."""
    candidates = [t / 100 for t in range(1, 100)]
    return next(t for t in candidates if precision_recall(scored, t)[0] >= TARGET_PRECISION)


def score(matcher: Matcher, pairs: list[tuple[str, str, bool]]) -> list[tuple[float, bool]]:
    return [(matcher.scores(a, [b])[0], same) for a, b, same in pairs]


def held_out(scored: list[tuple[float, bool]], folds: int = 5) -> tuple[float, float]:
    """Precision and recall on pairs the threshold was not calibrated on (k-fold)."""
    hits = []
    for k in range(folds):
        train = [x for i, x in enumerate(scored) if i % folds != k]
        test = [x for i, x in enumerate(scored) if i % folds == k]
        t = calibrate(train)
        hits += [(s >= t, same) for s, same in test]
    tp = sum(1 for pred, same in hits if pred and same)
    return tp / (sum(p for p, _ in hits) or 1), tp / (sum(s for _, s in hits) or 1)


def report(matcher: Matcher, pairs: list[tuple[str, str, bool]]) -> None:
    start = time.perf_counter()
    scored = score(matcher, pairs)
    per_pair_ms = (time.perf_counter() - start) / len(pairs) * 1000
    best = calibrate(scored)
    for label, t in (("calibrated", best), ("shipped", matcher.threshold)):
        p, r = precision_recall(scored, t)
        print(
            f"{matcher.name:12} {label:10} threshold {t:.2f}  precision {p:.3f}  "
            f"recall {r:.3f}  F1 {f1(p, r):.3f}"
        )
    p, r = held_out(scored)
    print(f"{matcher.name:12} {'held out':10} 5-fold          precision {p:.3f}  recall {r:.3f}")
    print(f"{matcher.name:12} {per_pair_ms:.3f} ms per pair")


def main() -> None:
    pairs = load_pairs()
    positives = sum(same for *_, same in pairs)
    print(f"{len(pairs)} labelled pairs, {positives} same theme, {len(pairs) - positives} not\n")
    report(CharTfidf(), pairs)
    report(WordLlamaMatcher(), pairs)


if __name__ == "__main__":
    main()
