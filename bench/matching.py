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
import math
import sys
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cadence import preselection
from cadence.matching import (
    CLOSENESS,
    TOP,
    CharTfidf,
    Matcher,
    Ranked,
    Ranking,
    ThemeMatcher,
    WordLlamaMatcher,
    default_matcher,
    rank,
    suggest,
)

TARGET_PRECISION = 0.90
DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
PAIRS = DATA / "insight_pairs.csv"
CODEBOOKS = DATA / "codebooks"
HELDOUT = DATA / "codebooks_heldout"  # written apart from the rules: for reporting only
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


def load_codebooks(folder: Path = CODEBOOKS) -> list[Codebook]:
    books = []
    for path in sorted(folder.glob("*.json")):
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


# Issue 18: rank, then preselect only where safe ------------------------------------------


@dataclass(frozen=True)
class Offer:
    """One probe as the coding step offers it: its best theme and whether that is right,
    whether the right theme is in the first TOP, whether it is a paraphrase."""

    best: Ranked
    right: bool
    in_top: bool
    paraphrase: bool

    @staticmethod
    def of(ranking: Ranking, truth: Hashable | None) -> Offer:
        top = [r.theme for r in ranking.top]
        return Offer(ranking.best, ranking.best.theme == truth, truth in top, truth is not None)


def offers(matcher: Matcher, book: Codebook) -> list[Offer]:
    """Each probe ranked against the codebook as written (`preselection.GLOBAL` ranks only)."""
    texts = [text for text, _ in book.probes]
    found = []
    for (_, truth), ranking in zip(
        book.probes, rank(matcher, texts, book.coded, preselection.GLOBAL), strict=True
    ):
        found.append(Offer.of(ranking, truth))
    return found


def preselected(offered: Sequence[Offer], safe: Callable[[Ranked], bool]) -> dict[str, float]:
    """Preselection precision and recall (a paraphrase not preselected to its theme is
    missed), recall@3 (the right theme preselected or among the first three), counts."""
    accept = [o.best.repeat or safe(o.best) for o in offered]
    tp = sum(a and o.right for a, o in zip(accept, offered, strict=True))
    fp = sum(a and not o.right for a, o in zip(accept, offered, strict=True))
    para = sum(o.paraphrase for o in offered)
    at3 = sum(o.paraphrase and o.in_top for o in offered)
    return {"tp": tp, "fp": fp, "para": para, "at3": at3}


def summary(c: dict[str, float]) -> str:
    p = f"{c['tp'] / (c['tp'] + c['fp']):.2f}" if c["tp"] + c["fp"] else "  - "
    return f"{p}/{c['tp'] / c['para']:.2f}/{c['at3'] / c['para']:.2f} {c['tp']:>2}/{c['fp']:<2}"


def lowest_holding(scores: np.ndarray, right: np.ndarray, share: float) -> float:
    """The lowest threshold (steps of 0.005) at and above which every threshold that accepts
    anything keeps the share of right ones >= `share`; infinity if none does."""
    accept = scores[None, :] >= THRESHOLDS[:, None]
    n, hits = accept.sum(1), (accept & right[None, :]).sum(1)
    holds = (n == 0) | (hits >= share * n)
    failing = np.flatnonzero(~holds)
    if not len(failing):
        return float(THRESHOLDS[0])
    return float(THRESHOLDS[failing[-1] + 1]) if failing[-1] + 1 < len(THRESHOLDS) else math.inf


def book_threshold(offered: Sequence[Offer]) -> float:
    """This codebook's lowest safe threshold for preselection."""
    top = np.array([o.best.score for o in offered])
    return lowest_holding(top, np.array([o.right for o in offered]), TARGET_PRECISION)


def thresholds_report(matcher: Matcher, books: list[Codebook], heldout: int) -> float:
    """The strictest of the per-codebook thresholds, chosen on all but one codebook and
    measured on it; returns the one chosen on all of them (what the code would ship)."""
    offered = [offers(matcher, b) for b in books]
    own = [book_threshold(o) for o in offered]
    print(f"\nglobal threshold (steps of 0.005), {matcher.name}: per codebook, the lowest at and")
    print(f"above which precision >= {TARGET_PRECISION} wherever anything is preselected; left")
    print("out in turn: the strictest of the others' applied to it. Cells: preselection")
    print("precision/recall/recall@3 tp/fp (repeats always preselected).")
    pooled: dict[str, dict[str, float]] = {"design": {}, "held out": {}}
    for k, (book, o) in enumerate(zip(books, offered, strict=True)):
        t = max(own[:k] + own[k + 1 :])
        c = preselected(o, lambda r, t=t: r.score >= t)
        kind = "held out" if k >= len(books) - heldout else "design"
        for key, v in c.items():
            pooled[kind][key] = pooled[kind].get(key, 0) + v
        rank_only = preselected(o, preselection.GLOBAL.safe)
        print(
            f"  {kind:8} {book.name[:30]:30} own {own[k]:.3f}  others' {t:.3f}: {summary(c)}"
            f"   rank only: {summary(rank_only)}"
        )
    for kind, c in pooled.items():
        print(f"  pooled {kind:35}{'':23}{summary(c)}")
    return max(own)


def closeness_report(matcher: Matcher, books: list[Codebook]) -> list[tuple[str, float]]:
    """The words for a score, on the design codebooks: the lowest score at and above which a
    theme offered in the first three was the right one 90% ("very close") or 50% ("close")."""
    scores, right = [], []
    for book in books:
        texts = [text for text, truth in book.probes if truth is not None]
        truths = [truth for _, truth in book.probes if truth is not None]
        for truth, ranking in zip(
            truths, rank(matcher, texts, book.coded, preselection.GLOBAL), strict=True
        ):
            scores += [r.score for r in ranking.top]
            right += [r.theme == truth for r in ranking.top]
    s, r = np.array(scores), np.array(right)
    shares = (("very_close", 0.9), ("close", 0.5))
    found = [(word, lowest_holding(s, r, share)) for word, share in shares]
    print(f"\nscore words on the design codebooks' top-{TOP} offers: {found} (shipped {CLOSENESS})")
    return found


@dataclass(frozen=True)
class Step:
    """One decision of a simulated team: the offer, and whether the app preselected it."""

    offer: Offer
    preselected: bool


def team_offers(matcher: Matcher, book: Codebook, seed: int) -> list[Offer]:
    """A team codes the codebook's probes in a random order (seed 0: as written), each filed
    where it belongs (a new need founds a theme), so later probes meet a grown codebook."""
    order = list(range(len(book.probes)))
    if seed:
        np.random.default_rng(seed).shuffle(order)
    coded = list(book.coded)
    found = []
    for n, i in enumerate(order):
        text, truth = book.probes[i]
        (ranking,) = rank(matcher, [text], coded, preselection.GLOBAL)
        found.append(Offer.of(ranking, truth))
        coded.append((truth if truth is not None else ("new", n), text))
    return found


def simulate(offered: Sequence[Offer], features: Sequence[str]) -> list[Step]:
    """The app's preselection as the decisions arrive: the workspace rule refitted after each
    decision (as `preselection.rule_for` does), GLOBAL until one cross-validates."""
    steps, seen, labels = [], [], []
    for o in offered:
        rule = preselection.fit(seen, labels, features) or preselection.GLOBAL
        steps.append(Step(o, o.best.repeat or rule.safe(o.best)))
        seen.append(o.best)
        labels.append(o.right)
    return steps


def curve_report(matcher: Matcher, sets: dict[str, list[Codebook]], seeds: int = 10) -> None:
    """Preselection precision and recall over time, for simulated teams: each codebook alone,
    and each set's codebooks one after another in one workspace."""
    runs = {
        b.name: [team_offers(matcher, b, seed) for seed in range(seeds)]
        for books in sets.values()
        for b in books
    }
    print(
        f"\nlearning curve of the workspace rule ({seeds} orders each, seed 0 as written): "
        f"preselection precision/recall per window of decisions, tp/fp summed over orders;"
        f" the rule needs {preselection.MIN_DECISIONS} decisions"
    )
    for features in (preselection.FEATURES, ("score", "margin")):
        print(f"  features {', '.join(features)}")
        for kind, books in sets.items():
            for b in books:
                _window_line(b.name[:26], [simulate(o, features) for o in runs[b.name]], 20)
            chained = [
                simulate([o for b in books for o in runs[b.name][seed]], features)
                for seed in range(seeds)
            ]
            _window_line(f"{kind}, one workspace", chained, 40)


def _window_line(name: str, runs: list[list[Step]], width: int) -> None:
    cells = []
    for start in range(0, len(runs[0]), width):
        steps = [s for run in runs for s in run[start : start + width]]
        tp = sum(s.preselected and s.offer.right for s in steps)
        fp = sum(s.preselected and not s.offer.right for s in steps)
        para = sum(s.offer.paraphrase for s in steps)
        p = f"{tp / (tp + fp):.2f}" if tp + fp else " -  "
        cells.append(f"{start + 1}-: {p}/{tp / para:.2f} {tp}/{fp}")
    print(f"    {name:26} " + " | ".join(cells))


def issue18(matcher: Matcher) -> None:
    design, heldout = load_codebooks(), load_codebooks(HELDOUT)
    print("\n== Issue 18: ranked offers, preselection only where safe ==")
    closeness_report(matcher, design)
    thresholds_report(matcher, design + heldout, len(heldout))
    curve_report(matcher, {"held out": heldout, "design": design})


if __name__ == "__main__":
    if sys.argv[1:] == ["issue18"]:
        issue18(default_matcher())
    else:
        main()
        issue18(default_matcher())
