"""Theme matching measured the way the app uses it: the option `suggest` preselects.

    .venv/bin/python bench/matching.py

Data: tests/data/codebooks/*.json, four hand-written codebooks (B2B SaaS, consumer app,
hardware, marketplace), each 30 themes (a label and two insights, as the app holds them) and
probes: paraphrases of a theme (the right answer is that theme) and new insights from the same
product that share its words (the right answer is a new theme).

The metric is the app's decision. For each probe: the right theme is a true positive, a wrong
theme (or any theme for a new probe) a false positive, "new" for a paraphrase a false negative.
Each rule's threshold (and margin) is chosen leave-one-codebook-out: on the other three
codebooks, the point with the most recall among those whose precision reaches TARGET_PRECISION
(a wrong merge hides a new theme and makes saturation look reached too early), or else the point
of best F0.5; then measured on the held-out codebook. Pooled: the four held-out results added up.

Also printed: each rule on the codebooks cut to their first 10 themes (paraphrases of the
themes cut become new insights) with the same held-out thresholds, as early in a question's
life; latency per decision against a codebook of 300 themes (900 texts); and the old
single-pair figures on tests/data/insight_pairs.csv.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cadence.matching import (
    CharTfidf,
    Matcher,
    ThemeMatcher,
    WordLlamaMatcher,
    default_matcher,
    suggest,
)

TARGET_PRECISION = 0.90
DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
PAIRS = DATA / "insight_pairs.csv"
CODEBOOKS = DATA / "codebooks"
THRESHOLDS = np.round(np.arange(0.0, 1.0, 0.005), 3)
MARGINS = np.round(np.arange(0.0, 0.205, 0.01), 2)
EARLY_THEMES = 10


@dataclass(frozen=True)
class Codebook:
    name: str
    coded: list[tuple[Hashable, str]]  # (theme, text): each theme's label and insights
    probes: list[tuple[str, Hashable | None]]  # (insight, right theme or None: new)

    def cut(self, themes: int) -> Codebook:
        keep = list(dict.fromkeys(t for t, _ in self.coded))[:themes]
        return Codebook(
            f"{self.name}@{themes}",
            [(t, x) for t, x in self.coded if t in keep],
            [(x, t if t in keep else None) for x, t in self.probes],
        )


def load_codebooks() -> list[Codebook]:
    books = []
    for path in sorted(CODEBOOKS.glob("*.json")):
        data = json.loads(path.read_text())
        coded = [(t["id"], x) for t in data["themes"] for x in (t["label"], *t["insights"])]
        probes = [(p["text"], p["theme"]) for p in data["probes"]]
        books.append(Codebook(data["kind"], coded, probes))
    return books


@dataclass(frozen=True)
class Decisions:
    """Per probe: whether the best theme is the right one, whether the probe is a paraphrase,
    the best theme's score and its margin over the second best."""

    correct: np.ndarray
    paraphrase: np.ndarray
    top: np.ndarray
    margin: np.ndarray

    @staticmethod
    def join(parts: Sequence[Decisions]) -> Decisions:
        return Decisions(*(np.concatenate([getattr(p, f) for p in parts]) for f in FIELDS))


FIELDS = ("correct", "paraphrase", "top", "margin")


def decide(matcher: Matcher, book: Codebook) -> Decisions:
    rows = []
    for text, right in book.probes:
        scored = sorted(matcher.theme_scores(text, book.coded).items(), key=lambda x: -x[1])
        (best, top), second = scored[0], scored[1][1]
        rows.append((right is not None and best == right, right is not None, top, top - second))
    return Decisions(*(np.array(column) for column in zip(*rows, strict=True)))


def counts(d: Decisions, threshold: float, margin: float = 0.0) -> np.ndarray:
    """True positives, false positives, false negatives."""
    accept = (d.top >= threshold) & (d.margin >= margin)
    return np.array(
        [
            np.sum(accept & d.correct),
            np.sum(accept & ~d.correct),
            np.sum(~accept & d.paraphrase),
        ]
    )


def prf(c: np.ndarray) -> tuple[float, float, float]:
    tp, fp, fn = (float(x) for x in c)
    p, r = tp / ((tp + fp) or 1), tp / ((tp + fn) or 1)
    return p, r, 2 * p * r / ((p + r) or 1)


def calibrate(d: Decisions, with_margin: bool = False) -> tuple[float, float]:
    """(threshold, margin): the most recall at precision >= TARGET_PRECISION (the lowest such
    threshold), or else the best F0.5. Thresholds in steps of 0.005, margins of 0.01."""
    margins = MARGINS if with_margin else MARGINS[:1]
    best_key, best = None, (1.0, 0.0)
    for m in margins:
        accept = (d.top[:, None] >= THRESHOLDS[None, :]) & (d.margin >= m)[:, None]
        tp = (accept & d.correct[:, None]).sum(0)
        fp = (accept & ~d.correct[:, None]).sum(0)
        fn = (~accept & d.paraphrase[:, None]).sum(0)
        p = tp / np.maximum(tp + fp, 1)
        r = tp / np.maximum(tp + fn, 1)
        f05 = 1.25 * p * r / np.maximum(0.25 * p + r, 1e-12)
        for i in np.nonzero(tp + fp)[0]:
            reached = p[i] >= TARGET_PRECISION
            key = (reached, r[i] if reached else f05[i], p[i], THRESHOLDS[i], -m)
            if best_key is None or key > best_key:
                best_key, best = key, (float(THRESHOLDS[i]), float(m))
    return best


def held_out(
    per_book: list[Decisions], with_margin: bool
) -> tuple[list[np.ndarray], list[tuple[float, float]]]:
    """Leave one codebook out: counts on each codebook at the point chosen on the others."""
    results, chosen = [], []
    for k, book in enumerate(per_book):
        point = calibrate(Decisions.join(per_book[:k] + per_book[k + 1 :]), with_margin)
        results.append(counts(book, *point))
        chosen.append(point)
    return results, chosen


@dataclass(frozen=True)
class Rule:
    name: str
    make: Callable[[], Matcher]
    margin: bool = False
    fixed: tuple[float, float] | None = None  # not calibrated: as shipped before


def rules() -> list[Rule]:
    """Every rule compared. Models load once and are shared."""
    loaded: dict[tuple, WordLlamaMatcher] = {}

    def wl(dim: int = 256, weighted: bool = False) -> WordLlamaMatcher:
        if (dim, weighted) not in loaded:
            loaded[dim, weighted] = WordLlamaMatcher(dim, weighted)
        return loaded[dim, weighted]

    tfidf = CharTfidf()

    def theme(dim=256, weighted=False, lexical=False, by="nearest") -> Callable[[], Matcher]:
        weight = 0.5 if lexical else 1.0
        return lambda: ThemeMatcher(wl(dim, weighted), tfidf if lexical else None, weight, by)

    return [
        Rule("top-1 (before; 0.18 as shipped)", theme(), fixed=(0.18, 0.0)),
        Rule("top-1", theme()),
        Rule("top-1 + margin", theme(), margin=True),
        Rule("centroid", theme(by="centroid")),
        Rule("top-1, 128 dims", theme(128)),
        Rule("top-1, 64 dims", theme(64)),
        Rule("lexical top-1 (char tf-idf)", lambda: ThemeMatcher(None, tfidf, 0.0)),
        Rule("blend top-1", theme(lexical=True)),
        Rule("blend centroid", theme(lexical=True, by="centroid")),
        Rule("idf top-1", theme(weighted=True)),
        Rule("idf top-1 + margin", theme(weighted=True), margin=True),
        Rule("idf centroid", theme(weighted=True, by="centroid")),
        Rule("idf blend top-1", theme(weighted=True, lexical=True)),
        Rule("idf blend centroid (default)", theme(weighted=True, lexical=True, by="centroid")),
        Rule(
            "idf blend centroid + margin",
            theme(weighted=True, lexical=True, by="centroid"),
            margin=True,
        ),
        Rule("idf blend centroid, 128 dims", theme(128, True, True, "centroid")),
        Rule("idf blend centroid, 64 dims", theme(64, True, True, "centroid")),
    ]


def calibrated(matcher: Matcher, books: list[Codebook]) -> tuple[float, float, float]:
    """The threshold chosen on all the codebooks, with its precision and recall there."""
    everything = Decisions.join([decide(matcher, b) for b in books])
    t, _ = calibrate(everything)
    p, r, _ = prf(counts(everything, t))
    return t, p, r


def big_codebook(books: list[Codebook], themes: int = 300) -> list[tuple[Hashable, str]]:
    """`themes` themes of three texts each, from the codebooks' themes with a number added."""
    by_theme: dict[Hashable, list[str]] = {}
    for b in books:
        for t, x in b.coded:
            by_theme.setdefault((b.name, t), []).append(x)
    groups = list(by_theme.values())
    return [
        (i, f"{text} ({i // len(groups)})" if i >= len(groups) else text)
        for i in range(themes)
        for text in groups[i % len(groups)]
    ]


def latency_ms(matcher: Matcher, coded: list[tuple[Hashable, str]], probes: list[str]) -> float:
    """Mean time of `suggest` over the probes, as one interview's lines: the first cold."""
    start = time.perf_counter()
    for text in probes:
        suggest(matcher, text, coded)
    return (time.perf_counter() - start) / len(probes) * 1000


def fmt(c: np.ndarray) -> str:
    p, r, _ = prf(c)
    return f"{p:.2f}/{r:.2f}"


def load_pairs() -> list[tuple[str, str, bool]]:
    with PAIRS.open() as f:
        return [(r["a"], r["b"], r["same_theme"] == "1") for r in csv.DictReader(f)]


def pair_scores(matcher: Matcher, pairs: list[tuple[str, str, bool]]) -> list[tuple[float, bool]]:
    return [(matcher.scores(a, [b])[0], same) for a, b, same in pairs]


def pair_precision_recall(scored: list[tuple[float, bool]], t: float) -> tuple[float, float]:
    tp = sum(1 for s, same in scored if s >= t and same)
    fp = sum(1 for s, same in scored if s >= t and not same)
    fn = sum(1 for s, same in scored if s < t and same)
    return tp / ((tp + fp) or 1), tp / ((tp + fn) or 1)


def pairs_report(matchers: list[Matcher]) -> None:
    pairs = load_pairs()
    same = sum(s for *_, s in pairs)
    print(f"\nOld single-pair figures: {len(pairs)} pairs ({same} same theme), lowest threshold")
    print(
        f"with precision >= {TARGET_PRECISION} (steps of 0.01), in sample; not the app's decision"
    )
    for m in matchers:
        scored = pair_scores(m, pairs)
        t = next(
            (
                x / 100
                for x in range(1, 100)
                if pair_precision_recall(scored, x / 100)[0] >= TARGET_PRECISION
            ),
            1.0,
        )
        p, r = pair_precision_recall(scored, t)
        print(f"  {m.name:40} threshold {t:.2f}  precision {p:.3f}  recall {r:.3f}")


def main() -> None:
    started = time.perf_counter()
    books = load_codebooks()
    early = [b.cut(EARLY_THEMES) for b in books]
    big = big_codebook(books)
    probes = [text for b in books for text, _ in b.probes][:20]
    para = sum(t is not None for b in books for _, t in b.probes)
    print(
        f"{len(books)} codebooks, {sum(len({t for t, _ in b.coded}) for b in books)} themes, "
        f"{para} paraphrase and {sum(len(b.probes) for b in books) - para} new probes; "
        f"target precision {TARGET_PRECISION}\n"
    )
    names = [b.name.split()[0][:9] for b in books]
    head = f"{'rule':32} " + " ".join(f"{n:>9}" for n in names)
    head += f" | {'P':>4} {'R':>4} {'F1':>4} {'tp/fp/fn':>10} | {'threshold(s)':22} | "
    head += f"{'@10 P/R':>9} | ms/300"
    print("held out (leave one codebook out), precision/recall per codebook, then pooled")
    print(head)
    print("-" * len(head))
    for rule in rules():
        matcher = rule.make()
        per_book = [decide(matcher, b) for b in books]
        if rule.fixed:
            results, chosen = [counts(d, *rule.fixed) for d in per_book], [rule.fixed] * 4
        else:
            results, chosen = held_out(per_book, rule.margin)
        early_counts = sum(
            counts(decide(matcher, b), *point) for b, point in zip(early, chosen, strict=True)
        )
        pooled = sum(results)
        p, r, f = prf(pooled)
        ts = sorted({t for t, _ in chosen})
        ms = sorted({m for _, m in chosen})
        point = f"{ts[0]:.3f}" + (f"-{ts[-1]:.3f}" if len(ts) > 1 else "")
        if rule.margin:
            point += f" m{ms[0]:.2f}" + (f"-{ms[-1]:.2f}" if len(ms) > 1 else "")
        print(
            f"{rule.name:32} "
            + " ".join(f"{fmt(c):>9}" for c in results)
            + f" | {p:.2f} {r:.2f} {f:.2f} {'/'.join(str(int(x)) for x in pooled):>10}"
            + f" | {point:22} | {fmt(early_counts):>9} |"
            + f" {latency_ms(matcher, big, probes):6.1f}"
        )
    shipped = default_matcher()
    print("\nthresholds calibrated on all four codebooks (what the code ships):")
    for matcher in (shipped, CharTfidf(), WordLlamaMatcher()):
        t, p, r = calibrated(matcher, books)
        print(
            f"  {matcher.name:40} {t:.3f} (shipped {matcher.threshold:.3f}); "
            f"in sample precision {p:.2f} recall {r:.2f}"
        )
    pairs_report([CharTfidf(), WordLlamaMatcher(), shipped])
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
