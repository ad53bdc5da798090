"""The format rules for one training example, per method, as the fine-tuning service applies them.

`check_example` returns the problems of one parsed line as (kind, message number, text);
kinds and their severities are listed in report.KINDS. The rules follow OpenAI's
fine-tuning guide (summarised in ../shared/docs/pricing-and-data.md):

- supervised chat: `messages` (system, developer, user, assistant, tool; legacy function),
  at least one assistant message, `weight` 0/1 on assistant messages, `tool_calls` naming
  a function in the line's `tools`, images only in user messages (at most 10);
- DPO: `input` {messages, tools?, parallel_tool_calls?}, `preferred_output` and
  `non_preferred_output`, each exactly one assistant message (`*_completion`: legacy);
- reinforcement: `messages` is the prompt, `tools` optional, every other key is reference
  data for the graders;
- davinci-002 / babbage-002: {"prompt", "completion"}.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from store.dataset.images import image_problem
from store.dataset.models import ModelFacts

Issue = tuple[str, int | None, str]  # kind, 1-based message number or None, text

ROLES = ("system", "developer", "user", "assistant", "tool")
MAX_IMAGES = 10
_MESSAGE_KEYS: dict[str, frozenset[str]] = {
    "system": frozenset({"role", "content", "name"}),
    "developer": frozenset({"role", "content", "name"}),
    "user": frozenset({"role", "content", "name"}),
    "assistant": frozenset({"role", "content", "name", "weight", "tool_calls", "function_call"}),
    "tool": frozenset({"role", "content", "tool_call_id"}),
    "function": frozenset({"role", "content", "name"}),
}
# Messages that need no closer look when their keys are within these and their content is text.
_PLAIN_KEYS: dict[str, frozenset[str]] = {
    role: frozenset({"role", "content", "name"}) for role in ("system", "developer", "user", "assistant")
}
_SUPERVISED_KEYS = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})
_DPO_KEYS = frozenset({"input", "preferred_output", "non_preferred_output"})
_DPO_LEGACY = {"preferred_completion": "preferred_output", "non_preferred_completion": "non_preferred_output"}
_DPO_INPUT_KEYS = frozenset({"messages", "tools", "parallel_tool_calls"})
_COMPLETION_KEYS = frozenset({"prompt", "completion"})
_FORMAT_NAMES = {
    "chat": "a chat example (messages)",
    "dpo": "a DPO example (input, preferred_output, non_preferred_output)",
    "completion": "a prompt/completion example",
}
_METHOD_FOR_SHAPE = {"chat": "supervised", "dpo": "dpo"}


@dataclass(frozen=True, slots=True)
class RuleContext:
    method: str  # supervised | dpo | reinforcement
    facts: ModelFacts | None  # None: an unknown model (image support not checked)
    model: str


@dataclass(slots=True)
class _Walk:
    """What one walk over a message list found."""

    roles: set[str] = field(default_factory=set)
    learnable: bool = False  # an assistant message with weight other than 0
    images: int = 0
    last_role: str | None = None


def shape_of(example: dict[str, Any]) -> str | None:
    """Which format a line looks like, to point at the right --method when it is not the chosen one."""
    if "input" in example and any(k in example for k in ("preferred_output", "preferred_completion")):
        return "dpo"
    if "messages" in example:
        return "chat"
    if "prompt" in example and "completion" in example:
        return "completion"
    return None


def check_example(example: dict[str, Any], ctx: RuleContext) -> tuple[list[Issue], set[str]]:
    """Every problem of one parsed line (a JSON object), and the roles of its conversation or prompt."""
    issues: list[Issue] = []
    if ctx.facts is not None and ctx.facts.data_shape == "completion":
        _check_completion(example, ctx, issues)
        return issues, set()
    if ctx.method == "dpo":
        walk = _check_dpo(example, ctx, issues)
    elif ctx.method == "reinforcement":
        walk = _check_reinforcement(example, ctx, issues)
    else:
        walk = _check_supervised(example, ctx, issues)
    return issues, walk.roles if walk is not None else set()


# --- per method ---------------------------------------------------------------------------


def _check_supervised(example: dict[str, Any], ctx: RuleContext, issues: list[Issue]) -> _Walk | None:
    messages = example.get("messages")
    if not _require_messages(example, messages, ctx, issues, expected="chat"):
        return None
    _extra_keys(example, _SUPERVISED_KEYS, issues, "a supervised example")
    tool_names = _declared_tools(example, issues)
    _check_parallel(example, issues)
    walk = _walk_messages(messages, ctx, issues, tool_names=tool_names, allow_weight=True)
    if "assistant" not in walk.roles:
        issues.append(("missing_assistant", None, "no assistant message: there is nothing to train on"))
    elif not walk.learnable:
        issues.append(("nothing_to_learn", None, "every assistant message has weight 0: nothing is learned"))
    if "user" not in walk.roles:
        issues.append(("missing_user", None, "no user message"))
    return walk


def _check_dpo(example: dict[str, Any], ctx: RuleContext, issues: list[Issue]) -> _Walk | None:
    shape = shape_of(example)
    if shape != "dpo":
        _wrong_shape(shape, ctx, issues, expected="dpo")
        return None
    for legacy, current in _DPO_LEGACY.items():
        if legacy in example:
            issues.append(
                ("legacy_format", None, f"'{legacy}' is an old spelling of '{current}' (accepted; rename it)")
            )
    _extra_keys(example, _DPO_KEYS | set(_DPO_LEGACY), issues, "a DPO example")
    source = example["input"]
    if not isinstance(source, dict):
        issues.append(("wrong_format", None, "'input' must be an object with 'messages'"))
        return None
    _extra_keys(source, _DPO_INPUT_KEYS, issues, "a DPO input", prefix="input.")
    messages = source.get("messages")
    if not isinstance(messages, list) or not messages:
        issues.append(("wrong_format", None, "'input.messages' must be a non-empty list of messages"))
        return None
    tool_names = _declared_tools(source, issues, prefix="input.")
    _check_parallel(source, issues, prefix="input.")
    walk = _walk_messages(messages, ctx, issues, tool_names=tool_names, allow_weight=False)
    if "user" not in walk.roles:
        issues.append(("missing_user", None, "the input has no user message"))
    if walk.last_role == "assistant":
        issues.append(
            ("prompt_ends_with_answer", len(messages), "the input ends with an assistant message, not the user's turn")
        )
    outputs = []
    for key in ("preferred_output", "non_preferred_output"):
        legacy = key.replace("_output", "_completion")
        name = key if key in example else legacy
        output = example.get(name)
        if output is None:
            issues.append(("wrong_format", None, f"missing '{key}' (a list with one assistant message)"))
            continue
        if not isinstance(output, list) or len(output) != 1 or not isinstance(output[0], dict):
            issues.append(("wrong_format", None, f"'{name}' must be a list with exactly one assistant message"))
            continue
        message = output[0]
        if message.get("role") != "assistant":
            issues.append(("wrong_format", None, f"'{name}' must be an assistant message, not {message.get('role')!r}"))
            continue
        _walk_messages(output, ctx, issues, tool_names=tool_names, allow_weight=False, label=name, numbered=False)
        outputs.append(message)
    if len(outputs) == 2 and outputs[0] == outputs[1]:
        issues.append(("identical_outputs", None, "the preferred and non-preferred outputs are identical"))
    return walk


def _check_reinforcement(example: dict[str, Any], ctx: RuleContext, issues: list[Issue]) -> _Walk | None:
    messages = example.get("messages")
    if not _require_messages(example, messages, ctx, issues, expected="chat"):
        return None
    # Every key besides messages/tools is reference data the graders read: nothing is "extra".
    tool_names = _declared_tools(example, issues)
    walk = _walk_messages(messages, ctx, issues, tool_names=tool_names, allow_weight=False)
    if "user" not in walk.roles:
        issues.append(("missing_user", None, "the prompt has no user message"))
    if walk.last_role == "assistant":
        issues.append(
            (
                "prompt_ends_with_answer",
                len(messages),
                "the prompt ends with an assistant message; in reinforcement fine-tuning the model writes the "
                "answer and the graders score it (put reference answers in other keys)",
            )
        )
    return walk


def _check_completion(example: dict[str, Any], ctx: RuleContext, issues: list[Issue]) -> None:
    if shape_of(example) != "completion":
        issues.append(
            (
                "wrong_format",
                None,
                f'{ctx.model} is trained on {{"prompt": ..., "completion": ...}} lines, '
                f"not {_FORMAT_NAMES.get(shape_of(example) or '', 'this shape')}",
            )
        )
        return
    for key in ("prompt", "completion"):
        if not isinstance(example[key], str):
            issues.append(("wrong_format", None, f"'{key}' must be a string"))
    if isinstance(example["completion"], str) and not example["completion"]:
        issues.append(("missing_content", None, "the completion is empty: there is nothing to train on"))
    _extra_keys(example, _COMPLETION_KEYS, issues, "a prompt/completion example")


# --- shared pieces ------------------------------------------------------------------------


def _require_messages(
    example: dict[str, Any], messages: Any, ctx: RuleContext, issues: list[Issue], *, expected: str
) -> bool:
    if messages is None:
        _wrong_shape(shape_of(example), ctx, issues, expected=expected)
        return False
    if not isinstance(messages, list) or not messages:
        issues.append(("wrong_format", None, "'messages' must be a non-empty list of messages"))
        return False
    return True


def _wrong_shape(shape: str | None, ctx: RuleContext, issues: list[Issue], *, expected: str) -> None:
    wanted = _FORMAT_NAMES[expected]
    if shape is None:
        issues.append(("wrong_format", None, f"not {wanted}: the line has none of the expected keys"))
        return
    method = _METHOD_FOR_SHAPE.get(shape)
    hint = f"; check it with --method {method}" if method and method != ctx.method else ""
    if shape == "completion":
        hint = "; only davinci-002 and babbage-002 took prompt/completion lines"
    issues.append(("wrong_format", None, f"this line is {_FORMAT_NAMES[shape]}, but {ctx.method} needs {wanted}{hint}"))


def _extra_keys(
    obj: dict[str, Any], allowed: frozenset[str] | set[str], issues: list[Issue], what: str, prefix: str = ""
) -> None:
    if obj.keys() <= allowed:
        return
    for key in obj:
        if key not in allowed:
            issues.append(("extra_key", None, f"'{prefix}{key}' is not part of {what}; the service may reject it"))


def _check_parallel(obj: dict[str, Any], issues: list[Issue], prefix: str = "") -> None:
    value = obj.get("parallel_tool_calls")
    if value is not None and not isinstance(value, bool):
        issues.append(("wrong_format", None, f"'{prefix}parallel_tool_calls' must be true or false"))


def _declared_tools(obj: dict[str, Any], issues: list[Issue], prefix: str = "") -> set[str]:
    """Names of the functions a line declares in `tools` (and legacy `functions`), checking their shape."""
    names: set[str] = set()
    tools = obj.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            issues.append(("wrong_format", None, f"'{prefix}tools' must be a list of tool definitions"))
        else:
            for i, tool in enumerate(tools):
                function = tool.get("function") if isinstance(tool, dict) else None
                if not isinstance(function, dict) or tool.get("type", "function") != "function":
                    issues.append(
                        (
                            "wrong_format",
                            None,
                            f'{prefix}tools[{i}] must be {{"type": "function", "function": {{...}}}}',
                        )
                    )
                    continue
                _function_definition(function, f"{prefix}tools[{i}].function", names, issues)
    functions = obj.get("functions")
    if functions is not None:
        issues.append(("legacy_format", None, f"'{prefix}functions' is the legacy form of 'tools' (accepted)"))
        if not isinstance(functions, list):
            issues.append(("wrong_format", None, f"'{prefix}functions' must be a list of function definitions"))
        else:
            for i, function in enumerate(functions):
                _function_definition(function, f"{prefix}functions[{i}]", names, issues)
    return names


def _function_definition(function: Any, where: str, names: set[str], issues: list[Issue]) -> None:
    if not isinstance(function, dict):
        issues.append(("wrong_format", None, f"{where} must be an object"))
        return
    name = function.get("name")
    if not isinstance(name, str) or not name:
        issues.append(("wrong_format", None, f"{where} has no 'name'"))
        return
    parameters = function.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        issues.append(("wrong_format", None, f"{where}.parameters must be a JSON Schema object"))
    names.add(name)


def _walk_messages(
    messages: list[Any],
    ctx: RuleContext,
    issues: list[Issue],
    *,
    tool_names: set[str],
    allow_weight: bool,
    label: str = "",
    numbered: bool = True,
) -> _Walk:
    walk = _Walk()
    plain_keys = _PLAIN_KEYS
    call_ids: set[str] = set()
    for i, message in enumerate(messages):
        # The common case, checked with a few C-level operations: a known role, only
        # role/content/name keys, and non-empty text content.
        if type(message) is dict:
            role = message.get("role")
            allowed = plain_keys.get(role)
            if allowed is not None and message.keys() <= allowed:
                content = message.get("content")
                if type(content) is str and content:
                    walk.roles.add(role)
                    walk.last_role = role
                    if role == "assistant":
                        walk.learnable = True
                    continue
        _check_message(
            message, i + 1 if numbered else None, label, ctx, issues, walk, tool_names, call_ids, allow_weight
        )
    if walk.images > MAX_IMAGES:
        issues.append(("too_many_images", None, f"{walk.images} images; an example may have at most {MAX_IMAGES}"))
    if walk.images:
        _check_image_support(walk.images, ctx, issues)
    return walk


def _check_message(
    message: Any,
    n: int | None,
    label: str,
    ctx: RuleContext,
    issues: list[Issue],
    walk: _Walk,
    tool_names: set[str],
    call_ids: set[str],
    allow_weight: bool,
) -> None:
    """Every rule for one message (the path for anything but plain text messages)."""
    at = f"{label}: " if label else ""
    if not isinstance(message, dict):
        issues.append(("wrong_format", n, f"{at}a message must be an object, not {_json_type(message)}"))
        return
    role = message.get("role")
    if role is None:
        issues.append(("wrong_format", n, f"{at}the message has no 'role'"))
        return
    if role not in _MESSAGE_KEYS:
        issues.append(("unknown_role", n, f"{at}role {role!r} is not one of {', '.join(ROLES)}"))
        return
    if role == "function":
        issues.append(("legacy_format", n, f"{at}role 'function' is the legacy form of 'tool' (accepted)"))
    walk.roles.add(role)
    walk.last_role = role
    allowed = _MESSAGE_KEYS[role]
    for key in message:
        if key not in allowed or (key == "weight" and not allow_weight):
            takes = allowed if allow_weight else allowed - {"weight"}
            why = (
                "weight is only for supervised examples"
                if key == "weight"
                else f"{_article(role)} {role} message takes {', '.join(sorted(takes))}"
            )
            issues.append(("unknown_key", n, f"{at}unknown key '{key}' ({why})"))
    has_calls = _check_calls(message, role, n, at, tool_names, call_ids, issues)
    _check_content(message, role, n, at, has_calls, walk, ctx, issues)
    if role == "assistant":
        weight = message.get("weight", 1)
        if allow_weight and "weight" in message and (isinstance(weight, bool) or weight not in (0, 1)):
            issues.append(("bad_weight", n, f"{at}weight must be 0 or 1, not {weight!r}"))
            walk.learnable = True  # already reported; "nothing to learn" would mislead
        elif weight != 0:
            walk.learnable = True
    elif role == "tool":
        call_id = message.get("tool_call_id")
        if not isinstance(call_id, str):
            issues.append(("wrong_format", n, f"{at}a tool message needs a 'tool_call_id' string"))
        elif call_id not in call_ids:
            issues.append(("orphan_tool_result", n, f"{at}tool_call_id {call_id!r} answers no earlier tool call"))


def _check_calls(
    message: dict[str, Any],
    role: str,
    n: int | None,
    at: str,
    tool_names: set[str],
    call_ids: set[str],
    issues: list[Issue],
) -> bool:
    """Check tool_calls / function_call of an assistant message; True when it has any."""
    if role != "assistant":
        return False
    calls = message.get("tool_calls")
    function_call = message.get("function_call")
    if function_call is not None:
        issues.append(("legacy_format", n, f"{at}'function_call' is the legacy form of 'tool_calls' (accepted)"))
        calls = [*(calls if isinstance(calls, list) else []), {"type": "function", "function": function_call}]
    if calls is None:
        return False
    if not isinstance(calls, list):
        issues.append(("wrong_format", n, f"{at}'tool_calls' must be a list"))
        return False
    for j, call in enumerate(calls):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or call.get("type", "function") != "function":
            issues.append(
                ("wrong_format", n, f'{at}tool_calls[{j}] must be {{"type": "function", "function": {{...}}}}')
            )
            continue
        name, arguments = function.get("name"), function.get("arguments")
        if not isinstance(name, str) or not name:
            issues.append(("wrong_format", n, f"{at}tool_calls[{j}] has no function name"))
        elif name not in tool_names:
            declared = f"the line defines {', '.join(sorted(tool_names))}" if tool_names else "the line has no 'tools'"
            issues.append(("undefined_tool", n, f"{at}calls {name!r}, which is not defined ({declared})"))
        if not isinstance(arguments, str):
            issues.append(("wrong_format", n, f"{at}tool_calls[{j}].function.arguments must be a JSON string"))
        if isinstance(call.get("id"), str):
            call_ids.add(call["id"])
    return bool(calls)


def _check_content(
    message: dict[str, Any],
    role: str,
    n: int | None,
    at: str,
    has_calls: bool,
    walk: _Walk,
    ctx: RuleContext,
    issues: list[Issue],
) -> None:
    content = message.get("content")
    if content is None:
        if not has_calls:
            what = "no content and no tool_calls" if role == "assistant" else "no content"
            issues.append(("missing_content", n, f"{at}the {role} message has {what}"))
        return
    if isinstance(content, str):
        if not content and not has_calls:
            if role == "assistant":
                issues.append(("missing_content", n, f"{at}the assistant message is empty and has no tool_calls"))
            else:
                issues.append(("empty_message", n, f"{at}the {role} message is empty"))
        return
    if not isinstance(content, list) or role in ("tool", "function"):
        issues.append(("wrong_format", n, f"{at}'content' of a {role} message must be a string"))
        return
    if not content and not has_calls:
        kind = "missing_content" if role == "assistant" else "empty_message"
        issues.append((kind, n, f"{at}the {role} message has an empty content list"))
    for j, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            if not isinstance(part.get("text"), str):
                issues.append(("wrong_format", n, f"{at}content[{j}] of type text needs a 'text' string"))
        elif kind == "image_url":
            walk.images += 1
            if role == "assistant":
                issues.append(("image_in_assistant", n, f"{at}assistant messages cannot contain images"))
            elif role != "user":
                issues.append(("image_in_assistant", n, f"{at}only user messages can contain images, not {role}"))
            image = part.get("image_url")
            if not isinstance(image, dict):
                issues.append(("bad_image", n, f"{at}content[{j}].image_url must be an object with 'url'"))
                continue
            problem = image_problem(image.get("url"), image.get("detail"))
            if problem:
                issues.append(("bad_image", n, f"{at}content[{j}]: {problem}"))
        else:
            issues.append(("wrong_format", n, f"{at}content[{j}] must be a text or image_url part, not {kind!r}"))


def _check_image_support(images: int, ctx: RuleContext, issues: list[Issue]) -> None:
    facts = ctx.facts
    if facts is None or facts.images is True:
        return
    if facts.images is False:
        issues.append(("images_not_supported", None, f"{ctx.model} is a text-only model; it cannot train on images"))
    else:
        issues.append(
            (
                "images_unverified",
                None,
                f"vision fine-tuning is documented for gpt-4o-2024-08-06; {ctx.model} may refuse images",
            )
        )


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _json_type(value: Any) -> str:
    return {str: "a string", list: "a list", bool: "true/false", int: "a number", float: "a number"}.get(
        type(value), "null" if value is None else type(value).__name__
    )
