"""The learning curve as a PNG: cumulative unique themes by interview, the base, each run's
share of new themes and the saturation point. Drawn headless with matplotlib's Agg canvas."""

from __future__ import annotations

import io
from functools import lru_cache

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cadence.saturation import Saturation, State

THEMES, BASE, RUNS, SATURATED = "#1d6fa5", "#e8eef3", "#b35c00", "#2e7d32"


@lru_cache(maxsize=64)  # a question asked about again, unchanged, is not drawn again
def learning_curve_png(sat: Saturation, title: str) -> bytes:
    """The chart of one question's saturation, as PNG bytes."""
    figure = Figure(figsize=(8, 4.2), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    themes = figure.add_subplot()
    interviews = range(1, len(sat.curve) + 1)
    themes.axvspan(0.5, min(sat.rule.base, len(sat.curve)) + 0.5, color=BASE, label="base")
    themes.plot(interviews, sat.curve, color=THEMES, linewidth=2, label="unique themes")
    themes.set_xlabel("interview")
    themes.set_ylabel("unique themes so far")
    themes.set_xlim(0.5, max(len(sat.curve), sat.needed) + 0.5)
    themes.set_ylim(0, max(sat.curve, default=0) * 1.15 + 1)
    themes.set_title(title, loc="left", fontsize=11, parse_math=False)  # "$50" is money
    shares = themes.twinx()
    if sat.runs:
        ends = [r.start + sat.rule.run for r in sat.runs]
        shares.plot(
            ends,
            [r.share * 100 for r in sat.runs],
            color=RUNS,
            marker="o" if len(ends) <= 60 else None,
            markersize=3,
            linewidth=1,
            label="new themes in the run ending here",
        )
    shares.axhline(
        sat.rule.threshold * 100, color=RUNS, linestyle=":", linewidth=1, label="threshold"
    )
    shares.set_ylabel("% new themes in a run", color=RUNS)
    shares.set_ylim(0, 100)
    if sat.state is State.SATURATED and sat.at is not None:
        end = sat.at + sat.rule.run
        themes.axvspan(sat.at + 0.5, end + 0.5, color=SATURATED, alpha=0.15)
        themes.plot([end], [sat.curve[end - 1]], marker="*", markersize=14, color=SATURATED)
        themes.annotate(
            f"saturated at {sat.label}",
            (end, sat.curve[end - 1]),
            textcoords="offset points",
            xytext=(-8, 10),
            ha="right",
            color=SATURATED,
        )
    handles = themes.get_legend_handles_labels()[0] + shares.get_legend_handles_labels()[0]
    themes.legend(handles=handles, loc="upper left", fontsize=8, frameon=False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
