"""The pieces of preflight on their own: line reading, duplicates, percentiles, image tokens, rules, counting."""

from __future__ import annotations

import io
import random
import statistics

import pytest

from store.dataset.counting import ExampleCounter
from store.dataset.duplicates import INITIAL_SLOTS, DuplicateFinder
from store.dataset.images import high_detail_tokens, image_problem, image_tokens
from store.dataset.lines import read_lines, sniff_binary
from store.dataset.models import facts_for, resolved_name
from store.dataset.rules import RuleContext, check_example
from store.dataset.stats import Histogram
from store.tokens import TokenCounter, load_encoding
from tests.fixtures.datasets.make_fixtures import SMALL_PNG, data_url, png


class TestReadLines:
    def lines(self, data: bytes, **kwargs):
        return list(read_lines(io.BytesIO(data), total_bytes=len(data), **kwargs))

    def test_numbers_terminators_and_crlf(self):
        lines = self.lines(b'{"a": 1}\r\n\n{"b": 2}')

        assert [(r.number, r.data, r.terminated) for r in lines] == [
            (1, b'{"a": 1}', True),
            (2, b"", True),
            (3, b'{"b": 2}', False),
        ]

    def test_a_line_longer_than_the_cap_is_skipped_without_reading_it_whole(self):
        lines = self.lines(b"x" * 5000 + b"\n{}\n", max_line_bytes=1000)

        assert [(r.number, r.too_long, r.length, r.data) for r in lines] == [(1, True, 5000, b""), (2, False, 2, b"{}")]

    def test_binary_and_utf16_are_recognised(self):
        assert "binary" in sniff_binary(b"PK\x03\x04\x00\x00")
        assert "UTF-16" in sniff_binary("{}".encode("utf-16"))
        assert sniff_binary(b'{"messages": []}\n') is None


class TestDuplicates:
    def test_reports_the_first_line_and_survives_growth(self):
        finder = DuplicateFinder()
        n = INITIAL_SLOTS * 3  # forces the table to grow twice
        assert all(finder.first_seen(f"line {i}".encode(), i + 1) is None for i in range(n))

        assert finder.first_seen(b"line 0", n + 1) == 1
        assert finder.first_seen(b"line 4999", n + 2) == 5000
        assert finder.distinct == n
        assert finder.memory_bytes <= 36 * n  # at most 3 slots of 12 bytes per distinct example


class TestHistogram:
    def test_matches_exact_statistics(self):
        values = [random.Random(3).randint(1, 500) for _ in range(1001)]
        histogram = Histogram()
        for value in values:
            histogram.add(value)

        quantiles = statistics.quantiles(values, n=20, method="inclusive")  # 5%, 10%, ..., 95%
        assert histogram.percentile(5) == pytest.approx(quantiles[0])
        assert histogram.percentile(95) == pytest.approx(quantiles[-1])
        assert histogram.percentile(50) == statistics.median(values)
        assert (histogram.minimum, histogram.maximum) == (min(values), max(values))
        assert histogram.mean == pytest.approx(statistics.mean(values))


class TestImages:
    @pytest.mark.parametrize(
        ("size", "tokens"),
        [((512, 512), 255), ((1024, 1024), 765), ((2048, 4096), 1105), ((768, 2048), 1445), ((100, 100), 255)],
    )
    def test_high_detail_tile_rule(self, size, tokens):
        assert high_detail_tokens(*size) == tokens

    def test_tokens_from_an_embedded_image_size(self):
        assert image_tokens(data_url(png(1024, 1024)), "high") == 765
        assert image_tokens(data_url(png(1024, 1024)), None) == 765  # auto counted as high
        assert image_tokens(data_url(png(1024, 1024)), "low") == 85
        assert image_tokens("https://example.com/cat.jpg", "auto") == 765

    @pytest.mark.parametrize(
        ("url", "detail", "words"),
        [
            ("ftp://example.com/a.png", None, "https://"),
            ("data:image/png,abc", None, "base64"),
            ("data:image/gif;base64,R0lGODlh", None, "not JPEG, PNG or WEBP"),
            (data_url(SMALL_PNG, "image/jpeg"), None, "not a JPEG"),
            ("data:image/png;base64,@@@@", None, "not valid"),
            (data_url(SMALL_PNG), "medium", "detail"),
            ("data:image/png;base64," + "A" * (14 * 1024 * 1024), None, "limit is 10 MB"),
        ],
    )
    def test_problems(self, url, detail, words):
        assert words in image_problem(url, detail)

    def test_good_images(self):
        assert image_problem(data_url(SMALL_PNG), "low") is None
        assert image_problem("https://upload.wikimedia.org/cheese.jpg", None) is None


class TestRules:
    ctx = RuleContext("supervised", facts_for("gpt-4o-mini-2024-07-18"), "gpt-4o-mini-2024-07-18")

    def kinds(self, example, ctx=None):
        return [(kind, index) for kind, index, _ in check_example(example, ctx or self.ctx)[0]]

    def test_tool_result_must_answer_a_call(self):
        example = {
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "tool", "tool_call_id": "call_9", "content": "{}"},
                {"role": "assistant", "content": "ok"},
            ]
        }
        assert self.kinds(example) == [("orphan_tool_result", 2)]

    def test_tool_content_must_be_text(self):
        example = {
            "messages": [
                {"role": "user", "content": "hi"},
                {
                    "role": "assistant",
                    "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
                },
                {"role": "tool", "tool_call_id": "c", "content": [{"type": "text", "text": "{}"}]},
                {"role": "assistant", "content": "ok"},
            ],
            "tools": [{"type": "function", "function": {"name": "f"}}],
        }
        assert self.kinds(example) == [("wrong_format", 3)]

    def test_legacy_functions_are_accepted_with_warnings(self):
        example = {
            "messages": [
                {"role": "user", "content": "weather?"},
                {"role": "assistant", "function_call": {"name": "get_weather", "arguments": "{}"}},
                {"role": "function", "name": "get_weather", "content": "21"},
                {"role": "assistant", "content": "21 degrees"},
            ],
            "functions": [{"name": "get_weather", "parameters": {"type": "object"}}],
        }
        assert self.kinds(example) == [("legacy_format", None), ("legacy_format", 2), ("legacy_format", 3)]

    def test_all_weights_zero_and_empty_messages(self):
        example = {
            "messages": [
                {"role": "system", "content": ""},
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "hello", "weight": 0},
            ]
        }
        assert self.kinds(example) == [("empty_message", 1), ("nothing_to_learn", None)]

    def test_weight_true_is_not_one(self):
        example = {
            "messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b", "weight": True}]
        }
        assert self.kinds(example) == [("bad_weight", 2)]  # and not also "nothing to learn"

    def test_dpo_outputs_must_be_one_assistant_message(self):
        ctx = RuleContext("dpo", facts_for("gpt-4o-mini-2024-07-18"), "gpt-4o-mini-2024-07-18")
        example = {
            "input": {"messages": [{"role": "user", "content": "q"}]},
            "preferred_output": [{"role": "assistant", "content": "a"}, {"role": "assistant", "content": "b"}],
            "non_preferred_output": [{"role": "user", "content": "c"}],
        }
        assert self.kinds(example, ctx) == [("wrong_format", None), ("wrong_format", None)]

    def test_prompt_completion_for_the_legacy_base_models(self):
        ctx = RuleContext("supervised", facts_for("babbage-002"), "babbage-002")
        assert self.kinds({"prompt": "2+2=", "completion": " 4"}, ctx) == []
        assert self.kinds({"messages": [{"role": "user", "content": "hi"}]}, ctx) == [("wrong_format", None)]


class TestCounting:
    def counter(self, method="supervised", limit=None):
        return ExampleCounter(TokenCounter(load_encoding("cl100k_base")), method, limit)

    def test_plain_chat_follows_the_cookbook_rule(self):
        encoding = load_encoding("cl100k_base")
        messages = [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Hello there", "name": "ann"},
            {"role": "assistant", "content": "Hi."},
        ]
        expected = 3 + sum(3 + len(encoding.encode(m["role"])) + len(encoding.encode(m["content"])) for m in messages)
        expected += 1 + len(encoding.encode("ann"))

        assert self.counter().count({"messages": messages}).total == expected

    def test_tools_and_calls_add_tokens(self):
        plain = {"messages": [{"role": "user", "content": "weather?"}, {"role": "assistant", "content": "sunny"}]}
        with_call = {
            "messages": [
                {"role": "user", "content": "weather?"},
                {
                    "role": "assistant",
                    "tool_calls": [{"function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}}],
                },
            ],
            "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}],
        }
        counted = self.counter().count(with_call)

        assert counted.tool_definitions > 0
        assert counted.total > self.counter().count(plain).total + counted.tool_definitions

    def test_dpo_counts_input_once_and_caps_each_pair(self):
        long_answer = "word " * 300
        example = {
            "input": {"messages": [{"role": "user", "content": "q " * 50}]},
            "preferred_output": [{"role": "assistant", "content": long_answer}],
            "non_preferred_output": [{"role": "assistant", "content": "no"}],
        }
        uncapped = self.counter("dpo").count(example)
        capped = self.counter("dpo", limit=200).count(example)

        assert uncapped.billed == uncapped.total
        assert capped.total == uncapped.total and capped.longest > 200
        # The long pair is cut to 200; the short pair (under 200) is whole; the input counts once.
        assert capped.billed < uncapped.total
        rejected = uncapped.total - uncapped.longest  # the short output: longest is input + the long one
        assert capped.billed == 200 + rejected  # input + long output cut to 200, plus the short output


def test_aliases_resolve_to_the_trainable_snapshot():
    assert resolved_name("gpt-4o-mini") == "gpt-4o-mini-2024-07-18"
    assert resolved_name("ft:gpt-4o-2024-08-06:acme:x:abc123") == "gpt-4o-2024-08-06"
    assert facts_for("gpt-3.5-turbo").token_limit == 16_385
    assert facts_for("gpt-3.5-turbo-0613").token_limit == 4_096
    assert facts_for("nonsense") is None
