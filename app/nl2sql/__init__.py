"""NL-to-SQL: questions in plain English answered from the gold views (`biolake ask`).

One module per concept: `offline` (the deterministic translator, a package: `reading`,
`planning`, `builders`; with `dates` and `vocabulary`), `claude` (the Anthropic translator),
`prompt` and `schema` (what Claude is shown), `cache`, `ask` (translate, guard, run, answer),
`benchmark` (execution accuracy) and `errors`. The guard itself is `app.serving.sql_guard`.
"""

from app.nl2sql.ask import Answer, Asker
from app.nl2sql.claude import ClaudeTranslator
from app.nl2sql.errors import BenchmarkError, Nl2SqlError, NotUnderstood, TranslationFailed
from app.nl2sql.offline import OfflineTranslator
from app.nl2sql.translation import Translation

__all__ = [
    "Answer",
    "Asker",
    "BenchmarkError",
    "ClaudeTranslator",
    "Nl2SqlError",
    "NotUnderstood",
    "OfflineTranslator",
    "Translation",
    "TranslationFailed",
]
