"""The Claude translator: the Messages API with a forced tool call, and one repair round.

The client is injected (tests point the SDK's `base_url` at a local server). The reply must be a
call of `answer_with_sql`; its `sql` is checked by the guard before anything runs. When the
engine refuses the SQL, `repair` sends the same conversation back with the engine's error as
the tool result, once. No row values are sent: the prompt holds the schema, and the sentence
comes back as a template filled locally (translation.py).
"""

from __future__ import annotations

from typing import Any

import anthropic

from app.nl2sql.errors import TranslationFailed
from app.nl2sql.prompt import TOOL, TOOL_NAME, repair_message
from app.nl2sql.translation import Translation
from biolake.settings import BiolakeSettings

MAX_TOKENS = 1024
ERROR_CHARS = 1500  # an engine error is long enough to act on, short enough to stay an error


def make_client(settings: BiolakeSettings) -> anthropic.Anthropic:
    """The SDK client from the settings; callers check that a key is set."""
    if settings.anthropic_api_key is None:
        raise TranslationFailed("no Anthropic API key (BIOLAKE_ANTHROPIC_API_KEY)")
    return anthropic.Anthropic(
        api_key=settings.anthropic_api_key.get_secret_value(),
        base_url=settings.anthropic_base_url,
        timeout=settings.anthropic_timeout_s,
        max_retries=settings.anthropic_max_retries,
    )


class ClaudeTranslator:
    """Questions → Trino SQL written by Claude, through a forced call of `answer_with_sql`.

    Args:
        client: the Anthropic SDK client (`make_client`; tests point its `base_url` at a fake).
        model: the model name sent with every request.
        system: the system prompt (`prompt.system_prompt`: rules, schema, examples, today).

    Raises:
        TranslationFailed: from `translate` and `repair`, when the API fails, the reply holds
            no call of the tool, or the model says the data cannot answer the question.
    """

    name = "claude"

    def __init__(self, client: anthropic.Anthropic, model: str, system: str) -> None:
        self._client = client
        self._model = model
        self._system = system
        self._conversations: dict[str, list[dict[str, Any]]] = {}

    def translate(self, question: str) -> Translation:
        """One question to a `Translation`, remembered for one `repair` round.

        Args:
            question: as the person asked it; it is sent to the API as the user message.

        Returns:
            The model's SQL (not yet guarded), relation, rationale and answer template.

        Raises:
            TranslationFailed: the API failed, the reply holds no call of the tool, or the
                model says the data cannot answer the question (or gives no SQL).
        """
        messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
        translation, call = self._request(messages)
        self._conversations[question] = [*messages, {"role": "assistant", "content": [call]}]
        return translation

    def repair(self, question: str, error: str) -> Translation:
        """One more request: the first answer, and the engine's error as its tool result.

        Raises:
            TranslationFailed: the question was not translated first, or the request fails as
                in `translate`.
        """
        history = self._conversations.get(question)
        if history is None:
            raise TranslationFailed("repair asked for a question that was not translated")
        call_id = history[-1]["content"][0]["id"]
        messages = [
            *history,
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": call_id,
                        "is_error": True,
                        "content": repair_message(error[:ERROR_CHARS]),
                    }
                ],
            },
        ]
        translation, _ = self._request(messages)
        return translation

    def _request(self, messages: list[dict[str, Any]]) -> tuple[Translation, dict[str, Any]]:
        try:
            reply = self._client.messages.create(
                model=self._model,
                max_tokens=MAX_TOKENS,
                system=self._system,
                messages=messages,  # type: ignore[arg-type]
                tools=[TOOL],  # type: ignore[list-item]
                tool_choice={"type": "tool", "name": TOOL_NAME},
            )
        except anthropic.APIError as exc:
            # the SDK's message names the status and the API's own error text, never the key
            raise TranslationFailed(f"the Anthropic API failed: {exc}") from exc
        calls = [b for b in reply.content if b.type == "tool_use" and b.name == TOOL_NAME]
        if not calls:
            raise TranslationFailed(
                f"the model did not call {TOOL_NAME} (stop: {reply.stop_reason})"
            )
        call = calls[0]
        arguments = call.input if isinstance(call.input, dict) else {}
        sql = str(arguments.get("sql") or "").strip()
        rationale = str(arguments.get("rationale") or "").strip()
        if arguments.get("answerable") is False or not sql:
            raise TranslationFailed(f"the model says the data cannot answer this: {rationale}")
        translation = Translation(
            sql=sql,
            relation=str(arguments.get("relation") or ""),
            rationale=rationale,
            translator=self.name,
            answer_template=str(arguments.get("answer_template") or ""),
        )
        return translation, {
            "type": "tool_use",
            "id": call.id,
            "name": call.name,
            "input": arguments,
        }
