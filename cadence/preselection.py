"""Whether the coding step may preselect an insight's best theme, and the team's decisions.

The app ranks every theme for an insight (cadence.matching.rank) and preselects the best only
where preselection has been right at least TARGET_PRECISION of the time, on evidence (an
insight typed again, in the same content words as a theme's text, aside: that is a repeat):

- globally (`GLOBAL`), the strictest score threshold that kept that precision on every
  codebook bench/matching.py has, left out in turn. On the held-out codebooks written apart
  from the rules no threshold does (on each, the highest-scored insight is a new need that
  shares a theme's words), so by default the app preselects only repeats: it ranks, and the
  person decides;
- per workspace, once the team has made MIN_DECISIONS decisions, a logistic model of "the
  best theme is the right one" on the score, margin and word overlap of the team's own
  decisions, used only when cross-validation shows that precision on them (`fit`).

Every confirm or change in the coding step, merge and move in the codebook is kept as a
`Decision` (`record`); the rule is refitted when they change (`rule_for`, cached by their
count). Nothing here loads numpy until a rule is fitted: the scheduler reads `account`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cadence.models import Decision, Insight, Interview, Question

if TYPE_CHECKING:
    import numpy as np

    from cadence.matching import Ranked, Ranking

TARGET_PRECISION = 0.9
MIN_DECISIONS = 50  # the team's decisions about a best-ranked theme before a rule is fitted
MIN_ACCEPTED = 10  # a cut is judged on at least this many preselections
FOLDS = 5
KEEP = 1000  # a rule is fitted on the team's latest decisions: bounded cost, and it follows
FEATURES = ("score", "margin", "overlap")
MAX_OVERLAP = 4  # words shared past this say nothing more


class Pair(Protocol):
    """What a rule reads: a Ranked theme, or a Decision with its label `same`."""

    score: float
    margin: float
    overlap: int


@dataclass(frozen=True)
class Threshold:
    """Preselect the best theme when its score reaches `score` (infinity: never)."""

    score: float

    def safe(self, best: Ranked) -> bool:
        return best.score >= self.score


# bench/matching.py, leave one codebook out over the design and held-out codebooks: no score
# threshold keeps precision >= 0.9 on any held-out codebook, so none is safe.
GLOBAL = Threshold(math.inf)


@dataclass(frozen=True)
class Fitted:
    """A logistic model of "the best theme is the right one" on a team's decisions, and the
    probability at and above which cross-validation showed precision >= TARGET_PRECISION."""

    center: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]  # intercept, then one per feature (standardised)
    cut: float
    decisions: int
    precision: float  # cross-validated, at `cut`
    recall: float  # of the decisions whose best theme was right, cross-validated
    features: tuple[str, ...] = FEATURES

    def probability(self, pair: Pair) -> float:
        x = _features(pair, self.features)
        z = self.weights[0] + sum(
            w * (v - c) / s
            for w, v, c, s in zip(self.weights[1:], x, self.center, self.scale, strict=True)
        )
        return 1 / (1 + math.exp(-max(min(z, 30.0), -30.0)))

    def safe(self, best: Ranked) -> bool:
        return self.probability(best) >= self.cut


def _features(pair: Pair, features: Sequence[str]) -> list[float]:
    return [
        float(min(pair.overlap, MAX_OVERLAP) if f == "overlap" else getattr(pair, f))
        for f in features
    ]


def fit(
    pairs: Sequence[Pair], labels: Sequence[bool], features: Sequence[str] = FEATURES
) -> Fitted | None:
    """The rule fitted on decisions about best-ranked themes (`labels`: the theme was right),
    or None with fewer than MIN_DECISIONS of them or no cut that cross-validates at
    TARGET_PRECISION over at least MIN_ACCEPTED preselections."""
    if len(pairs) < MIN_DECISIONS or sum(labels) < MIN_ACCEPTED:
        return None
    import numpy as np

    x = np.array([_features(p, features) for p in pairs], dtype=np.float64)
    y = np.array(labels, dtype=np.float64)
    held = np.empty(len(y))
    fold = np.arange(len(y)) % FOLDS  # in order: neighbouring decisions split across folds
    for k in range(FOLDS):
        model = _logistic(x[fold != k], y[fold != k])
        held[fold == k] = _predict(model, x[fold == k])
    found = safe_cut(held, y.astype(bool))
    if found is None:
        return None
    cut, precision, recall = found
    center, scale, weights = _logistic(x, y)
    return Fitted(
        tuple(map(float, center)),
        tuple(map(float, scale)),
        tuple(map(float, weights)),
        cut,
        len(y),
        precision,
        recall,
        tuple(features),
    )


Model = tuple["np.ndarray", "np.ndarray", "np.ndarray"]  # center, scale, weights


def _logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0) -> Model:
    """Ridge logistic regression by Newton's method on standardised features."""
    import numpy as np

    center, scale = x.mean(0), x.std(0)
    scale[scale == 0] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - center) / scale])
    w = np.zeros(z.shape[1])
    ridge = np.diag([0.0] + [l2] * x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(z @ w, -30, 30)))
        hessian = z.T @ (z * (p * (1 - p))[:, None]) + ridge
        step = np.linalg.solve(hessian, z.T @ (p - y) + ridge @ w)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return center, scale, w


def _predict(model: Model, x: np.ndarray) -> np.ndarray:
    import numpy as np

    center, scale, w = model
    return 1 / (1 + np.exp(-np.clip(w[0] + ((x - center) / scale) @ w[1:], -30, 30)))


def safe_cut(scores: np.ndarray, right: np.ndarray) -> tuple[float, float, float] | None:
    """The lowest cut on `scores` at which accepting every score at or above it, and at every
    stricter cut accepting at least MIN_ACCEPTED, kept precision >= TARGET_PRECISION; with the
    precision and the recall (of `right`) there. None when no cut does."""
    import numpy as np

    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], np.cumsum(right[order])
    n = np.arange(1, len(ranked) + 1)
    precision = hits / n
    # Only cuts between distinct scores: a cut accepts every tie of its score.
    ends = np.flatnonzero(np.r_[ranked[1:] < ranked[:-1], True])
    judged = ends[ends + 1 >= MIN_ACCEPTED]
    failed = judged[precision[judged] < TARGET_PRECISION]
    usable = judged[judged < failed[0]] if len(failed) else judged
    if not len(usable):
        return None
    k = usable[-1]
    return float(ranked[k]), float(precision[k]), float(hits[k] / max(right.sum(), 1))


# Fitted rules by (team, decisions, latest decision): refitted when a decision arrives.
_fitted: dict[tuple[str, int, int], Fitted | None] = {}
_CACHED = 1024


def rule_for(s: Session, team_id: str) -> Threshold | Fitted:
    """The rule in force in a workspace: its fitted rule when it has one, else GLOBAL."""
    n, last = s.execute(
        sa.select(sa.func.count(), sa.func.max(Decision.id)).where(
            Decision.team_id == team_id, col(Decision.margin) >= 0
        )
    ).one()
    if n < MIN_DECISIONS:
        return GLOBAL
    key = (team_id, n, last)
    if key not in _fitted:
        if len(_fitted) >= _CACHED:
            _fitted.pop(next(iter(_fitted)))
        latest = list(
            s.exec(
                select(Decision)
                .where(Decision.team_id == team_id, col(Decision.margin) >= 0)
                .order_by(col(Decision.id).desc())
                .limit(KEEP)
            )
        )
        _fitted[key] = fit(latest, [d.same for d in latest])
    return _fitted[key] or GLOBAL


def snapshot(ranking: Ranking) -> str:
    """The first themes of a ranking, as Insight.ranked keeps them."""
    return json.dumps(
        [[r.theme, round(r.score, 4), round(r.margin, 4), r.overlap] for r in ranking.top]
    )


def ranked_of(insight: Insight) -> list[Ranked]:
    """The first themes the app offered for an insight when it was coded, best first."""
    from cadence.matching import Ranked

    return [Ranked(*row) for row in json.loads(insight.ranked or "[]")]


def record(
    s: Session,
    team_id: str,
    question_id: int,
    insight_id: int,
    ranked: Sequence[Ranked],
    chosen: int | None,
    now: datetime,
) -> None:
    """A person filed an insight under `chosen` (None: a theme of its own), the app having
    ranked `ranked` (best first): the best theme is a decision (right or not), and so is the
    chosen one where it was ranked. A pair judged again replaces its earlier decision."""
    if not ranked:
        return
    pairs = [r for r in ranked[1:] if r.theme == chosen]
    for r in [ranked[0], *pairs]:
        s.execute(
            sa.delete(Decision).where(
                Decision.team_id == team_id,
                Decision.insight_id == insight_id,
                Decision.theme_id == r.theme,
            )
        )
        s.add(
            Decision(
                team_id=team_id,
                question_id=question_id,
                insight_id=insight_id,
                theme_id=r.theme,
                same=r.theme == chosen,
                score=r.score,
                margin=r.margin,
                overlap=r.overlap,
                created_at=now,
            )
        )
    s.flush()


@dataclass(frozen=True)
class Account:
    """What a question's latest saturation run rests on."""

    insights: int  # the run's insights
    preselected: int  # of them, filed under an earlier theme as the app preselected
    interview_ids: tuple[int, ...]  # the run's interviews, in the order held


def account(s: Session, team_id: str, question_id: int) -> Account | None:
    """The latest run of the question's saturation rule (its last `sat_run` interviews held),
    or None before it has one."""
    question = s.get(Question, question_id)
    if question is None or question.team_id != team_id:
        return None
    latest = list(
        s.exec(
            select(Interview.id)
            .where(
                Interview.team_id == team_id,
                Interview.question_id == question_id,
                col(Interview.held_on).is_not(None),
            )
            .order_by(col(Interview.held_on).desc(), col(Interview.id).desc())
            .limit(question.sat_base + question.sat_run)
        )
    )
    if len(latest) < question.sat_base + question.sat_run:
        return None
    run = latest[: question.sat_run][::-1]
    total, kept = s.execute(
        sa.select(sa.func.count(), sa.func.count().filter(col(Insight.preselected))).where(
            Insight.team_id == team_id, col(Insight.interview_id).in_(run)
        )
    ).one()
    return Account(total, kept, tuple(run))
