"""Theme matching: which of a question's themes a new insight most likely belongs to.

One interface, `Matcher.scores(text, others)`, similarities (cosines). Two implementations
were compared on the labelled pairs in tests/data/insight_pairs.csv (bench/matching.py prints
their precision and recall); the default and the thresholds come from those numbers.
Both work offline: nothing is downloaded at run time.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Protocol


class Matcher(Protocol):
    name: str
    threshold: float  # calibrated: at or above it, two insights share a theme

    def scores(self, text: str, others: Sequence[str]) -> list[float]: ...


_SPACE = re.compile(r"[^\w]+")


def _normalize(text: str) -> str:
    return " " + _SPACE.sub(" ", text.casefold()).strip() + " "


class CharTfidf:
    """Cosine of TF-IDF vectors over character 3- to 5-grams; IDF from the texts compared."""

    name = "tfidf-char"
    threshold = 0.08  # bench/matching.py: precision 0.92, recall 0.44

    def __init__(self, sizes: tuple[int, ...] = (3, 4, 5)) -> None:
        self.sizes = sizes

    def _grams(self, text: str) -> Counter[str]:
        t = _normalize(text)
        return Counter(t[i : i + n] for n in self.sizes for i in range(len(t) - n + 1))

    def scores(self, text: str, others: Sequence[str]) -> list[float]:
        docs = [self._grams(t) for t in (text, *others)]
        df: Counter[str] = Counter(g for d in docs for g in d)
        n = len(docs)
        idf = {g: math.log((1 + n) / (1 + c)) + 1 for g, c in df.items()}  # smoothed, as sklearn
        vectors = []
        for d in docs:
            v = {g: (1 + math.log(tf)) * idf[g] for g, tf in d.items()}
            norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
            vectors.append({g: x / norm for g, x in v.items()})
        first = vectors[0]
        return [sum(w * v.get(g, 0.0) for g, w in first.items()) for v in vectors[1:]]


class WordLlamaMatcher:
    """Cosine of WordLlama embeddings (the weights ship inside the wheel; no download)."""

    name = "wordllama"
    threshold = 0.18  # bench/matching.py: precision 0.91, recall 0.76

    def __init__(self) -> None:
        from pathlib import Path

        import wordllama

        self.model = wordllama.WordLlama.load(
            cache_dir=Path(wordllama.__file__).parent, disable_download=True
        )

    def scores(self, text: str, others: Sequence[str]) -> list[float]:
        if not others:
            return []
        vectors = self.model.embed([text, *others], norm=True)
        return [float(x) for x in vectors[1:] @ vectors[0]]


@cache
def default_matcher() -> Matcher:
    """WordLlama: more recall than the lexical baseline at the same precision (bench/)."""
    return WordLlamaMatcher()


@dataclass(frozen=True)
class Suggestion:
    theme: Hashable | None  # None: a new theme
    score: float


def suggest(matcher: Matcher, insight: str, coded: Sequence[tuple[Hashable, str]]) -> Suggestion:
    """The theme of the most similar coded text (a theme's name or one of its insights),
    when it reaches the matcher's threshold; otherwise a new theme."""
    if not coded:
        return Suggestion(None, 0.0)
    scores = matcher.scores(insight, [text for _, text in coded])
    best = max(range(len(coded)), key=scores.__getitem__)
    if scores[best] >= matcher.threshold:
        return Suggestion(coded[best][0], scores[best])
    return Suggestion(None, scores[best])
