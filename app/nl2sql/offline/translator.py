"""The offline translator: a question read and planned, then built into SQL by its family."""

from __future__ import annotations

from datetime import date

from app.nl2sql.errors import NotUnderstood
from app.nl2sql.offline import compose
from app.nl2sql.offline.builders import BUILDERS, DIALECT, Scope
from app.nl2sql.offline.planning import Plan, interpretation, plan_question, rationale
from app.nl2sql.translation import Translation


class OfflineTranslator:
    """Questions → Trino SQL over the gold views, deterministic and local (no network, no key).

    Args:
        as_of: the "today" of every question: "yesterday", "last week" and "so far" count
            from it.
        person_id: whose rows the SQL reads (a string literal in the SQL, never pasted text).
        instructors: the instructor names in the person's workouts, as stored: a question naming
            one ("rides with Matt Wilpers") filters by it. Empty: names are not understood.

    Raises:
        NotUnderstood: from `plan` and `translate`, for a question it does not know. It never
            answers a different question instead; the error carries a phrasing it does know.
    """

    name = "offline"

    def __init__(
        self, as_of: date, person_id: str = "me", instructors: tuple[str, ...] = ()
    ) -> None:
        self.as_of = as_of
        self.person_id = person_id
        self.instructors = instructors

    def plan(self, question: str) -> Plan:
        """How the question is understood: its family, span, measures and conditions.

        Raises:
            NotUnderstood: a word is not understood, or no family fits what was read.
        """
        return plan_question(question, self.as_of)

    def translate(self, question: str) -> Translation:
        """One question in English to one Trino SELECT, with its rationale and answer template.

        Args:
            question: as a person types it; case, punctuation and curly quotes do not matter.

        Returns:
            The SQL (pretty-printed, not yet guarded), the gold view it relies on, a one-line
            rationale and the answer sentence's template.

        Raises:
            NotUnderstood: a word is not understood, no family fits, the family lacks what it
                needs (a correlation with one measure), or the conditions mix two category
                views (overtraining risk and energy state days).
        """
        try:  # the compositional reading first, for the parts only it knows
            return self._composed(
                compose.plan(question, self.as_of, instructors=self.instructors)
            )
        except compose.NotMine:
            pass
        try:
            plan = self.plan(question)
        except NotUnderstood as family_error:
            try:  # no family fits: the parts may still compose ("how much output did I produce")
                return self._composed(
                    compose.plan(question, self.as_of, force=True, instructors=self.instructors)
                )
            except NotUnderstood:
                raise family_error from None
        tree, relation, template = BUILDERS[plan.family](plan, Scope(self.person_id, self.as_of))
        return Translation(
            sql=tree.sql(dialect=DIALECT, pretty=True),
            relation=relation,
            rationale=rationale(plan),
            translator=self.name,
            answer_template=template,
            interpretation=interpretation(plan),
        )

    def _composed(self, plan: compose.QueryPlan) -> Translation:
        tree, relation, template = compose.build(plan, self.person_id)
        return Translation(
            sql=tree.sql(dialect=DIALECT, pretty=True),
            relation=relation,
            rationale=f"composed: {plan.entity}, {plan.aggregation}",
            translator=self.name,
            answer_template=template,
            interpretation=plan.interpretation(),
        )
