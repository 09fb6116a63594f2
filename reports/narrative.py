"""The weekly report's narrative: written by Claude from the week's aggregates when an Anthropic
key is configured, from templates otherwise and whenever Claude fails. The report says which
("narrative: claude" or "narrative: template", with the reason).

What Claude sees is `narrative_facts` and nothing else: the week's KPIs against the week before
and each analysis's summary statistics (n, test statistic, p-value, effect size), under names
fixed here. No row, no day other than the week's and the period's bounds, no person id. The
client is injected (tests point the SDK's `base_url` at a local server).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from biolake.errors import BiolakeError
from biolake.settings import BiolakeSettings

if TYPE_CHECKING:
    import anthropic

    from app.insights import Insight, Period
    from reports.week import Kpi, Week

MAX_TOKENS = 700
MAX_PARAGRAPHS = 4
MAX_CHARS = 2000  # a summary, not an essay: a longer reply is cut at a paragraph
SYSTEM_PROMPT = """\
You write the summary at the top of one person's weekly health report, addressed to them as \
"you". You get the week's key numbers against the week before and the results of five \
statistical analyses over the last four weeks, as JSON. Write 3 to 5 plain sentences in one or \
two short paragraphs: what changed this week, then the analyses that found something \
(significant is true). Use only the numbers given, rounded as a person would say them; invent \
nothing. When an analysis is not significant or lacks data, say at most that it found no clear \
pattern. No diagnosis, no medical advice, no headings, lists or markdown."""


class NarrativeFailed(BiolakeError):
    """Claude's narrative could not be had: the API failed, or its reply held no text. The
    report then uses the template narrative and says why."""


@dataclass(frozen=True)
class Narrative:
    paragraphs: list[str]
    source: Literal["claude", "template"]
    note: str  # the model that wrote it, or why the templates did


def _number(value: float | None, digits: int = 2) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def narrative_facts(week: Week, period: Period, kpis: Sequence[Kpi],
                    insights: Sequence[Insight]) -> dict[str, Any]:
    """The aggregates Claude may see: a whitelist of summary numbers, never the results' own
    fields (some of which list days and values)."""
    return {
        "week": {"start": week.start.isoformat(), "end": week.end.isoformat()},
        "analysis_period": {"start": period.start.isoformat(), "end": period.end.isoformat(),
                            "days": period.days},
        "kpis": [
            {"name": k.name, "unit": k.unit, "this_week": _number(k.value),
             "previous_week": _number(k.previous), "change": _number(k.delta),
             "higher_is_better": k.higher_is_better}
            for k in kpis
        ],
        "analyses": [
            {"title": r.title, "n": r.n, "min_n": r.min_n, "enough_data": r.sufficient,
             "statistic_name": r.statistic_name, "statistic": _number(r.statistic, 3),
             "p_value": _number(r.p_value, 4), "effect_size_name": r.effect_size_name,
             "effect_size": _number(r.effect_size, 3), "alpha": r.alpha,
             "significant": r.significant}
            for r in (i.result for i in insights)
        ],
    }


class ClaudeNarrator:
    """One Messages API request: the facts as JSON in, plain paragraphs out."""

    def __init__(self, client: anthropic.Anthropic, model: str) -> None:
        self._client = client
        self.model = model

    def write(self, facts: dict[str, Any]) -> list[str]:
        import anthropic

        content = "This week's numbers and analyses, as JSON:\n" + json.dumps(facts, indent=1)
        try:
            reply = self._client.messages.create(
                model=self.model, max_tokens=MAX_TOKENS, system=SYSTEM_PROMPT,
                messages=[{"role": "user", "content": content}],
            )
        except anthropic.APIError as exc:
            # the SDK's message names the status and the API's own words, never the key
            raise NarrativeFailed(f"the Anthropic API failed: {exc}") from exc
        text = "".join(b.text for b in reply.content if b.type == "text").strip()
        if not text:
            raise NarrativeFailed(f"the reply held no text (stop: {reply.stop_reason})")
        paragraphs: list[str] = []
        for paragraph in (p.strip() for p in text.split("\n\n")):
            if paragraph and sum(map(len, paragraphs)) + len(paragraph) <= MAX_CHARS:
                paragraphs.append(paragraph)
        return paragraphs[:MAX_PARAGRAPHS] or [text[:MAX_CHARS]]


def choose_narrator(settings: BiolakeSettings, local_only: bool,
                    client: Any | None = None) -> tuple[ClaudeNarrator | None, str]:
    """Claude's narrator when the user configured a key and allows it, else None and why."""
    if local_only:
        return None, "--local-only: nothing leaves this machine"
    if settings.report_narrative == "template":
        return None, "BIOLAKE_REPORT_NARRATIVE=template"
    if settings.anthropic_api_key is None and client is None:
        return None, "Claude is not configured (BIOLAKE_ANTHROPIC_API_KEY)"
    if client is None:
        from app.nl2sql.claude import make_client

        client = make_client(settings)
    return ClaudeNarrator(client, settings.anthropic_model), settings.anthropic_model


def write_narrative(facts: dict[str, Any], template: list[str], narrator: ClaudeNarrator | None,
                    why_not: str) -> Narrative:
    """Claude's paragraphs, or the template sentences with the reason they were used."""
    if narrator is None:
        return Narrative(template, "template", why_not)
    try:
        return Narrative(narrator.write(facts), "claude", narrator.model)
    except NarrativeFailed as exc:
        return Narrative(template, "template", f"Claude failed: {str(exc)[:300]}")
