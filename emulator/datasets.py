"""Training-data checks per method, failing with the service's own style of message naming the example.

The service validates a file while the job is in `validating_files` and fails the job
with code invalid_training_file and messages such as "The job failed due to an invalid
training file. Invalid file format. Example 100, message 2 Discriminator 'role' is
missing in value". Examples are numbered by their line in the file, from 1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MIN_TRAINING_EXAMPLES = 10
CHAT_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
_ROLE_TAGS = ", ".join(f"'{r}'" for r in CHAT_ROLES)


@dataclass(frozen=True, slots=True)
class Example:
    line: int
    data: dict[str, Any]


class InvalidExample(Exception):
    """One example breaks the format; the message names it."""


@dataclass(frozen=True, slots=True)
class BadLine:
    line: int
    text: str
    reason: str  # "is not valid JSON" | "is not a dictionary"


def parse_jsonl(content: bytes) -> tuple[list[Example], BadLine | None]:
    """The examples of a JSONL file, or the first line that is not a JSON object."""
    examples = []
    for number, raw in enumerate(content.decode("utf-8", errors="replace").split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            return examples, BadLine(number, raw, "is not valid JSON")
        if not isinstance(value, dict):
            return examples, BadLine(number, raw, "is not a dictionary")
        examples.append(Example(number, value))
    return examples, None


def upload_problem(content: bytes) -> str | None:
    """Why a fine-tune file cannot even be stored (checked when it is uploaded)."""
    _, bad = parse_jsonl(content)
    if bad is None:
        return None
    return (
        "Expected file to have JSONL format, where every line is a valid JSON dictionary. "
        f'Line {bad.line} {bad.reason} (HINT: line starts with: "{bad.text[:5]}...").'
    )


def file_format(example: dict[str, Any]) -> str:
    if "input" in example and ("preferred_output" in example or "preferred_completion" in example):
        return "preference"
    if "messages" in example:
        return "fine-tune-chat"
    if "prompt" in example and "completion" in example:
        return "prompt-completion"
    return "unknown"


def check_file(content: bytes, method: str, *, file_id: str, kind: str) -> tuple[list[Example], str | None]:
    """The parsed examples and, when the file is not valid for `method`, the job's error message."""
    prefix = f"The job failed due to an invalid {kind} file. "
    examples, bad = parse_jsonl(content)
    if bad is not None:
        return examples, prefix + f"Invalid file format. Line {bad.line} {bad.reason}."
    if not examples:
        return examples, prefix + "The file is empty."
    detected = file_format(examples[0].data)
    if detected in ("unknown", "prompt-completion"):
        return examples, prefix + "Unexpected file format, expected either prompt/completion pairs or chat messages."
    expected = {"supervised": "fine-tune-chat", "dpo": "preference", "reinforcement": "fine-tune-chat"}[method]
    if detected != expected:
        wanted = "dpo" if detected == "preference" else "supervised"
        return examples, prefix + (
            f"Invalid file format. Input file {file_id} is in the {detected} format, but the specified "
            f"fine-tuning job is not using '{wanted}' as the training method (provided method={method}). "
        )
    checker = {"supervised": _check_chat, "dpo": _check_preference, "reinforcement": _check_prompt}[method]
    for example in examples:
        try:
            checker(example.data)
        except InvalidExample as exc:
            return examples, prefix + f"Invalid file format. Example {example.line}, {exc}"
    if kind == "training" and len(examples) < MIN_TRAINING_EXAMPLES:
        return examples, prefix + (
            f"Training file has {len(examples)} example(s), but must have at least {MIN_TRAINING_EXAMPLES} examples"
        )
    return examples, None


def _check_messages(messages: Any, key: str = "messages") -> list[dict[str, Any]]:
    if not isinstance(messages, list) or not messages:
        raise InvalidExample(f"'{key}' must be a non-empty list of messages")
    for index, message in enumerate(messages, start=1):
        _check_message(message, index)
    return messages


def _check_message(message: Any, index: int) -> None:
    where = f"message {index}"
    if not isinstance(message, dict):
        raise InvalidExample(f"{where} Input should be a valid dictionary")
    if "role" not in message:
        raise InvalidExample(f"{where} Discriminator 'role' is missing in value")
    role = message["role"]
    if role not in CHAT_ROLES:
        raise InvalidExample(
            f"{where} Input tag '{role}' found using 'role' does not match any of the expected tags: {_ROLE_TAGS}"
        )
    content = message.get("content")
    if role == "assistant":
        if content is None and not message.get("tool_calls") and not message.get("function_call"):
            raise InvalidExample(f"{where} an assistant message needs 'content', 'tool_calls' or 'function_call'")
        if "weight" in message and message["weight"] not in (0, 1):
            raise InvalidExample(f"{where} 'weight' must be 0 or 1")
    elif content is None:
        raise InvalidExample(f"{where} Field required: 'content'")
    if content is not None and not isinstance(content, str | list):
        raise InvalidExample(f"{where} 'content' must be a string or a list of content parts")
    if isinstance(content, list):
        for part in content:
            if not isinstance(part, dict) or "type" not in part:
                raise InvalidExample(f"{where} each content part needs a 'type'")
            if part["type"] == "image_url" and role != "user":
                raise InvalidExample(f"{where} images are only allowed in user messages")


def _check_chat(example: dict[str, Any]) -> None:
    messages = _check_messages(example.get("messages"))
    if not any(m.get("role") == "assistant" for m in messages):
        raise InvalidExample("at least one assistant message is required")


def _check_preference(example: dict[str, Any]) -> None:
    source = example.get("input")
    if not isinstance(source, dict):
        raise InvalidExample("'input' must be an object with 'messages'")
    _check_messages(source.get("messages"), "input.messages")
    for key in ("preferred_output", "non_preferred_output"):
        legacy = key.replace("output", "completion")
        output = example.get(key, example.get(legacy))
        if output is None:
            raise InvalidExample(f"Field required: '{key}'")
        if not isinstance(output, list) or len(output) != 1:
            raise InvalidExample(f"'{key}' must be a list with exactly one assistant message")
        _check_message(output[0], 1)
        if output[0].get("role") != "assistant":
            raise InvalidExample(f"'{key}' must be a list with exactly one assistant message")


def _check_prompt(example: dict[str, Any]) -> None:
    messages = _check_messages(example.get("messages"))
    if messages[-1].get("role") not in ("user", "developer"):
        raise InvalidExample("the last message must come from the 'user' or 'developer' role (the model answers it)")
