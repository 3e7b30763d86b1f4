"""Thematic saturation by Guest, Namey & Chen (2020), PLOS ONE 15(5):e0232076.

The unique themes of the first `base` interviews are the denominator. A run of `run`
consecutive later interviews slides forward one interview at a time; saturation is reached
at the first run whose share of new themes is at or below `threshold`, reported as X+Y:
saturated at interview X, confirmed by the Y interviews after it.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence, Set
from dataclasses import dataclass
from enum import StrEnum

BASE = 4  # their recommended prospective setting: base 4, run 2, at most 5% new
RUN = 2
THRESHOLD = 0.05


class State(StrEnum):
    NOT_ENOUGH = "not_enough"  # fewer interviews than base + run, or no themes in the base
    LEARNING = "learning"
    SATURATED = "saturated"


@dataclass(frozen=True)
class Saturation:
    state: State
    interviews: int
    needed: int = BASE + RUN
    base_themes: int = 0
    at: int | None = None  # X of X+Y
    run: int = RUN  # Y of X+Y
    last_new: int = 0  # new themes in the latest run
    last_share: float = 0.0  # last_new / base_themes

    @property
    def label(self) -> str:
        if self.state is State.SATURATED:
            return f"{self.at}+{self.run}"
        return ""


def assess(
    interviews: Sequence[Set[Hashable]],
    base: int = BASE,
    run: int = RUN,
    threshold: float = THRESHOLD,
) -> Saturation:
    """`interviews` holds each interview's themes, in the order the interviews were held."""
    n = len(interviews)
    base_themes: set[Hashable] = set().union(*interviews[:base])
    if n < base + run or not base_themes:
        return Saturation(State.NOT_ENOUGH, n, base + run, len(base_themes), run=run)
    seen = set(base_themes)
    new = 0
    for start in range(base, n - run + 1):
        if start > base:
            seen |= interviews[start - 1]
        window: set[Hashable] = set().union(*interviews[start : start + run])
        new = len(window - seen)
        if new / len(base_themes) <= threshold:
            break
    else:
        start = None  # no run met the threshold yet
    return Saturation(
        State.LEARNING if start is None else State.SATURATED,
        n,
        base + run,
        len(base_themes),
        start,
        run,
        new,
        new / len(base_themes),
    )
