"""The Ask tab: a question in plain English, how it was understood, the answer and its SQL."""

from __future__ import annotations

import asyncio
import html
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer

from app.dashboard.store import (
    AskOutcome,
    DashboardStore,
)
from app.dashboard.views.components import (
    card,
    chart_for,
    plotly_pane,
    table,
)
from app.insights import plotly_theme
from app.nl2sql.offline import EXAMPLE_QUESTIONS

# a button that puts the answer's SQL on the clipboard (no server round trip); the fallback
# copies through a hidden text area where the Clipboard API is not offered
COPY_JS = """
const done = () => { button.label = 'Copied'; setTimeout(() => { button.label = 'Copy SQL'; }, 1500); };
const fallback = () => {
  const area = document.createElement('textarea');
  area.value = sql; area.style.position = 'fixed'; area.style.opacity = '0';
  document.body.appendChild(area); area.select();
  try { document.execCommand('copy'); done(); } catch (e) { /* nothing to copy to */ }
  area.remove();
};
if (navigator.clipboard && window.isSecureContext) {
  navigator.clipboard.writeText(sql).then(done, fallback);
} else { fallback(); }
"""


def interpretation_of(answer: Any) -> str | None:
    """How the translator understood the question, when it says (`interpretation` in the
    answer's JSON; older translators do not give one)."""
    try:
        value = answer.as_json().get("interpretation")
    except AttributeError:
        return None
    return str(value).strip() or None if value else None


def answer_view(outcome: AskOutcome) -> pn.Column:
    """One chat answer: how the question was understood (when the translator says), the
    sentence, the translator, the SQL (collapsed, with a copy button), the table and a chart
    when the shape suits; or the error, plainly."""
    if outcome.error is not None:
        return pn.Column(pn.pane.Alert(outcome.error, alert_type="danger", name="error"),
                         sizing_mode="stretch_width")
    answer = outcome.answer
    copy = pn.widgets.Button(label="Copy SQL", color="light", width=100, css_classes=["copy-sql"])
    copy.js_on_click(args={"sql": answer.sql, "button": copy}, code=COPY_JS)
    parts: list[Any] = []
    interpretation = interpretation_of(answer)
    if interpretation:
        parts.append(pn.pane.Markdown(f"*Understood as:* {html.escape(interpretation)}",
                                      name="interpretation", sizing_mode="stretch_width",
                                      styles={"color": plotly_theme.MUTED}))
    parts += [
        pn.pane.Markdown(html.escape(answer.answer), name="sentence",
                         sizing_mode="stretch_width"),
        pn.pane.Markdown(f"*answered by the **{answer.translator}** translator on "
                         f"{answer.engine} in {answer.elapsed_ms} ms*", name="translator",
                         sizing_mode="stretch_width"),
        pn.Card(pn.pane.Markdown(f"```sql\n{answer.sql}\n```", sizing_mode="stretch_width",
                                 styles={"overflow-x": "auto"}),
                title="SQL", collapsed=True, name="sql", sizing_mode="stretch_width"),
        copy,
        table(outcome.frame, name="result"),
    ]
    figure = chart_for(outcome.frame)
    if figure is not None:
        parts.append(plotly_pane(figure, name="chart", height=320))
    return card(outcome.question, *parts, name="answer")


class AskView(Viewer):
    """A chat: questions and their answers, newest last. Built from plain widgets rather than
    `pn.chat` (whose icons load a web font from a CDN, which this dashboard must never need)."""

    store = param.ClassSelector(class_=DashboardStore)

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.question = pn.widgets.TextInput(placeholder="Ask about your sleep, readiness, "
                                             "workouts...", sizing_mode="stretch_width")
        self.send = pn.widgets.Button(label="Ask", color="primary", width=90)
        self.feed = pn.Column(sizing_mode="stretch_width", name="chat")
        self.suggestions = [pn.widgets.Button(label=q, color="light") for q in EXAMPLE_QUESTIONS]
        for button in self.suggestions:
            button.on_click(self._suggest)
        # this session's questions, newest first; a click asks again
        self.asked: list[str] = []
        self.history = pn.FlexBox(name="history", sizing_mode="stretch_width",
                                  css_classes=["history"])
        self.send.on_click(self._submit)
        self.question.param.watch(self._submit, "enter_pressed")

    async def _suggest(self, event: Any) -> None:
        await self.ask(event.obj.label)

    async def _submit(self, _event: Any = None) -> None:
        text, self.question.value = self.question.value, ""
        if text.strip():
            await self.ask(text)

    async def ask(self, text: str) -> pn.Column:
        """Show the question, then its answer; the query runs in a thread, so other sessions
        keep being served meanwhile."""
        pending = pn.indicators.LoadingSpinner(value=True, size=24, label="Answering...")
        self.feed.extend([pn.pane.Markdown(f"**You:** {html.escape(text)}"), pending])
        self._remember(text)
        outcome = await asyncio.to_thread(self.store.ask, text)
        reply = answer_view(outcome)
        self.feed.remove(pending)
        self.feed.append(reply)
        return reply

    def _remember(self, text: str) -> None:
        self.asked = [text, *[q for q in self.asked if q != text]]
        buttons = []
        for question in self.asked:
            button = pn.widgets.Button(label=question, color="default")
            button.on_click(self._suggest)
            buttons.append(button)
        self.history.objects = buttons

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            card("Try", pn.FlexBox(*self.suggestions, sizing_mode="stretch_width"),
                 name="suggestions"),
            card("Asked in this session", self.history, name="question-history"),
            self.feed,
            pn.Row(self.question, self.send, sizing_mode="stretch_width"),
            sizing_mode="stretch_width")
