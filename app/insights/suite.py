"""All five analyzers over one person's period, and the two ways `biolake insights` prints them.

Pure: the rows come in (see `loader.py`), results and text go out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from app.insights import anomalies, intensity, readiness_trend, sleep_readiness, workout_recovery
from app.insights.base import Analyzer, InsightResult, Period, format_p

ANALYZERS: tuple[Analyzer, ...] = tuple(
    Analyzer(m.NAME, m.TITLE, m.analyze, m.visualize, m.narrate)
    for m in (sleep_readiness, workout_recovery, readiness_trend, anomalies, intensity)
)


@dataclass(frozen=True)
class Insight:
    analyzer: Analyzer
    result: InsightResult

    @property
    def narrative(self) -> list[str]:
        return self.analyzer.narrate(self.result)


def run_all(rows: pd.DataFrame, period: Period) -> list[Insight]:
    return [Insight(a, a.analyze(rows, period)) for a in ANALYZERS]


def as_json(insights: list[Insight], person_id: str, period: Period, rows: int) -> dict[str, Any]:
    """One object: the person, the period, and each analyzer's full result and narrative."""
    return {
        "person_id": person_id,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat(),
                   "days": period.days},
        "rows": rows,
        "insights": {
            i.analyzer.name: {**i.result.to_json(), "narrative": i.narrative} for i in insights
        },
    }


def figure_lines(insight: Insight) -> list[str]:
    """The figures behind an insight, one short line each (text output and the weekly report)."""
    r = insight.result
    lines = [f"n = {r.n} (needs {r.min_n})"]
    if r.statistic is not None:
        lines.append(f"{r.statistic_name} = {r.statistic:.3g}")
    if r.p_value is not None:
        lines.append(format_p(r.p_value))
    if r.effect_size is not None and r.effect_size_name != r.statistic_name:
        lines.append(f"{r.effect_size_name} = {r.effect_size:.3g}")
    return lines


def as_text(insights: list[Insight], person_id: str, period: Period, rows: int) -> str:
    lines = [f"Insights for {person_id}, {period} ({period.days} days, {rows} with data)", ""]
    for insight in insights:
        r = insight.result
        lines.append(f"== {r.title} ==")
        lines.extend(insight.narrative)
        lines.append("   " + "; ".join(figure_lines(insight)))
        lines.extend(f"   note: {c}" for c in r.caveats)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
