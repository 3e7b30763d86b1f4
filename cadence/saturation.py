"""Thematic saturation by Guest, Namey & Chen (2020), PLOS ONE 15(5):e0232076.

The unique themes of the first `base` interviews are the denominator. A run of `run`
consecutive later interviews slides forward one interview at a time; saturation is reached
at the first run whose share of new themes is at or below `threshold`, reported as X+Y:
saturated at interview X, confirmed by the Y interviews after it. Interviews go on after
it, so a later run that brings new themes back makes the question learning again.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence, Set
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Rule:
    """When to call a question saturated: a base of interviews, then runs of `run` later
    interviews whose new themes are at most `threshold` of the base's."""

    base: int
    run: int
    threshold: float  # a share: 0.05 is 5%


# One run is one burst of three interviews, the unit a team works in.
DEFAULT = Rule(4, 3, 0.05)
PRESETS: dict[str, Rule] = {
    "burst": DEFAULT,
    "guest2020": Rule(4, 2, 0.05),  # Guest, Namey & Chen's recommended prospective setting
    "francis2010": Rule(10, 3, 0.0),  # Francis et al. (2010): 10, then 3 with no new theme
}
LIMITS = {"base": (1, 50), "run": (1, 20), "threshold": (0, 50)}  # threshold in percent


def preset_of(rule: Rule) -> str | None:
    return next((name for name, r in PRESETS.items() if r == rule), None)


def check_rule(preset: str, base: str, run: str, threshold: str) -> tuple[Rule | None, dict]:
    """A rule from a modal: the preset chosen (the default when none), with any of the three
    numbers typed taking its place. Returns the rule, or None and problems by field."""
    chosen = PRESETS.get(preset or "burst")
    if chosen is None:
        return None, {"preset": "required"}
    values = {"base": chosen.base, "run": chosen.run, "threshold": chosen.threshold * 100}
    errors = {}
    for name, text in (("base", base), ("run", run), ("threshold", threshold)):
        text = text.strip()
        if not text:
            continue
        low, high = LIMITS[name]
        try:
            number = float(text) if name == "threshold" else int(text)
        except ValueError:
            number = None
        if number is None or not text.isascii() or not low <= number <= high:
            errors[name] = f"{name}_range"
        else:
            values[name] = number
    if errors:
        return None, errors
    return Rule(int(values["base"]), int(values["run"]), round(values["threshold"] / 100, 4)), {}


class State(StrEnum):
    NOT_ENOUGH = "not_enough"  # fewer interviews than base + run, or no themes in the base
    LEARNING = "learning"
    SATURATED = "saturated"


@dataclass(frozen=True)
class Saturation:
    state: State
    interviews: int
    rule: Rule = DEFAULT
    base_themes: int = 0
    at: int | None = None  # X of X+Y
    last_new: int = 0  # new themes in the latest run
    last_share: float = 0.0  # last_new / base_themes
    curve: tuple[int, ...] = ()  # unique themes so far, after each interview
    runs: tuple[Run, ...] = ()  # every run after the base, for the learning curve

    @property
    def sparkline(self) -> str:
        return sparkline(self.curve)

    @property
    def run(self) -> int:  # Y of X+Y
        return self.rule.run

    @property
    def needed(self) -> int:
        return self.rule.base + self.rule.run

    @property
    def label(self) -> str:
        if self.state is State.SATURATED:
            return f"{self.at}+{self.run}"
        return ""


def curve_of(interviews: Iterable[Set[Hashable]]) -> tuple[int, ...]:
    """Unique themes so far after each interview, from each interview's themes in the order
    they were held: all that saturation depends on."""
    seen: set[Hashable] = set()
    curve = []
    for themes in interviews:
        seen |= themes
        curve.append(len(seen))
    return tuple(curve)


def assess(curve: Sequence[int], rule: Rule = DEFAULT) -> Saturation:
    """`curve` holds the unique themes so far after each interview, in the order held."""
    curve = tuple(curve)
    base_themes = curve[rule.base - 1] if len(curve) >= rule.base else (curve or (0,))[-1]
    found = runs(curve, rule)
    if not found:
        return Saturation(State.NOT_ENOUGH, len(curve), rule, base_themes, curve=curve)
    # Saturated while the latest run is within the threshold, since the first run of that
    # unbroken stretch (X); a run that brings new themes back means learning again.
    last = found[-1]
    at = None
    for r in reversed(found):
        if r.share > rule.threshold:
            break
        at = r.start
    return Saturation(
        State.LEARNING if at is None else State.SATURATED,
        len(curve),
        rule,
        base_themes,
        at,
        last.new,
        last.share,
        curve,
        tuple(found),
    )


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(curve: Sequence[int], width: int = 16) -> str:
    """Cumulative unique themes as a text sparkline of at most `width` characters: a curve
    that flattens is a question that stopped teaching anything new."""
    if not curve:
        return ""
    if len(curve) > width:  # the value at evenly spaced interviews, the last one included
        curve = [curve[round(i * (len(curve) - 1) / (width - 1))] for i in range(width)]
    top = max(curve) or 1
    return "".join(SPARKS[round(v * (len(SPARKS) - 1) / top)] for v in curve)


@dataclass(frozen=True)
class Run:
    """One run of `rule.run` interviews after the base and the new themes it added."""

    start: int  # interviews before it: X of X+Y if it is the one that saturates
    new: int
    share: float  # new / the base's unique themes


def runs(curve: Sequence[int], rule: Rule) -> list[Run]:
    """Every run, sliding one interview at a time; none while the base has no themes or the
    first run is incomplete. A run's new themes are those first seen in it: the rise of the
    curve across it."""
    if len(curve) < rule.base or not curve[rule.base - 1]:
        return []
    base_themes = curve[rule.base - 1]
    found = []
    for start in range(rule.base, len(curve) - rule.run + 1):
        new = curve[start + rule.run - 1] - curve[start - 1]
        found.append(Run(start, new, new / base_themes))
    return found
