"""Token counts of training examples with each base model's own encoding (the cookbook method, done fully).

Per example: 3 tokens per message plus the tokens of every string value (role
included), 1 more per `name`, plus 3 for the reply priming; content-part lists,
tool_calls, function calls and tool definitions are counted too (the cookbook skips
them). Each example is capped at the base model's per-example limit.
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3
TOKENS_PER_TOOL_CALL = 3
LOW_DETAIL_IMAGE_TOKENS = 85
HIGH_DETAIL_IMAGE_TOKENS = 765  # a 512x512 tile plus the base: what a typical image costs


class TokenizerUnavailable(RuntimeError):
    """tiktoken could not load an encoding (usually: offline without a cache)."""


@functools.cache
def encoding(name: str) -> Any:
    """The tiktoken encoding, loaded once per process."""
    try:
        import tiktoken

        return tiktoken.get_encoding(name)
    except Exception as exc:  # network errors, missing or corrupt cache files
        cache = os.environ.get("TIKTOKEN_CACHE_DIR", "(not set)")
        raise TokenizerUnavailable(
            f"Could not load the tiktoken encoding {name!r} ({exc.__class__.__name__}). "
            "The emulator counts training tokens with tiktoken, which downloads its encodings on first use. "
            "On a machine without internet, set TIKTOKEN_CACHE_DIR to a folder holding the encoding files "
            f"(for example ../shared/tiktoken-cache). TIKTOKEN_CACHE_DIR is currently {cache}."
        ) from exc


class TokenCounter:
    """Counts tokens of examples for one method with one encoding."""

    def __init__(self, encoding_name: str) -> None:
        self._encode = encoding(encoding_name).encode_ordinary

    def text(self, value: str) -> int:
        return len(self._encode(value))

    def example(self, example: dict[str, Any], method: str) -> int:
        if method == "dpo":
            source = example.get("input") if isinstance(example.get("input"), dict) else {}
            total = self.messages(source.get("messages")) + self.tools(source.get("tools"))
            for key in ("preferred_output", "non_preferred_output", "preferred_completion", "non_preferred_completion"):
                total += self.messages(example.get(key))
            return total + REPLY_PRIMING
        total = self.messages(example.get("messages"))
        total += self.tools(example.get("tools")) + self.tools(example.get("functions"))
        return total + REPLY_PRIMING

    def messages(self, messages: Any) -> int:
        if not isinstance(messages, list):
            return 0
        return sum(self.message(m) for m in messages if isinstance(m, dict))

    def message(self, message: dict[str, Any]) -> int:
        total = TOKENS_PER_MESSAGE
        for key, value in message.items():
            if key == "content":
                total += self.content(value)
            elif key == "tool_calls":
                total += self.tool_calls(value)
            elif key == "function_call" and isinstance(value, dict):
                total += self.text(str(value.get("name", ""))) + self.text(str(value.get("arguments", "")))
            elif isinstance(value, str):
                total += self.text(value)
                if key == "name":
                    total += TOKENS_PER_NAME
        return total

    def content(self, content: Any) -> int:
        if isinstance(content, str):
            return self.text(content)
        if not isinstance(content, list):
            return 0
        total = 0
        for part in content:
            if not isinstance(part, dict):
                continue
            if part.get("type") == "text":
                total += self.text(str(part.get("text", "")))
            elif part.get("type") == "image_url":
                image = part.get("image_url") if isinstance(part.get("image_url"), dict) else {}
                low = image.get("detail") == "low"
                total += LOW_DETAIL_IMAGE_TOKENS if low else HIGH_DETAIL_IMAGE_TOKENS
            else:
                total += self.text(json.dumps(part, separators=(",", ":")))
        return total

    def tool_calls(self, calls: Any) -> int:
        if not isinstance(calls, list):
            return 0
        total = 0
        for call in calls:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict):
                total += TOKENS_PER_TOOL_CALL
                total += self.text(str(function.get("name", ""))) + self.text(str(function.get("arguments", "")))
        return total

    def tools(self, tools: Any) -> int:
        if not tools:
            return 0
        return self.text(json.dumps(tools, separators=(",", ":"), ensure_ascii=False))


def capped_total(per_example: list[int], limit: int) -> int:
    """Tokens of one epoch: every example capped at the base model's per-example limit."""
    return sum(min(count, limit) for count in per_example)
