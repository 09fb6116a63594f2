"""Errors of NL-to-SQL, as one small tree under the project's `BiolakeError`.

    BiolakeError (biolake.errors)
    ├── QueryError
    │   └── ReadOnlyViolation     generated SQL refused by the guard (app.serving.sql_guard); never run
    └── Nl2SqlError               a question could not be turned into an answer
        ├── NotUnderstood         the offline translator does not know the question; carries a
        │                         suggestion of a phrasing it does know
        ├── TranslationFailed     the model could not be reached, or its reply is unusable
        └── BenchmarkError        the benchmark file is malformed; names the file and question

The CLI prints any of them and exits 1; `ask` catches `TranslationFailed` and the guard's and
engine's errors from Claude to fall back to the offline translator.
"""

from __future__ import annotations

from biolake.errors import BiolakeError


class Nl2SqlError(BiolakeError):
    """A question could not be turned into an answer."""


class NotUnderstood(Nl2SqlError):
    """The offline translator does not know this question; it never guesses another one."""

    def __init__(self, reason: str, suggestion: str) -> None:
        self.reason = reason
        self.suggestion = suggestion
        super().__init__(f"I don't understand the question: {reason}. {suggestion}")


class TranslationFailed(Nl2SqlError):
    """The model could not be reached, or its reply holds no usable SQL."""


class BenchmarkError(Nl2SqlError):
    """The benchmark file cannot be used; the message names the file and the question."""
