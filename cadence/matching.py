"""Theme matching: which of a question's themes a new insight most likely belongs to.

`suggest(matcher, insight, coded)` is the app's decision (the option preselected in the coding
step): every theme gets a score from its texts (its name and the insights coded to it), and the
best theme is suggested when its score reaches `matcher.threshold`; otherwise a new theme.

The rules were compared on hand-written codebooks (tests/data/codebooks/: four products, 30
themes each, paraphrases of a theme and new insights from the same product), each rule's
threshold chosen on three codebooks and measured on the fourth; bench/matching.py prints the
table. The default, `ThemeMatcher`, blends a semantic score (cosine to the centroid of the
theme's WordLlama embeddings, tokens weighted by their IDF over the question's texts) with a
lexical one (character TF-IDF cosine to the theme's nearest text). Everything works offline:
nothing is downloaded at run time.

The IDF is fitted on the themes' texts (`ThemeMatcher.fit`, the insights scored are not part
of it), so that a theme's vectors (`ThemeVectors`) depend only on its own texts and that
fit: a question keeps them (cadence.kept) instead of embedding every theme for each summary.
"""

from __future__ import annotations

import math
import re
import threading
import zlib
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal, Protocol

import numpy as np


class Matcher(Protocol):
    name: str
    threshold: float  # calibrated: at or above it, suggest() preselects the best theme

    def scores(self, text: str, others: Sequence[str]) -> list[float]: ...

    def theme_scores(
        self, text: str, coded: Sequence[tuple[Hashable, str]]
    ) -> dict[Hashable, float]: ...

    def theme_scores_many(
        self,
        texts: Sequence[str],
        coded: Sequence[tuple[Hashable, str]],
        weights: Weights | None = None,
    ) -> list[dict[Hashable, float]]: ...


class _NearestText:
    """A theme scores as its most similar text: its name or one of its insights."""

    def scores(self, text: str, others: Sequence[str]) -> list[float]:
        raise NotImplementedError

    def theme_scores(
        self, text: str, coded: Sequence[tuple[Hashable, str]]
    ) -> dict[Hashable, float]:
        best: dict[Hashable, float] = {}
        for (theme, _), score in zip(coded, self.scores(text, [t for _, t in coded]), strict=True):
            if theme not in best or score > best[theme]:
                best[theme] = score
        return best

    def theme_scores_many(
        self,
        texts: Sequence[str],
        coded: Sequence[tuple[Hashable, str]],
        weights: Weights | None = None,
    ) -> list[dict[Hashable, float]]:
        return [self.theme_scores(text, coded) for text in texts]


_SPACE = re.compile(r"[^\w]+")


def _normalize(text: str) -> str:
    return " " + _SPACE.sub(" ", text.casefold()).strip() + " "


GRAM_BUCKETS = 1 << 20  # grams hashed (crc32) into this many ids: stable across processes


@dataclass(frozen=True)
class Frequencies:
    """Document frequencies: in how many of `texts` texts each id (a token, a gram bucket)
    occurs; `ids` sorted."""

    texts: int
    ids: np.ndarray
    counts: np.ndarray

    @staticmethod
    def of(parsed: Sequence[np.ndarray]) -> Frequencies:
        """From each text's distinct ids."""
        found = np.concatenate(parsed) if parsed else np.zeros(0, dtype=np.int64)
        ids, counts = np.unique(found, return_counts=True)
        return Frequencies(len(parsed), ids, counts)

    def idf(self, ids: np.ndarray) -> np.ndarray:
        """Smoothed IDF of `ids`, as sklearn's: log((1 + n) / (1 + df)) + 1."""
        df = np.zeros(len(ids))
        if len(self.ids):
            at = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
            df = np.where(self.ids[at] == ids, self.counts[at], 0)
        return np.log((1 + self.texts) / (1 + df)) + 1


class CharTfidf(_NearestText):
    """Cosine of TF-IDF vectors over character 3- to 5-grams (hashed into GRAM_BUCKETS ids);
    IDF from the texts compared (smoothed, as sklearn's), sublinear TF. Vectorised, with each
    text's grams cached."""

    name = "tfidf-char"
    threshold = 0.315  # top-1 over theme texts: bench/matching.py, calibrated on the codebooks

    def __init__(self, sizes: tuple[int, ...] = (3, 4, 5)) -> None:
        self.sizes = sizes
        self._parsed = lru_cache(maxsize=50_000)(self._parse)

    def _grams(self, text: str) -> Counter[str]:
        t = _normalize(text)
        return Counter(t[i : i + n] for n in self.sizes for i in range(len(t) - n + 1))

    def _parse(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's gram ids (sorted) and their sublinear term frequencies."""
        counts: Counter[int] = Counter()
        for gram, n in self._grams(text).items():
            counts[zlib.crc32(gram.encode()) % GRAM_BUCKETS] += n
        ids = np.array(sorted(counts), dtype=np.int64)
        return ids, np.array([1 + math.log(counts[i]) for i in ids.tolist()])

    def frequencies(self, texts: Sequence[str]) -> Frequencies:
        return Frequencies.of([self._parsed(t)[0] for t in texts])

    def weighted(
        self, texts: Sequence[str], idf: Frequencies
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each text's unit TF-IDF vector: its gram ids and their weights."""
        if not texts:
            return []
        parsed = [self._parsed(t) for t in texts]
        lengths = np.array([len(ids) for ids, _ in parsed])
        w = np.concatenate([tf for _, tf in parsed]) * idf.idf(
            np.concatenate([ids for ids, _ in parsed])
        )
        owner = np.repeat(np.arange(len(texts)), lengths)
        norms = np.sqrt(np.bincount(owner, w * w, minlength=len(texts)))
        w /= np.where(norms == 0, 1.0, norms)[owner]
        ends = np.cumsum(lengths)
        return [(ids, w[end - len(ids) : end]) for (ids, _), end in zip(parsed, ends, strict=True)]

    def scores(self, text: str, others: Sequence[str]) -> list[float]:
        return [float(x) for x in self.scores_many([text], others)[0]] if others else []

    def scores_many(self, texts: Sequence[str], others: Sequence[str]) -> np.ndarray:
        """Cosines of each of `texts` to each of `others` (IDF over all of them)."""
        vectors = self.weighted([*texts, *others], self.frequencies([*texts, *others]))
        return _sparse_cosines(vectors[: len(texts)], *_joined(vectors[len(texts) :]))


def _joined(
    vectors: Sequence[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sparse vectors as one array of ids, one of weights and each vector's length."""
    lengths = np.array([len(ids) for ids, _ in vectors], dtype=np.int64)
    if not vectors:
        return np.zeros(0, dtype=np.int64), np.zeros(0), lengths
    return np.concatenate([i for i, _ in vectors]), np.concatenate([w for _, w in vectors]), lengths


def _sparse_cosines(
    queries: Sequence[tuple[np.ndarray, np.ndarray]],
    ids: np.ndarray,
    weights: np.ndarray,
    lengths: np.ndarray,
) -> np.ndarray:
    """Dot products of each query (ids, weights) with each joined vector. Only the entries
    whose id some query has are read past the first pass (a few of a question's)."""
    found = np.zeros((len(queries), len(lengths)))
    if not queries or not len(ids):
        return found
    grams = np.unique(np.concatenate([q_ids for q_ids, _ in queries]))
    slot = np.zeros(GRAM_BUCKETS, dtype=np.int32)  # 1 + the id's place in `grams`
    slot[grams] = np.arange(1, len(grams) + 1)
    hits = np.flatnonzero(slot[ids])
    owner = np.searchsorted(np.cumsum(lengths), hits, side="right")
    table = np.zeros((len(queries), len(grams) + 1))
    for row, (q_ids, q_w) in enumerate(queries):
        table[row, slot[q_ids]] = q_w
    products = table[:, slot[ids[hits]]] * weights[hits]
    for row in range(len(queries)):
        found[row] = np.bincount(owner, products[row], minlength=len(lengths))
    return found


class WordLlamaMatcher(_NearestText):
    """Cosine of WordLlama embeddings (the weights ship inside the wheel; no download).

    `dim` truncates the 256-dimensional model (64 and 128 are its Matryoshka sizes).
    `weighted`: texts are case-folded and each token weighs its squared IDF over the texts
    compared, so words every theme of the question shares count less than distinctive ones."""

    threshold = 0.56  # top-1 over theme texts, plain and 256 dims: bench/matching.py

    def __init__(self, dim: int = 256, weighted: bool = False) -> None:
        from pathlib import Path

        import wordllama

        self.model = wordllama.WordLlama.load(
            cache_dir=Path(wordllama.__file__).parent,
            disable_download=True,
            trunc_dim=None if dim == 256 else dim,
        )
        self.dim, self.weighted = dim, weighted
        self._tokens = lru_cache(maxsize=50_000)(self._tokenize)
        self.name = "wordllama" + ("-idf" if weighted else "") + ("" if dim == 256 else str(dim))

    def frequencies(self, texts: Sequence[str]) -> Frequencies:
        parsed = [self._tokens(t) for t in texts]
        if not parsed:
            return Frequencies.of([])
        vocab = self.model.embedding.shape[0]
        rows = np.repeat(np.arange(len(parsed)), [len(p) for p in parsed])
        distinct = np.unique(rows * vocab + np.concatenate(parsed)) % vocab  # per text
        ids, counts = np.unique(distinct, return_counts=True)
        return Frequencies(len(parsed), ids, counts)

    def vectors(self, texts: Sequence[str], idf: Frequencies | None = None) -> np.ndarray:
        """Unit vectors of `texts` (IDF, when weighted, from `idf`, else from these texts)."""
        if not self.weighted:
            return self.model.embed(list(texts), norm=True).astype(np.float32)
        embedding = self.model.embedding
        parsed = [self._tokens(t) for t in texts]
        lengths = np.array([len(p) for p in parsed])
        tokens = np.concatenate(parsed) if parsed else np.zeros(0, dtype=np.int64)
        idf = idf or self.frequencies(texts)
        weight = (idf.idf(tokens) ** 2).astype(np.float32)
        sums = np.zeros((len(texts), embedding.shape[1]), dtype=np.float32)
        filled = lengths > 0
        if filled.any():
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])[filled]
            sums[filled] = np.add.reduceat(embedding[tokens] * weight[:, None], starts, axis=0)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return sums / np.where(norms == 0, 1.0, norms)

    def _tokenize(self, text: str) -> np.ndarray:
        ids = self.model.tokenizer.encode(text.casefold(), add_special_tokens=False)
        tokens = np.array([i for i, m in zip(ids.ids, ids.attention_mask, strict=True) if m])
        return np.clip(tokens.astype(np.int64), 0, self.model.embedding.shape[0] - 1)

    def scores(self, text: str, others: Sequence[str]) -> list[float]:
        if not others:
            return []
        vectors = self.vectors([text, *others])
        return [float(x) for x in vectors[1:] @ vectors[0]]


@dataclass(frozen=True)
class Weights:
    """The IDF a question's theme vectors were computed with: the document frequencies of
    its themes' texts when they were counted (tokens for the semantic part, gram ids for the
    lexical one)."""

    tokens: Frequencies | None
    grams: Frequencies | None


@dataclass(frozen=True)
class ThemeVectors:
    """What a theme is matched by, from its texts (its name and latest insights) and the
    question's `Weights`: the unit centroid of their embeddings, their TF-IDF vectors (gram
    ids and weights joined, `lengths` entries each) and their content words."""

    centroid: np.ndarray  # float32; empty without a semantic part
    grams: np.ndarray  # int64
    weights: np.ndarray  # float32
    lengths: np.ndarray  # int64, one per text
    words: tuple[frozenset[str], ...]  # per text


class ThemeMatcher:
    """A theme's score: `weight` x the semantic score + (1 - `weight`) x the lexical one.

    Semantic: cosine to the theme's centroid (the normalised mean of its texts' unit vectors),
    or to its nearest text (`by="nearest"`). Lexical: cosine to the theme's nearest text.
    `margin`: besides the threshold, the best theme must beat the second by this much.
    IDF, where weighted, over the themes' texts (`fit`)."""

    def __init__(
        self,
        semantic: WordLlamaMatcher | None,
        lexical: CharTfidf | None = None,
        weight: float = 1.0,
        by: Literal["centroid", "nearest"] = "centroid",
        threshold: float = 0.5,
        margin: float = 0.0,
        name: str | None = None,
    ) -> None:
        self.semantic, self.lexical, self.weight, self.by = semantic, lexical, weight, by
        self.threshold, self.margin = threshold, margin
        parts = [f"{semantic.name}-{by}"] if semantic and weight > 0 else []
        parts += [lexical.name] if lexical and weight < 1 else []
        self.name = name or "+".join(parts)

    @property
    def _semantic(self) -> WordLlamaMatcher | None:
        return self.semantic if self.semantic is not None and self.weight > 0 else None

    @property
    def _lexical(self) -> CharTfidf | None:
        return self.lexical if self.lexical is not None and self.weight < 1 else None

    @property
    def keeps(self) -> bool:
        """Whether a theme's vectors stand for its texts (a centroid): else, as with the
        nearest text of the semantic part, the texts are embedded for each call."""
        return self._semantic is None or self.by == "centroid"

    def scores(self, text: str, others: Sequence[str]) -> list[float]:
        """Per text (a theme of one text each): the blend of both cosines."""
        return list(self.theme_scores(text, list(enumerate(others))).values())

    def theme_scores(
        self, text: str, coded: Sequence[tuple[Hashable, str]]
    ) -> dict[Hashable, float]:
        return self.theme_scores_many([text], coded)[0]

    def fit(self, texts: Sequence[str]) -> Weights:
        """The IDF of a question's theme texts."""
        semantic = self._semantic
        tokens = semantic.frequencies(texts) if semantic and semantic.weighted else None
        return Weights(tokens, self._lexical.frequencies(texts) if self._lexical else None)

    def theme_vectors(self, texts: Sequence[str], weights: Weights) -> ThemeVectors:
        """One theme's vectors, from its texts."""
        return self.themes_vectors([texts], weights)[0]

    def themes_vectors(
        self, themes: Sequence[Sequence[str]], weights: Weights
    ) -> list[ThemeVectors]:
        """Each theme's vectors, from its texts (each at least one), embedded together."""
        if not themes:
            return []
        texts = [t for theme in themes for t in theme]
        starts = np.cumsum([0] + [len(theme) for theme in themes[:-1]])
        centroids: list[np.ndarray] = [np.zeros(0, dtype=np.float32)] * len(themes)
        if self._semantic is not None:
            totals = np.add.reduceat(self._semantic.vectors(texts, weights.tokens), starts)
            norms = np.linalg.norm(totals, axis=1, keepdims=True).clip(1e-12)
            centroids = list((totals / norms).astype(np.float32))
        weighted = self._lexical.weighted(texts, weights.grams) if self._lexical else []
        found = []
        for theme, start, centroid in zip(themes, starts, centroids, strict=True):
            grams, w, lengths = _joined(weighted[start : start + len(theme)])
            words = tuple(content_words(t) for t in theme)
            found.append(ThemeVectors(centroid, grams, w.astype(np.float32), lengths, words))
        return found

    def kept_scores(
        self,
        texts: Sequence[str],
        themes: Sequence[tuple[Hashable, ThemeVectors]],
        weights: Weights,
    ) -> list[dict[Hashable, float]]:
        """`theme_scores` of each of `texts` against themes' kept vectors."""
        if not themes:
            return [{} for _ in texts]
        total = np.zeros((len(texts), len(themes)))
        if self._semantic is not None:
            queries = self._semantic.vectors(texts, weights.tokens)
            total += self.weight * (queries @ np.stack([v.centroid for _, v in themes]).T)
        if self._lexical is not None:
            queries = self._lexical.weighted(texts, weights.grams)
            ids, w, lengths = (np.concatenate(a) for a in zip(*((v.grams, v.weights, v.lengths)
                               for _, v in themes), strict=True))  # fmt: skip
            per_text = _sparse_cosines(queries, ids, w, lengths)
            starts = np.concatenate([[0], np.cumsum([len(v.lengths) for _, v in themes])[:-1]])
            total += (1 - self.weight) * np.maximum.reduceat(per_text, starts, axis=1)
        keys = [t for t, _ in themes]
        return [dict(zip(keys, (float(x) for x in row), strict=True)) for row in total]

    def theme_scores_many(
        self,
        texts: Sequence[str],
        coded: Sequence[tuple[Hashable, str]],
        weights: Weights | None = None,
    ) -> list[dict[Hashable, float]]:
        """`theme_scores` of several texts, each theme's texts embedded once for all of them
        (IDF, where weighted, `weights`, else fitted on the themes' texts)."""
        if not coded:
            return [{} for _ in texts]
        grouped = _grouped(coded)
        weights = weights or self.fit([t for _, t in coded])
        if self.keeps:
            vectors = self.themes_vectors(list(grouped.values()), weights)
            themes = list(zip(grouped, vectors, strict=True))
            return self.kept_scores(texts, themes, weights)
        # The semantic part by nearest text: a theme's texts are scored one by one.
        index = {t: i for i, t in enumerate(grouped)}
        theme = np.array([index[t] for t, _ in coded])
        others = [t for _, t in coded]
        sims = (
            self.semantic.vectors(texts, weights.tokens)
            @ self.semantic.vectors(others, weights.tokens).T
        )
        total = self.weight * _max_by(theme, sims, len(index))
        if self._lexical is not None:
            lexical = _sparse_cosines(
                self._lexical.weighted(texts, weights.grams),
                *_joined(self._lexical.weighted(others, weights.grams)),
            )
            total += (1 - self.weight) * _max_by(theme, lexical, len(index))
        return [{t: float(row[i]) for t, i in index.items()} for row in total]


def _grouped(coded: Sequence[tuple[Hashable, str]]) -> dict[Hashable, list[str]]:
    """Each theme's texts, themes in order of first appearance."""
    grouped: dict[Hashable, list[str]] = {}
    for theme, text in coded:
        grouped.setdefault(theme, []).append(text)
    return grouped


def _max_by(group: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per row of `values` (texts x theme texts): the best value of each group (theme)."""
    best = np.full((values.shape[0], n), -np.inf)
    for row in range(values.shape[0]):
        np.maximum.at(best[row], group, values[row])
    return best


_loading = threading.Lock()


@cache
def default_matcher() -> ThemeMatcher:
    """The rule with the best held-out precision and recall in bench/matching.py. Loaded once
    (a caller while another thread loads it waits for that load)."""
    with _loading:
        return _default_matcher()


@cache
def _default_matcher() -> ThemeMatcher:
    return ThemeMatcher(
        WordLlamaMatcher(weighted=True),
        CharTfidf(),
        weight=0.5,
        by="centroid",
        threshold=0.295,  # bench/matching.py: calibrated on the four codebooks
    )


@dataclass(frozen=True)
class Suggestion:
    theme: Hashable | None  # None: a new theme
    score: float


def suggest(matcher: Matcher, insight: str, coded: Sequence[tuple[Hashable, str]]) -> Suggestion:
    """The best-scoring theme among `coded` (theme, text) pairs (each theme's name and
    insights) when its score reaches the matcher's threshold (and, for a matcher with a
    margin, beats the runner-up by it); otherwise a new theme."""
    return suggest_many(matcher, [insight], coded)[0]


def suggest_many(
    matcher: Matcher, insights: Sequence[str], coded: Sequence[tuple[Hashable, str]]
) -> list[Suggestion]:
    """`suggest` for each of several insights (one summary's), the themes' texts embedded
    once for all of them."""
    if not coded:
        return [Suggestion(None, 0.0) for _ in insights]
    found = []
    for scored in matcher.theme_scores_many(insights, coded):
        ranked = sorted(scored.items(), key=lambda item: item[1], reverse=True)
        theme, best = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else -math.inf
        if best >= matcher.threshold and best - second >= getattr(matcher, "margin", 0.0):
            found.append(Suggestion(theme, best))
        else:
            found.append(Suggestion(None, best))
    return found


# Ranking: what the coding step offers. On products nobody tuned the rules on, the best theme
# is often wrong (a new need that shares a theme's words outscores a paraphrase of it), yet the
# right theme is mostly among the first three: so the app ranks, and the person decides.
TOP = 3
# The score in words, from bench/matching.py (the four design codebooks): at or above
# "very_close", 90% of the themes offered first or in the top three were the right one; at or
# above "close", 50%. They describe the wording, not a promise.
CLOSENESS = (("very_close", 0.28), ("close", 0.155))
_WORD = re.compile(r"[a-z0-9]+")
_STOP = (
    "about after again all also and any are because been before but can cant could did does "
    "doesnt dont for from get gets got had has have how into its just more most not now off "
    "once only other our out over really same should some still than that the their them "
    "then there they this too very was way were what when where which who why will with "
    "without would you your"
)
_STOPWORDS = frozenset(_STOP.split())


@lru_cache(maxsize=50_000)
def content_words(text: str) -> frozenset[str]:
    """Lowercase words of three letters or more and numbers, stopwords out, a plural "s"
    folded."""
    words = _WORD.findall(text.casefold().replace("'", ""))
    return frozenset(
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
        for w in words
        if (len(w) > 2 or w.isdigit()) and w not in _STOPWORDS
    )


@dataclass(frozen=True)
class Ranked:
    """One theme as offered for an insight."""

    theme: Hashable
    score: float
    margin: float  # its score minus the best other theme's (> 0 for the first alone)
    overlap: int  # content words the insight shares with the theme's texts
    repeat: bool = False  # the insight has the content words of one of the theme's texts

    @property
    def closeness(self) -> str:
        """ "very_close", "close", or "" (a key for the words the app shows)."""
        return next((word for word, at in CLOSENESS if self.score >= at), "")


class Preselection(Protocol):
    """When the best theme is safe to preselect, a repeat aside (cadence.preselection)."""

    def safe(self, best: Ranked) -> bool: ...


@dataclass(frozen=True)
class Ranking:
    """An insight's themes, best first, and the one preselected (None: "New theme")."""

    themes: tuple[Ranked, ...]
    preselect: Hashable | None = None

    @property
    def best(self) -> Ranked | None:
        return self.themes[0] if self.themes else None

    @property
    def top(self) -> tuple[Ranked, ...]:
        """The "Best matches" group."""
        return self.themes[:TOP]

    @property
    def rest(self) -> tuple[Ranked, ...]:
        """Every other theme, still by score."""
        return self.themes[TOP:]

    def of(self, theme: Hashable) -> Ranked | None:
        return next((r for r in self.themes if r.theme == theme), None)


def rank(
    matcher: Matcher,
    insights: Sequence[str],
    coded: Sequence[tuple[Hashable, str]],
    rule: Preselection,
    weights: Weights | None = None,
) -> list[Ranking]:
    """For each insight, every theme of `coded` (theme, text) pairs ordered by score (ties by
    first appearance); the best preselected when it is a repeat (the insight typed again, in
    the same content words as one of its texts: not a judgement of meaning), or when `rule`
    says it is safe. `weights`: the IDF (by default fitted on the themes' texts)."""
    words = {theme: [content_words(t) for t in texts] for theme, texts in _grouped(coded).items()}
    scores = matcher.theme_scores_many(insights, coded, weights)
    return _ranked(insights, scores, words, rule)


def rank_kept(
    matcher: ThemeMatcher,
    insights: Sequence[str],
    themes: Sequence[tuple[Hashable, ThemeVectors]],
    weights: Weights,
    rule: Preselection,
) -> list[Ranking]:
    """`rank` against themes' kept vectors (in the order given)."""
    words = {theme: list(v.words) for theme, v in themes}
    return _ranked(insights, matcher.kept_scores(insights, themes, weights), words, rule)


def _ranked(
    insights: Sequence[str],
    scores: Sequence[dict[Hashable, float]],
    words: dict[Hashable, list[frozenset[str]]],
    rule: Preselection,
) -> list[Ranking]:
    """Each insight's themes by score, from their scores and their texts' content words."""
    union = {theme: frozenset().union(*found) for theme, found in words.items()}
    found = []
    for insight, scored in zip(insights, scores, strict=True):
        ordered = sorted(scored.items(), key=lambda item: -item[1])  # stable: ties keep order
        mine = content_words(insight)
        # The best other theme's score: the second's for the first, the first's for the rest.
        first, second = ([s for _, s in ordered[:2]] + [0.0, 0.0])[:2]
        themes = tuple(
            Ranked(
                theme,
                score,
                score - (second if i == 0 else first),
                len(mine & union[theme]),
                bool(mine) and mine in words[theme],
            )
            for i, (theme, score) in enumerate(ordered)
        )
        best = themes[0] if themes else None
        safe = best is not None and (best.repeat or rule.safe(best))
        found.append(Ranking(themes, best.theme if safe else None))
    return found
