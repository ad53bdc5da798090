"""The emulator's own token counts: the cookbook method with each base model's encoding, tools counted."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import tiktoken

from emulator import catalog, tokens

TOY = [
    {"messages": [{"role": "system", "content": "You are a happy assistant that puts a positive spin on everything."},
                  {"role": "user", "content": "I fell off my bike today."},
                  {"role": "assistant", "content": "It's great that you're getting exercise outdoors!"}]},
    {"messages": [{"role": "user", "content": "I lost my tennis match today.", "name": "sam"},
                  {"role": "assistant", "content": "It's ok, it happens to everyone."}]},
]  # fmt: skip


def _cookbook(example: dict, encoding: str) -> int:
    enc = tiktoken.get_encoding(encoding)
    total = 3
    for message in example["messages"]:
        total += 3
        for key, value in message.items():
            total += len(enc.encode(value)) + (1 if key == "name" else 0)
    return total


def test_plain_chat_counts_match_the_cookbook_in_both_encodings():
    for encoding in ("cl100k_base", "o200k_base"):
        counter = tokens.TokenCounter(encoding)
        assert [counter.example(e, "supervised") for e in TOY] == [_cookbook(e, encoding) for e in TOY]


def test_each_base_model_uses_its_own_encoding():
    assert catalog.resolve("gpt-3.5-turbo").encoding == tiktoken.encoding_name_for_model("gpt-3.5-turbo")
    for name in ("gpt-4o-mini", "gpt-4.1-mini", "gpt-4o", "o4-mini"):
        assert catalog.resolve(name).encoding == "o200k_base"
    assert catalog.resolve("gpt-3.5-turbo-0613").example_token_limit == 4096


def test_tools_tool_calls_and_images_are_counted():
    counter = tokens.TokenCounter("o200k_base")
    call = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}}
    plain = {"messages": [{"role": "user", "content": "Weather?"}, {"role": "assistant", "content": "Sunny."}]}
    with_call = {"messages": [{"role": "user", "content": "Weather?"}, {"role": "assistant", "tool_calls": [call]}]}
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
    assert counter.example(with_call, "supervised") > counter.example(plain, "supervised")
    with_tools = {**plain, "tools": [tool]}
    enc = tiktoken.get_encoding("o200k_base")
    assert counter.example(with_tools, "supervised") - counter.example(plain, "supervised") == len(
        enc.encode(json.dumps([tool], separators=(",", ":")))
    )
    picture = {"type": "image_url", "image_url": {"url": "x", "detail": "low"}}
    image = {"messages": [{"role": "user", "content": [picture]}, {"role": "assistant", "content": "A cat."}]}
    assert counter.example(image, "supervised") == 3 + 3 + len(enc.encode("user")) + 85 + 3 + len(
        enc.encode("assistant")
    ) + len(enc.encode("A cat."))
    dpo = {"input": {"messages": plain["messages"][:1]}, "preferred_output": [plain["messages"][1]],
           "non_preferred_output": [{"role": "assistant", "content": "No idea."}]}  # fmt: skip
    assert counter.example(dpo, "dpo") > counter.example(plain, "supervised")


def test_examples_are_capped_at_the_models_limit():
    assert tokens.capped_total([10, 5000, 20], 4096) == 4126


def test_without_encodings_offline_the_message_says_how_to_fix_it(tmp_path):
    env = {
        **os.environ,
        "TIKTOKEN_CACHE_DIR": str(tmp_path),
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
    }
    code = (
        "from emulator import tokens\n"
        "try:\n    tokens.encoding('cl100k_base')\n"
        "except tokens.TokenizerUnavailable as e:\n    print(e)"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert "set TIKTOKEN_CACHE_DIR to a folder holding the encoding files" in result.stdout
    assert str(tmp_path) in result.stdout
