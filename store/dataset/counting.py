"""Counting an example's tokens the way training is billed, as closely as public information allows.

OpenAI does not publish its exact training-token accounting, so this is an estimate with
a stated method (COUNTING_METHOD), extending the cookbook's rule (3 tokens per message
plus its role and content, 1 more per name, 3 per example) to what the cookbook skips:
content parts, images, tool calls, tool definitions, DPO pairs and prompts.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from store.dataset.images import image_tokens
from store.tokens import TokenCounter

PER_MESSAGE = 3
PER_NAME = 1
PER_EXAMPLE = 3  # the assistant reply's priming
PER_TOOL_CALL = 3
_REPEATING_ROLES = frozenset({"system", "developer"})

COUNTING_METHOD = (
    "Estimate, counted with {encoding} (the base model's own tiktoken encoding). Per example: 3 tokens, "
    "plus per message 3 + its role + its text (+1 and the name when named); tool calls: 3 + function "
    "name + arguments each; tool definitions: the tokens of their compact JSON; images: 85 at detail "
    "low, high/auto by the gpt-4o tile rule from the image's size when it is embedded, 765 (a square "
    "image at high detail; real ones cost 85 to 1,445) for remote URLs. DPO: input + preferred + non-preferred output. "
    "Reinforcement: the prompt and tools only (graders' reference keys are not tokens). Billed tokens cap "
    "each example at the model's limit and multiply by the epochs. Ids, weight and "
    "parallel_tool_calls are not counted."
)


class ExampleTokens(NamedTuple):
    total: int  # everything counted in the example
    longest: int  # the longest sequence the model sees (DPO: input + the longer output)
    billed: int  # total with truncation at the limit applied
    images: int
    image_tokens: int
    tool_definitions: int


class ExampleCounter:
    """Counts examples of one method with one encoding; `limit` caps billed tokens (None: no cap)."""

    def __init__(self, counter: TokenCounter, method: str, limit: int | None, data_shape: str = "chat") -> None:
        self.counter = counter
        self._encode = counter.encoding.encode_ordinary
        self.method = method
        self.limit = limit
        self.data_shape = data_shape
        self._images = 0
        self._image_tokens = 0
        self._tool_tokens = 0

    def count(self, example: dict[str, Any]) -> ExampleTokens:
        self._images = self._image_tokens = self._tool_tokens = 0
        if self.data_shape == "completion":
            total = self._text(example.get("prompt")) + self._text(example.get("completion"))
            return self._result(total, total, self._cap(total))
        if self.method == "dpo":
            source = example.get("input")
            source = source if isinstance(source, dict) else {}
            prompt = self._conversation(source)
            preferred = self._outputs(example, "preferred_output", "preferred_completion")
            rejected = self._outputs(example, "non_preferred_output", "non_preferred_completion")
            total = prompt + preferred + rejected
            # Each pair is a sequence of its own: truncation applies to input + output.
            billed = self._cap(prompt + preferred) + self._cap(prompt + rejected) - self._cap(prompt)
            return self._result(total, prompt + max(preferred, rejected), billed)
        total = self._conversation(example)
        return self._result(total, total, self._cap(total))

    def _result(self, total: int, longest: int, billed: int) -> ExampleTokens:
        return ExampleTokens(total, longest, billed, self._images, self._image_tokens, self._tool_tokens)

    def _cap(self, tokens: int) -> int:
        return tokens if self.limit is None else min(tokens, self.limit)

    def _conversation(self, obj: dict[str, Any]) -> int:
        tokens = PER_EXAMPLE + self._messages(obj.get("messages"))
        for key in ("tools", "functions"):
            definitions = obj.get(key)
            if definitions:
                text = json.dumps(definitions, separators=(",", ":"), ensure_ascii=False)
                n = self.counter.count(text)
                self._tool_tokens += n
                tokens += n
        return tokens

    def _outputs(self, example: dict[str, Any], key: str, legacy: str) -> int:
        output = example.get(key, example.get(legacy))
        return self._messages(output)

    def _messages(self, messages: Any) -> int:
        if type(messages) is not list:
            return 0
        count, encode = self.counter.count, self._encode
        tokens = 0
        for message in messages:
            if type(message) is not dict:
                continue
            role = message.get("role")
            content = message.get("content")
            tokens += PER_MESSAGE + (count(role) if type(role) is str else 0)
            if type(content) is str:
                # System prompts repeat on every line (worth remembering); other text rarely does.
                tokens += count(content) if role in _REPEATING_ROLES else len(encode(content))
            elif type(content) is list:
                tokens += self._parts(content)
            if len(message) > 2 or content is None:  # a name, tool calls, a weight
                tokens += self._extras(message)
        return tokens

    def _extras(self, message: dict[str, Any]) -> int:
        tokens = 0
        name = message.get("name")
        if isinstance(name, str):
            tokens += PER_NAME + self.counter.count(name)
        calls = message.get("tool_calls")
        if isinstance(calls, list):
            for call in calls:
                if isinstance(call, dict):
                    tokens += self._call(call.get("function"))
        if "function_call" in message:
            tokens += self._call(message["function_call"])
        return tokens

    def _parts(self, parts: list[Any]) -> int:
        tokens = 0
        for part in parts:
            if not isinstance(part, dict):
                continue
            if part.get("type") == "text":
                tokens += self._text(part.get("text"))
            elif part.get("type") == "image_url":
                image = part.get("image_url")
                if isinstance(image, dict):
                    n = image_tokens(image.get("url"), image.get("detail"))
                    self._images += 1
                    self._image_tokens += n
                    tokens += n
        return tokens

    def _call(self, function: Any) -> int:
        if not isinstance(function, dict):
            return 0
        name = function.get("name")
        tokens = PER_TOOL_CALL + (self.counter.count(name) if isinstance(name, str) else 0)
        return tokens + self._text(function.get("arguments"))

    def _text(self, value: Any) -> int:
        return len(self._encode(value)) if isinstance(value, str) else 0
