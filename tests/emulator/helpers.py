"""Small helpers shared by the emulator tests: training files, uploads and reading whole event logs."""

from __future__ import annotations

import io
import json
from typing import Any

import openai

SYSTEM = "You are a concise assistant for a bicycle shop."
QUESTIONS = (
    "Where is my order?",
    "Can I return a helmet?",
    "Do you ship to Norway?",
    "How do I pump a tubeless tyre?",
    "Is the e-bike battery covered by warranty?",
)


def chat_example(index: int) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": QUESTIONS[index % len(QUESTIONS)] + f" (ticket {index})"},
            {"role": "assistant", "content": f"Thanks for asking! Here is what to do for ticket {index}."},
        ]
    }


def dpo_example(index: int) -> dict[str, Any]:
    return {
        "input": {"messages": [{"role": "user", "content": QUESTIONS[index % len(QUESTIONS)]}]},
        "preferred_output": [{"role": "assistant", "content": f"Happy to help with that, here's how ({index})."}],
        "non_preferred_output": [{"role": "assistant", "content": "No."}],
    }


def rft_example(index: int) -> dict[str, Any]:
    return {
        "messages": [{"role": "user", "content": QUESTIONS[index % len(QUESTIONS)]}],
        "label": "yes" if index % 2 else "no",
    }


def jsonl(examples: list[dict[str, Any]]) -> bytes:
    return ("\n".join(json.dumps(example) for example in examples) + "\n").encode()


def upload(client: openai.OpenAI, name: str, content: bytes, purpose: str = "fine-tune") -> str:
    return client.files.create(file=(name, io.BytesIO(content)), purpose=purpose).id  # type: ignore[arg-type]


def chat_file(client: openai.OpenAI, count: int = 12, name: str = "train.jsonl") -> str:
    return upload(client, name, jsonl([chat_example(i) for i in range(count)]))


def all_events(client: openai.OpenAI, job_id: str) -> list[Any]:
    """Every event of a job, oldest first (the API pages them newest first)."""
    return list(reversed(list(client.fine_tuning.jobs.list_events(job_id, limit=100))))


STRING_CHECK_GRADER = {
    "type": "string_check",
    "name": "label check",
    "input": "{{sample.output_text}}",
    "reference": "{{item.label}}",
    "operation": "eq",
}
